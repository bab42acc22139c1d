//! The merchant extractor: a request signed with one of the merchant's active keys
//! (docs/merchants.md). It reads the body (within the router's limit), verifies
//! `Cardlife-Signature` over the method, the path with its query, the timestamp, the nonce and
//! the body's SHA-256, takes the nonce slot, and checks the merchant is approved. Refusals:
//! 401 `SIGNATURE_REQUIRED`, `SIGNATURE_MALFORMED`, `SIGNATURE_INVALID`, `UNKNOWN_MERCHANT`,
//! `TIMESTAMP_OUT_OF_WINDOW`; 409 `REQUEST_REPLAYED`; 403 `MERCHANT_SUSPENDED`,
//! `MERCHANT_NOT_APPROVED`. The header is never logged.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use cardlife_app::merchants::VerifiedMerchant;
use cardlife_app::merchants::vocabulary::signing::SIGNATURE_HEADER;
use cardlife_kernel::MerchantId;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::problem::ApiError;

/// A verified merchant request and its body.
#[derive(Debug)]
pub struct MerchantKey {
    merchant: VerifiedMerchant,
    body: Bytes,
}

impl MerchantKey {
    /// The merchant that signed the request; every query it makes is scoped by it.
    pub fn merchant(&self) -> MerchantId {
        self.merchant.id()
    }

    /// The verified merchant, its record as read with the request's nonce.
    pub fn record(&self) -> &VerifiedMerchant {
        &self.merchant
    }

    /// Whether the signed request had no body (routes whose body is optional).
    pub fn body_is_empty(&self) -> bool {
        self.body.is_empty()
    }

    /// The signed body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            if e.is_syntax() || e.is_eof() {
                ApiError::MalformedJson {
                    detail: e.to_string(),
                }
            } else {
                ApiError::InvalidBody {
                    detail: e.to_string(),
                }
            }
        })
    }
}

impl FromRequest<AppState> for MerchantKey {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let method = req.method().as_str().to_owned();
        let path = req
            .uri()
            .path_and_query()
            .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
        let header = req
            .headers()
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let limit_bytes = state.body_limit_bytes;
        let body = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge { limit_bytes }
            } else {
                ApiError::MalformedJson {
                    detail: "the request body could not be read".to_owned(),
                }
            }
        })?;
        let merchant = state
            .app
            .verify_merchant_request(&method, &path, &body, header.as_deref())
            .await?;
        Ok(Self { merchant, body })
    }
}
