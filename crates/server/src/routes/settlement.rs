//! Settlement, reconciliation files, recovery of interrupted payments and cancelling an unpaid
//! order (docs/merchants.md). The job routes take the [`InternalKey`]; the merchant's routes are
//! signed ([`MerchantKey`]) and only ever show the caller's own days.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cardlife_app::merchants::recovery::RecoveryReport;
use cardlife_app::merchants::settlement::SettlementView;
use jiff::ToSpan;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::merchants::{OrderOut, order_id};
use crate::AppState;
use crate::auth::{InternalKey, MerchantKey};
use crate::extract::JsonBody;
use crate::problem::{ApiError, Problem};

/// Which days to settle.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettlementRun {
    /// Settle every closed day up to and including this one (`YYYY-MM-DD`, before today);
    /// yesterday when absent.
    through: Option<String>,
}

/// One settled merchant-day. Amounts are decimal yuan strings; ledger ids are UUIDs.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SettlementOut {
    merchant_id: String,
    business_date: String,
    settlement_date: String,
    captures: String,
    refunds: String,
    fees: String,
    carried_in: String,
    net: String,
    payout: String,
    carried_out: String,
    issuer_fees: String,
    network_fees: String,
    acquirer_fees: String,
    lines: i64,
    payable_account: String,
    settlement_account: String,
}

impl From<SettlementView> for SettlementOut {
    fn from(s: SettlementView) -> Self {
        Self {
            merchant_id: s.merchant.to_string(),
            business_date: s.business_date,
            settlement_date: s.settlement_date,
            captures: s.captures.to_string(),
            refunds: s.refunds.to_string(),
            fees: s.fees.to_string(),
            carried_in: s.carried_in.to_string(),
            net: s.net.to_string(),
            payout: s.payout.to_string(),
            carried_out: s.carried_out.to_string(),
            issuer_fees: s.issuer_fees.to_string(),
            network_fees: s.network_fees.to_string(),
            acquirer_fees: s.acquirer_fees.to_string(),
            lines: s.lines,
            payable_account: uuid::Uuid::from_u128(s.payable_account).to_string(),
            settlement_account: uuid::Uuid::from_u128(s.settlement_account).to_string(),
        }
    }
}

/// What a settlement run did, and the shared fee accounts it posts to.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SettlementRunOut {
    settled: Vec<SettlementOut>,
    issuer_fee_account: String,
    network_fee_account: String,
    acquirer_fee_account: String,
}

/// What a recovery sweep did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RecoveryOut {
    finished: u32,
    voided: u32,
    expired: u32,
}

impl From<RecoveryReport> for RecoveryOut {
    fn from(r: RecoveryReport) -> Self {
        Self {
            finished: r.finished,
            voided: r.voided,
            expired: r.expired,
        }
    }
}

/// Settles every merchant's closed business days through a date (T+1, idempotent per merchant
/// and day).
#[utoipa::path(post, path = "/v1/internal/settlement/run", tag = "merchants",
    security(("internal_token" = [])), request_body = SettlementRun,
    responses(
        (status = 200, description = "The days settled by this run", body = SettlementRunOut),
        (status = 409, description = "SETTLEMENT_DAY_OPEN", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn run(
    _: InternalKey,
    State(state): State<AppState>,
    JsonBody(r): JsonBody<SettlementRun>,
) -> Result<Json<SettlementRunOut>, ApiError> {
    let through = match r.through {
        Some(d) => d.parse().map_err(|_| ApiError::InvalidBody {
            detail: format!("through {d:?} is not YYYY-MM-DD"),
        })?,
        None => state
            .app
            .business_date()
            .checked_sub(1.day())
            .map_err(|_| ApiError::InvalidBody {
                detail: "no day before today".to_owned(),
            })?,
    };
    let settled = state.app.settle_through(through).await?;
    let id = |n: u128| uuid::Uuid::from_u128(n).to_string();
    use cardlife_app::merchants::settlement as s;
    Ok(Json(SettlementRunOut {
        settled: settled.into_iter().map(SettlementOut::from).collect(),
        issuer_fee_account: id(s::issuer_fee_account()),
        network_fee_account: id(s::network_fee_account()),
        acquirer_fee_account: id(s::acquirer_fee_account()),
    }))
}

/// Finishes or voids payments interrupted between their two transactions and expires unpaid
/// orders (also run at start-up and periodically).
#[utoipa::path(post, path = "/v1/internal/payments/recover", tag = "merchants",
    security(("internal_token" = [])),
    responses((status = 200, description = "What the sweep did", body = RecoveryOut)))]
pub(crate) async fn recover(
    _: InternalKey,
    State(state): State<AppState>,
) -> Result<Json<RecoveryOut>, ApiError> {
    Ok(Json(state.app.recover_payments().await?.into()))
}

/// The merchant's settled days, newest first.
#[utoipa::path(get, path = "/v1/merchant/settlements", tag = "merchants",
    responses((status = 200, body = [SettlementOut])), security(("merchant_signature" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    key: MerchantKey,
) -> Result<Json<Vec<SettlementOut>>, ApiError> {
    let rows = state.app.merchant_settlements(key.merchant(), 400).await?;
    Ok(Json(rows.into_iter().map(SettlementOut::from).collect()))
}

/// The reconciliation file of one settled day (`text/csv`): header
/// `business_date,merchant_id,kind,reference,amount,currency`, one line per capture, refund and
/// fee (captures +, refunds and fees −), a `carried_in` line when a deficit was carried in, and a
/// `total` line (reference: the settlement date) equal to the sum of the lines above it.
#[utoipa::path(get, path = "/v1/merchant/settlements/{date}/reconciliation.csv", tag = "merchants",
    params(("date" = String, Path, description = "The business date, YYYY-MM-DD")),
    responses((status = 200, description = "The file", content_type = "text/csv", body = String),
        (status = 404, description = "NOT_FOUND: that day is not settled", body = Problem, content_type = "application/problem+json")),
    security(("merchant_signature" = [])))]
pub(crate) async fn reconciliation(
    State(state): State<AppState>,
    Path(date): Path<String>,
    key: MerchantKey,
) -> Result<Response, ApiError> {
    let csv = state.app.reconciliation_file(key.merchant(), &date).await?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        csv,
    )
        .into_response())
}

/// Cancels one of the merchant's unpaid orders (its code stops paying).
#[utoipa::path(post, path = "/v1/merchant/orders/{id}/cancel", tag = "merchants",
    responses((status = 200, body = OrderOut),
        (status = 409, description = "ORDER_ALREADY_CAPTURED, ORDER_CANCELLED", body = Problem, content_type = "application/problem+json")),
    security(("merchant_signature" = [])))]
pub(crate) async fn cancel_order(
    State(state): State<AppState>,
    Path(id): Path<String>,
    key: MerchantKey,
) -> Result<Json<OrderOut>, ApiError> {
    let view = state
        .app
        .cancel_order(key.merchant(), order_id(&id)?)
        .await?;
    Ok(Json(view.into()))
}

/// The settlement part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(run, recover, list, reconciliation, cancel_order),
    components(schemas(SettlementRun, SettlementOut, SettlementRunOut, RecoveryOut))
)]
pub(crate) struct SettlementApi;
