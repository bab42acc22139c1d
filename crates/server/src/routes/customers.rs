//! Customers and sessions under `/v1`: one-time codes, registration, logins, logout and the
//! customer's own record. Registration and login are [`Public`] (they are how a session is
//! obtained); everything else takes a [`CustomerSession`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use cardlife_app::AppError;
use cardlife_app::customers::{Credential, DeviceHint, StartedSession};
use cardlife_kernel::Secret;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::{CustomerSession, Public};
use crate::extract::JsonBody;
use crate::problem::{ApiError, Problem};

/// Asks for a one-time code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeRequest {
    /// A mainland mobile number, e.g. `13812345678` or `+86 13812345678`.
    phone: String,
}

/// Registers the holder of a phone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Registration {
    /// The phone the code was sent to.
    phone: String,
    /// The 6-digit code.
    code: String,
    /// An optional password (8–64 characters, not only digits, not the phone number).
    #[serde(default)]
    password: Option<String>,
}

/// Logs in with a password or a one-time code (exactly one of them).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Login {
    /// The registered phone.
    phone: String,
    /// The password.
    #[serde(default)]
    password: Option<String>,
    /// A one-time code sent to the phone.
    #[serde(default)]
    code: Option<String>,
    /// The device logging in, when the client names it (docs/identity.md, "Devices").
    #[serde(default)]
    device: Option<DeviceRequest>,
}

/// The device a client runs on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeviceRequest {
    /// The client's own random id for the device (16–128 visible ASCII characters), the same at
    /// every login from it.
    id: String,
    /// A name the customer will recognise (1–64 characters), e.g. `华为 Mate 60`.
    name: String,
}

/// A session just started: the token is shown once.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionStarted {
    /// The customer.
    customer_id: String,
    /// The bearer token for `Authorization: Bearer …`.
    token: String,
    /// RFC 3339; the session ends then at the latest (sooner after 30 idle minutes).
    expires_at: String,
    /// The device named at login (see `GET /v1/me/devices`).
    #[serde(skip_serializing_if = "Option::is_none")]
    device_id: Option<String>,
    /// Whether this was the customer's first login from that device.
    #[serde(skip_serializing_if = "Option::is_none")]
    new_device: Option<bool>,
}

impl From<StartedSession> for SessionStarted {
    fn from(s: StartedSession) -> Self {
        let (device_id, new_device) = s.device.unzip();
        Self {
            customer_id: s.customer.to_string(),
            token: s.token.expose_secret().clone(),
            expires_at: s.expires_at.to_string(),
            device_id,
            new_device,
        }
    }
}

/// A rotated session token.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RotatedToken {
    /// The new bearer token; the old one no longer works.
    token: String,
}

/// The customer's own record.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Me {
    /// The customer.
    id: String,
    /// The masked phone number.
    phone_masked: String,
    /// Whether a password is set.
    has_password: bool,
    /// RFC 3339.
    registered_at: String,
}

/// Sends a 6-digit code to the phone (valid 5 minutes, single use, 5 attempts, one send per 60
/// seconds, a daily cap). The answer never says whether the phone is registered.
#[utoipa::path(post, path = "/v1/otp", tag = "customers",
    request_body = CodeRequest,
    responses(
        (status = 202, description = "The code was sent"),
        (status = 422, description = "INVALID_PHONE, INVALID_BODY", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "CODE_RESEND_TOO_SOON, CODE_DAILY_CAP", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn send_code(
    _: Public,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CodeRequest>,
) -> Result<StatusCode, ApiError> {
    state.app.send_code(&body.phone).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Registers the holder of a phone proven by the code just sent, and starts a session.
#[utoipa::path(post, path = "/v1/customers", tag = "customers",
    request_body = Registration,
    responses(
        (status = 201, description = "Registered and logged in", body = SessionStarted),
        (status = 409, description = "PHONE_TAKEN", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_PHONE, WEAK_PASSWORD, CODE_MISMATCH, CODE_EXPIRED, CODE_USED, \
            CODE_ATTEMPTS_EXHAUSTED, INVALID_BODY; nothing was written", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn register(
    _: Public,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<Registration>,
) -> Result<(StatusCode, Json<SessionStarted>), ApiError> {
    let code = Secret::new(body.code);
    let password = body.password.map(Secret::new);
    let started = state
        .app
        .register(&body.phone, &code, password.as_ref())
        .await?;
    Ok((StatusCode::CREATED, Json(started.into())))
}

/// Logs in with a password or a one-time code. Wrong phone, password and code all answer
/// `INVALID_CREDENTIALS`; after repeated failures the login locks (`LOGIN_LOCKED`).
#[utoipa::path(post, path = "/v1/sessions", tag = "customers",
    request_body = Login,
    responses(
        (status = 201, description = "Logged in", body = SessionStarted),
        (status = 401, description = "INVALID_CREDENTIALS", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_BODY (neither or both of password and code), INVALID_DEVICE", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "LOGIN_LOCKED", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn login(
    _: Public,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<Login>,
) -> Result<(StatusCode, Json<SessionStarted>), ApiError> {
    let credential = match (body.password, body.code) {
        (Some(p), None) => Credential::Password(Secret::new(p)),
        (None, Some(c)) => Credential::Code(Secret::new(c)),
        _ => {
            return Err(ApiError::InvalidBody {
                detail: "send exactly one of `password` and `code`".to_owned(),
            });
        }
    };
    let device = body
        .device
        .map(|d| DeviceHint::parse(&d.id, &d.name))
        .transpose()
        .map_err(AppError::from)?;
    let started = state
        .app
        .login(&body.phone, &credential, device.as_ref())
        .await?;
    Ok((StatusCode::CREATED, Json(started.into())))
}

/// Logs this session out.
#[utoipa::path(delete, path = "/v1/sessions/current", tag = "customers",
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn logout(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<StatusCode, ApiError> {
    state.app.logout(session.token()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces this session's token; the old one stops working at once.
#[utoipa::path(post, path = "/v1/sessions/current/rotate", tag = "customers",
    responses(
        (status = 200, description = "The new token", body = RotatedToken),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn rotate(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<RotatedToken>, ApiError> {
    let token = state.app.rotate_session(session.token()).await?;
    Ok(Json(RotatedToken {
        token: token.expose_secret().clone(),
    }))
}

/// Logs out every session of the customer, this one included.
#[utoipa::path(post, path = "/v1/me/logout-everywhere", tag = "customers",
    responses(
        (status = 204, description = "Every session ended"),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn logout_everywhere(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<StatusCode, ApiError> {
    state.app.logout_everywhere(session.customer_id()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The customer's own record.
#[utoipa::path(get, path = "/v1/me", tag = "customers",
    responses(
        (status = 200, description = "The customer", body = Me),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn me(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<Me>, ApiError> {
    let view = state.app.customer(session.customer_id()).await?;
    Ok(Json(Me {
        id: view.id.to_string(),
        phone_masked: view.phone_masked,
        has_password: view.has_password,
        registered_at: view.registered_at.to_string(),
    }))
}

/// The customers part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(send_code, register, login, logout, rotate, logout_everywhere, me),
    components(schemas(CodeRequest, Registration, Login, DeviceRequest, SessionStarted, RotatedToken, Me)),
    tags((name = "customers", description = "Registration, logins and sessions"))
)]
pub(crate) struct CustomersApi;
