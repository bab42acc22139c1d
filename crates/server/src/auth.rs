//! Authentication extractors. Every handler names one in its signature, so a route's access rule
//! is visible where the route is written and there is no default.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::AppState;
use crate::problem::ApiError;

/// Proof that the request carried the internal bearer token (`Authorization: Bearer <token>`).
/// Missing or wrong answers 401 `UNAUTHORIZED` before the body is read.
#[derive(Debug)]
pub struct InternalKey {
    _proof: (),
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
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized)?;
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
