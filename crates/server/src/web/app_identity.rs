//! The real-name and devices sections of the cardholder's "me" page (docs/identity.md): the
//! details shown masked with their verification, a form to give or correct them, and the devices
//! logged in from, each of which can be signed out. Bad input answers the page again with status
//! 422, one message, the name typed echoed (never the ID number) and nothing written.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use cardlife_app::AppError;
use cardlife_app::customers::CustomerError;
use cardlife_app::identity::RealNameView;
use cardlife_kernel::{BusinessZone, CustomerId};
use serde::Deserialize;

use super::app_auth::browser_device;
use super::app_home::me_page;
use super::csrf::CsrfForm;
use super::i18n_identity::IdentityTexts;
use super::page::Page;
use super::session::PageSession;
use crate::AppState;
use crate::problem::ApiError;

/// Where the sections live.
const ME_PATH: &str = "/app/me";

/// One device as listed.
#[derive(Debug)]
pub(crate) struct DeviceRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) last_login: String,
    pub(crate) current: bool,
}

/// What the two sections show.
#[derive(Debug)]
pub(crate) struct IdentitySection {
    /// Their strings.
    pub(crate) it: &'static IdentityTexts,
    /// The details given, masked.
    pub(crate) real_name: Option<RealNameView>,
    /// The refusal of the form just sent.
    pub(crate) error: Option<&'static str>,
    /// The name just typed, echoed after a refusal.
    pub(crate) name_typed: String,
    /// Most recently used first.
    pub(crate) devices: Vec<DeviceRow>,
}

impl IdentitySection {
    /// The verification state in words.
    pub(crate) fn status(&self) -> &'static str {
        match &self.real_name {
            Some(r) if r.verified_at.is_some() => self.it.verified,
            Some(r) if r.rejected.as_deref() == Some("under_18") => self.it.rejected_under_18,
            _ => self.it.not_verified,
        }
    }
}

/// Reads the sections for `customer`.
pub(crate) async fn section(
    state: &AppState,
    customer: CustomerId,
    page: &Page,
    headers: &HeaderMap,
    error: Option<&'static str>,
    name_typed: String,
) -> Result<IdentitySection, ApiError> {
    let real_name = match state.app.real_name(customer).await {
        Ok(r) => Some(r),
        Err(AppError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let device = browser_device(headers);
    let zone = BusinessZone::shanghai();
    let devices = state
        .app
        .devices(customer, Some(&device.hint))
        .await?
        .into_iter()
        .map(|d| DeviceRow {
            last_login: d
                .last_seen
                .to_zoned(zone.time_zone().clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string(),
            id: d.id,
            name: d.name,
            current: d.current,
        })
        .collect();
    Ok(IdentitySection {
        it: page.lang.identity_texts(),
        real_name,
        error,
        name_typed,
        devices,
    })
}

/// The real-name form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RealNameForm {
    name: String,
    resident_id: String,
}

/// `POST /app/me/real-name`: gives or corrects the details.
pub(crate) async fn set_real_name(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<RealNameForm>,
) -> Result<Response, ApiError> {
    let it = page.lang.identity_texts();
    let refusal = match state
        .app
        .set_real_name(session.customer_id(), &form.name, &form.resident_id)
        .await
    {
        Ok(_) => return Ok(Redirect::to(ME_PATH).into_response()),
        Err(AppError::Customer(c)) => match c {
            CustomerError::RealNameEmpty
            | CustomerError::RealNameTooLong { .. }
            | CustomerError::RealNameInvalidCharacter => it.err_name,
            CustomerError::ResidentIdWrongLength { .. }
            | CustomerError::ResidentIdNotDigits
            | CustomerError::ResidentIdBadBirthDate
            | CustomerError::ResidentIdChecksumMismatch => it.err_resident_id,
            CustomerError::ResidentIdInUse => it.err_id_in_use,
            other => return Err(AppError::Customer(other).into()),
        },
        Err(e) => return Err(e.into()),
    };
    let typed: String = form.name.trim().chars().take(64).collect();
    let body = me_page(&state, &session, page, &headers, Some(refusal), typed).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
}

/// `POST /app/me/devices/{id}/sign-out`: signs one of the customer's devices out.
pub(crate) async fn sign_out_device(
    session: PageSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<super::app_home::Empty>,
) -> Result<Redirect, ApiError> {
    state.app.remove_device(session.customer_id(), &id).await?;
    Ok(Redirect::to(ME_PATH))
}
