//! The internal ledger API under `/v1/ledger`: batch submission (one result per event) and
//! reads. Every handler takes [`InternalKey`] first, so an unauthorised request is refused before
//! its body is read.

use axum::Json;
use axum::extract::State;
use cardlife_app::ledger::{AccountFilter, PAGE_SIZE_MAX};
use uuid::Uuid;

use crate::AppState;
use crate::auth::InternalKey;
use crate::dto::{
    AccountView, BalanceList, BalanceView, BatchResults, CheckReport, EventResult, NewAccount,
    NewTransfer, RangeQuery, TransferList, TransferView,
};
use crate::extract::{Batch, JsonBody, PathId, QueryParams};
use crate::problem::{ApiError, Problem};

/// Creates accounts: a JSON array of 1 to 8190 accounts, applied as one batch.
///
/// The answer is 200 with one result per account, in order, once the batch is durable; each
/// result is `ok`, `exists` (the same account was created before) or the precise reason.
#[utoipa::path(post, path = "/v1/ledger/accounts", tag = "ledger",
    request_body(content = Vec<NewAccount>, description = "1 to 8190 accounts"),
    responses(
        (status = 200, description = "One result per account", body = BatchResults),
        (status = 400, description = "MALFORMED_JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "PAYLOAD_TOO_LARGE", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "EMPTY_BATCH, BATCH_TOO_LARGE, UNKNOWN_FLAG, INVALID_BODY; nothing was applied",
            body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "TIMEOUT, UNAVAILABLE", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn create_accounts(
    _: InternalKey,
    State(state): State<AppState>,
    JsonBody(batch): JsonBody<Batch<NewAccount>>,
) -> Result<Json<BatchResults>, ApiError> {
    cardlife_app::check_batch_size(batch.len)?;
    let ids: Vec<Uuid> = batch.events.iter().map(|a| a.id).collect();
    let accounts = batch
        .events
        .into_iter()
        .enumerate()
        .map(|(i, a)| a.parse(i))
        .collect::<Result<_, _>>()?;
    let results = state.app.create_accounts(accounts).await?;
    Ok(Json(batch_results(
        &ids,
        results.iter().map(|r| r.as_str()),
    )))
}

/// Applies transfers: a JSON array of 1 to 8190 transfers, applied as one batch.
///
/// Each transfer's `id` is its idempotency key: sending it again answers `exists` and moves
/// nothing, so a client that lost an answer (or got `TIMEOUT`) retries with the same ids. The
/// answer is 200 with one result per transfer once the batch is durable, even when some failed.
#[utoipa::path(post, path = "/v1/ledger/transfers", tag = "ledger",
    request_body(content = Vec<NewTransfer>, description = "1 to 8190 transfers"),
    responses(
        (status = 200, description = "One result per transfer", body = BatchResults),
        (status = 400, description = "MALFORMED_JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "PAYLOAD_TOO_LARGE", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "EMPTY_BATCH, BATCH_TOO_LARGE, UNKNOWN_FLAG, AMOUNT_OUT_OF_RANGE, INVALID_BODY; \
            nothing was applied", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "TIMEOUT, UNAVAILABLE", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn create_transfers(
    _: InternalKey,
    State(state): State<AppState>,
    JsonBody(batch): JsonBody<Batch<NewTransfer>>,
) -> Result<Json<BatchResults>, ApiError> {
    cardlife_app::check_batch_size(batch.len)?;
    let ids: Vec<Uuid> = batch.events.iter().map(|t| t.id).collect();
    let transfers = batch
        .events
        .into_iter()
        .enumerate()
        .map(|(i, t)| t.parse(i))
        .collect::<Result<_, _>>()?;
    let results = state.app.create_transfers(transfers).await?;
    Ok(Json(batch_results(
        &ids,
        results.iter().map(|r| r.as_str()),
    )))
}

fn batch_results(ids: &[Uuid], results: impl Iterator<Item = &'static str>) -> BatchResults {
    let results = ids
        .iter()
        .zip(results)
        .enumerate()
        .map(|(index, (id, result))| EventResult {
            index,
            id: *id,
            result,
        })
        .collect();
    BatchResults { results }
}

/// An account and its balances.
#[utoipa::path(get, path = "/v1/ledger/accounts/{id}", tag = "ledger",
    params(("id" = Uuid, Path, description = "The account id")),
    responses(
        (status = 200, description = "The account", body = AccountView),
        (status = 400, description = "INVALID_ID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn account(
    _: InternalKey,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> Result<Json<AccountView>, ApiError> {
    Ok(Json(state.app.account(id).await?.into()))
}

/// A transfer; for a hold, with where it stands (`pending_status`).
#[utoipa::path(get, path = "/v1/ledger/transfers/{id}", tag = "ledger",
    params(("id" = Uuid, Path, description = "The transfer id")),
    responses(
        (status = 200, description = "The transfer", body = TransferView),
        (status = 400, description = "INVALID_ID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn transfer(
    _: InternalKey,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> Result<Json<TransferView>, ApiError> {
    Ok(Json(state.app.transfer(id).await?.into()))
}

/// An account's transfers (as debit or credit) in a time range.
#[utoipa::path(get, path = "/v1/ledger/accounts/{id}/transfers", tag = "ledger",
    params(("id" = Uuid, Path, description = "The account id"), RangeQuery),
    responses(
        (status = 200, description = "The transfers", body = TransferList),
        (status = 400, description = "INVALID_ID, INVALID_QUERY", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn account_transfers(
    _: InternalKey,
    State(state): State<AppState>,
    PathId(id): PathId,
    QueryParams(query): QueryParams<RangeQuery>,
) -> Result<Json<TransferList>, ApiError> {
    let filter = account_filter(id, &query)?;
    let transfers = state.app.account_transfers(&filter).await?;
    Ok(Json(TransferList {
        transfers: transfers.into_iter().map(TransferView::from).collect(),
    }))
}

/// An account's balance history in a time range (kept for accounts with the `history` flag).
#[utoipa::path(get, path = "/v1/ledger/accounts/{id}/balances", tag = "ledger",
    params(("id" = Uuid, Path, description = "The account id"), RangeQuery),
    responses(
        (status = 200, description = "The balances", body = BalanceList),
        (status = 400, description = "INVALID_ID, INVALID_QUERY", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn account_balances(
    _: InternalKey,
    State(state): State<AppState>,
    PathId(id): PathId,
    QueryParams(query): QueryParams<RangeQuery>,
) -> Result<Json<BalanceList>, ApiError> {
    let filter = account_filter(id, &query)?;
    let balances = state.app.account_balances(&filter).await?;
    Ok(Json(BalanceList {
        account_id: Uuid::from_u128(id),
        balances: balances.into_iter().map(BalanceView::from).collect(),
    }))
}

fn account_filter(account_id: u128, q: &RangeQuery) -> Result<AccountFilter, ApiError> {
    if q.limit == 0 || q.limit > PAGE_SIZE_MAX {
        return Err(ApiError::InvalidQuery {
            detail: format!("limit is 1 to {PAGE_SIZE_MAX}, got {}", q.limit),
        });
    }
    if q.timestamp_max != 0 && q.timestamp_min > q.timestamp_max {
        return Err(ApiError::InvalidQuery {
            detail: "timestamp_min is after timestamp_max".to_owned(),
        });
    }
    Ok(AccountFilter {
        account_id,
        timestamp_min: q.timestamp_min,
        timestamp_max: q.timestamp_max,
        limit: q.limit,
        reversed: q.reversed,
    })
}

/// Rebuilds every balance from the transfers and reports any broken invariant. Reads the whole
/// store: an operator's tool, not a per-request check.
#[utoipa::path(get, path = "/v1/ledger/check", tag = "ledger",
    responses(
        (status = 200, description = "The report (`ok: false` lists the violations)", body = CheckReport),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn check(
    _: InternalKey,
    State(state): State<AppState>,
) -> Result<Json<CheckReport>, ApiError> {
    Ok(Json(state.app.check().await?.into()))
}
