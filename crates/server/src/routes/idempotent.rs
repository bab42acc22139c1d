//! Running a money-moving handler under its `Idempotency-Key` (docs/loans.md, "Idempotency"):
//! the scope is the customer and the route, the request is the path plus the body re-encoded
//! as canonical JSON (so whitespace or key order never makes a "different" request).

use std::future::Future;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cardlife_app::App;
use cardlife_kernel::CustomerId;
use serde::Serialize;

use crate::idempotent::IDEMPOTENCY_KEY;
use crate::problem::ApiError;

/// Runs `run` once per (customer, route, key); a retry of the same request gets the stored
/// answer, another request with the same key `IDEMPOTENCY_KEY_REUSED` (the shared rules are in
/// [`crate::idempotent::once`]).
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
    crate::idempotent::once(app, &scope, key, &request, async {
        run.await.map(|value| (status, value))
    })
    .await
}
