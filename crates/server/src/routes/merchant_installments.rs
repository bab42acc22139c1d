//! Merchant installment terms (商户分期, 贴息; docs/api.md, "Merchant installments"): the
//! signing merchant states the numbers of periods it pays the installment fee for and the fee
//! rate per period it pays, and reads them back. Holders converting a card purchase made at the
//! merchant with those periods pay 0%; the merchant's fee is charged at booking.

use axum::Json;
use axum::extract::State;
use cardlife_app::merchants::installment_terms::MerchantTerm;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::MerchantKey;
use crate::problem::{ApiError, Problem};

/// The terms the merchant pays the fee for; they replace the ones set before.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TermsIn {
    /// Each periods 1–60 at most once; an empty list withdraws every term.
    terms: Vec<MerchantTerm>,
}

/// The terms in force, by periods.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TermsOut {
    terms: Vec<MerchantTerm>,
}

/// Replaces the installment terms the merchant pays the fee for.
#[utoipa::path(put, path = "/v1/merchant/installment-terms", tag = "merchants", request_body = TermsIn,
    responses((status = 200, body = TermsOut),
        (status = 401, description = "SIGNATURE_INVALID, TIMESTAMP_OUT_OF_WINDOW, UNKNOWN_MERCHANT", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "PERIODS_OUT_OF_RANGE, DUPLICATE_TERM, NEGATIVE_RATE, INVALID_RATE, INVALID_BODY; nothing was changed", body = Problem, content_type = "application/problem+json")),
    security(("merchant_signature" = [])))]
pub(crate) async fn set(
    State(state): State<AppState>,
    key: MerchantKey,
) -> Result<Json<TermsOut>, ApiError> {
    let b: TermsIn = key.json()?;
    let terms = state
        .app
        .set_installment_terms(key.merchant(), &b.terms)
        .await?;
    Ok(Json(TermsOut { terms }))
}

/// The installment terms the merchant pays the fee for.
#[utoipa::path(get, path = "/v1/merchant/installment-terms", tag = "merchants",
    responses((status = 200, body = TermsOut),
        (status = 401, description = "SIGNATURE_INVALID, TIMESTAMP_OUT_OF_WINDOW, UNKNOWN_MERCHANT", body = Problem, content_type = "application/problem+json")),
    security(("merchant_signature" = [])))]
pub(crate) async fn get(
    State(state): State<AppState>,
    key: MerchantKey,
) -> Result<Json<TermsOut>, ApiError> {
    let terms = state.app.installment_terms(key.merchant()).await?;
    Ok(Json(TermsOut { terms }))
}

/// The merchant installment part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(set, get), components(schemas(TermsIn, TermsOut, MerchantTerm)))]
pub(crate) struct MerchantInstallmentsApi;
