//! Running a money-moving handler under its `Idempotency-Key` (docs/loans.md, "Idempotency"):
//! the scope is the customer and the route, the request is the path plus the body re-encoded
//! as canonical JSON (so whitespace or key order never makes a "different" request).

use std::future::Future;

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cardlife_app::App;
use cardlife_app::idempotency::StoredAnswer;
use cardlife_kernel::CustomerId;
use serde::Serialize;

use crate::problem::ApiError;

/// The request header carrying the key.
pub(crate) const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on an answer replayed from the store.
pub(crate) const REPLAYED: &str = "idempotent-replayed";

fn json_response(status: StatusCode, body: String, replayed: bool) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if replayed {
        response
            .headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

/// Runs `run` once per (customer, route, key); a retry of the same request gets the stored
/// answer, another request with the same key `IDEMPOTENCY_KEY_REUSED`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn once<T, B, F>(
    app: &App,
    customer: CustomerId,
    route: &str,
    path: &str,
    headers: &HeaderMap,
    body: &B,
    status: StatusCode,
    run: F,
) -> Result<Response, ApiError>
where
    T: Serialize,
    B: Serialize,
    F: Future<Output = Result<T, ApiError>>,
{
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    let scope = format!("{customer}:{route}");
    let mut request = path.as_bytes().to_vec();
    request.push(0);
    request.extend(serde_json::to_vec(body).unwrap_or_default());
    if let Some(StoredAnswer { status, body }) =
        app.idempotency_begin(&scope, key, &request).await?
    {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        return Ok(json_response(status, body, true));
    }
    let key = key.unwrap_or_default();
    match run.await {
        Ok(value) => {
            let body = serde_json::to_string(&value).unwrap_or_default();
            let answer = StoredAnswer {
                status: status.as_u16(),
                body: body.clone(),
            };
            app.idempotency_finish(&scope, key, &answer).await?;
            Ok(json_response(status, body, false))
        }
        Err(e) => {
            // A refusal wrote nothing, so the key is free for a retry. After a server error the
            // outcome is unknown (the event may be stored, its mirror not): the key stays held
            // so a retry cannot apply the request twice.
            if e.problem().status < 500
                && let Err(release) = app.idempotency_release(&scope, key).await
            {
                tracing::error!(error = %release, "could not release an idempotency key");
            }
            Err(e)
        }
    }
}
