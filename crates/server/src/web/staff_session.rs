//! The page sessions of the two staff faces (docs/web.md, "Operator console", "Merchant
//! portal"): [`OperatorPage`] reads the `__Host-cardlife_operator` cookie, [`MerchantPage`] the
//! `__Host-cardlife_merchant` cookie. Each face's cookie is its own: a cardholder's session is no
//! operator's and no merchant's. A missing or dead session redirects to that face's login
//! (clearing a stale cookie); an operator without the page's role gets a 403 page.

use axum::extract::FromRequestParts;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use cardlife_app::AppError;
use cardlife_app::merchants::operators::{Operator, Role};
use cardlife_app::merchants::staff::Staff;

use super::cookies::{self, MERCHANT_COOKIE, OPERATOR_COOKIE};
use super::errors::ErrorPage;
use super::page::Page;
use crate::AppState;
use crate::problem::ApiError;

/// The console's login page.
pub(crate) const CONSOLE_LOGIN: &str = "/console/login";
/// The portal's login page.
pub(crate) const MERCHANT_LOGIN: &str = "/merchant/login";

/// A logged-in operator on a console page.
#[derive(Debug)]
pub(crate) struct OperatorPage {
    pub(crate) operator: Operator,
    pub(crate) token: String,
}

impl OperatorPage {
    /// `Ok` when the operator holds one of `roles` (an admin holds every role); else the 403
    /// page, and the handler does nothing.
    // The refusal is a whole page, returned straight from the handler with `?`.
    #[allow(clippy::result_large_err)]
    pub(crate) fn require(&self, page: &Page, roles: &[Role]) -> Result<(), Response> {
        self.operator
            .require_any(roles)
            .map_err(|_| ErrorPage::forbidden_role(page.clone()).into_response())
    }
}

/// A logged-in merchant staff member on a portal page.
#[derive(Debug)]
pub(crate) struct MerchantPage {
    pub(crate) staff: Staff,
    pub(crate) token: String,
}

/// The cookie's token, or the redirect to `login`.
fn token_of(parts: &Parts, cookie: &str, login: &str) -> Result<String, Box<Response>> {
    cookies::get(&parts.headers, cookie)
        .map(str::to_owned)
        .ok_or_else(|| Box::new(Redirect::to(login).into_response()))
}

/// A dead session: clear the cookie and go to `login`; a server failure answers 503.
fn refused(e: AppError, cookie: &str, login: &str) -> Response {
    match e {
        AppError::Unauthenticated => {
            ([(SET_COOKIE, cookies::clear(cookie))], Redirect::to(login)).into_response()
        }
        e => ApiError::from(e).into_response(),
    }
}

impl FromRequestParts<AppState> for OperatorPage {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = token_of(parts, OPERATOR_COOKIE, CONSOLE_LOGIN).map_err(|r| *r)?;
        match state.app.authenticate_operator(&token).await {
            Ok(operator) => Ok(Self { operator, token }),
            Err(e) => Err(refused(e, OPERATOR_COOKIE, CONSOLE_LOGIN)),
        }
    }
}

impl FromRequestParts<AppState> for MerchantPage {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = token_of(parts, MERCHANT_COOKIE, MERCHANT_LOGIN).map_err(|r| *r)?;
        match state.app.authenticate_staff(&token).await {
            Ok(staff) => Ok(Self { staff, token }),
            Err(e) => Err(refused(e, MERCHANT_COOKIE, MERCHANT_LOGIN)),
        }
    }
}
