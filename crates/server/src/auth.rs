//! Authentication extractors. Every handler names one in its signature, so a route's access rule
//! is visible where the route is written and there is no default.

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use cardlife_kernel::CustomerId;

use crate::AppState;
pub(crate) use crate::auth_merchant::MerchantKey;
pub(crate) use crate::auth_operator::OperatorSession;
use crate::problem::ApiError;

/// Proof that the request carried the internal bearer token (`Authorization: Bearer <token>`).
/// Missing or wrong answers 401 `UNAUTHORIZED` before the body is read.
#[derive(Debug)]
pub struct InternalKey {
    _proof: (),
}

/// The name of the session cookie (`__Host-`: Secure, path `/`, no Domain, so no other host or
/// path can set or read it).
pub const SESSION_COOKIE: &str = "__Host-cardlife_session";

/// A logged-in customer: the request carried a valid session token, as
/// `Authorization: Bearer <token>` or the [`SESSION_COOKIE`]. Missing, unknown, expired, ended or
/// revoked answers 401 `UNAUTHENTICATED`. Every query a customer route makes is scoped by
/// [`Self::customer_id`].
#[derive(Debug)]
pub struct CustomerSession {
    customer_id: CustomerId,
    token: String,
}

impl CustomerSession {
    /// Whose session it is.
    pub fn customer_id(&self) -> CustomerId {
        self.customer_id
    }

    /// The token presented (to log this session out or rotate it).
    pub(crate) fn token(&self) -> &str {
        &self.token
    }
}

impl FromRequestParts<AppState> for CustomerSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)
            .or_else(|| session_cookie(parts))
            .ok_or(ApiError::Unauthenticated)?
            .to_owned();
        let customer_id = state
            .app
            .authenticate(&token)
            .await
            .map_err(ApiError::from)?;
        Ok(Self { customer_id, token })
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

fn session_cookie(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

/// A route anyone may call (health, metrics, the OpenAPI document): a declaration, not a check.
#[derive(Debug)]
pub struct Public;

impl FromRequestParts<AppState> for InternalKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = bearer(parts).ok_or(ApiError::Unauthorized)?;
        let expected = state.internal_token.expose_secret();
        if constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
            Ok(Self { _proof: () })
        } else {
            Err(ApiError::Unauthorized)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Public {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self)
    }
}

/// Compares without returning early on the first differing byte, so the time taken does not
/// tell an attacker how much of a guess was right. (Lengths may differ in time; a token's length
/// is not its secret.)
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= std::hint::black_box(x ^ y);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn constant_time_eq_accepts_only_identical_bytes() {
        assert!(constant_time_eq(b"secret-token", b"secret-token"));
        assert!(!constant_time_eq(b"secret-token", b"secret-tokeN"));
        assert!(!constant_time_eq(b"secret-token", b"secret-token-longer"));
        assert!(!constant_time_eq(b"secret", b"secret\0"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
