//! Money-moving requests carry an `Idempotency-Key` header. [`Idempotent`] reads it with the
//! JSON body; [`once`] runs the request the first time and answers every retry with the same
//! key and the same request (method, path, body) with the stored response. The same key with
//! another request answers 422 `IDEMPOTENCY_KEY_REUSED`; a retry while the first is still
//! running answers 409 `IDEMPOTENCY_IN_FLIGHT`. A request refused with a 4xx wrote nothing, so
//! its key is released; after a 5xx the key stays claimed (the outcome is unknown).

use std::future::Future;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cardlife_app::App;
use cardlife_app::idempotency::{KEY_LEN_MAX as IDEMPOTENCY_KEY_LEN_MAX, StoredAnswer};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::extract::JsonBody;
use crate::problem::ApiError;

/// The header naming a request's idempotency key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on a response replayed from an earlier request with the same key.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// A JSON body with its idempotency key and the bytes that identify the request.
#[derive(Debug)]
pub struct Idempotent<T> {
    /// The parsed body.
    pub body: T,
    /// The key.
    pub key: String,
    /// Method, path and body, hashed to recognise a retry.
    pub request: Vec<u8>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Idempotent<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let key = req
            .headers()
            .get(IDEMPOTENCY_KEY)
            .ok_or_else(|| ApiError::IdempotencyKeyRequired {
                detail: "send an `Idempotency-Key` header (1 to 255 visible ASCII characters)"
                    .to_owned(),
            })?
            .to_str()
            .ok()
            .filter(|k| {
                (1..=IDEMPOTENCY_KEY_LEN_MAX).contains(&k.len())
                    && k.bytes().all(|b| b.is_ascii_graphic())
            })
            .ok_or_else(|| ApiError::IdempotencyKeyRequired {
                detail: "the `Idempotency-Key` is 1 to 255 visible ASCII characters".to_owned(),
            })?
            .to_owned();
        let head = format!("{} {}\n", req.method(), req.uri().path());
        let json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| {
                c.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .eq_ignore_ascii_case("application/json")
            });
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let limit_bytes = state.body_limit_bytes;
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge { limit_bytes }
            } else {
                ApiError::MalformedJson {
                    detail: "the request body could not be read".to_owned(),
                }
            }
        })?;
        let JsonBody(body) = JsonBody::<T>::parse(&bytes)?;
        let mut request = head.into_bytes();
        request.extend_from_slice(&bytes);
        Ok(Self { body, key, request })
    }
}

/// Runs `run` once per (scope, key); see the module documentation. `key` is `None` when the
/// request carried none (refused as `IDEMPOTENCY_KEY_REQUIRED`).
pub(crate) async fn once<T, F>(
    app: &App,
    scope: &str,
    key: Option<&str>,
    request: &[u8],
    run: F,
) -> Result<Response, ApiError>
where
    T: Serialize,
    F: Future<Output = Result<(StatusCode, T), ApiError>>,
{
    if let Some(StoredAnswer { status, body }) = app.idempotency_begin(scope, key, request).await? {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        return Ok(json_answer(status, body, true));
    }
    let key = key.unwrap_or_default();
    match run.await {
        Ok((status, body)) => {
            // The response types are plain structs of strings and integers: they always
            // serialise.
            let text = serde_json::to_string(&body).unwrap_or_else(|_| "null".to_owned());
            let answer = StoredAnswer {
                status: status.as_u16(),
                body: text.clone(),
            };
            app.idempotency_finish(scope, key, &answer).await?;
            Ok(json_answer(status, text, false))
        }
        Err(e) => {
            // A refusal wrote nothing, so the key is free for a retry. After a server error the
            // outcome is unknown: the key stays held so a retry cannot apply the request twice.
            if e.problem().status < 500
                && let Err(release) = app.idempotency_release(scope, key).await
            {
                tracing::error!(error = %release, "could not release an idempotency key");
            }
            Err(e)
        }
    }
}

/// A JSON answer (stored under a key), marked `Idempotent-Replayed` when it was replayed.
/// The request's `Idempotency-Key` as text (empty when missing or not visible ASCII), for use
/// cases that derive ids of their own from it; whether it is acceptable is [`once`]'s to say.
pub(crate) fn key_text(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn json_answer(status: StatusCode, body: String, replayed: bool) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if replayed {
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    response
}
