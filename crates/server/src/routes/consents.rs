//! PIPL consents under `/v1/me/consents` (docs/identity.md, "Consents"): the customer's own, read,
//! granted and withdrawn by the customer only.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cardlife_app::consents::{
    CONSENT_TEXT_VERSION, ConsentEnd, ConsentGrant, Consents, consent_kind,
};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::CustomerSession;
use crate::extract::JsonBody;
use crate::problem::{ApiError, Problem};

/// A consent the customer gives.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConsentRequest {
    /// `marketing`, `sensitive_personal_information` or `third_party_sharing`.
    kind: String,
    /// The version of the consent text the customer read: the published one (1).
    text_version: u32,
}

/// One grant, in force or ended.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GrantView {
    kind: &'static str,
    text_version: u32,
    /// RFC 3339.
    granted_at: String,
    /// `withdrawn` or `superseded`, when it ended.
    ended: Option<&'static str>,
    /// RFC 3339, when it ended.
    ended_at: Option<String>,
}

/// The customer's consents: the kinds in force, and every grant ever given.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ConsentsView {
    in_force: Vec<&'static str>,
    history: Vec<GrantView>,
}

fn view(consents: &Consents, now: jiff::Timestamp) -> ConsentsView {
    let grant = |g: &ConsentGrant| GrantView {
        kind: g.kind.code(),
        text_version: g.text_version.0,
        granted_at: g.granted_at.to_string(),
        ended: g.ended.map(|e| match e {
            ConsentEnd::Withdrawn(_) => "withdrawn",
            ConsentEnd::Superseded(_) => "superseded",
        }),
        ended_at: g.ended.map(|e| e.at().to_string()),
    };
    ConsentsView {
        in_force: cardlife_app::consents::ConsentKind::ALL
            .into_iter()
            .filter(|k| consents.may_use(*k, now))
            .map(|k| k.code())
            .collect(),
        history: consents.history().iter().map(grant).collect(),
    }
}

/// The customer's consents. Nothing is in force until the customer grants it.
#[utoipa::path(get, path = "/v1/me/consents", tag = "customers",
    responses(
        (status = 200, description = "In force and history", body = ConsentsView),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn list(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<ConsentsView>, ApiError> {
    let consents = state.app.consents(session.customer_id()).await?;
    Ok(Json(view(&consents, state.app.clock().now())))
}

/// Grants a consent for the published text (a new grant supersedes the one in force).
#[utoipa::path(post, path = "/v1/me/consents", tag = "customers",
    request_body = ConsentRequest,
    responses(
        (status = 201, description = "Granted", body = ConsentsView),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_BODY: unknown kind, or not the published text version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn grant(
    session: CustomerSession,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ConsentRequest>,
) -> Result<(StatusCode, Json<ConsentsView>), ApiError> {
    let kind = consent_kind(&body.kind).ok_or_else(|| ApiError::InvalidBody {
        detail: format!(
            "kind {:?}: expected marketing, sensitive_personal_information or third_party_sharing",
            body.kind
        ),
    })?;
    if body.text_version != CONSENT_TEXT_VERSION.0 {
        return Err(ApiError::InvalidBody {
            detail: format!(
                "text_version {}: the published consent text is version {}",
                body.text_version, CONSENT_TEXT_VERSION.0
            ),
        });
    }
    let consents = state.app.grant_consent(session.customer_id(), kind).await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&consents, state.app.clock().now())),
    ))
}

/// Withdraws a consent in force.
#[utoipa::path(delete, path = "/v1/me/consents/{kind}", tag = "customers",
    params(("kind" = String, Path, description = "the consent kind")),
    responses(
        (status = 200, description = "Withdrawn", body = ConsentsView),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "CONSENT_REQUIRED: it is not in force", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND: no such kind", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn withdraw(
    session: CustomerSession,
    State(state): State<AppState>,
    Path(kind): Path<String>,
) -> Result<Json<ConsentsView>, ApiError> {
    let kind = consent_kind(&kind).ok_or(ApiError::NoRoute)?;
    let consents = state
        .app
        .withdraw_consent(session.customer_id(), kind)
        .await?;
    Ok(Json(view(&consents, state.app.clock().now())))
}

/// The consents part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list, grant, withdraw),
    components(schemas(ConsentRequest, GrantView, ConsentsView))
)]
pub(crate) struct ConsentsApi;
