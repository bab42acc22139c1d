//! The console's campaign and coupon setup (docs/web.md, "Operator console"): the coupon
//! template form, the campaign form, the templates with what each has issued, and the activity
//! calendar. Reading needs viewer, campaign manager, risk officer or admin; creating needs
//! campaign manager (or admin), checked here and again by the use case, which audits. A refused
//! form comes back with 422, one message, what was typed, and nothing written.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cardlife_app::AppError;
use cardlife_app::merchants::operators::Role;
use cardlife_app::rewards::campaigns::Trigger;
use cardlife_app::rewards::coupons::{CouponRefusal, FundingSource};
use cardlife_app::rewards::segment_terms::{SegmentInput, describe};
use cardlife_app::rewards::terms::{CampaignTerms, TemplateTerms};
use serde::Deserialize;

use super::app_rewards::coupon_message;
use super::csrf::CsrfForm;
use super::face_forms;
use super::face_forms::fields_clean;
use super::page::Page;
use super::staff_session::OperatorPage;
use crate::AppState;
use crate::problem::ApiError;

/// Who may see the page.
pub(crate) const CAMPAIGN_READERS: &[Role] =
    &[Role::Viewer, Role::CampaignManager, Role::RiskOfficer];
/// Who may create templates and campaigns.
pub(crate) const CAMPAIGN_MANAGERS: &[Role] = &[Role::CampaignManager];
/// The longest value any field of these forms takes (a list of merchant ids is the longest).
const FIELD_LEN_MAX: usize = 400;

/// A template row.
#[derive(Debug)]
pub(crate) struct TemplateRow {
    id: String,
    name: String,
    value: String,
    validity: String,
    funding: &'static str,
    budget: String,
    issued: u32,
    stock: u32,
    issued_value: String,
    claimable: bool,
}

/// A calendar row.
#[derive(Debug)]
pub(crate) struct CampaignRow {
    name: String,
    trigger: &'static str,
    window: String,
    budget: String,
    granted: String,
    grants: u32,
    variants: String,
    segment: String,
}

/// The template form, echoed back when refused.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct TemplateForm {
    name: String,
    kind: String,
    off: String,
    percent: String,
    cap: String,
    min_spend: String,
    valid_from: String,
    valid_until: String,
    valid_days: String,
    merchants: String,
    mccs: String,
    card_bins: String,
    funding: String,
    funder_id: String,
    budget: String,
    stock: String,
    per_user: String,
    per_user_per_day: String,
    per_day: String,
    claimable: String,
}

/// The campaign form, echoed back when refused.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CampaignForm {
    name: String,
    trigger: String,
    min_amount: String,
    mccs: String,
    weekdays: String,
    template_a: String,
    template_b: String,
    split_a: String,
    budget: String,
    starts_at: String,
    ends_at: String,
    per_customer: String,
    stages: String,
    value_tiers: String,
    card_bins: String,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/coupons.html")]
pub(crate) struct CouponsPage {
    page: Page,
    login: String,
    role: &'static str,
    can_manage: bool,
    templates: Vec<TemplateRow>,
    calendar: Vec<CampaignRow>,
    t: TemplateForm,
    c: CampaignForm,
    template_error: Option<String>,
    campaign_error: Option<String>,
    notice: Option<&'static str>,
}

/// `?done=template|campaign` after a creation.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DoneQuery {
    done: Option<String>,
}

/// Where a refusal is shown.
enum Refusal {
    Template(String),
    Campaign(String),
}

fn echo<T: Default>(form: Option<T>) -> T {
    form.unwrap_or_default()
}

async fn render(
    state: &AppState,
    session: &OperatorPage,
    page: Page,
    forms: (Option<TemplateForm>, Option<CampaignForm>),
    refusal: Option<Refusal>,
    notice: Option<&'static str>,
) -> Response {
    let op = &session.operator;
    let loaded = async {
        Ok::<_, AppError>((
            state.app.coupon_templates(op).await?,
            state.app.campaign_calendar(op).await?,
        ))
    };
    let (templates, calendar) = match loaded.await {
        Ok(lists) => lists,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let r = page.r;
    let templates = templates
        .into_iter()
        .map(|t| TemplateRow {
            id: t.id.to_string(),
            value: r.value(t.terms.discount),
            validity: r.validity(t.terms.validity),
            funding: match t.terms.funding {
                FundingSource::Bank => r.funding_bank,
                FundingSource::Merchant(_) => r.funding_merchant,
                FundingSource::Partner(_) => r.funding_partner,
            },
            budget: t.terms.budget.to_string(),
            issued: t.issued,
            stock: t.terms.stock,
            issued_value: t.issued_value.to_string(),
            claimable: t.claimable,
            name: t.name,
        })
        .collect();
    let calendar = calendar
        .into_iter()
        .map(|c| {
            let binding = matches!(c.rule.trigger, Trigger::FirstCardBinding);
            let variants = c
                .rule
                .variants
                .iter()
                .map(|v| format!("{} ({})", v.name, v.weight))
                .collect::<Vec<_>>()
                .join(" / ");
            CampaignRow {
                trigger: if binding {
                    r.trigger_binding
                } else {
                    r.trigger_payment
                },
                window: format!(
                    "{} – {}",
                    super::console_records::local(&c.rule.starts_at),
                    super::console_records::local(&c.rule.ends_at)
                ),
                budget: c
                    .rule
                    .budget
                    .money
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
                granted: c.granted.to_string(),
                grants: c.grants,
                variants,
                segment: describe(&c.rule.segment).unwrap_or_else(|| page.l().everyone.to_owned()),
                name: c.name,
            }
        })
        .collect();
    let (template_error, campaign_error) = match refusal {
        Some(Refusal::Template(m)) => (Some(m), None),
        Some(Refusal::Campaign(m)) => (None, Some(m)),
        None => (None, None),
    };
    let status = if template_error.is_some() || campaign_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = CouponsPage {
        can_manage: op.require_any(CAMPAIGN_MANAGERS).is_ok(),
        login: op.login.clone(),
        role: op.role.as_str(),
        page,
        templates,
        calendar,
        t: echo(forms.0),
        c: echo(forms.1),
        template_error,
        campaign_error,
        notice,
    };
    (status, body).into_response()
}

/// `GET /console/campaigns`.
pub(crate) async fn page(
    session: OperatorPage,
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<DoneQuery>,
) -> Result<Response, Response> {
    session.require(&page, CAMPAIGN_READERS)?;
    let notice = match q.done.as_deref() {
        Some("template") => Some(page.r.template_created),
        Some("campaign") => Some(page.r.campaign_created),
        _ => None,
    };
    Ok(render(&state, &session, page, (None, None), None, notice).await)
}

/// The message for a refusal of these forms: the terms' own reason, or a coupon sentence;
/// `None` when the failure is the server's.
fn message(page: &Page, e: &AppError) -> Option<String> {
    match e {
        AppError::Rewards(CouponRefusal::InvalidConfig { reason }) => {
            Some(format!("{}: {reason}", page.r.err_terms))
        }
        _ => coupon_message(page.r, e)
            .map(str::to_owned)
            .or_else(|| face_forms::refusal(page.f, e)),
    }
}

/// `POST /console/campaigns/templates`.
pub(crate) async fn create_template(
    session: OperatorPage,
    State(state): State<AppState>,
    page: Page,
    CsrfForm(form): CsrfForm<TemplateForm>,
) -> Result<Response, Response> {
    session.require(&page, CAMPAIGN_MANAGERS)?;
    let f = &form;
    let all = [
        &f.name,
        &f.kind,
        &f.off,
        &f.percent,
        &f.cap,
        &f.min_spend,
        &f.valid_from,
        &f.valid_until,
        &f.valid_days,
        &f.merchants,
        &f.mccs,
        &f.card_bins,
        &f.funding,
        &f.funder_id,
        &f.budget,
        &f.stock,
        &f.per_user,
        &f.per_user_per_day,
        &f.per_day,
    ]
    .map(String::as_str);
    if let Err(m) = fields_clean(page.f, &all, FIELD_LEN_MAX, false).map_err(str::to_owned) {
        let refusal = Some(Refusal::Template(m));
        return Ok(render(&state, &session, page, (Some(form), None), refusal, None).await);
    }
    let terms = TemplateTerms {
        name: f.name.clone(),
        kind: f.kind.clone(),
        off: f.off.clone(),
        percent: f.percent.clone(),
        cap: f.cap.clone(),
        min_spend: f.min_spend.clone(),
        valid_from: f.valid_from.clone(),
        valid_until: f.valid_until.clone(),
        valid_days: f.valid_days.clone(),
        merchants: f.merchants.clone(),
        mccs: f.mccs.clone(),
        card_bins: f.card_bins.clone(),
        funding: f.funding.clone(),
        funder_id: f.funder_id.clone(),
        budget: f.budget.clone(),
        stock: f.stock.clone(),
        per_user: f.per_user.clone(),
        per_user_per_day: f.per_user_per_day.clone(),
        per_day: f.per_day.clone(),
        claimable: f.claimable == "1",
    };
    let result = match terms.parse() {
        Ok(new) => {
            state
                .app
                .create_coupon_template(&session.operator, new)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/console/campaigns?done=template").into_response()),
        Err(e) => match message(&page, &e) {
            Some(m) => {
                let refusal = Some(Refusal::Template(m));
                Ok(render(&state, &session, page, (Some(form), None), refusal, None).await)
            }
            None => Err(ApiError::from(e).into_response()),
        },
    }
}

/// `POST /console/campaigns/new`.
pub(crate) async fn create_campaign(
    session: OperatorPage,
    State(state): State<AppState>,
    page: Page,
    CsrfForm(form): CsrfForm<CampaignForm>,
) -> Result<Response, Response> {
    session.require(&page, CAMPAIGN_MANAGERS)?;
    let f = &form;
    let all = [
        &f.name,
        &f.trigger,
        &f.min_amount,
        &f.mccs,
        &f.weekdays,
        &f.template_a,
        &f.template_b,
        &f.split_a,
        &f.budget,
        &f.starts_at,
        &f.ends_at,
        &f.per_customer,
        &f.stages,
        &f.value_tiers,
        &f.card_bins,
    ]
    .map(String::as_str);
    if let Err(m) = fields_clean(page.f, &all, FIELD_LEN_MAX, false).map_err(str::to_owned) {
        let refusal = Some(Refusal::Campaign(m));
        return Ok(render(&state, &session, page, (None, Some(form)), refusal, None).await);
    }
    let terms = CampaignTerms {
        name: f.name.clone(),
        trigger: f.trigger.clone(),
        min_amount: f.min_amount.clone(),
        mccs: f.mccs.clone(),
        weekdays: f.weekdays.clone(),
        template_a: f.template_a.clone(),
        template_b: f.template_b.clone(),
        split_a: f.split_a.clone(),
        budget: f.budget.clone(),
        starts_at: f.starts_at.clone(),
        ends_at: f.ends_at.clone(),
        per_customer: f.per_customer.clone(),
        segment: SegmentInput::from_text(&f.stages, &f.value_tiers, &f.card_bins),
    };
    let result = match terms.parse() {
        Ok(new) => state.app.create_campaign(&session.operator, new).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/console/campaigns?done=campaign").into_response()),
        Err(e) => match message(&page, &e) {
            Some(m) => {
                let refusal = Some(Refusal::Campaign(m));
                Ok(render(&state, &session, page, (None, Some(form)), refusal, None).await)
            }
            None => Err(ApiError::from(e).into_response()),
        },
    }
}
