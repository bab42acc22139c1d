//! The cardholder's rewards page (docs/web.md, "Rewards"): the coupons the customer may claim
//! (each with a claim form carrying an idempotency key made when the page was rendered, so a
//! double submit claims once) and the customer's own coupons with their state and validity.
//! Also the refusal sentences coupons share with the pay page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cardlife_app::AppError;
use cardlife_app::rewards::coupons::{
    CouponRefusal as RewardsError, CouponTemplateId, CouponView, TemplateView,
};
use serde::Deserialize;

use super::card_forms::{self, Refused};
use super::csrf::CsrfForm;
use super::face_forms;
use super::i18n_rewards::RewardTexts;
use super::page::Page;
use super::session::PageSession;
use crate::AppState;
use crate::problem::ApiError;

/// A template as the page lists it.
#[derive(Debug)]
pub(crate) struct ClaimableShown {
    id: String,
    name: String,
    value: String,
    validity: String,
    left: u32,
    held: u32,
    /// The customer holds as many as one may.
    full: bool,
}

/// A coupon as the page lists it.
#[derive(Debug)]
pub(crate) struct CouponShown {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) state: String,
    pub(crate) state_text: &'static str,
    pub(crate) valid: String,
    pub(crate) gift: bool,
}

impl CouponShown {
    pub(crate) fn of(r: &'static RewardTexts, c: CouponView) -> Self {
        let state_text = match c.state.as_str() {
            "available" => r.state_available,
            "reserved" => r.state_reserved,
            "redeemed" => r.state_redeemed,
            _ => r.state_expired,
        };
        Self {
            id: c.id.to_string(),
            name: c.name,
            value: r.value(c.discount),
            state: c.state,
            state_text,
            valid: format!("{} – {}", c.valid_from, c.valid_until),
            gift: c.source != "claim",
        }
    }
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/rewards.html")]
pub(crate) struct RewardsPage {
    page: Page,
    /// The group-buying strings, for the link to it.
    gb: &'static super::i18n_group_buy::GroupBuyTexts,
    /// The flash-sale strings, for the link to it.
    fs: &'static super::i18n_flash_sale::FlashSaleTexts,
    claimable: Vec<ClaimableShown>,
    mine: Vec<CouponShown>,
    key: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

/// `?claimed=1` after a claim.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ClaimedQuery {
    claimed: Option<String>,
}

/// The claim form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ClaimForm {
    template: String,
    key: String,
}

/// The sentence for a coupon refusal a person can act on; `None` for anything else.
pub(crate) fn coupon_message(r: &'static RewardTexts, e: &AppError) -> Option<&'static str> {
    use RewardsError as R;
    let AppError::Rewards(e) = e else {
        return None;
    };
    Some(match e {
        R::StockExhausted => r.err_sold_out,
        R::BudgetExhausted { .. } => r.err_budget,
        R::AlreadyClaimed { .. } => r.err_already,
        R::DailyCapReached { .. } => r.err_daily,
        R::CouponExpired { .. } | R::CouponNotYetValid { .. } => r.err_expired,
        R::CouponOutOfScope { .. } => r.err_scope,
        R::BelowThreshold { .. } => r.err_threshold,
        R::CouponAlreadyReserved | R::CouponAlreadyRedeemed | R::ReservationMismatch => r.err_used,
        R::CouponNotFound => r.err_not_found,
        R::InvalidConfig { .. } => r.err_terms,
        _ => return None,
    })
}

fn explain(page: &Page) -> impl Fn(AppError) -> Refused + use<> {
    let (f, c, r) = (page.f, page.c, page.r);
    move |e| match coupon_message(r, &e) {
        Some(m) => Ok(m.to_owned()),
        None => card_forms::coded(f, c, e),
    }
}

fn shown(r: &RewardTexts, t: TemplateView, held: u32) -> ClaimableShown {
    ClaimableShown {
        id: t.id.to_string(),
        full: held >= t.terms.caps.per_user,
        left: t.remaining(),
        name: t.name,
        value: r.value(t.terms.discount),
        validity: r.validity(t.terms.validity),
        held,
    }
}

async fn render(
    state: &AppState,
    session: &PageSession,
    page: Page,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Response {
    let customer = session.customer_id();
    let loaded = async {
        let claimable = state.app.claimable_coupons(customer).await?;
        let mine = state.app.my_coupons(customer).await?;
        Ok::<_, AppError>((claimable, mine))
    };
    match loaded.await {
        Ok((claimable, mine)) => {
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let r = page.r;
            let body = RewardsPage {
                gb: super::i18n_group_buy::group_buy_texts(page.lang),
                fs: super::i18n_flash_sale::flash_sale_texts(page.lang),
                claimable: claimable.into_iter().map(|(t, h)| shown(r, t, h)).collect(),
                mine: mine.into_iter().map(|c| CouponShown::of(r, c)).collect(),
                key: face_forms::idempotency_key(),
                page,
                error,
                notice,
            };
            (status, body).into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /app/rewards`.
pub(crate) async fn rewards(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<ClaimedQuery>,
) -> Response {
    let notice = q.claimed.map(|_| page.r.claimed_notice);
    render(&state, &session, page, None, notice).await
}

/// `POST /app/rewards/claim`: claims a coupon once per form.
pub(crate) async fn claim(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
    CsrfForm(form): CsrfForm<ClaimForm>,
) -> Response {
    let r = page.r;
    let Ok(template) = CouponTemplateId::parse(form.template.trim()) else {
        return render(
            &state,
            &session,
            page,
            Some(r.err_not_found.to_owned()),
            None,
        )
        .await;
    };
    let Some(key) = card_forms::form_key(&form.key) else {
        let refused = page.f.err_refused.to_owned();
        return render(&state, &session, page, Some(refused), None).await;
    };
    let customer = session.customer_id();
    let run = state.app.claim_coupon(customer, template, Some(key));
    let request = template.to_string();
    let explain = explain(&page);
    match card_forms::once_with(
        &state.app,
        customer,
        "coupon-claim",
        (key, &request),
        explain,
        run,
    )
    .await
    {
        Ok(_) => Redirect::to("/app/rewards?claimed=1").into_response(),
        Err(Ok(message)) => render(&state, &session, page, Some(message), None).await,
        Err(Err(e)) => e.into_response(),
    }
}
