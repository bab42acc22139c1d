//! The route table. Every handler names its authentication extractor in its signature.

pub(crate) mod customers;
pub(crate) mod flash_sales;
pub(crate) mod ledger;
pub(crate) mod ops;

use axum::Router;
use axum::routing::{delete, get, post};

use crate::AppState;
use crate::problem::ApiError;

/// Every route, with problem+json answers for unknown paths and methods.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(ops::health))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi))
        .route("/v1/ledger/accounts", post(ledger::create_accounts))
        .route("/v1/ledger/transfers", post(ledger::create_transfers))
        .route("/v1/ledger/accounts/{id}", get(ledger::account))
        .route("/v1/ledger/transfers/{id}", get(ledger::transfer))
        .route(
            "/v1/ledger/accounts/{id}/transfers",
            get(ledger::account_transfers),
        )
        .route(
            "/v1/ledger/accounts/{id}/balances",
            get(ledger::account_balances),
        )
        .route("/v1/ledger/check", get(ledger::check))
        .route("/v1/otp", post(customers::send_code))
        .route("/v1/customers", post(customers::register))
        .route("/v1/sessions", post(customers::login))
        .route("/v1/sessions/current", delete(customers::logout))
        .route("/v1/sessions/current/rotate", post(customers::rotate))
        .route("/v1/me", get(customers::me))
        .route(
            "/v1/me/logout-everywhere",
            post(customers::logout_everywhere),
        )
        .route("/v1/flash-sales", post(flash_sales::schedule))
        .route("/v1/flash-sales/{id}", get(flash_sales::sale))
        .route("/v1/flash-sales/{id}/claims", post(flash_sales::claim))
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn no_route() -> ApiError {
    ApiError::NoRoute
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
