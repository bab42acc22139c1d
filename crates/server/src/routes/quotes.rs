//! Quotes under `/v1/quotes`: the schedule, total cost and annualised rate a customer reads
//! before consenting to an installment plan or a loan. A quote reads and writes nothing, so
//! anyone may ask ([`Public`]); the answer is the JSON of `cardlife quote … --json`.

use axum::Json;
use axum::extract::State;
use cardlife_app::quotes::{InstallmentQuoteView, InstallmentRowView, LoanQuoteView, LoanRowView};
use cardlife_kernel::{Money, Rate};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::Public;
use crate::extract::JsonBody;
use crate::problem::{ApiError, Problem};

/// The terms of an installment plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InstallmentTerms {
    /// The principal in fen (1200000 = 12,000.00).
    amount_fen: i64,
    /// Monthly periods, 1 to 60.
    periods: u32,
    /// The fee rate per period as a decimal string (`"0.006"` = 0.60%).
    rate: String,
    /// `per_period` (default) or `upfront`.
    #[serde(default = "per_period")]
    fee_mode: String,
}

fn per_period() -> String {
    "per_period".to_owned()
}

/// The terms of a loan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoanTerms {
    /// The principal in fen.
    amount_fen: i64,
    /// Months, 1 to 60.
    periods: u32,
    /// The nominal annual rate as a decimal string (`"0.04"` = 4%).
    annual_rate: String,
    /// `equal_installment` (等额本息) or `equal_principal` (等额本金).
    method: String,
}

fn rate(field: &str, text: &str) -> Result<Rate, ApiError> {
    Rate::parse(text).map_err(|e| ApiError::InvalidBody {
        detail: format!("{field} {text:?}: {e}"),
    })
}

/// Quotes an installment plan: every period's principal and fee, the total fee, and the APR
/// (12 × the monthly IRR) and EAR.
#[utoipa::path(post, path = "/v1/quotes/installment", tag = "quotes",
    request_body = InstallmentTerms,
    responses(
        (status = 200, description = "The quote", body = InstallmentQuoteView),
        (status = 422, description = "AMOUNT_NOT_POSITIVE, PERIODS_OUT_OF_RANGE, NEGATIVE_RATE, UNKNOWN_FEE_MODE, \
            UPFRONT_FEE_TOO_LARGE, QUOTE_OUT_OF_RANGE, INVALID_BODY", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn installment(
    _: Public,
    State(state): State<AppState>,
    JsonBody(t): JsonBody<InstallmentTerms>,
) -> Result<Json<InstallmentQuoteView>, ApiError> {
    let quote = state.app.quote_installment(
        Money::cny(t.amount_fen),
        t.periods,
        rate("rate", &t.rate)?,
        &t.fee_mode,
    )?;
    Ok(Json(quote))
}

/// Quotes a loan: every month's payment, interest, principal and balance, the total interest
/// and the APR.
#[utoipa::path(post, path = "/v1/quotes/loan", tag = "quotes",
    request_body = LoanTerms,
    responses(
        (status = 200, description = "The quote", body = LoanQuoteView),
        (status = 422, description = "AMOUNT_NOT_POSITIVE, PERIODS_OUT_OF_RANGE, NEGATIVE_RATE, UNKNOWN_METHOD, \
            QUOTE_OUT_OF_RANGE, INVALID_BODY", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn loan(
    _: Public,
    State(state): State<AppState>,
    JsonBody(t): JsonBody<LoanTerms>,
) -> Result<Json<LoanQuoteView>, ApiError> {
    let quote = state.app.quote_loan(
        Money::cny(t.amount_fen),
        t.periods,
        rate("annual_rate", &t.annual_rate)?,
        &t.method,
    )?;
    Ok(Json(quote))
}

/// The quotes part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(installment, loan),
    components(schemas(
        InstallmentTerms, LoanTerms, InstallmentQuoteView, InstallmentRowView, LoanQuoteView,
        LoanRowView
    )),
    tags((name = "quotes", description = "Installment and loan quotes with the annualised rate"))
)]
pub(crate) struct QuotesApi;
