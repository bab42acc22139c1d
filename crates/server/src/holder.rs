//! The cardholder's identity on the credit routes: [`CardHolder`], from
//! `Authorization: Bearer <session token>`, resolved by the [`HolderAuth`] the server was
//! configured with. A small seam: customer sessions plug in behind it without touching the
//! routes; without one every cardholder route answers 401.

use std::fmt::Debug;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use cardlife_kernel::CustomerId;

use crate::AppState;
use crate::problem::ApiError;

/// Resolves a bearer token to the customer it was issued to.
pub trait HolderAuth: Send + Sync + Debug {
    /// The customer of `token`, or `None` when it is unknown or expired.
    fn customer(&self, token: &str) -> Option<CustomerId>;
}

/// Proof that the request carried a valid cardholder session; the routes scope every read and
/// command to [`CardHolder::customer_id`].
#[derive(Debug)]
pub struct CardHolder {
    /// The signed-in customer.
    pub customer_id: CustomerId,
}

impl FromRequestParts<AppState> for CardHolder {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::NoSession)?;
        let auth = state.holders.as_ref().ok_or(ApiError::NoSession)?;
        let customer_id = auth.customer(token).ok_or(ApiError::NoSession)?;
        Ok(Self { customer_id })
    }
}
