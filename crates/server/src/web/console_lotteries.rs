//! The console's lotteries (docs/web.md, "Operator console"): the lottery form (monthly spend
//! tiers, target segment, prizes with their stated odds, budgets) and every lottery with its
//! odds, what was awarded and its latest draws (customer, random value, outcome). Reading
//! needs viewer, campaign manager, risk officer or admin; creating needs campaign manager (or
//! admin), checked here and again by the use case, which audits. A refused form comes back
//! with 422, one message, what was typed, and nothing written.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cardlife_app::AppError;
use cardlife_app::rewards::coupons::CouponRefusal;
use cardlife_app::rewards::lottery::{DrawView, LotteryView, NoPrizeReason, PrizeKind};
use cardlife_app::rewards::lottery_terms::LotteryInput;
use cardlife_app::rewards::segment_terms::{SegmentInput, describe};
use serde::Deserialize;

use super::console_coupons::{CAMPAIGN_MANAGERS, CAMPAIGN_READERS};
use super::console_records::local;
use super::csrf::CsrfForm;
use super::face_forms::{self, fields_clean};
use super::i18n_lottery::LotteryTexts;
use super::page::Page;
use super::staff_session::OperatorPage;
use crate::AppState;
use crate::problem::ApiError;

/// The longest value a field takes (the prize lines are the longest).
const FIELD_LEN_MAX: usize = 2_000;
/// Draws shown per lottery on the page.
const DRAWS_SHOWN: usize = 20;

/// A prize row.
#[derive(Debug)]
pub(crate) struct PrizeRow {
    name: String,
    what: String,
    odds: String,
    awarded: u32,
    stock: String,
}

/// A draw row.
#[derive(Debug)]
pub(crate) struct DrawRow {
    customer: String,
    prize: String,
    outcome: &'static str,
    won: bool,
    random: String,
    at: String,
}

/// A lottery with its prizes and draws.
#[derive(Debug)]
pub(crate) struct LotteryRow {
    id: String,
    name: String,
    window: String,
    tiers: String,
    segment: String,
    budget: String,
    awarded: String,
    points: String,
    prizes: Vec<PrizeRow>,
    draws: Vec<DrawRow>,
}

/// The form, echoed back when refused.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LotteryForm {
    name: String,
    tiers: String,
    prizes: String,
    budget: String,
    points_budget: String,
    starts_at: String,
    ends_at: String,
    stages: String,
    value_tiers: String,
    card_bins: String,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/lotteries.html")]
pub(crate) struct LotteriesPage {
    page: Page,
    login: String,
    role: &'static str,
    can_manage: bool,
    lotteries: Vec<LotteryRow>,
    f: LotteryForm,
    error: Option<String>,
    notice: Option<&'static str>,
}

/// `?done=1` after a creation.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DoneQuery {
    done: Option<String>,
}

pub(crate) fn odds_text(bp: u32) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}

pub(crate) fn prize_what(kind: &PrizeKind) -> String {
    match kind {
        PrizeKind::Coupon {
            template,
            face_value,
        } => format!("¥{face_value} ({template})"),
        PrizeKind::Points(p) => format!("{} pts", p.value()),
        PrizeKind::Nothing => "—".to_owned(),
    }
}

pub(crate) fn outcome_text(l: &'static LotteryTexts, d: &DrawView) -> &'static str {
    match d.no_prize {
        None => l.won,
        Some(NoPrizeReason::Blank) => l.blank,
        Some(NoPrizeReason::StockOut) => l.stock_out,
        Some(NoPrizeReason::BudgetOut) => l.budget_out,
    }
}

fn row(l: &'static LotteryTexts, v: LotteryView, draws: Vec<DrawView>) -> LotteryRow {
    LotteryRow {
        id: v.id.to_string(),
        window: format!("{} – {}", local(&v.starts_at), local(&v.ends_at)),
        tiers: v
            .rule
            .tiers
            .iter()
            .map(|t| format!("≥ ¥{} → {}", t.min_spend, t.units))
            .collect::<Vec<_>>()
            .join(" · "),
        segment: describe(&v.rule.segment).unwrap_or_else(|| l.everyone.to_owned()),
        budget: v.budget.to_string(),
        awarded: v.awarded.to_string(),
        points: format!("{} / {}", v.points_awarded.value(), v.points_budget.value()),
        prizes: v
            .prizes
            .iter()
            .map(|p| PrizeRow {
                name: p.prize.name.clone(),
                what: prize_what(&p.prize.kind),
                odds: odds_text(p.prize.odds_bp),
                awarded: p.awarded,
                stock: if p.prize.is_prize() {
                    p.prize.stock.to_string()
                } else {
                    "—".to_owned()
                },
            })
            .collect(),
        draws: draws
            .iter()
            .take(DRAWS_SHOWN)
            .map(|d| DrawRow {
                customer: d.customer.to_string(),
                prize: d.picked_name.clone(),
                outcome: outcome_text(l, d),
                won: d.no_prize.is_none(),
                random: d.random_value.to_string(),
                at: local(&d.drawn_at),
            })
            .collect(),
        name: v.name,
    }
}

async fn render(
    state: &AppState,
    session: &OperatorPage,
    page: Page,
    form: Option<LotteryForm>,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Response {
    let op = &session.operator;
    let l = page.l();
    let loaded = async {
        let mut rows = Vec::new();
        for v in state.app.lotteries(op).await? {
            let draws = state.app.lottery_draws(op, v.id).await?;
            rows.push(row(l, v, draws));
        }
        Ok::<_, AppError>(rows)
    };
    let lotteries = match loaded.await {
        Ok(rows) => rows,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = LotteriesPage {
        can_manage: op.require_any(CAMPAIGN_MANAGERS).is_ok(),
        login: op.login.clone(),
        role: op.role.as_str(),
        page,
        lotteries,
        f: form.unwrap_or_default(),
        error,
        notice,
    };
    (status, body).into_response()
}

/// `GET /console/lotteries`.
pub(crate) async fn page(
    session: OperatorPage,
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<DoneQuery>,
) -> Result<Response, Response> {
    session.require(&page, CAMPAIGN_READERS)?;
    let notice = q.done.is_some().then_some(page.l().created);
    Ok(render(&state, &session, page, None, None, notice).await)
}

fn message(page: &Page, e: &AppError) -> Option<String> {
    match e {
        AppError::Rewards(CouponRefusal::InvalidConfig { reason }) => {
            Some(format!("{}: {reason}", page.l().err_terms))
        }
        _ => super::app_rewards::coupon_message(page.r, e)
            .map(str::to_owned)
            .or_else(|| face_forms::refusal(page.f, e)),
    }
}

/// `POST /console/lotteries`.
pub(crate) async fn create(
    session: OperatorPage,
    State(state): State<AppState>,
    page: Page,
    CsrfForm(form): CsrfForm<LotteryForm>,
) -> Result<Response, Response> {
    session.require(&page, CAMPAIGN_MANAGERS)?;
    let f = &form;
    let all = [
        &f.name,
        &f.tiers,
        &f.prizes,
        &f.budget,
        &f.points_budget,
        &f.starts_at,
        &f.ends_at,
        &f.stages,
        &f.value_tiers,
        &f.card_bins,
    ]
    .map(String::as_str);
    if let Err(m) = fields_clean(page.f, &all, FIELD_LEN_MAX, true) {
        let m = m.to_owned();
        return Ok(render(&state, &session, page, Some(form), Some(m), None).await);
    }
    let segment = SegmentInput::from_text(&f.stages, &f.value_tiers, &f.card_bins);
    let input = LotteryInput {
        name: f.name.clone(),
        budget: f.budget.clone(),
        points_budget: f.points_budget.clone(),
        starts_at: f.starts_at.clone(),
        ends_at: f.ends_at.clone(),
        stages: segment.stages,
        value_tiers: segment.value_tiers,
        card_bins: segment.card_bins,
        ..LotteryInput::default()
    };
    let result = match input.with_text(&f.tiers, &f.prizes).and_then(|i| i.parse()) {
        Ok(new) => state.app.create_lottery(&session.operator, new).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/console/lotteries?done=1").into_response()),
        Err(e) => match message(&page, &e) {
            Some(m) => Ok(render(&state, &session, page, Some(form), Some(m), None).await),
            None => Err(ApiError::from(e).into_response()),
        },
    }
}
