//! The merchant portal's settlements (docs/merchants.md, "Settlement"): each settled business
//! day with its captures, refunds, fees and payout, and the day's reconciliation file to
//! download — the same file as `GET /v1/merchant/settlements/{date}/reconciliation.csv`, here
//! behind the staff session instead of a signature. Scoped by the staff member's merchant: a
//! day of another merchant is simply not found.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cardlife_app::merchants::settlement::SettlementView;

use super::page::Page;
use super::staff_session::MerchantPage;
use crate::AppState;
use crate::problem::ApiError;

/// The most settled days listed (newest first): more than a year of business days.
const DAYS_SHOWN_MAX: u32 = 400;
/// The longest business-date parameter accepted (`YYYY-MM-DD`).
const DATE_LEN: usize = 10;

#[derive(Debug, Template, WebTemplate)]
#[template(path = "merchant/settlements.html")]
pub(crate) struct SettlementsPage {
    page: Page,
    login: String,
    days: Vec<SettlementView>,
}

/// `GET /merchant/settlements`.
pub(crate) async fn settlements(
    session: MerchantPage,
    State(state): State<AppState>,
    page: Page,
) -> Response {
    match state
        .app
        .merchant_settlements(session.staff.merchant, DAYS_SHOWN_MAX)
        .await
    {
        Ok(days) => SettlementsPage {
            page,
            login: session.staff.login.clone(),
            days,
        }
        .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /merchant/settlements/{date}/reconciliation.csv`: the file, as an attachment.
pub(crate) async fn reconciliation(
    session: MerchantPage,
    State(state): State<AppState>,
    Path(date): Path<String>,
) -> Response {
    // A real calendar day written `YYYY-MM-DD`, nothing else, before anything is read.
    let well_formed = date.len() == DATE_LEN
        && date
            .parse::<jiff::civil::Date>()
            .is_ok_and(|d| d.to_string() == date);
    if !well_formed {
        return StatusCode::NOT_FOUND.into_response();
    }
    match state
        .app
        .reconciliation_file(session.staff.merchant, &date)
        .await
    {
        Ok(csv) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"reconciliation-{date}.csv\""),
                ),
            ],
            csv,
        )
            .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
