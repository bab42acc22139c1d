//! Real-name details and devices under `/v1/me` (docs/identity.md): the customer's own only,
//! shown masked; corrected and erased by the customer (PIPL); devices signed out one by one.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cardlife_app::identity::{DeviceView, RealNameView};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::CustomerSession;
use crate::extract::JsonBody;
use crate::problem::{ApiError, Problem};

/// Real-name details as given.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RealNameRequest {
    /// The legal name (1–64 characters, no digits).
    name: String,
    /// The 18-character resident ID number.
    resident_id: String,
}

/// Real-name details as shown: masked only.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RealNameBody {
    /// `张*`.
    name_masked: String,
    /// `110***********002X`.
    resident_id_masked: String,
    /// Whether the real-name check passed.
    verified: bool,
    /// RFC 3339, when it passed.
    verified_at: Option<String>,
    /// Why the check refused (`under_18`, …), when it did.
    rejected: Option<String>,
}

impl From<RealNameView> for RealNameBody {
    fn from(v: RealNameView) -> Self {
        Self {
            name_masked: v.name_masked,
            resident_id_masked: v.id_masked,
            verified: v.verified_at.is_some(),
            verified_at: v.verified_at.map(|t| t.to_string()),
            rejected: v.rejected,
        }
    }
}

/// One of the customer's devices.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeviceBody {
    /// For `DELETE /v1/me/devices/{id}`.
    id: String,
    /// The name the client gave at login.
    name: String,
    /// RFC 3339.
    first_seen_at: String,
    /// RFC 3339, the latest login from it.
    last_seen_at: String,
}

impl From<DeviceView> for DeviceBody {
    fn from(d: DeviceView) -> Self {
        Self {
            id: d.id,
            name: d.name,
            first_seen_at: d.first_seen.to_string(),
            last_seen_at: d.last_seen.to_string(),
        }
    }
}

/// The customer's real-name details, masked.
#[utoipa::path(get, path = "/v1/me/real-name", tag = "customers",
    responses(
        (status = 200, description = "The details, masked", body = RealNameBody),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND: none given", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn real_name(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<RealNameBody>, ApiError> {
    Ok(Json(
        state.app.real_name(session.customer_id()).await?.into(),
    ))
}

/// Gives or corrects the real-name details and runs the real-name check. A correction replaces
/// the details and their verification.
#[utoipa::path(put, path = "/v1/me/real-name", tag = "customers",
    request_body = RealNameRequest,
    responses(
        (status = 200, description = "Stored; `verified` says whether the check passed", body = RealNameBody),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "RESIDENT_ID_IN_USE: another account holds this ID", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_NAME, INVALID_RESIDENT_ID, INVALID_BODY", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn set_real_name(
    session: CustomerSession,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<RealNameRequest>,
) -> Result<Json<RealNameBody>, ApiError> {
    let view = state
        .app
        .set_real_name(session.customer_id(), &body.name, &body.resident_id)
        .await?;
    Ok(Json(view.into()))
}

/// Erases the real-name details (refused while credit is held: the bank must keep them).
#[utoipa::path(delete, path = "/v1/me/real-name", tag = "customers",
    responses(
        (status = 204, description = "Erased"),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND: none given", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "REAL_NAME_KEPT: a credit account, loan or credit line is held", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn erase_real_name(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<StatusCode, ApiError> {
    state.app.erase_real_name(session.customer_id()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The devices the customer logged in from, most recently used first.
#[utoipa::path(get, path = "/v1/me/devices", tag = "customers",
    responses(
        (status = 200, description = "The devices", body = [DeviceBody]),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn devices(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<Vec<DeviceBody>>, ApiError> {
    let devices = state.app.devices(session.customer_id(), None).await?;
    Ok(Json(devices.into_iter().map(DeviceBody::from).collect()))
}

/// Signs a device out: every session started on it ends, and it leaves the list.
#[utoipa::path(delete, path = "/v1/me/devices/{id}", tag = "customers",
    params(("id" = String, Path, description = "the device's id")),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND: no device of yours has this id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn remove_device(
    session: CustomerSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.app.remove_device(session.customer_id(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The real-name and devices part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(real_name, set_real_name, erase_real_name, devices, remove_device),
    components(schemas(RealNameRequest, RealNameBody, DeviceBody))
)]
pub(crate) struct IdentityApi;
