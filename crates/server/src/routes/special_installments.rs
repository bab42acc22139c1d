//! Special-purpose limits (专项分期: auto, travel, education, home improvement; docs/api.md,
//! "Card installments"): the holder reads each purpose's limit, what its plans occupy and what
//! is left; a risk officer or an admin grants one (audited), as does the internal API. The
//! plans themselves are quoted and booked through the card installment routes
//! (`kind: special`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use cardlife_app::merchants::operators::Role;
use cardlife_app::special_installments::SpecialLimitView;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::auth::{CustomerSession, InternalKey, OperatorSession};
use crate::extract::{JsonBody, PathId};
use crate::problem::{ApiError, Problem};

/// A grant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpecialLimitRequest {
    /// The purpose's limit, fen, 0 to 1,000,000,000 (0 withdraws what is left of it; running
    /// plans keep running).
    limit_fen: i64,
}

/// Every purpose's special limit on the account.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SpecialLimitList {
    /// auto, travel, education, home_improvement.
    special_limits: Vec<SpecialLimitView>,
}

fn account_and_purpose(
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<(Uuid, String), ApiError> {
    let Path((id, purpose)) = path.map_err(|r| ApiError::InvalidId {
        detail: r.body_text(),
    })?;
    let id = Uuid::try_parse(&id).map_err(|_| ApiError::InvalidId {
        detail: format!("{id:?} is not a UUID"),
    })?;
    Ok((id, purpose))
}

/// The account's special limits, one per purpose (0 where none is granted), with what the
/// purpose's plans occupy (principal not yet repaid), what is left, and the product's amount
/// range per plan.
#[utoipa::path(get, path = "/v1/credit/accounts/{id}/special-limits", tag = "credit",
    params(("id" = Uuid, Path, description = "The account id")),
    responses(
        (status = 200, description = "The special limits", body = SpecialLimitList),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn list(
    session: CustomerSession,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> Result<Json<SpecialLimitList>, ApiError> {
    let special_limits = state
        .app
        .special_limits(session.customer_id(), Uuid::from_u128(id))
        .await?;
    Ok(Json(SpecialLimitList { special_limits }))
}

/// Grants the account a special limit for one purpose, replacing an earlier grant (risk
/// officer, admin); audited in the same transaction.
#[utoipa::path(put, path = "/v1/operator/credit/accounts/{id}/special-limits/{purpose}", tag = "credit",
    params(
        ("id" = Uuid, Path, description = "The account id"),
        ("purpose" = String, Path, description = "auto, travel, education or home_improvement"),
    ),
    request_body = SpecialLimitRequest,
    responses(
        (status = 200, description = "Every purpose's limit, after the grant", body = SpecialLimitList),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "FORBIDDEN_ROLE", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "UNKNOWN_PURPOSE, INVALID_AMOUNT, INVALID_BODY; nothing written", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn grant_as_operator(
    session: OperatorSession,
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Bytes,
) -> Result<Json<SpecialLimitList>, ApiError> {
    // The role first: a caller without it learns nothing about the body's shape.
    let by = session.require(Role::RiskOfficer)?;
    let JsonBody(b) = JsonBody::<SpecialLimitRequest>::parse(&body)?;
    let (id, purpose) = account_and_purpose(path)?;
    let special_limits = state
        .app
        .grant_special_limit(Some(by), id, &purpose, b.limit_fen)
        .await?;
    Ok(Json(SpecialLimitList { special_limits }))
}

/// Grants the account a special limit for one purpose, replacing an earlier grant (the
/// bank's systems and tests); audited as `system`.
#[utoipa::path(put, path = "/v1/internal/credit/accounts/{id}/special-limits/{purpose}", tag = "credit-internal",
    params(
        ("id" = Uuid, Path, description = "The account id"),
        ("purpose" = String, Path, description = "auto, travel, education or home_improvement"),
    ),
    request_body = SpecialLimitRequest,
    responses(
        (status = 200, description = "Every purpose's limit, after the grant", body = SpecialLimitList),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "UNKNOWN_PURPOSE, INVALID_AMOUNT, INVALID_BODY; nothing written", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn grant_internal(
    _: InternalKey,
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    JsonBody(b): JsonBody<SpecialLimitRequest>,
) -> Result<Json<SpecialLimitList>, ApiError> {
    let (id, purpose) = account_and_purpose(path)?;
    let special_limits = state
        .app
        .grant_special_limit(None, id, &purpose, b.limit_fen)
        .await?;
    Ok(Json(SpecialLimitList { special_limits }))
}

/// The special-purpose limit routes in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list, grant_as_operator, grant_internal),
    components(schemas(SpecialLimitRequest, SpecialLimitList, SpecialLimitView))
)]
pub(crate) struct SpecialLimitsApi;
