//! Coupons and campaigns under `/v1` (docs/rewards.md): operators (campaign manager, admin)
//! create coupon templates and campaigns and read them (viewer, risk officer too); a logged-in
//! customer lists what it may claim, claims with an `Idempotency-Key`, and lists its own coupons.
//! Bad terms answer 422 `INVALID_TERMS` with the reason and write nothing.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cardlife_app::merchants::operators::Role;
use cardlife_app::rewards::campaigns::{CampaignView, Grant, Reward, Trigger};
use cardlife_app::rewards::coupons::{
    CouponId, CouponTemplateId, CouponView, Discount, FundingSource, TemplateView,
};
use cardlife_app::rewards::terms::{CampaignTerms, TemplateTerms};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::idempotent::once;
use super::segment_in::{SegmentIn, segment_out};
use crate::AppState;
use crate::auth::{CustomerSession, OperatorSession};
use crate::extract::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::web::i18n_rewards::{REWARDS_EN, RewardTexts};

/// A coupon template to create. Amounts in yuan (`"10.00"`), dates `YYYY-MM-DD`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TemplateIn {
    /// 1–40 characters, no markup.
    name: String,
    /// `fixed_off`, `percent_off` or `threshold`.
    kind: String,
    /// Amount off (fixed_off, threshold).
    #[serde(default)]
    off: String,
    /// Percent off, `"15"` = 15 % (percent_off).
    #[serde(default)]
    percent: String,
    /// Most a percent-off coupon takes (percent_off).
    #[serde(default)]
    cap: String,
    /// The threshold (threshold).
    #[serde(default)]
    min_spend: String,
    /// A fixed window: first and last valid dates.
    #[serde(default)]
    valid_from: String,
    /// A fixed window's last date.
    #[serde(default)]
    valid_until: String,
    /// Or: days valid from the claim (1–3660).
    #[serde(default)]
    valid_days: Option<u32>,
    /// Merchant ids (empty: any).
    #[serde(default)]
    merchants: Vec<String>,
    /// MCCs, four digits each (empty: any).
    #[serde(default)]
    mccs: Vec<String>,
    /// Card BINs, 6–8 digits each (empty: any).
    #[serde(default)]
    card_bins: Vec<String>,
    /// `bank` (default), `merchant` or `partner`.
    #[serde(default)]
    funding: String,
    /// The funding merchant (`mer_…`) or partner (`ptn_…`).
    #[serde(default)]
    funder_id: String,
    /// Total face value that may be issued; moved to the template's budget account at once.
    budget: String,
    /// Most coupons.
    stock: u32,
    /// Coupons one customer may hold.
    per_user: u32,
    /// Coupons one customer may claim per business day.
    #[serde(default)]
    per_user_per_day: Option<u32>,
    /// Coupons everybody may claim per business day.
    #[serde(default)]
    per_day: Option<u32>,
    /// Whether customers may claim it themselves (otherwise only campaigns grant it).
    claimable: bool,
}

impl TemplateIn {
    fn terms(&self) -> TemplateTerms {
        let n = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        TemplateTerms {
            name: self.name.clone(),
            kind: self.kind.clone(),
            off: self.off.clone(),
            percent: self.percent.clone(),
            cap: self.cap.clone(),
            min_spend: self.min_spend.clone(),
            valid_from: self.valid_from.clone(),
            valid_until: self.valid_until.clone(),
            valid_days: n(self.valid_days),
            merchants: self.merchants.join(","),
            mccs: self.mccs.join(","),
            card_bins: self.card_bins.join(","),
            funding: self.funding.clone(),
            funder_id: self.funder_id.clone(),
            budget: self.budget.clone(),
            stock: self.stock.to_string(),
            per_user: self.per_user.to_string(),
            per_user_per_day: n(self.per_user_per_day),
            per_day: n(self.per_day),
            claimable: self.claimable,
        }
    }
}

/// A coupon template.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TemplateOut {
    /// `cpt_…`.
    id: String,
    name: String,
    /// `fixed_off`, `percent_off`, `threshold`.
    kind: String,
    /// What the coupon takes off, in words (`¥10.00 off`, `15% off, up to ¥20.00`,
    /// `¥20.00 off ¥100.00+`).
    value: String,
    /// The most one coupon is worth (what it costs the budget).
    face_value: String,
    /// `YYYY-MM-DD – YYYY-MM-DD` or `N days from claim`.
    validity: String,
    /// `bank`, `merchant`, `partner`.
    funding: String,
    budget: String,
    stock: u32,
    issued: u32,
    issued_value: String,
    /// Coupons still to issue (stock and budget both left).
    remaining: u32,
    per_user: u32,
    claimable: bool,
    /// The budget's ledger account (UUID form of the u128 id).
    budget_account: String,
}

/// The words of the API: the English ones of the pages.
fn words() -> &'static RewardTexts {
    &REWARDS_EN
}

fn kind_text(d: Discount) -> &'static str {
    match d {
        Discount::FixedOff { .. } => "fixed_off",
        Discount::PercentOff { .. } => "percent_off",
        Discount::Threshold { .. } => "threshold",
    }
}

impl From<TemplateView> for TemplateOut {
    fn from(t: TemplateView) -> Self {
        let remaining = t.remaining();
        Self {
            id: t.id.to_string(),
            name: t.name,
            kind: kind_text(t.terms.discount).to_owned(),
            value: words().value(t.terms.discount),
            face_value: t.terms.discount.face_value().to_string(),
            validity: words().validity(t.terms.validity),
            funding: match t.terms.funding {
                FundingSource::Bank => "bank",
                FundingSource::Merchant(_) => "merchant",
                FundingSource::Partner(_) => "partner",
            }
            .to_owned(),
            budget: t.terms.budget.to_string(),
            stock: t.terms.stock,
            issued: t.issued,
            issued_value: t.issued_value.to_string(),
            remaining,
            per_user: t.terms.caps.per_user,
            claimable: t.claimable,
            budget_account: uuid::Uuid::from_u128(t.budget_account).to_string(),
        }
    }
}

/// A template a customer may claim, with how many the customer holds.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ClaimableOut {
    template: TemplateOut,
    /// Coupons of it the customer holds.
    held: u32,
}

/// A customer's coupon.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CouponOut {
    /// `cpn_…`.
    id: String,
    /// `cpt_…`.
    template_id: String,
    name: String,
    value: String,
    /// `available`, `reserved`, `redeemed`, `expired`.
    state: String,
    valid_from: String,
    valid_until: String,
    /// The discount given (redeemed) or held (reserved).
    discount_given: String,
    /// `claim` or the granting campaign (`cmp_…`).
    source: String,
    claimed_at: String,
}

impl From<CouponView> for CouponOut {
    fn from(c: CouponView) -> Self {
        Self {
            id: c.id.to_string(),
            template_id: c.template.to_string(),
            name: c.name,
            value: words().value(c.discount),
            state: c.state,
            valid_from: c.valid_from.to_string(),
            valid_until: c.valid_until.to_string(),
            discount_given: c.discount_given.to_string(),
            source: c.source,
            claimed_at: c.claimed_at.to_string(),
        }
    }
}

/// A campaign to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CampaignIn {
    /// 1–40 characters, no markup.
    name: String,
    /// `first_card_binding` (new-customer gift) or `payment`.
    trigger: String,
    /// Payment trigger: the minimum amount in yuan.
    #[serde(default)]
    min_amount: String,
    /// Payment trigger: MCCs (empty: any).
    #[serde(default)]
    mccs: Vec<String>,
    /// Payment trigger: ISO weekdays 1 (Monday) – 7 (Sunday) of the business date (empty: any).
    #[serde(default)]
    weekdays: Vec<u8>,
    /// Variant A's coupon template (`cpt_…`).
    template_a: String,
    /// Variant B's coupon template, for an A/B test.
    #[serde(default)]
    template_b: String,
    /// With a B: variant A's share of customers in percent (1–99).
    #[serde(default)]
    split_a: Option<u32>,
    /// Face value the campaign may grant, in yuan.
    budget: String,
    /// `YYYY-MM-DD` (start of day, Asia/Shanghai) or RFC 3339.
    starts_at: String,
    /// `YYYY-MM-DD` or RFC 3339; after the start.
    ends_at: String,
    /// Awards per customer.
    per_customer: u32,
    /// Who it targets (omitted: everybody).
    #[serde(default)]
    segment: SegmentIn,
}

/// A campaign, as the calendar lists it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CampaignOut {
    /// `cmp_…`.
    id: String,
    name: String,
    /// `first_card_binding` or `payment`.
    trigger: String,
    /// The trigger in words.
    rule: String,
    /// `A:cpt_…:50`, one per variant.
    variants: Vec<String>,
    budget: String,
    granted: String,
    grants: u32,
    starts_at: String,
    ends_at: String,
    per_customer: u32,
    /// The target segment: `stages`, `value_tiers`, `card_bins` (empty = any).
    #[schema(value_type = Object)]
    segment: serde_json::Value,
}

impl From<CampaignView> for CampaignOut {
    fn from(c: CampaignView) -> Self {
        let (trigger, rule) = match &c.rule.trigger {
            Trigger::FirstCardBinding => ("first_card_binding", "first card binding".to_owned()),
            Trigger::Payment {
                min_amount,
                mccs,
                weekdays,
            } => (
                "payment",
                format!(
                    "payment ≥ {min_amount}; MCC {}; weekdays {}",
                    if mccs.is_empty() {
                        "any".to_owned()
                    } else {
                        mccs.iter()
                            .map(|m| format!("{:04}", m.value()))
                            .collect::<Vec<_>>()
                            .join(",")
                    },
                    if weekdays.is_empty() {
                        "any".to_owned()
                    } else {
                        weekdays
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(",")
                    }
                ),
            ),
            Trigger::MonthlySpendTiers { .. } => {
                ("monthly_spend_tiers", "monthly spend".to_owned())
            }
        };
        let variants = c
            .rule
            .variants
            .iter()
            .map(|v| match &v.reward {
                Reward::Fixed(Grant::Coupon { template, .. }) => {
                    format!("{}:{template}:{}", v.name, v.weight)
                }
                _ => format!("{}:-:{}", v.name, v.weight),
            })
            .collect();
        Self {
            id: c.id.to_string(),
            name: c.name,
            trigger: trigger.to_owned(),
            rule,
            variants,
            budget: c
                .rule
                .budget
                .money
                .map(|m| m.to_string())
                .unwrap_or_default(),
            granted: c.granted.to_string(),
            grants: c.grants,
            starts_at: c.rule.starts_at.to_string(),
            ends_at: c.rule.ends_at.to_string(),
            per_customer: c.rule.per_customer,
            segment: segment_out(&c.rule.segment),
        }
    }
}

/// A `cpn_…` id from a request.
pub(crate) fn coupon_id(text: &str) -> Result<CouponId, ApiError> {
    CouponId::parse(text).map_err(|e| ApiError::InvalidId {
        detail: format!("a coupon id is `cpn_` and 32 lowercase hex digits: {e}"),
    })
}

fn template_id(text: &str) -> Result<CouponTemplateId, ApiError> {
    CouponTemplateId::parse(text).map_err(|e| ApiError::InvalidId {
        detail: format!("a coupon template id is `cpt_` and 32 lowercase hex digits: {e}"),
    })
}

/// Creates a coupon template and funds its budget on the ledger (campaign manager, admin).
#[utoipa::path(post, path = "/v1/operator/coupon-templates", tag = "rewards",
    request_body = TemplateIn,
    responses(
        (status = 201, description = "Created; the budget is on its ledger account", body = TemplateOut),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "FORBIDDEN_ROLE", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_TERMS (the reason in `detail`), INVALID_BODY; nothing written", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn create_template(
    session: OperatorSession,
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<TemplateOut>), ApiError> {
    // The role first: a caller without it learns nothing about the body's shape.
    let by = session.require(Role::CampaignManager)?;
    let JsonBody(body) = JsonBody::<TemplateIn>::parse(&body)?;
    let new = body.terms().parse()?;
    let t = state.app.create_coupon_template(by, new).await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// Every coupon template, newest first (viewer, campaign manager, risk officer, admin).
#[utoipa::path(get, path = "/v1/operator/coupon-templates", tag = "rewards",
    responses((status = 200, body = [TemplateOut]),
        (status = 403, description = "FORBIDDEN_ROLE", body = Problem, content_type = "application/problem+json")),
    security(("session" = [])))]
pub(crate) async fn templates(
    session: OperatorSession,
    State(state): State<AppState>,
) -> Result<Json<Vec<TemplateOut>>, ApiError> {
    let list = state.app.coupon_templates(session.operator()).await?;
    Ok(Json(list.into_iter().map(TemplateOut::from).collect()))
}

/// Creates a campaign (campaign manager, admin).
#[utoipa::path(post, path = "/v1/operator/campaigns", tag = "rewards",
    request_body = CampaignIn,
    responses(
        (status = 201, description = "Created", body = CampaignOut),
        (status = 403, description = "FORBIDDEN_ROLE", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND (a template)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_TERMS; nothing written", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn create_campaign(
    session: OperatorSession,
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<CampaignOut>), ApiError> {
    let by = session.require(Role::CampaignManager)?;
    let JsonBody(b) = JsonBody::<CampaignIn>::parse(&body)?;
    let list = |v: &[String]| v.join(",");
    let terms = CampaignTerms {
        name: b.name,
        trigger: b.trigger,
        min_amount: b.min_amount,
        mccs: list(&b.mccs),
        weekdays: b
            .weekdays
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(","),
        template_a: b.template_a,
        template_b: b.template_b,
        split_a: b.split_a.map(|s| s.to_string()).unwrap_or_default(),
        budget: b.budget,
        starts_at: b.starts_at,
        ends_at: b.ends_at,
        per_customer: b.per_customer.to_string(),
        segment: b.segment.into(),
    };
    let c = state.app.create_campaign(by, terms.parse()?).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// The activity calendar: every campaign in start order (viewer, campaign manager, risk
/// officer, admin).
#[utoipa::path(get, path = "/v1/operator/campaigns", tag = "rewards",
    responses((status = 200, body = [CampaignOut]),
        (status = 403, description = "FORBIDDEN_ROLE", body = Problem, content_type = "application/problem+json")),
    security(("session" = [])))]
pub(crate) async fn calendar(
    session: OperatorSession,
    State(state): State<AppState>,
) -> Result<Json<Vec<CampaignOut>>, ApiError> {
    let list = state.app.campaign_calendar(session.operator()).await?;
    Ok(Json(list.into_iter().map(CampaignOut::from).collect()))
}

/// The coupons the customer may claim now, with how many of each it holds.
#[utoipa::path(get, path = "/v1/coupons/claimable", tag = "rewards",
    responses((status = 200, body = [ClaimableOut])), security(("session" = [])))]
pub(crate) async fn claimable(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<Vec<ClaimableOut>>, ApiError> {
    let list = state.app.claimable_coupons(session.customer_id()).await?;
    Ok(Json(
        list.into_iter()
            .map(|(t, held)| ClaimableOut {
                template: t.into(),
                held,
            })
            .collect(),
    ))
}

/// Claims a coupon of a template. The same `Idempotency-Key` again answers the same coupon.
#[utoipa::path(post, path = "/v1/coupons/claimable/{id}/claims", tag = "rewards",
    params(
        ("id" = String, Path, description = "`cpt_…`"),
        ("Idempotency-Key" = String, Header, description = "Makes retries safe"),
    ),
    responses(
        (status = 201, description = "Claimed", body = CouponOut),
        (status = 400, description = "INVALID_ID, IDEMPOTENCY_KEY_REQUIRED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND (no such claimable template)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "SOLD_OUT, BUDGET_EXHAUSTED, ALREADY_CLAIMED, DAILY_CAP_REACHED; nothing changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "COUPON_EXPIRED (the window is over), IDEMPOTENCY_KEY_REUSED", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn claim(
    session: CustomerSession,
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let customer = session.customer_id();
    let template = template_id(&id)?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let run = async {
        let c = state
            .app
            .claim_coupon(customer, template, key.as_deref())
            .await?;
        Ok(CouponOut::from(c))
    };
    once(
        &state.app,
        customer,
        "coupons.claim",
        uri.path(),
        &headers,
        &(),
        StatusCode::CREATED,
        run,
    )
    .await
}

/// The customer's own coupons, newest first.
#[utoipa::path(get, path = "/v1/me/coupons", tag = "rewards",
    responses((status = 200, body = [CouponOut])), security(("session" = [])))]
pub(crate) async fn mine(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<Vec<CouponOut>>, ApiError> {
    let list = state.app.my_coupons(session.customer_id()).await?;
    Ok(Json(list.into_iter().map(CouponOut::from).collect()))
}

/// The coupons-and-campaigns part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        create_template,
        templates,
        create_campaign,
        calendar,
        claimable,
        claim,
        mine
    ),
    components(schemas(
        TemplateIn,
        TemplateOut,
        ClaimableOut,
        CouponOut,
        CampaignIn,
        CampaignOut
    ))
)]
pub(crate) struct CouponsApi;
