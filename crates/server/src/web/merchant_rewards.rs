//! The merchant portal's cashier rewards page (docs/merchants.md, "Cashier incentives"): each
//! of the merchant's staff with the rewards they earned today and in all, clawbacks deducted.
//! Scoped by the staff member's merchant.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use cardlife_app::merchants::incentives::CashierRewards;

use super::page::Page;
use super::staff_session::MerchantPage;
use crate::AppState;
use crate::problem::ApiError;

#[derive(Debug, Template, WebTemplate)]
#[template(path = "merchant/rewards.html")]
pub(crate) struct RewardsPage {
    page: Page,
    login: String,
    cashiers: Vec<CashierRewards>,
}

/// `GET /merchant/cashier-rewards`.
pub(crate) async fn cashier_rewards(
    session: MerchantPage,
    State(state): State<AppState>,
    page: Page,
) -> Response {
    match state.app.cashier_rewards(session.staff.merchant).await {
        Ok(cashiers) => RewardsPage {
            page,
            login: session.staff.login.clone(),
            cashiers,
        }
        .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
