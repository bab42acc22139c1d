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

/// Answers `TIMEOUT` once a request has taken `limit`. The handler runs in a task of its own and
/// always finishes: a request past its limit, or whose client hung up, stops waiting for the
/// answer, never the work. A handler dropped at an `.await` could stop between a durable commit
/// and the bookkeeping that follows it (a credit account's next event number, say), leaving
/// memory and disk apart; run to the end, its result is also what a retry with the same
/// idempotency key is answered.
async fn time_limit(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    let work = tokio::spawn(next.run(req));
    match tokio::time::timeout(limit, work).await {
        Ok(Ok(response)) => response,
        // A panic carries on to `CatchPanicLayer`, which answers and logs it.
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(_cancelled)) => {
            ApiError::Internal(cardlife_app::AppError::Unavailable).into_response()
        }
        Err(_elapsed) => ApiError::Timeout.into_response(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::Arc;

    use axum::body::Body;
    use axum::routing::post;
    use tokio::sync::{Notify, oneshot};
    use tower::ServiceExt;

    use super::*;
    use cardlife_kernel::Secret;

    /// A route whose handler says it `started`, waits for `go`, then reports on `done` that it
    /// ran to its end.
    fn slow_route(started: Arc<Notify>, go: Arc<Notify>, done: oneshot::Sender<()>) -> Router {
        let done = Arc::new(std::sync::Mutex::new(Some(done)));
        Router::new().route(
            "/slow",
            post(move || async move {
                started.notify_one();
                go.notified().await;
                if let Some(done) = done.lock().unwrap().take() {
                    done.send(()).unwrap();
                }
                "finished"
            }),
        )
    }

    fn config(limit: Duration) -> ServerConfig {
        ServerConfig::new(Secret::new("t".repeat(32)))
            .unwrap()
            .with_request_timeout(limit)
    }

    fn request() -> Request {
        Request::post("/slow").body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn a_handler_past_the_time_limit_still_runs_to_its_end() {
        let (started, go) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let (done, finished) = oneshot::channel();
        let app = wrap(
            slow_route(started, go.clone(), done),
            &config(Duration::from_millis(20)),
        );
        let response = app.oneshot(request()).await.unwrap();
        assert_eq!(
            response.status(),
            axum::http::StatusCode::SERVICE_UNAVAILABLE
        );
        go.notify_one();
        tokio::time::timeout(Duration::from_secs(10), finished)
            .await
            .expect("the handler finishes after its answer timed out")
            .unwrap();
    }

    #[tokio::test]
    async fn a_handler_whose_caller_stops_waiting_still_runs_to_its_end() {
        let (started, go) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let (done, finished) = oneshot::channel();
        let app = wrap(
            slow_route(started.clone(), go.clone(), done),
            &config(Duration::from_secs(60)),
        );
        let call = tokio::spawn(app.oneshot(request()));
        started.notified().await;
        // The client hangs up: the server drops the request's future.
        call.abort();
        assert!(call.await.unwrap_err().is_cancelled());
        go.notify_one();
        tokio::time::timeout(Duration::from_secs(10), finished)
            .await
            .expect("the handler finishes after its caller went away")
            .unwrap();
    }
}
