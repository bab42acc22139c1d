//! The operator extractor: a logged-in member of the bank's staff (docs/merchants.md). The
//! token comes from `POST /v1/operator/sessions` as `Authorization: Bearer <token>`; missing,
//! unknown, expired or ended answers 401 `UNAUTHENTICATED`. Handlers then name the role they need
//! with [`OperatorSession::require`] (403 `FORBIDDEN_ROLE`); the use cases check it again.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use cardlife_app::merchants::operators::{Operator, Role};

use crate::AppState;
use crate::problem::ApiError;

/// A logged-in operator.
#[derive(Debug)]
pub struct OperatorSession {
    operator: Operator,
}

impl OperatorSession {
    /// Who it is.
    pub fn operator(&self) -> &Operator {
        &self.operator
    }

    /// `Ok` when the operator holds `role` (an admin holds every role); else 403
    /// `FORBIDDEN_ROLE`.
    pub fn require(&self, role: Role) -> Result<&Operator, ApiError> {
        self.operator.require(role).map_err(ApiError::from)?;
        Ok(&self.operator)
    }
}

impl FromRequestParts<AppState> for OperatorSession {
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
            .ok_or(ApiError::Unauthenticated)?;
        let operator = state.app.authenticate_operator(token).await?;
        Ok(Self { operator })
    }
}
