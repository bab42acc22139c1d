//! `POST /dev/clock`: development mode's clock moved ahead by whole days (docs/web.md,
//! "Development clock"), so a browser walk reaches a statement date and its installment window.
//! Mounted only when the binary runs with `CARDLIFE_DEV=1` ([`crate::ServerConfig::with_dev_clock`]);
//! it needs the internal token like the rest of the operator's tooling. Time never goes back.

use axum::routing::post;
use axum::{Extension, Json, Router};
use cardlife_kernel::{AheadClock, BusinessZone};
use serde::Deserialize;

use crate::AppState;
use crate::auth::InternalKey;
use crate::extract::JsonBody;
use crate::problem::ApiError;

/// The most days one call moves the clock (a year and a month: any statement cycle).
const ADVANCE_DAYS_MAX: u32 = 400;

/// How far to move.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdvanceRequest {
    /// 1–400 days ahead.
    advance_days: u32,
}

/// Where the clock is now.
#[derive(Debug, serde::Serialize)]
pub(crate) struct ClockNow {
    /// RFC 3339.
    now: String,
    /// The business date (Asia/Shanghai).
    today: String,
}

/// The development routes over `clock`.
pub(crate) fn routes(clock: AheadClock) -> Router<AppState> {
    Router::new()
        .route("/dev/clock", post(advance))
        .layer(Extension(clock))
}

async fn advance(
    _: InternalKey,
    Extension(clock): Extension<AheadClock>,
    JsonBody(req): JsonBody<AdvanceRequest>,
) -> Result<Json<ClockNow>, ApiError> {
    if !(1..=ADVANCE_DAYS_MAX).contains(&req.advance_days) {
        return Err(ApiError::InvalidBody {
            detail: format!("advance_days must be from 1 to {ADVANCE_DAYS_MAX}"),
        });
    }
    let now = clock.advance_days(req.advance_days);
    let zone = BusinessZone::shanghai();
    Ok(Json(ClockNow {
        now: now.to_string(),
        today: now.to_zoned(zone.time_zone().clone()).date().to_string(),
    }))
}
