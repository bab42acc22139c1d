//! The operator console's way in and out (docs/web.md, "Operator console"): login name and
//! password against `app::merchants::operators`, a session in the console's own
//! `__Host-cardlife_operator` cookie, a fresh CSRF token at every login; logout ends the session.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use cardlife_kernel::Secret;
use serde::Deserialize;

use super::cookies::{self, OPERATOR_COOKIE};
use super::csrf::{CsrfForm, CsrfToken};
use super::face_forms;
use super::page::Page;
use super::staff_session::{CONSOLE_LOGIN, OperatorPage};
use crate::AppState;
use crate::auth::Public;

#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/login.html")]
pub(crate) struct ConsoleLoginPage {
    page: Page,
    login: String,
    error: Option<String>,
}

/// The login form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LoginForm {
    pub(crate) login: String,
    pub(crate) password: String,
}

/// `GET /console/login`.
pub(crate) async fn login_page(_: Public, page: Page) -> ConsoleLoginPage {
    ConsoleLoginPage {
        page,
        login: String::new(),
        error: None,
    }
}

/// `POST /console/login`.
pub(crate) async fn login(
    _: Public,
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Response {
    let f = page.f;
    let again = |page: Page, error: &str| {
        let login = face_forms::echo(&form.login, face_forms::LOGIN_LEN_MAX);
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ConsoleLoginPage {
                page,
                login,
                error: Some(error.to_owned()),
            },
        )
            .into_response()
    };
    let (login, password) = match (
        face_forms::login(f, &form.login),
        face_forms::password(f, &form.password),
    ) {
        (Ok(l), Ok(p)) => (l, p),
        (Err(e), _) | (_, Err(e)) => return again(page, e),
    };
    match state
        .app
        .operator_login(&login, &Secret::new(password))
        .await
    {
        Ok(started) => {
            if let Some(old) = cookies::get(&headers, OPERATOR_COOKIE) {
                let _ = state.app.operator_logout(old).await;
            }
            let session = cookies::http_only(OPERATOR_COOKIE, started.token.expose_secret());
            (
                AppendHeaders([
                    (SET_COOKIE, session),
                    (SET_COOKIE, CsrfToken::generate().cookie()),
                ]),
                Redirect::to("/console"),
            )
                .into_response()
        }
        Err(e) => match face_forms::refusal(f, &e) {
            Some(message) => again(page, &message),
            None => {
                tracing::error!(error = %e, "console login failed");
                again(page, f.err_unavailable)
            }
        },
    }
}

/// `POST /console/logout`.
pub(crate) async fn logout(
    session: OperatorPage,
    State(state): State<AppState>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    let _ = state.app.operator_logout(&session.token).await;
    (
        [(SET_COOKIE, cookies::clear(OPERATOR_COOKIE))],
        Redirect::to(CONSOLE_LOGIN),
    )
        .into_response()
}

/// A form with no fields but the CSRF token.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Empty {}
