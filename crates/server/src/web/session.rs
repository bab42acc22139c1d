//! The page flavour of a customer session: [`PageSession`] reads the `__Host-cardlife_session`
//! cookie like [`crate::CustomerSession`], but a missing or dead session redirects to the login
//! page (clearing a stale cookie) instead of answering problem+json.

use axum::extract::FromRequestParts;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use cardlife_kernel::CustomerId;

use super::cookies::{self, SESSION_COOKIE};
use crate::AppState;

/// Where a page without a session sends the browser.
pub(crate) const LOGIN_PATH: &str = "/app/login";

/// A logged-in customer on a page.
#[derive(Debug)]
pub(crate) struct PageSession {
    customer_id: CustomerId,
    token: String,
}

impl PageSession {
    /// Whose session it is; every read a page makes is scoped by it.
    pub(crate) fn customer_id(&self) -> CustomerId {
        self.customer_id
    }

    /// The token, to end this session.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }
}

impl FromRequestParts<AppState> for PageSession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = cookies::get(&parts.headers, SESSION_COOKIE).map(str::to_owned) else {
            return Err(Redirect::to(LOGIN_PATH).into_response());
        };
        match state.app.authenticate(&token).await {
            Ok(customer_id) => Ok(Self { customer_id, token }),
            Err(cardlife_app::AppError::Unauthenticated) => Err((
                [(SET_COOKIE, cookies::clear(SESSION_COOKIE))],
                Redirect::to(LOGIN_PATH),
            )
                .into_response()),
            Err(e) => Err(crate::problem::ApiError::from(e).into_response()),
        }
    }
}
