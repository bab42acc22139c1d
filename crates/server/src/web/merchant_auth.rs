//! The merchant portal's way in (docs/web.md, "Merchant portal"): the application form, which
//! also sets the staff login and password, and the staff login; a session in the portal's own
//! `__Host-cardlife_merchant` cookie and a fresh CSRF token at every login; logout ends it.
//! Every field is checked before the app is called; a refusal answers the form again (422) with
//! one message, and nothing is written.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use cardlife_app::merchants::Application;
use cardlife_app::merchants::staff::StaffSessionStarted;
use cardlife_kernel::Secret;
use serde::Deserialize;

use super::console_auth::{Empty, LoginForm};
use super::cookies::{self, MERCHANT_COOKIE};
use super::csrf::{CsrfForm, CsrfToken};
use super::face_forms::{self, echo};
use super::page::Page;
use super::staff_session::{MERCHANT_LOGIN, MerchantPage};
use crate::AppState;
use crate::auth::Public;

/// What the application form echoes back after a refusal (never the account or the password).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ApplyForm {
    name: String,
    city: String,
    address: String,
    mcc: String,
    settlement_account: String,
    login: String,
    password: String,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "merchant/apply.html")]
pub(crate) struct ApplyPage {
    page: Page,
    name: String,
    city: String,
    address: String,
    mcc: String,
    login: String,
    error: Option<String>,
    /// Which field the message is about.
    field: &'static str,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "merchant/login.html")]
pub(crate) struct MerchantLoginPage {
    page: Page,
    login: String,
    error: Option<String>,
}

/// `GET /merchant/apply`.
pub(crate) async fn apply_page(_: Public, page: Page) -> ApplyPage {
    ApplyPage {
        page,
        name: String::new(),
        city: String::new(),
        address: String::new(),
        mcc: String::new(),
        login: String::new(),
        error: None,
        field: "",
    }
}

/// `POST /merchant/apply`: the application with its staff login; then logged in on the status
/// page.
pub(crate) async fn apply(
    _: Public,
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<ApplyForm>,
) -> Response {
    let f = page.f;
    let again = |page: Page, field: &'static str, error: &str| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ApplyPage {
                page,
                name: echo(&form.name, 25),
                city: echo(&form.city, 15),
                address: echo(&form.address, 200),
                mcc: echo(&form.mcc, 4),
                login: echo(&form.login, face_forms::LOGIN_LEN_MAX),
                error: Some(error.to_owned()),
                field,
            },
        )
            .into_response()
    };
    let checked = (|| {
        Ok::<_, (&'static str, &'static str)>((
            face_forms::text(f, &form.name, 25).map_err(|e| ("name", e))?,
            face_forms::text(f, &form.city, 15).map_err(|e| ("city", e))?,
            face_forms::text(f, &form.address, 200).map_err(|e| ("address", e))?,
            face_forms::mcc(f, &form.mcc).map_err(|e| ("mcc", e))?,
            face_forms::account(f, &form.settlement_account)
                .map_err(|e| ("settlement_account", e))?,
            face_forms::login(f, &form.login).map_err(|e| ("login", e))?,
            face_forms::password(f, &form.password).map_err(|e| ("password", e))?,
        ))
    })();
    let (name, city, address, mcc, account, login, password) = match checked {
        Ok(v) => v,
        Err((field, e)) => return again(page, field, e),
    };
    let application = Application {
        name,
        city,
        address,
        mcc,
        settlement_account: Secret::new(account),
        mdr_rate: None,
    };
    let password = Secret::new(password);
    let app = &state.app;
    match app
        .apply_merchant_with_staff(application, &login, &password)
        .await
    {
        Ok(_) => match app.staff_login(&login, &password).await {
            Ok(started) => start(&state, &headers, started).await,
            Err(_) => Redirect::to(MERCHANT_LOGIN).into_response(),
        },
        Err(e) => match face_forms::refusal(f, &e) {
            Some(m) => {
                let field = match &e {
                    cardlife_app::AppError::Merchants(
                        cardlife_app::merchants::MerchantsError::LoginTaken,
                    ) => "login",
                    cardlife_app::AppError::Customer(_)
                    | cardlife_app::AppError::Merchants(
                        cardlife_app::merchants::MerchantsError::InvalidField {
                            field: "password",
                            ..
                        },
                    ) => "password",
                    _ => "",
                };
                again(page, field, &m)
            }
            None => {
                tracing::error!(error = %e, "merchant application failed");
                again(page, "", f.err_unavailable)
            }
        },
    }
}

/// `GET /merchant/login`.
pub(crate) async fn login_page(_: Public, page: Page) -> MerchantLoginPage {
    MerchantLoginPage {
        page,
        login: String::new(),
        error: None,
    }
}

/// `POST /merchant/login`.
pub(crate) async fn login(
    _: Public,
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Response {
    let f = page.f;
    let again = |page: Page, error: &str| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            MerchantLoginPage {
                page,
                login: echo(&form.login, face_forms::LOGIN_LEN_MAX),
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
    match state.app.staff_login(&login, &Secret::new(password)).await {
        Ok(started) => start(&state, &headers, started).await,
        Err(e) => match face_forms::refusal(f, &e) {
            Some(m) => again(page, &m),
            None => {
                tracing::error!(error = %e, "merchant login failed");
                again(page, f.err_unavailable)
            }
        },
    }
}

async fn start(state: &AppState, headers: &HeaderMap, started: StaffSessionStarted) -> Response {
    if let Some(old) = cookies::get(headers, MERCHANT_COOKIE) {
        let _ = state.app.staff_logout(old).await;
    }
    let session = cookies::http_only(MERCHANT_COOKIE, started.token.expose_secret());
    (
        AppendHeaders([
            (SET_COOKIE, session),
            (SET_COOKIE, CsrfToken::generate().cookie()),
        ]),
        Redirect::to("/merchant"),
    )
        .into_response()
}

/// `POST /merchant/logout`.
pub(crate) async fn logout(
    session: MerchantPage,
    State(state): State<AppState>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    let _ = state.app.staff_logout(&session.token).await;
    (
        [(SET_COOKIE, cookies::clear(MERCHANT_COOKIE))],
        Redirect::to(MERCHANT_LOGIN),
    )
        .into_response()
}
