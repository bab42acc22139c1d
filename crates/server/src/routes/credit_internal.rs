//! The operator's and the card network's side of credit, under `/v1/internal/credit`, behind
//! the internal token: opening accounts, authorisations with capture and reversal, refunds,
//! and closing business days. Money-moving POSTs take an `Idempotency-Key`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use cardlife_app::credit::{AuthorisationView, CardSelector, OpenCreditAccount, StatusAction};
use cardlife_kernel::CustomerId;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::auth::InternalKey;
use crate::credit_dto::{
    AccountDto, AmountRequest, AuthorisationDto, AuthoriseRequest, CloseDayRequest, CloseDayResult,
    OpenAccountRequest, TempLimitRequest,
};
use crate::extract::{JsonBody, PathId};
use crate::idempotent::{Idempotent, json_answer, once};
use crate::problem::{ApiError, Problem};

const SCOPE: &str = "internal";

/// A reversal carries no fields: `{}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReversalRequest {}

/// Opens a credit account with its first card for a customer.
#[utoipa::path(post, path = "/v1/internal/credit/accounts", tag = "credit-internal",
    params(("Idempotency-Key" = String, Header, description = "1 to 255 visible ASCII characters")),
    request_body = OpenAccountRequest,
    responses(
        (status = 201, description = "The account", body = AccountDto),
        (status = 400, description = "IDEMPOTENCY_KEY_REQUIRED, MALFORMED_JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "CARD_ALREADY_ISSUED, IDEMPOTENCY_IN_FLIGHT", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_PRODUCT (statement_day 31, …), INVALID_AMOUNT, INVALID_CARD, INVALID_BODY, \
            IDEMPOTENCY_KEY_REUSED; nothing was done", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn open_account(
    _: InternalKey,
    State(state): State<AppState>,
    req: Idempotent<OpenAccountRequest>,
) -> Result<Response, ApiError> {
    let run = async {
        let b = &req.body;
        let customer_id = CustomerId::parse(&b.customer_id).map_err(|e| ApiError::InvalidBody {
            detail: format!("customer_id: {e}"),
        })?;
        let cmd = OpenCreditAccount {
            customer_id,
            product: b.product.clone().unwrap_or_else(|| serde_json::json!({})),
            credit_limit_fen: b.credit_limit_fen,
            card_number: b.card_number.clone(),
            card_expires: b.card_expires.clone(),
        };
        let a = state.app.credit_open_account(cmd).await?;
        Ok((StatusCode::CREATED, AccountDto::from(a)))
    };
    once(&state.app, SCOPE, Some(&req.key), &req.request, run).await
}

/// Any account, as an operator sees it.
#[utoipa::path(get, path = "/v1/internal/credit/accounts/{id}", tag = "credit-internal",
    params(("id" = Uuid, Path, description = "The account id")),
    responses(
        (status = 200, description = "The account", body = AccountDto),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn account(
    _: InternalKey,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> Result<Json<AccountDto>, ApiError> {
    let a = state.app.credit_account_any(Uuid::from_u128(id)).await?;
    Ok(Json(a.into()))
}

/// An authorisation from the network: a pending hold on the ledger (its id), until captured,
/// reversed or expired.
#[utoipa::path(post, path = "/v1/internal/credit/authorisations", tag = "credit-internal",
    params(("Idempotency-Key" = String, Header, description = "1 to 255 visible ASCII characters")),
    request_body = AuthoriseRequest,
    responses(
        (status = 201, description = "Authorised", body = AuthorisationDto),
        (status = 400, description = "IDEMPOTENCY_KEY_REQUIRED, MALFORMED_JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND (no such card)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "IDEMPOTENCY_IN_FLIGHT", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Declined: INSUFFICIENT_CREDIT, ACCOUNT_FROZEN, ACCOUNT_CLOSED, CARD_EXPIRED, \
            CASH_LIMIT_EXCEEDED; INVALID_AMOUNT, INVALID_CARD, IDEMPOTENCY_KEY_REUSED; nothing was done",
            body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn authorise(
    _: InternalKey,
    State(state): State<AppState>,
    req: Idempotent<AuthoriseRequest>,
) -> Result<Response, ApiError> {
    let b = &req.body;
    let card = match (&b.card_number, b.card_id) {
        (Some(n), None) => CardSelector::Number(n.clone()),
        (None, Some(id)) => CardSelector::Id(id),
        _ => {
            return Err(ApiError::InvalidBody {
                detail: "name the card by exactly one of card_number and card_id".to_owned(),
            });
        }
    };
    // The key, the authorisation and this answer are written in one commit.
    let answer = |a: &AuthorisationView| {
        let body = serde_json::to_string(&AuthorisationDto::from(*a))
            .unwrap_or_else(|_| "null".to_owned());
        (StatusCode::CREATED.as_u16(), body)
    };
    let (stored, replayed) = state
        .app
        .credit_authorise_once(
            SCOPE,
            &req.key,
            &req.request,
            card,
            b.amount_fen,
            b.cash,
            &answer,
        )
        .await?;
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    Ok(json_answer(status, stored.body, replayed))
}

/// An authorisation by id.
#[utoipa::path(get, path = "/v1/internal/credit/authorisations/{id}", tag = "credit-internal",
    params(("id" = Uuid, Path, description = "The authorisation id")),
    responses(
        (status = 200, description = "The authorisation", body = AuthorisationDto),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn authorisation(
    _: InternalKey,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> Result<Json<AuthorisationDto>, ApiError> {
    Ok(Json(state.app.credit_authorisation(id).await?.into()))
}

/// Captures an authorisation in full or in part (at most the amount held); the rest is
/// released. The captured amount posts today.
#[utoipa::path(post, path = "/v1/internal/credit/authorisations/{id}/capture", tag = "credit-internal",
    params(
        ("id" = Uuid, Path, description = "The authorisation id"),
        ("Idempotency-Key" = String, Header, description = "1 to 255 visible ASCII characters"),
    ),
    request_body = AmountRequest,
    responses(
        (status = 200, description = "Captured", body = AuthorisationDto),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND (unknown, already captured, reversed or expired)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "IDEMPOTENCY_IN_FLIGHT", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "CAPTURE_EXCEEDS_AUTHORISATION, INVALID_AMOUNT, IDEMPOTENCY_KEY_REUSED; nothing was done",
            body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn capture(
    _: InternalKey,
    State(state): State<AppState>,
    PathId(id): PathId,
    req: Idempotent<AmountRequest>,
) -> Result<Response, ApiError> {
    let run = async {
        let a = state.app.credit_capture(id, req.body.amount_fen).await?;
        Ok((StatusCode::OK, AuthorisationDto::from(a)))
    };
    once(&state.app, SCOPE, Some(&req.key), &req.request, run).await
}

/// Reverses (voids) an authorisation: the whole hold is released.
#[utoipa::path(post, path = "/v1/internal/credit/authorisations/{id}/reversal", tag = "credit-internal",
    params(
        ("id" = Uuid, Path, description = "The authorisation id"),
        ("Idempotency-Key" = String, Header, description = "1 to 255 visible ASCII characters"),
    ),
    request_body = ReversalRequest,
    responses(
        (status = 200, description = "Reversed", body = AuthorisationDto),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "IDEMPOTENCY_IN_FLIGHT", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn reverse(
    _: InternalKey,
    State(state): State<AppState>,
    PathId(id): PathId,
    req: Idempotent<ReversalRequest>,
) -> Result<Response, ApiError> {
    let run = async {
        let a = state.app.credit_reverse(id).await?;
        Ok((StatusCode::OK, AuthorisationDto::from(a)))
    };
    once(&state.app, SCOPE, Some(&req.key), &req.request, run).await
}

/// A merchant refund on an account: a credit posted after the posting lag.
#[utoipa::path(post, path = "/v1/internal/credit/accounts/{id}/refunds", tag = "credit-internal",
    params(
        ("id" = Uuid, Path, description = "The account id"),
        ("Idempotency-Key" = String, Header, description = "1 to 255 visible ASCII characters"),
    ),
    request_body = AmountRequest,
    responses(
        (status = 200, description = "The account after the refund", body = AccountDto),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_AMOUNT, COMMAND_REFUSED, IDEMPOTENCY_KEY_REUSED; nothing was done",
            body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn refund(
    _: InternalKey,
    State(state): State<AppState>,
    PathId(id): PathId,
    req: Idempotent<AmountRequest>,
) -> Result<Response, ApiError> {
    let run = async {
        let a = state
            .app
            .credit_refund(Uuid::from_u128(id), req.body.amount_fen)
            .await?;
        Ok((StatusCode::OK, AccountDto::from(a)))
    };
    once(&state.app, SCOPE, Some(&req.key), &req.request, run).await
}

/// Grants a temporary limit (临时调额) from today through `until`; it expires by itself.
#[utoipa::path(post, path = "/v1/internal/credit/accounts/{id}/temp-limit", tag = "credit-internal",
    params(
        ("id" = Uuid, Path, description = "The account id"),
        ("Idempotency-Key" = String, Header, description = "1 to 255 visible ASCII characters"),
    ),
    request_body = TempLimitRequest,
    responses(
        (status = 200, description = "The account with the temporary limit", body = AccountDto),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_AMOUNT, COMMAND_REFUSED (an end before today, a closed account), INVALID_BODY; \
            nothing was done", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn temp_limit(
    _: InternalKey,
    State(state): State<AppState>,
    PathId(id): PathId,
    req: Idempotent<TempLimitRequest>,
) -> Result<Response, ApiError> {
    let run = async {
        let until = req.body.until.parse().map_err(|_| ApiError::InvalidBody {
            detail: format!("until {:?} is not YYYY-MM-DD", req.body.until),
        })?;
        let a = state
            .app
            .credit_temp_limit(Uuid::from_u128(id), req.body.amount_fen, until)
            .await?;
        Ok((StatusCode::OK, AccountDto::from(a)))
    };
    once(&state.app, SCOPE, Some(&req.key), &req.request, run).await
}

/// A bank action on an account's status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    /// `freeze`, `unfreeze` or `close`.
    pub action: StatusActionName,
}

/// The status actions.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusActionName {
    /// Decline authorisations; repayments still accepted.
    Freeze,
    /// Back to active.
    Unfreeze,
    /// Close (needs a zero balance, nothing pending or accruing).
    Close,
}

/// Freezes, unfreezes or closes an account.
#[utoipa::path(post, path = "/v1/internal/credit/accounts/{id}/status", tag = "credit-internal",
    params(("id" = Uuid, Path, description = "The account id")),
    request_body = StatusRequest,
    responses(
        (status = 200, description = "The account", body = AccountDto),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "COMMAND_REFUSED (already frozen, a balance left, …), INVALID_BODY; nothing was done",
            body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn set_status(
    _: InternalKey,
    State(state): State<AppState>,
    PathId(id): PathId,
    JsonBody(req): JsonBody<StatusRequest>,
) -> Result<Json<AccountDto>, ApiError> {
    let action = match req.action {
        StatusActionName::Freeze => StatusAction::Freeze,
        StatusActionName::Unfreeze => StatusAction::Unfreeze,
        StatusActionName::Close => StatusAction::Close,
    };
    let a = state
        .app
        .credit_set_status(Uuid::from_u128(id), action)
        .await?;
    Ok(Json(a.into()))
}

/// Closes business days on every account (posting, late fees, interest, statements,
/// delinquency, expiries): through `date`, or through yesterday by the clock. Idempotent.
#[utoipa::path(post, path = "/v1/internal/credit/close-day", tag = "credit-internal",
    request_body = CloseDayRequest,
    responses(
        (status = 200, description = "Days closed", body = CloseDayResult),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "COMMAND_REFUSED (a day not over yet), INVALID_BODY", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn close_day(
    _: InternalKey,
    State(state): State<AppState>,
    JsonBody(req): JsonBody<CloseDayRequest>,
) -> Result<Json<CloseDayResult>, ApiError> {
    let days_closed = match req.date {
        Some(text) => {
            let day = text.parse().map_err(|_| ApiError::InvalidBody {
                detail: format!("date {text:?} is not YYYY-MM-DD"),
            })?;
            state.app.credit_close_day(day).await?
        }
        None => {
            let today = state.app.today();
            state.app.credit_close_days_through(today).await?
        }
    };
    Ok(Json(CloseDayResult { days_closed }))
}
