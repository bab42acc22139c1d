//! The platform's web faces, rendered on the server (docs/web.md): today the cardholder H5 app
//! under `/app`, the development SMS page under `/dev`, and the static assets under `/assets`.
//! The merchant portal and the operator console will sit on the same foundation.
//!
//! - `page`: the context every template gets (language, elder mode, CSRF token);
//!   `i18n`: every string, one table per language; `cookies`: reading and writing cookies.
//! - `csrf`: the double-submit token and the [`csrf::CsrfForm`] extractor every POST form uses;
//!   `headers`: the security headers; `session`: the page flavour of the customer session.
//! - `forms`: field checks and refusal messages; `errors`: the 403 and 400 pages.
//! - One file per page group: `app_auth` (login, registration), `app_home` (home, me, settings,
//!   logout), `dev` (the SMS outbox); `assets` serves the embedded files.

mod app_auth;
mod app_home;
mod assets;
mod cookies;
mod csrf;
mod dev;
mod errors;
mod forms;
mod headers;
mod i18n;
mod page;
mod session;

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use cardlife_app::customers::DevOutbox;

use crate::AppState;

/// The page routes, with the CSRF token and the security headers on every answer. `dev_outbox`
/// is `Some` only in development mode, and only then is `/dev/sms` mounted.
pub(crate) fn routes(dev_outbox: Option<Arc<DevOutbox>>) -> Router<AppState> {
    let pages = Router::new()
        .route("/app", get(app_home::home))
        .route("/app/me", get(app_home::me))
        .route("/app/prefs", post(app_home::prefs))
        .route("/app/logout", post(app_home::logout))
        .route("/app/logout-everywhere", post(app_home::logout_everywhere))
        .route(
            "/app/login",
            get(app_auth::login_page).post(app_auth::login_password),
        )
        .route("/app/login/code/send", post(app_auth::login_send_code))
        .route("/app/login/code", post(app_auth::login_code))
        .route(
            "/app/register",
            get(app_auth::register_page).post(app_auth::register),
        )
        .route("/app/register/code", post(app_auth::register_send_code));
    let pages = match dev_outbox {
        Some(outbox) => pages.merge(dev::routes(outbox)),
        None => pages,
    };
    // Assets get the headers but no CSRF cookie: a cacheable answer never sets a cookie.
    pages
        .layer(middleware::from_fn(csrf::ensure_token))
        .route("/assets/{*path}", get(assets::asset))
        .layer(middleware::from_fn(headers::stamp))
}
