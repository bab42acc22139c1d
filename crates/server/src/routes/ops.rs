//! Operational routes: health, metrics, the OpenAPI document. Public by declaration.

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

use crate::AppState;
use crate::auth::Public;
use crate::dto::Health;

/// Whether the process answers.
#[utoipa::path(get, path = "/health", tag = "ops",
    responses((status = 200, description = "The process answers", body = Health)))]
pub(crate) async fn health(_: Public) -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Prometheus metrics: `cardlife_http_requests_total`, `cardlife_http_request_duration_seconds`
/// by method, route and status, and whatever the store records.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text exposition format", body = String,
        content_type = "text/plain; version=0.0.4")))]
pub(crate) async fn metrics(_: Public, State(state): State<AppState>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(),
    )
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "ops",
    responses((status = 200, description = "The OpenAPI document of every route")))]
pub(crate) async fn openapi(_: Public, State(state): State<AppState>) -> impl IntoResponse {
    Json(state.openapi.as_ref().clone())
}
