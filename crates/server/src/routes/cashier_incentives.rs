//! Cashier incentives (docs/merchants.md, "Cashier incentives"): an operator sets up the
//! programme (its budget moved on the ledger), the merchant reads its cashiers' rewards.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cardlife_app::merchants::MerchantsError;
use cardlife_app::merchants::incentives::{CashierRewards, IncentivePlanView, NewIncentivePlan};
use cardlife_app::merchants::operators::Role;
use cardlife_kernel::Money;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::{MerchantKey, OperatorSession};
use crate::extract::JsonBody;
use crate::idempotent::{IDEMPOTENCY_KEY, once};
use crate::problem::{ApiError, Problem};

/// A new programme. Amounts in yuan, e.g. `"0.50"`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct IncentivePlanIn {
    /// 1 to 64 characters.
    name: String,
    /// Paid per qualifying payment (> 0).
    reward: String,
    /// The smallest qualifying payment (≥ 0).
    min_payment: String,
    /// At most this per cashier per business date (≥ one reward).
    daily_cap: String,
    /// The whole budget (> 0), moved from the bank's marketing account.
    budget: String,
}

/// A programme.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IncentivePlanOut {
    id: String,
    name: String,
    reward: String,
    min_payment: String,
    daily_cap: String,
    budget: String,
    /// Held by standing rewards; never above `budget`.
    granted: String,
    /// The budget's ledger account id (decimal).
    budget_account: String,
    running: bool,
}

impl From<IncentivePlanView> for IncentivePlanOut {
    fn from(p: IncentivePlanView) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name,
            reward: p.reward.to_string(),
            min_payment: p.min_payment.to_string(),
            daily_cap: p.daily_cap.to_string(),
            budget: p.budget.to_string(),
            granted: p.granted.to_string(),
            budget_account: p.budget_account.to_string(),
            running: p.running,
        }
    }
}

/// One cashier's standing rewards (clawed-back ones excluded).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CashierRewardsOut {
    /// The staff member's id.
    staff_id: String,
    /// Their login: what `cashier` names on `POST /v1/merchant/orders`.
    login: String,
    /// Today's business date (Asia/Shanghai).
    today_count: i64,
    today: String,
    total_count: i64,
    total: String,
}

impl From<CashierRewards> for CashierRewardsOut {
    fn from(c: CashierRewards) -> Self {
        Self {
            staff_id: c.staff.to_string(),
            login: c.login,
            today_count: c.today_count,
            today: c.today.to_string(),
            total_count: c.total_count,
            total: c.total.to_string(),
        }
    }
}

fn money(text: &str, field: &'static str) -> Result<Money, ApiError> {
    Money::parse_cny(text).map_err(|_| {
        ApiError::from(cardlife_app::AppError::from(MerchantsError::InvalidField {
            field,
            reason: "an amount in yuan, e.g. 0.50",
        }))
    })
}

/// Sets up a cashier incentive programme and funds its budget on the ledger; it replaces the
/// running one (campaign manager, admin).
#[utoipa::path(post, path = "/v1/operator/cashier-incentives", tag = "merchants",
    request_body = IncentivePlanIn,
    responses(
        (status = 201, description = "Created; the budget is on its ledger account", body = IncentivePlanOut),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "FORBIDDEN_ROLE", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_FIELD, INVALID_BODY, IDEMPOTENCY_KEY_REUSED; nothing written", body = Problem, content_type = "application/problem+json"),
    ),
    params(("Idempotency-Key" = String, Header, description = "Required: a retry with the same key and body answers the stored programme")),
    security(("session" = [])))]
pub(crate) async fn create(
    session: OperatorSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    // The role first: a caller without it learns nothing about the body's shape.
    let by = session.require(Role::CampaignManager)?;
    let JsonBody(b) = JsonBody::<IncentivePlanIn>::parse(&body)?;
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    let scope = format!("operator:{}:cashier-incentives", by.id);
    let mut request = b"POST /v1/operator/cashier-incentives\n".to_vec();
    request.extend_from_slice(&body);
    let run = async {
        let new = NewIncentivePlan {
            name: b.name,
            reward: money(&b.reward, "reward")?,
            min_payment: money(&b.min_payment, "min_payment")?,
            daily_cap: money(&b.daily_cap, "daily_cap")?,
            budget: money(&b.budget, "budget")?,
        };
        let p = state.app.create_incentive_plan(by, new).await?;
        Ok((StatusCode::CREATED, IncentivePlanOut::from(p)))
    };
    once(&state.app, &scope, key, &request, run).await
}

/// The running programme (any operator role); 404 when none runs.
#[utoipa::path(get, path = "/v1/operator/cashier-incentives", tag = "merchants",
    responses((status = 200, body = IncentivePlanOut),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json")),
    security(("session" = [])))]
pub(crate) async fn running(
    session: OperatorSession,
    State(state): State<AppState>,
) -> Result<Json<IncentivePlanOut>, ApiError> {
    let p = state.app.running_incentive_plan(session.operator()).await?;
    let p = p.ok_or_else(|| {
        ApiError::from(cardlife_app::AppError::from(MerchantsError::NotFound(
            "cashier incentive programme",
        )))
    })?;
    Ok(Json(p.into()))
}

/// Each of the merchant's staff with their rewards, today and in all.
#[utoipa::path(get, path = "/v1/merchant/cashier-rewards", tag = "merchants",
    responses((status = 200, body = [CashierRewardsOut])),
    security(("merchant_signature" = [])))]
pub(crate) async fn rewards(
    State(state): State<AppState>,
    key: MerchantKey,
) -> Result<Json<Vec<CashierRewardsOut>>, ApiError> {
    let list = state.app.cashier_rewards(key.merchant()).await?;
    Ok(Json(
        list.into_iter().map(CashierRewardsOut::from).collect(),
    ))
}

/// The cashier incentives part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(create, running, rewards),
    components(schemas(IncentivePlanIn, IncentivePlanOut, CashierRewardsOut))
)]
pub(crate) struct CashierIncentivesApi;
