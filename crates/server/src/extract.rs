//! Extractors whose every rejection is an [`ApiError`], so a request that cannot be parsed still
//! answers problem+json with a precise code (never axum's plain-text rejections).

use std::fmt;
use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use cardlife_app::ledger::BATCH_MAX;
use serde::de::{DeserializeOwned, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::error::Category;
use uuid::Uuid;

use crate::AppState;
use crate::problem::ApiError;

/// A JSON body sent as `application/json`, read within the router's body limit.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if !is_json(
            req.headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
        ) {
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
        serde_json::from_slice(&bytes).map(Self).map_err(json_error)
    }
}

impl<T: DeserializeOwned> JsonBody<T> {
    /// Parses a body already read (for extractors that also keep the bytes).
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        serde_json::from_slice(bytes).map(Self).map_err(json_error)
    }
}

fn is_json(content_type: Option<&str>) -> bool {
    let Some(content_type) = content_type else {
        return false;
    };
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

fn json_error(e: serde_json::Error) -> ApiError {
    match e.classify() {
        Category::Io | Category::Syntax | Category::Eof => ApiError::MalformedJson {
            detail: e.to_string(),
        },
        Category::Data => ApiError::InvalidBody {
            detail: e.to_string(),
        },
    }
}

/// A JSON array of events that keeps at most [`BATCH_MAX`] of them in memory: the rest are
/// only counted, so an oversized batch costs no more memory than a full one and still answers
/// `BATCH_TOO_LARGE` with the exact count.
#[derive(Debug)]
pub struct Batch<T> {
    /// The first [`BATCH_MAX`] events.
    pub events: Vec<T>,
    /// How many events were sent.
    pub len: usize,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Batch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(BatchVisitor(PhantomData))
    }
}

struct BatchVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for BatchVisitor<T> {
    type Value = Batch<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut events = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(BATCH_MAX));
        while events.len() < BATCH_MAX {
            match seq.next_element::<T>()? {
                Some(event) => events.push(event),
                None => {
                    return Ok(Batch {
                        len: events.len(),
                        events,
                    });
                }
            }
        }
        let mut len = events.len();
        while seq.next_element::<IgnoredAny>()?.is_some() {
            len += 1;
        }
        Ok(Batch { events, len })
    }
}

/// The `{id}` path segment, a UUID, as the ledger's `u128`.
#[derive(Clone, Copy, Debug)]
pub struct PathId(pub u128);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(text) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|r| ApiError::InvalidId {
                detail: r.body_text(),
            })?;
        let id = Uuid::try_parse(&text).map_err(|_| ApiError::InvalidId {
            detail: format!("{text:?} is not a UUID"),
        })?;
        Ok(Self(id.as_u128()))
    }
}

/// A query string parsed into `T`; a rejection is 400 `INVALID_QUERY`.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(value) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|r| ApiError::InvalidQuery {
                detail: r.body_text(),
            })?;
        Ok(Self(value))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn json_content_types_are_recognised_with_parameters() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("Application/JSON; charset=utf-8")));
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(None));
    }

    #[test]
    fn a_batch_counts_events_beyond_the_limit_without_keeping_them() {
        let text = format!("[{}]", vec!["1"; BATCH_MAX + 5].join(","));
        let batch: Batch<u8> = serde_json::from_str(&text).unwrap();
        assert_eq!(batch.events.len(), BATCH_MAX);
        assert_eq!(batch.len, BATCH_MAX + 5);
    }

    #[test]
    fn a_batch_keeps_every_event_under_the_limit() {
        let batch: Batch<u8> = serde_json::from_str("[1,2,3]").unwrap();
        assert_eq!((batch.events, batch.len), (vec![1, 2, 3], 3));
    }
}
