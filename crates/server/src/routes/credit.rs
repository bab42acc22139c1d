//! The cardholder's credit API under `/v1/credit`: their accounts, cards and statements, and
//! the commands they may give (repayments, cash advances to their own debit card). Every
//! handler takes [`CustomerSession`] first and scopes every read to it: another customer's account
//! answers 404, exactly like a missing one. Money-moving POSTs take an `Idempotency-Key`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use crate::AppState;
use crate::auth::CustomerSession;
use crate::credit_dto::{
    AccountDto, AccountList, AmountRequest, CardList, StatementDto, StatementList,
};
use crate::extract::PathId;
use crate::idempotent::{Idempotent, once};
use crate::problem::{ApiError, Problem};

fn scope(session: &CustomerSession) -> String {
    format!("customer:{}", session.customer_id())
}

/// The signed-in holder's credit accounts.
#[utoipa::path(get, path = "/v1/credit/accounts", tag = "credit",
    responses(
        (status = 200, description = "The accounts", body = AccountList),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn accounts(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<AccountList>, ApiError> {
    let accounts = state.app.credit_accounts(session.customer_id()).await?;
    Ok(Json(AccountList {
        accounts: accounts.into_iter().map(Into::into).collect(),
    }))
}

/// One account: balances, available credit, status, delinquency bucket, dormant flag.
#[utoipa::path(get, path = "/v1/credit/accounts/{id}", tag = "credit",
    params(("id" = Uuid, Path, description = "The account id")),
    responses(
        (status = 200, description = "The account", body = AccountDto),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND (unknown, or another customer's)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn account(
    session: CustomerSession,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> Result<Json<AccountDto>, ApiError> {
    let a = state
        .app
        .credit_account(session.customer_id(), Uuid::from_u128(id))
        .await?;
    Ok(Json(a.into()))
}

/// The account's cards, masked (first 6 + last 4).
#[utoipa::path(get, path = "/v1/credit/accounts/{id}/cards", tag = "credit",
    params(("id" = Uuid, Path, description = "The account id")),
    responses(
        (status = 200, description = "The cards", body = CardList),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn cards(
    session: CustomerSession,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> Result<Json<CardList>, ApiError> {
    let cards = state
        .app
        .credit_cards(session.customer_id(), Uuid::from_u128(id))
        .await?;
    Ok(Json(CardList {
        cards: cards.into_iter().map(Into::into).collect(),
    }))
}

/// The account's statements, newest first, with their lines.
#[utoipa::path(get, path = "/v1/credit/accounts/{id}/statements", tag = "credit",
    params(("id" = Uuid, Path, description = "The account id")),
    responses(
        (status = 200, description = "The statements", body = StatementList),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn statements(
    session: CustomerSession,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> Result<Json<StatementList>, ApiError> {
    let list = state
        .app
        .credit_statements(session.customer_id(), Uuid::from_u128(id))
        .await?;
    Ok(Json(StatementList {
        statements: list.into_iter().map(Into::into).collect(),
    }))
}

/// One statement, by its date, with its lines.
#[utoipa::path(get, path = "/v1/credit/accounts/{id}/statements/{date}", tag = "credit",
    params(
        ("id" = Uuid, Path, description = "The account id"),
        ("date" = String, Path, description = "The statement date, YYYY-MM-DD"),
    ),
    responses(
        (status = 200, description = "The statement", body = StatementDto),
        (status = 400, description = "INVALID_ID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn statement(
    session: CustomerSession,
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
) -> Result<Json<StatementDto>, ApiError> {
    let Path((id, date)) = path.map_err(|r| ApiError::InvalidId {
        detail: r.body_text(),
    })?;
    let id = Uuid::try_parse(&id).map_err(|_| ApiError::InvalidId {
        detail: format!("{id:?} is not a UUID"),
    })?;
    let date = date.parse().map_err(|_| ApiError::InvalidId {
        detail: format!("{date:?} is not a date (YYYY-MM-DD)"),
    })?;
    let s = state
        .app
        .credit_statement(session.customer_id(), id, date)
        .await?;
    Ok(Json(s.into()))
}

/// A repayment: allocated by rule 9 at once; an overpayment is kept as a credit balance.
#[utoipa::path(post, path = "/v1/credit/accounts/{id}/repayments", tag = "credit",
    params(
        ("id" = Uuid, Path, description = "The account id"),
        ("Idempotency-Key" = String, Header, description = "1 to 255 visible ASCII characters"),
    ),
    request_body = AmountRequest,
    responses(
        (status = 200, description = "The account after the repayment", body = AccountDto),
        (status = 400, description = "IDEMPOTENCY_KEY_REQUIRED, MALFORMED_JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "IDEMPOTENCY_IN_FLIGHT", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_AMOUNT, PAYMENT_ON_CLOSED_ACCOUNT, IDEMPOTENCY_KEY_REUSED, INVALID_BODY; nothing was done",
            body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn repay(
    session: CustomerSession,
    State(state): State<AppState>,
    PathId(id): PathId,
    req: Idempotent<AmountRequest>,
) -> Result<Response, ApiError> {
    let run = async {
        let a = state
            .app
            .credit_repay(
                session.customer_id(),
                Uuid::from_u128(id),
                req.body.amount_fen,
            )
            .await?;
        Ok((StatusCode::OK, AccountDto::from(a)))
    };
    once(
        &state.app,
        &scope(&session),
        Some(&req.key),
        &req.request,
        run,
    )
    .await
}

/// A cash advance to the holder's own debit card (急用钱): the fee of rule 8 posts with it,
/// interest runs from today; declined beyond the cash limit or the available credit.
#[utoipa::path(post, path = "/v1/credit/accounts/{id}/cash-advances", tag = "credit",
    params(
        ("id" = Uuid, Path, description = "The account id"),
        ("Idempotency-Key" = String, Header, description = "1 to 255 visible ASCII characters"),
    ),
    request_body = AmountRequest,
    responses(
        (status = 200, description = "The account after the advance (pending until it posts)", body = AccountDto),
        (status = 400, description = "IDEMPOTENCY_KEY_REQUIRED, MALFORMED_JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "IDEMPOTENCY_IN_FLIGHT", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_AMOUNT, INSUFFICIENT_CREDIT, CASH_LIMIT_EXCEEDED, ACCOUNT_FROZEN, ACCOUNT_CLOSED, \
            CARD_EXPIRED, IDEMPOTENCY_KEY_REUSED; nothing was done", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn cash_advance(
    session: CustomerSession,
    State(state): State<AppState>,
    PathId(id): PathId,
    req: Idempotent<AmountRequest>,
) -> Result<Response, ApiError> {
    let run = async {
        let a = state
            .app
            .credit_cash_advance(
                session.customer_id(),
                Uuid::from_u128(id),
                req.body.amount_fen,
            )
            .await?;
        Ok((StatusCode::OK, AccountDto::from(a)))
    };
    once(
        &state.app,
        &scope(&session),
        Some(&req.key),
        &req.request,
        run,
    )
    .await
}
