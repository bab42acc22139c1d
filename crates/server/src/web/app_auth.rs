//! The cardholder app's way in: log in with a password or an SMS code, and register (phone →
//! code → optional password). Every form is [`Public`] (it is how a session is obtained) and
//! CSRF-checked; bad input answers the form again with status 422, one message and nothing
//! written. A successful login ends the browser's previous session, sets a new session cookie
//! and a new CSRF token, and redirects home (docs/web.md, "Cardholder app").

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use cardlife_app::AppError;
use cardlife_app::customers::{Credential, DeviceHint, StartedSession};
use cardlife_kernel::{Secret, mask_phone};
use serde::Deserialize;

use super::cookies::{self, DEVICE_COOKIE, SESSION_COOKIE};
use super::csrf::{CsrfForm, CsrfToken};
use super::forms;
use super::page::Page;
use crate::AppState;
use crate::auth::Public;

/// Where a new session lands.
const HOME_PATH: &str = "/app";

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/login.html")]
pub(crate) struct LoginPage {
    page: Page,
    via_code: bool,
    phone: String,
    error: Option<&'static str>,
    /// "Code sent to 138****5678".
    sent_to: Option<String>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/register.html")]
pub(crate) struct RegisterPage {
    page: Page,
    phone: String,
    error: Option<&'static str>,
    sent_to: Option<String>,
}

/// `?via=code` shows the SMS-code login.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginQuery {
    #[serde(default)]
    via: Option<String>,
}

/// The fields of every login and registration form (a form sends the ones it has).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AuthForm {
    phone: String,
    password: String,
    code: String,
}

/// `GET /app/login`.
pub(crate) async fn login_page(_: Public, page: Page, Query(q): Query<LoginQuery>) -> LoginPage {
    LoginPage {
        page,
        via_code: q.via.as_deref() == Some("code"),
        phone: String::new(),
        error: None,
        sent_to: None,
    }
}

/// `GET /app/register`.
pub(crate) async fn register_page(_: Public, page: Page) -> RegisterPage {
    RegisterPage {
        page,
        phone: String::new(),
        error: None,
        sent_to: None,
    }
}

/// `POST /app/login`: phone and password.
pub(crate) async fn login_password(
    _: Public,
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<AuthForm>,
) -> Response {
    let t = page.t;
    let refuse = |page, error| login_again(page, false, &form.phone, error, None);
    let phone = match forms::phone(t, &form.phone) {
        Ok(p) => p,
        Err(e) => return refuse(page, e),
    };
    let password = match forms::password(t, &form.password) {
        Ok(p) => p,
        Err(e) => return refuse(page, e),
    };
    let credential = Credential::Password(Secret::new(password));
    let device = browser_device(&headers);
    match state
        .app
        .login(&phone, &credential, Some(&device.hint))
        .await
    {
        Ok(started) => start(&state, &headers, started, Some(&device)).await,
        Err(e) => refuse(page, message(t, &e)),
    }
}

/// `POST /app/login/code/send`: sends a login code.
pub(crate) async fn login_send_code(
    _: Public,
    State(state): State<AppState>,
    page: Page,
    CsrfForm(form): CsrfForm<AuthForm>,
) -> Response {
    let (error, sent_to) = send_code(&state, page.t, &form.phone).await;
    login_again(page, true, &form.phone, error.unwrap_or_default(), sent_to)
}

/// `POST /app/login/code`: phone and code.
pub(crate) async fn login_code(
    _: Public,
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<AuthForm>,
) -> Response {
    let t = page.t;
    let refuse = |page, error| login_again(page, true, &form.phone, error, None);
    let phone = match forms::phone(t, &form.phone) {
        Ok(p) => p,
        Err(e) => return refuse(page, e),
    };
    let code = match forms::code(t, &form.code) {
        Ok(c) => c,
        Err(e) => return refuse(page, e),
    };
    let device = browser_device(&headers);
    match state
        .app
        .login(
            &phone,
            &Credential::Code(Secret::new(code)),
            Some(&device.hint),
        )
        .await
    {
        Ok(started) => start(&state, &headers, started, Some(&device)).await,
        Err(e) => refuse(page, message(t, &e)),
    }
}

/// `POST /app/register/code`: sends a registration code.
pub(crate) async fn register_send_code(
    _: Public,
    State(state): State<AppState>,
    page: Page,
    CsrfForm(form): CsrfForm<AuthForm>,
) -> Response {
    let (error, sent_to) = send_code(&state, page.t, &form.phone).await;
    register_again(page, &form.phone, error.unwrap_or_default(), sent_to)
}

/// `POST /app/register`: phone, code and an optional password.
pub(crate) async fn register(
    _: Public,
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<AuthForm>,
) -> Response {
    let t = page.t;
    let checked = forms::phone(t, &form.phone).and_then(|phone| {
        let code = forms::code(t, &form.code)?;
        let password = forms::new_password(t, &form.password)?;
        Ok((phone, code, password))
    });
    let (phone, code, password) = match checked {
        Ok(fields) => fields,
        Err(e) => return register_again(page, &form.phone, e, None),
    };
    let password = password.map(Secret::new);
    match state
        .app
        .register(&phone, &Secret::new(code), password.as_ref())
        .await
    {
        Ok(started) => start(&state, &headers, started, None).await,
        Err(e) => register_again(page, &form.phone, message(t, &e), None),
    }
}

/// Sends a code: the refusal message, or where it went (masked).
async fn send_code(
    state: &AppState,
    t: &'static super::i18n::Texts,
    raw_phone: &str,
) -> (Option<&'static str>, Option<String>) {
    let phone = match forms::phone(t, raw_phone) {
        Ok(p) => p,
        Err(e) => return (Some(e), None),
    };
    match state.app.send_code(&phone).await {
        Ok(()) => (None, Some(mask_phone(&phone))),
        Err(e) => (Some(message(t, &e)), None),
    }
}

/// The message for an app error; a failure of the server is logged here, once.
fn message(t: &'static super::i18n::Texts, e: &AppError) -> &'static str {
    forms::refusal(t, e).unwrap_or_else(|| {
        tracing::error!(error = %e, "a page form failed on the server side");
        t.err_unavailable
    })
}

/// The login form again: 422 with `error`, or 200 with the code-sent notice.
fn login_again(
    page: Page,
    via_code: bool,
    phone: &str,
    error: &'static str,
    sent_to: Option<String>,
) -> Response {
    let status = status_of(error);
    let error = (!error.is_empty()).then_some(error);
    let body = LoginPage {
        page,
        via_code,
        phone: forms::echo_phone(phone),
        error,
        sent_to,
    };
    (status, body).into_response()
}

/// The registration form again.
fn register_again(
    page: Page,
    phone: &str,
    error: &'static str,
    sent_to: Option<String>,
) -> Response {
    let status = status_of(error);
    let error = (!error.is_empty()).then_some(error);
    let body = RegisterPage {
        page,
        phone: forms::echo_phone(phone),
        error,
        sent_to,
    };
    (status, body).into_response()
}

fn status_of(error: &str) -> StatusCode {
    if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// Ends the browser's previous session (if any), sets the new session and CSRF cookies, and
/// goes home.
async fn start(
    state: &AppState,
    headers: &HeaderMap,
    started: StartedSession,
    device: Option<&BrowserDevice>,
) -> Response {
    if let Some(old) = cookies::get(headers, SESSION_COOKIE) {
        // A stale or foreign token is simply not ended: there is nothing to end.
        let _ = state.app.logout(old).await;
    }
    let session = cookies::http_only(SESSION_COOKIE, started.token.expose_secret());
    let csrf = CsrfToken::generate().cookie();
    let mut set = vec![(SET_COOKIE, session), (SET_COOKIE, csrf)];
    if let Some(device) = device.filter(|d| d.fresh) {
        set.push((SET_COOKIE, cookies::preference(DEVICE_COOKIE, &device.id)));
    }
    (AppendHeaders(set), Redirect::to(HOME_PATH)).into_response()
}

/// The browser as a device: the id in its device cookie (a new random one when it has none or
/// a malformed one) and a name from its `User-Agent`.
pub(crate) struct BrowserDevice {
    /// What the login names.
    pub(crate) hint: DeviceHint,
    id: String,
    /// Whether the cookie must be set.
    fresh: bool,
}

/// This browser's device (see [`BrowserDevice`]).
pub(crate) fn browser_device(headers: &HeaderMap) -> BrowserDevice {
    let name = device_name(
        headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
    );
    if let Some(id) = cookies::get(headers, DEVICE_COOKIE)
        && let Ok(hint) = DeviceHint::parse(id, &name)
    {
        return BrowserDevice {
            hint,
            id: id.to_owned(),
            fresh: false,
        };
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let hint = DeviceHint::parse(&id, &name)
        .unwrap_or_else(|e| unreachable!("a UUID and a known name are a valid device: {e}"));
    BrowserDevice {
        hint,
        id,
        fresh: true,
    }
}

/// A short name for a browser from its `User-Agent`: the browser and the system.
fn device_name(agent: &str) -> String {
    let system = [
        ("HarmonyOS", "HarmonyOS"),
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Mac OS X", "macOS"),
        ("Windows", "Windows"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(needle, _)| agent.contains(needle))
    .map(|(_, name)| name);
    let browser = if agent.contains("MicroMessenger") {
        "WeChat"
    } else if agent.contains("Edg/") {
        "Edge"
    } else if agent.contains("Chrome/") || agent.contains("Chromium/") {
        "Chrome"
    } else if agent.contains("Firefox/") {
        "Firefox"
    } else if agent.contains("Safari/") {
        "Safari"
    } else {
        "Browser"
    };
    system.map_or_else(
        || browser.to_owned(),
        |system| format!("{browser} · {system}"),
    )
}
