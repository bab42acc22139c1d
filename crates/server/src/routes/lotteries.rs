//! Lotteries under `/v1` (docs/rewards.md, "Lotteries"): operators (campaign manager, admin)
//! create them — monthly spend tiers, target segment, prizes with stated odds, budgets — and
//! read them with their draws (viewer, risk officer too); a logged-in customer sees the running
//! lotteries with the stated odds, their chances and draws, and draws with an
//! `Idempotency-Key`. Bad terms answer 422 `INVALID_TERMS` with the reason and write nothing.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cardlife_app::merchants::operators::Role;
use cardlife_app::rewards::lottery::{DrawView, LotteryId, LotteryView, PrizeKind};
use cardlife_app::rewards::lottery_chances::{ChanceState, MyLottery};
use cardlife_app::rewards::lottery_terms::{LotteryInput, PrizeInput};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::idempotent::once;
use super::segment_in::{SegmentIn, segment_out};
use crate::AppState;
use crate::auth::{CustomerSession, OperatorSession};
use crate::extract::JsonBody;
use crate::problem::{ApiError, Problem};

/// One spend tier: a month's spend from `min_spend` gives `draws` draws in total.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TierIn {
    /// Yuan, `"1000.00"`.
    min_spend: String,
    /// Draws in total at this tier (1–100).
    draws: u32,
}

/// One prize with its stated odds.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PrizeIn {
    /// Shown to customers (1–40 characters).
    name: String,
    /// Basis points; all prizes' odds sum to 10,000.
    odds_bp: u32,
    /// `coupon`, `points` or `none`.
    kind: String,
    /// `cpt_…` for a coupon prize.
    #[serde(default)]
    template: String,
    /// Points of a points prize.
    #[serde(default)]
    points: Option<u32>,
    /// Units that may be awarded (coupon and points prizes).
    #[serde(default)]
    stock: Option<u32>,
}

/// A lottery to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LotteryIn {
    /// 1–40 characters, no markup.
    name: String,
    /// Ascending tiers (1–10).
    tiers: Vec<TierIn>,
    /// The prizes (1–20), odds summing to 10,000 basis points.
    prizes: Vec<PrizeIn>,
    /// Coupon face value the draws may award, yuan.
    budget: String,
    /// Points the draws may award.
    #[serde(default)]
    points_budget: u32,
    /// `YYYY-MM-DD` (start of day, Asia/Shanghai) or RFC 3339.
    starts_at: String,
    /// `YYYY-MM-DD` or RFC 3339; after the start.
    ends_at: String,
    /// Target segment.
    #[serde(default)]
    segment: SegmentIn,
}

impl LotteryIn {
    fn input(self) -> LotteryInput {
        let opt = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
        LotteryInput {
            name: self.name,
            tiers: self
                .tiers
                .into_iter()
                .map(|t| (t.min_spend, t.draws.to_string()))
                .collect(),
            prizes: self
                .prizes
                .into_iter()
                .map(|p| PrizeInput {
                    name: p.name,
                    odds_bp: p.odds_bp.to_string(),
                    kind: p.kind,
                    template: p.template,
                    points: opt(p.points),
                    stock: opt(p.stock),
                })
                .collect(),
            budget: self.budget,
            points_budget: self.points_budget.to_string(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            stages: self.segment.stages,
            value_tiers: self.segment.value_tiers,
            card_bins: self.segment.card_bins,
        }
    }
}

/// A prize as shown: the stated odds, and what was awarded of it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PrizeOut {
    name: String,
    /// Basis points.
    odds_bp: u32,
    /// The odds in percent, `"1.00"`.
    odds_percent: String,
    /// `coupon`, `points` or `none`.
    kind: String,
    /// `cpt_…` (coupon).
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<String>,
    /// Face value (coupon), yuan.
    #[serde(skip_serializing_if = "Option::is_none")]
    face_value: Option<String>,
    /// Points (points).
    #[serde(skip_serializing_if = "Option::is_none")]
    points: Option<i64>,
    stock: u32,
    awarded: u32,
}

/// A lottery.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LotteryOut {
    /// `ltr_…`.
    id: String,
    name: String,
    tiers: Vec<TierIn>,
    /// The target segment: `stages`, `value_tiers`, `card_bins` (empty = any).
    #[schema(value_type = Object)]
    segment: serde_json::Value,
    prizes: Vec<PrizeOut>,
    budget: String,
    awarded: String,
    points_budget: i64,
    points_awarded: i64,
    starts_at: String,
    ends_at: String,
}

fn percent(bp: u32) -> String {
    format!("{}.{:02}", bp / 100, bp % 100)
}

impl From<LotteryView> for LotteryOut {
    fn from(l: LotteryView) -> Self {
        let prizes = l
            .prizes
            .iter()
            .map(|p| {
                let (kind, template, face_value, points) = match &p.prize.kind {
                    PrizeKind::Coupon {
                        template,
                        face_value,
                    } => (
                        "coupon",
                        Some(template.to_string()),
                        Some(face_value.to_string()),
                        None,
                    ),
                    PrizeKind::Points(pts) => ("points", None, None, Some(pts.value())),
                    PrizeKind::Nothing => ("none", None, None, None),
                };
                PrizeOut {
                    name: p.prize.name.clone(),
                    odds_bp: p.prize.odds_bp,
                    odds_percent: percent(p.prize.odds_bp),
                    kind: kind.to_owned(),
                    template,
                    face_value,
                    points,
                    stock: p.prize.stock,
                    awarded: p.awarded,
                }
            })
            .collect();
        let seg = &l.rule.segment;
        Self {
            id: l.id.to_string(),
            name: l.name,
            tiers: l
                .rule
                .tiers
                .iter()
                .map(|t| TierIn {
                    min_spend: t.min_spend.to_string(),
                    draws: t.units,
                })
                .collect(),
            segment: segment_out(seg),
            prizes,
            budget: l.budget.to_string(),
            awarded: l.awarded.to_string(),
            points_budget: l.points_budget.value(),
            points_awarded: l.points_awarded.value(),
            starts_at: l.starts_at.to_string(),
            ends_at: l.ends_at.to_string(),
        }
    }
}

/// A draw, as recorded for audit.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DrawOut {
    /// `drw_…`.
    id: String,
    /// `ltr_…`.
    lottery: String,
    /// `chc_…`: the chance used.
    chance: String,
    /// The uniform random value the draw used (decimal `u64`).
    random_value: String,
    /// Index of the prize the odds picked.
    picked: usize,
    /// Its name.
    prize: String,
    /// `prize` or `no_prize`.
    outcome: String,
    /// For `no_prize`: `blank`, `stock_out` or `budget_out`.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// The coupon awarded (`cpn_…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    coupon: Option<String>,
    /// Points awarded.
    points: i64,
    drawn_at: String,
}

impl From<DrawView> for DrawOut {
    fn from(d: DrawView) -> Self {
        Self {
            id: d.id.to_string(),
            lottery: d.lottery.to_string(),
            chance: d.chance.to_string(),
            random_value: d.random_value.to_string(),
            picked: d.picked,
            prize: d.picked_name,
            outcome: if d.no_prize.is_none() {
                "prize"
            } else {
                "no_prize"
            }
            .to_owned(),
            reason: d.no_prize.map(|r| r.code().to_owned()),
            coupon: d
                .coupon
                .map(|c| cardlife_app::rewards::coupons::CouponId::from_uuid(c).to_string()),
            points: d.points.value(),
            drawn_at: d.drawn_at.to_string(),
        }
    }
}

/// A draw in the operator's audit list: the draw and who drew.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditDrawOut {
    /// `cus_…`.
    customer: String,
    #[serde(flatten)]
    draw: DrawOut,
}

/// One chance.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChanceOut {
    /// `chc_…`.
    id: String,
    /// `YYYY-MM-01`.
    month: String,
    /// The tier's threshold, yuan.
    min_spend: String,
    /// `available`, `suspended` (refunds took the month below its tier) or `used`.
    state: String,
}

/// A running lottery as the customer sees it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MyLotteryOut {
    /// The lottery with its stated odds.
    lottery: LotteryOut,
    /// This month's counted spend, yuan.
    month_spend: String,
    /// Chances usable now.
    available: usize,
    chances: Vec<ChanceOut>,
    /// Newest first.
    draws: Vec<DrawOut>,
}

impl From<MyLottery> for MyLotteryOut {
    fn from(m: MyLottery) -> Self {
        let available = m.available();
        Self {
            month_spend: m.month_spend.to_string(),
            available,
            chances: m
                .chances
                .into_iter()
                .map(|c| ChanceOut {
                    id: c.id.to_string(),
                    month: c.month,
                    min_spend: c.min_spend.to_string(),
                    state: match c.state {
                        ChanceState::Available => "available",
                        ChanceState::Suspended => "suspended",
                        ChanceState::Used => "used",
                    }
                    .to_owned(),
                })
                .collect(),
            draws: m.draws.into_iter().map(DrawOut::from).collect(),
            lottery: m.lottery.into(),
        }
    }
}

fn lottery_id(text: &str) -> Result<LotteryId, ApiError> {
    LotteryId::parse(text).map_err(|e| ApiError::InvalidId {
        detail: format!("a lottery id is `ltr_` and 32 lowercase hex digits: {e}"),
    })
}

/// Creates a lottery (campaign manager, admin).
#[utoipa::path(post, path = "/v1/operator/lotteries", tag = "rewards",
    request_body = LotteryIn,
    responses(
        (status = 201, description = "Created", body = LotteryOut),
        (status = 403, description = "FORBIDDEN_ROLE", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND (a coupon template)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_TERMS (odds not summing to 10,000, a negative or descending tier, …; the reason in `detail`), INVALID_BODY; nothing written", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn create(
    session: OperatorSession,
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<LotteryOut>), ApiError> {
    let by = session.require(Role::CampaignManager)?;
    let JsonBody(b) = JsonBody::<LotteryIn>::parse(&body)?;
    let new = b.input().parse()?;
    let l = state.app.create_lottery(by, new).await?;
    Ok((StatusCode::CREATED, Json(l.into())))
}

/// Every lottery with its prizes, odds and what was awarded (viewer, campaign manager, risk
/// officer, admin).
#[utoipa::path(get, path = "/v1/operator/lotteries", tag = "rewards",
    responses((status = 200, body = [LotteryOut]),
        (status = 403, description = "FORBIDDEN_ROLE", body = Problem, content_type = "application/problem+json")),
    security(("session" = [])))]
pub(crate) async fn list(
    session: OperatorSession,
    State(state): State<AppState>,
) -> Result<Json<Vec<LotteryOut>>, ApiError> {
    let list = state.app.lotteries(session.operator()).await?;
    Ok(Json(list.into_iter().map(LotteryOut::from).collect()))
}

/// A lottery's draws, newest first, for audit (viewer, campaign manager, risk officer, admin).
#[utoipa::path(get, path = "/v1/operator/lotteries/{id}/draws", tag = "rewards",
    params(("id" = String, Path, description = "`ltr_…`")),
    responses((status = 200, body = [AuditDrawOut]),
        (status = 400, description = "INVALID_ID", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "FORBIDDEN_ROLE", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json")),
    security(("session" = [])))]
pub(crate) async fn draws(
    session: OperatorSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<AuditDrawOut>>, ApiError> {
    // The role first: a caller without it learns nothing about the id's shape.
    let by = session.operator();
    by.require_any(&[Role::Viewer, Role::CampaignManager, Role::RiskOfficer])?;
    let id = lottery_id(&id)?;
    let list = state.app.lottery_draws(by, id).await?;
    Ok(Json(
        list.into_iter()
            .map(|d| AuditDrawOut {
                customer: d.customer.to_string(),
                draw: d.into(),
            })
            .collect(),
    ))
}

/// The running lotteries with their stated odds, and the customer's spend this month, chances
/// and draws.
#[utoipa::path(get, path = "/v1/me/lotteries", tag = "rewards",
    responses((status = 200, body = [MyLotteryOut])), security(("session" = [])))]
pub(crate) async fn mine(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<Vec<MyLotteryOut>>, ApiError> {
    let list = state.app.my_lotteries(session.customer_id()).await?;
    Ok(Json(list.into_iter().map(MyLotteryOut::from).collect()))
}

/// Draws once, using one chance. The same `Idempotency-Key` again answers the same draw.
#[utoipa::path(post, path = "/v1/me/lotteries/{id}/draws", tag = "rewards",
    params(
        ("id" = String, Path, description = "`ltr_…`"),
        ("Idempotency-Key" = String, Header, description = "Makes retries safe"),
    ),
    responses(
        (status = 201, description = "Drawn: the outcome (a prize, or no prize and why) and the random value", body = DrawOut),
        (status = 400, description = "INVALID_ID, IDEMPOTENCY_KEY_REQUIRED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "NO_DRAW_CHANCE; nothing changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "LOTTERY_CLOSED, IDEMPOTENCY_KEY_REUSED; nothing changed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn draw(
    session: CustomerSession,
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let customer = session.customer_id();
    let lottery = lottery_id(&id)?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let run = async {
        let d = state.app.draw_lottery(customer, lottery, &key).await?;
        Ok(DrawOut::from(d))
    };
    once(
        &state.app,
        customer,
        "lotteries.draw",
        uri.path(),
        &headers,
        &(),
        StatusCode::CREATED,
        run,
    )
    .await
}

/// The lotteries part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(create, list, draws, mine, draw),
    components(schemas(
        TierIn,
        PrizeIn,
        SegmentIn,
        LotteryIn,
        PrizeOut,
        LotteryOut,
        DrawOut,
        AuditDrawOut,
        ChanceOut,
        MyLotteryOut
    ))
)]
pub(crate) struct LotteriesApi;
