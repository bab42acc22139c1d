//! Points under `/v1` (docs/rewards.md, "Points"): the logged-in customer's balance, lots with
//! their expiry, advance notices and history ([`CustomerSession`], own points only), and the
//! daily points job for operators ([`InternalKey`]).

use axum::Json;
use axum::extract::State;
use cardlife_app::rewards::points::{ExpiryReport, PointsView};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::{CustomerSession, InternalKey};
use crate::extract::JsonBody;
use crate::problem::{ApiError, Problem};

/// One lot still holding points.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LotOut {
    /// Its number (1, 2, … in crediting order).
    lot: u64,
    /// `YYYY-MM-DD`: when earned.
    earned_on: String,
    /// `YYYY-MM-DD`: the first date the points are no longer usable; absent = permanent.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_on: Option<String>,
    /// Points credited.
    original: i64,
    /// Points left.
    remaining: i64,
}

/// Points that lapse soon unless used.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ExpiringOut {
    /// Points.
    points: i64,
    /// `YYYY-MM-DD`: the first date they are no longer usable.
    expires_on: String,
}

/// One change of the customer's points.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MovementOut {
    /// `accrual`, `redemption`, `expiry`, `clawback` or `recredit`.
    kind: String,
    /// Signed: + credited, − taken.
    points: i64,
    /// `YYYY-MM-DD`.
    business_date: String,
    /// RFC 3339.
    at: String,
}

/// The customer's points.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PointsOut {
    /// Points usable today.
    balance: i64,
    /// Lifetime points credited.
    earned: i64,
    /// Lifetime points redeemed.
    redeemed: i64,
    /// Lifetime points lapsed.
    expired: i64,
    /// Lifetime points clawed back on refunds.
    clawed_back: i64,
    /// Lots still holding points, soonest expiry first (the order they are spent in).
    lots: Vec<LotOut>,
    /// Advance notices: points lapsing within 30 days.
    expiring: Vec<ExpiringOut>,
    /// The latest 50 changes, newest first.
    history: Vec<MovementOut>,
}

impl From<PointsView> for PointsOut {
    fn from(v: PointsView) -> Self {
        Self {
            balance: v.balance.value(),
            earned: v.totals.earned.value(),
            redeemed: v.totals.redeemed.value(),
            expired: v.totals.expired.value(),
            clawed_back: v.totals.clawed.value(),
            lots: v
                .lots
                .into_iter()
                .map(|l| LotOut {
                    lot: l.lot,
                    earned_on: l.earned_on.to_string(),
                    expires_on: l.expires_on.map(|d| d.to_string()),
                    original: l.original.value(),
                    remaining: l.remaining.value(),
                })
                .collect(),
            expiring: v
                .expiring
                .into_iter()
                .map(|e| ExpiringOut {
                    points: e.points.value(),
                    expires_on: e.expires_on.to_string(),
                })
                .collect(),
            history: v
                .history
                .into_iter()
                .map(|m| MovementOut {
                    kind: m.kind,
                    points: m.points,
                    business_date: m.business_date.to_string(),
                    at: m.at.to_string(),
                })
                .collect(),
        }
    }
}

/// Which business date the daily points job runs for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpiryRun {
    /// `YYYY-MM-DD`; today's business date by the clock when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    date: Option<Date>,
}

/// What the daily points job did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ExpiryReportOut {
    /// Customers whose points lapsed.
    customers_expired: u64,
    /// Points lapsed.
    points_expired: i64,
    /// Advance notices written.
    notices: u64,
    /// Movements posted to the points ledger.
    posted: u64,
}

impl From<ExpiryReport> for ExpiryReportOut {
    fn from(r: ExpiryReport) -> Self {
        Self {
            customers_expired: r.customers_expired,
            points_expired: r.points_expired,
            notices: r.notices,
            posted: r.posted,
        }
    }
}

/// The logged-in customer's points: usable balance, lots with expiry, notices and history.
#[utoipa::path(get, path = "/v1/me/points", tag = "rewards", security(("session" = [])),
    responses(
        (status = 200, description = "The customer's points", body = PointsOut),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn mine(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<PointsOut>, ApiError> {
    Ok(Json(
        state.app.my_points(session.customer_id()).await?.into(),
    ))
}

/// The daily points job: lapses lots that expire on or before the date, writes advance notices
/// for lots lapsing within 30 days, and posts every unposted movement to the points ledger.
/// Idempotent per date (the server also runs it by itself every minute for today).
#[utoipa::path(post, path = "/v1/internal/points/expiry-runs", tag = "rewards",
    request_body = ExpiryRun,
    responses(
        (status = 200, description = "What the run did", body = ExpiryReportOut),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn run_expiry(
    _: InternalKey,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ExpiryRun>,
) -> Result<Json<ExpiryReportOut>, ApiError> {
    let date = body.date.unwrap_or_else(|| state.app.today());
    Ok(Json(state.app.run_points_expiry(date).await?.into()))
}

/// The points part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(mine, run_expiry),
    components(schemas(
        PointsOut,
        LotOut,
        ExpiringOut,
        MovementOut,
        ExpiryRun,
        ExpiryReportOut
    ))
)]
pub(crate) struct PointsApi;
