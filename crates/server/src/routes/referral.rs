//! Referral under `/v1/me/referral` (docs/rewards.md, "Referral"): the logged-in customer's invite
//! code, share link and invitees, and binding to an inviter's code ([`CustomerSession`]; a
//! customer sees only their own). Both sides are rewarded in points on the invitee's first card
//! payment of 100.00 CNY or more, unless the same device was seen on both.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use cardlife_app::rewards::referral::ReferralView;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::CustomerSession;
use crate::extract::JsonBody;
use crate::problem::{ApiError, Problem};

/// The header carrying the app's device fingerprint (optional).
const DEVICE_HEADER: &str = "x-device-id";

/// Someone the customer invited.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct InviteeOut {
    /// `pending` (no qualifying payment yet), `rewarded` or `refused`.
    state: String,
    /// Why it was refused (`same_device`).
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// The customer's referral.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReferralOut {
    /// The invite code: 10 characters (Crockford base 32).
    code: String,
    /// The share link.
    link: String,
    /// The people the customer invited, oldest first (no names: only where each stands).
    invited: Vec<InviteeOut>,
    /// The customer's own binding's state, if someone invited them.
    #[serde(skip_serializing_if = "Option::is_none")]
    invited_by: Option<String>,
}

impl From<ReferralView> for ReferralOut {
    fn from(v: ReferralView) -> Self {
        Self {
            code: v.code,
            link: v.link,
            invited: v
                .invited
                .into_iter()
                .map(|i| InviteeOut {
                    state: i.state,
                    reason: i.reason,
                })
                .collect(),
            invited_by: v.invited_by,
        }
    }
}

/// A code to bind to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Binding {
    /// The inviter's code (case-insensitive; `O` reads as 0, `I` and `L` as 1).
    code: String,
}

fn device(headers: &HeaderMap) -> Option<String> {
    headers
        .get(DEVICE_HEADER)
        .map(|v| v.to_str().unwrap_or("\u{0}").to_owned())
}

/// The customer's invite code, link and invitees (issuing the code on first use).
#[utoipa::path(get, path = "/v1/me/referral", tag = "rewards", security(("session" = [])),
    params(("X-Device-Id" = Option<String>, Header, description = "The app's device fingerprint (1–128 visible ASCII), noted for the abuse check")),
    responses(
        (status = 200, description = "The referral", body = ReferralOut),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_TERMS (a malformed device fingerprint)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn mine(
    session: CustomerSession,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<ReferralOut>, ApiError> {
    let device = device(&headers);
    Ok(Json(
        state
            .app
            .my_referral(session.customer_id(), device.as_deref())
            .await?
            .into(),
    ))
}

/// Binds the customer to an inviter's code: once, not to oneself nor to someone one invited.
#[utoipa::path(post, path = "/v1/me/referral/binding", tag = "rewards", security(("session" = [])),
    request_body = Binding,
    params(("X-Device-Id" = Option<String>, Header, description = "The app's device fingerprint")),
    responses(
        (status = 201, description = "Bound; both sides are rewarded on the first qualifying payment", body = ReferralOut),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND: no such code", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "ALREADY_REFERRED; nothing changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "SELF_REFERRAL, INVALID_TERMS; nothing changed", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn bind(
    session: CustomerSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Binding>,
) -> Result<(StatusCode, Json<ReferralOut>), ApiError> {
    let device = device(&headers);
    let view = state
        .app
        .bind_referral(session.customer_id(), &body.code, device.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// The referral part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(mine, bind),
    components(schemas(ReferralOut, InviteeOut, Binding))
)]
pub(crate) struct ReferralApi;
