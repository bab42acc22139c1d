//! The middleware stack, outermost first: request id (set, then traced, then echoed), problem
//! bodies stamped with that id, HTTP metrics, the request time limit (which also reads the
//! body, within the body limit, and runs the handler to its end), the body limit.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::HeaderName;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Instrument;

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
        .layer(middleware::from_fn_with_state(
            (config.request_timeout(), config.body_limit_bytes()),
            time_limit,
        ))
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

/// The request's time limit, and where handlers are kept from being stopped half-way.
///
/// The body is read in full first, within the time limit and the body limit. The handler then
/// runs in a task of its own, to its end: neither the time limit nor a client that hangs up can
/// stop it between a durable write and the bookkeeping beside it (in-memory state that mirrors
/// the store — a credit account, the flash-sale stock, session activity — stays in step). The
/// answer waits for the handler within what is left of the limit; past it, 503 `TIMEOUT`
/// (whose detail says a write may still have been made) while the handler finishes unwatched.
async fn time_limit(
    State((limit, body_limit_bytes)): State<(Duration, usize)>,
    req: Request,
    next: Next,
) -> Response {
    let deadline = tokio::time::Instant::now() + limit;
    let (parts, body) = req.into_parts();
    let bytes = match tokio::time::timeout_at(deadline, to_bytes(body, body_limit_bytes)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) if is_over_limit(&e) => {
            return ApiError::PayloadTooLarge {
                limit_bytes: body_limit_bytes,
            }
            .into_response();
        }
        Ok(Err(_)) => {
            return ApiError::MalformedJson {
                detail: "the request body could not be read".to_owned(),
            }
            .into_response();
        }
        Err(_elapsed) => return ApiError::Timeout.into_response(),
    };
    let req = Request::from_parts(parts, Body::from(bytes));
    // In the request's span, so what the handler logs still names its request.
    let handler = tokio::spawn(next.run(req).in_current_span());
    match tokio::time::timeout_at(deadline, handler).await {
        Ok(Ok(response)) => response,
        // A panic goes on to the panic layer outside, as if the handler ran here.
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(_cancelled)) => {
            ApiError::Internal(cardlife_app::AppError::Unavailable).into_response()
        }
        Err(_elapsed) => ApiError::Timeout.into_response(),
    }
}

/// Whether reading the body stopped at the body limit.
fn is_over_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use axum::routing::post;
    use cardlife_kernel::Secret;
    use tower::ServiceExt;

    use super::*;

    fn config(limit: Duration) -> ServerConfig {
        ServerConfig::new(Secret::new("t".repeat(64)))
            .unwrap()
            .with_request_timeout(limit)
            .with_body_limit_bytes(16)
    }

    fn post_with(body: &'static str) -> Request {
        Request::post("/slow").body(Body::from(body)).unwrap()
    }

    #[tokio::test]
    async fn a_handler_past_the_time_limit_answers_timeout_and_still_runs_to_its_end() {
        let finished = Arc::new(AtomicBool::new(false));
        let flag = finished.clone();
        let routes = Router::new().route(
            "/slow",
            post(move |body: String| async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                flag.store(body == "pay", Ordering::SeqCst);
                "done"
            }),
        );
        let app = wrap(routes, &config(Duration::from_millis(50)));
        let response = app.oneshot(post_with("pay")).await.unwrap();
        assert_eq!(
            response.status(),
            axum::http::StatusCode::SERVICE_UNAVAILABLE
        );
        assert!(!finished.load(Ordering::SeqCst));
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(
            finished.load(Ordering::SeqCst),
            "the handler was stopped at the time limit"
        );
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused_before_any_handler_runs() {
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let routes = Router::new().route(
            "/slow",
            post(move || async move {
                flag.store(true, Ordering::SeqCst);
            }),
        );
        let app = wrap(routes, &config(Duration::from_secs(5)));
        let response = app
            .oneshot(post_with("a body of more than sixteen bytes"))
            .await
            .unwrap();
        assert_eq!(response.status(), axum::http::StatusCode::PAYLOAD_TOO_LARGE);
        assert!(!ran.load(Ordering::SeqCst));
    }
}
