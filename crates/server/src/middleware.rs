//! The middleware stack, outermost first: request id (set, then traced, then echoed), problem
//! bodies stamped with that id, HTTP metrics, the request time limit, the body limit.

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::HeaderName;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::ServerConfig;
use crate::problem::{ApiError, Problem};

/// Requests answered, by method, route and status.
pub const HTTP_REQUESTS_TOTAL: &str = "cardlife_http_requests_total";
/// Time to answer, in seconds, by method, route and status.
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "cardlife_http_request_duration_seconds";

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Describes the HTTP metrics to whichever recorder is installed.
pub(crate) fn describe_metrics() {
    metrics::describe_counter!(
        HTTP_REQUESTS_TOTAL,
        metrics::Unit::Count,
        "HTTP requests answered"
    );
    metrics::describe_histogram!(
        HTTP_REQUEST_DURATION_SECONDS,
        metrics::Unit::Seconds,
        "Time to answer an HTTP request"
    );
}

/// Puts the stack around `routes`.
pub(crate) fn wrap(routes: Router, config: &ServerConfig) -> Router {
    let stack = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let request_id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
                    tracing::info_span!("http", method = %req.method(), route = route(req), request_id)
                })
                // A failure's cause is logged once, where the error becomes a response.
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(middleware::from_fn(stamp_problems))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(record_metrics))
        .layer(middleware::from_fn_with_state(config.request_timeout(), time_limit))
        .layer(DefaultBodyLimit::max(config.body_limit_bytes()));
    routes.layer(stack)
}

/// A handler that panicked answers the generic 500 problem; the panic is logged once here.
fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    crate::problem::ApiError::Internal(cardlife_app::AppError::Unavailable).into_response()
}

/// The route template (`/v1/ledger/accounts/{id}`), never the raw path: labels stay few.
fn route(req: &Request) -> String {
    req.extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned())
}

/// Writes the request id into every problem body, so a client can quote it.
async fn stamp_problems(req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut response = next.run(req).await;
    if let Some(mut problem) = response.extensions_mut().remove::<Problem>() {
        problem.request_id = request_id;
        problem.write_into(&mut response);
    }
    response
}

async fn record_metrics(req: Request, next: Next) -> Response {
    let labels = [
        ("method", req.method().as_str().to_owned()),
        ("route", route(&req)),
    ];
    let started = Instant::now();
    let response = next.run(req).await;
    let elapsed = started.elapsed().as_secs_f64();
    let [method, route] = labels;
    let labels = [
        method,
        route,
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!(HTTP_REQUESTS_TOTAL, &labels).increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION_SECONDS, &labels).record(elapsed);
    response
}

async fn time_limit(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_elapsed) => ApiError::Timeout.into_response(),
    }
}
