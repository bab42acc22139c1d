//! Merchant webhooks (docs/merchants.md, "Webhooks"): the merchant sets its endpoint (the secret
//! is answered once), reads it back (a fingerprint, never the secret) and lists its events with
//! every delivery attempt; the delivery job takes the [`InternalKey`].

use axum::Json;
use axum::extract::State;
use cardlife_app::merchants::webhooks::{
    DeliveryReport, EVENT_PAGE_MAX, WebhookAttemptView, WebhookEndpointView, WebhookEventView,
    WebhookIssued,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::AppState;
use crate::auth::{InternalKey, MerchantKey};
use crate::extract::QueryParams;
use crate::problem::{ApiError, Problem};

/// Where to send events.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookIn {
    /// An absolute `http` or `https` URL, at most 512 characters, without credentials.
    url: String,
}

/// An endpoint just set. `secret` is shown here once: store it; only its fingerprint is shown
/// afterwards. The HMAC key is the secret's UTF-8 bytes.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookIssuedOut {
    url: String,
    secret: String,
    fingerprint: String,
}

impl From<WebhookIssued> for WebhookIssuedOut {
    fn from(w: WebhookIssued) -> Self {
        Self {
            url: w.url,
            secret: w.secret.expose_secret().clone(),
            fingerprint: w.fingerprint,
        }
    }
}

/// The merchant's endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookOut {
    url: String,
    /// The first 16 hex digits of the secret's SHA-256.
    fingerprint: String,
    updated_at: String,
}

impl From<WebhookEndpointView> for WebhookOut {
    fn from(w: WebhookEndpointView) -> Self {
        Self {
            url: w.url,
            fingerprint: w.fingerprint,
            updated_at: w.updated_at.to_string(),
        }
    }
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookAttemptOut {
    number: i64,
    at: String,
    /// The HTTP status answered; null when the endpoint did not answer.
    status: Option<i64>,
    error: Option<String>,
    duration_ms: i64,
}

impl From<WebhookAttemptView> for WebhookAttemptOut {
    fn from(a: WebhookAttemptView) -> Self {
        Self {
            number: a.number,
            at: a.at.to_string(),
            status: a.status,
            error: a.error,
            duration_ms: a.duration_ms,
        }
    }
}

/// One event and its delivery.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookEventOut {
    /// `evt_<32 hex>`: deduplicate on it.
    id: String,
    /// `order.paid`, `order.refunded`, `settlement.completed`.
    #[serde(rename = "type")]
    event_type: String,
    /// `pending`, `delivered` or `dead` (attempts exhausted).
    state: String,
    created_at: String,
    next_attempt_at: Option<String>,
    done_at: Option<String>,
    /// The JSON body sent, as sent.
    payload: String,
    attempts: Vec<WebhookAttemptOut>,
}

impl From<WebhookEventView> for WebhookEventOut {
    fn from(e: WebhookEventView) -> Self {
        Self {
            id: e.id,
            event_type: e.event_type,
            state: e.state,
            created_at: e.created_at.to_string(),
            next_attempt_at: e.next_attempt_at.map(|t| t.to_string()),
            done_at: e.done_at.map(|t| t.to_string()),
            payload: e.payload,
            attempts: e
                .attempts
                .into_iter()
                .map(WebhookAttemptOut::from)
                .collect(),
        }
    }
}

/// How many events.
#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct EventsQuery {
    /// 1–100, default 50.
    limit: Option<u32>,
}

/// What a delivery run did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeliveryOut {
    delivered: u32,
    retrying: u32,
    dead: u32,
}

impl From<DeliveryReport> for DeliveryOut {
    fn from(r: DeliveryReport) -> Self {
        Self {
            delivered: r.delivered,
            retrying: r.retrying,
            dead: r.dead,
        }
    }
}

/// Sets (or replaces) the endpoint; the answer carries the new secret, once.
#[utoipa::path(put, path = "/v1/merchant/webhook", tag = "merchants", request_body = WebhookIn,
    responses((status = 200, body = WebhookIssuedOut),
        (status = 422, description = "INVALID_FIELD: the URL", body = Problem, content_type = "application/problem+json")),
    security(("merchant_signature" = [])))]
pub(crate) async fn set(
    State(state): State<AppState>,
    key: MerchantKey,
) -> Result<Json<WebhookIssuedOut>, ApiError> {
    let b: WebhookIn = key.json()?;
    Ok(Json(
        state.app.set_webhook(key.merchant(), &b.url).await?.into(),
    ))
}

/// The endpoint (its secret's fingerprint, never the secret).
#[utoipa::path(get, path = "/v1/merchant/webhook", tag = "merchants",
    responses((status = 200, body = WebhookOut),
        (status = 404, description = "NOT_FOUND: no endpoint set", body = Problem, content_type = "application/problem+json")),
    security(("merchant_signature" = [])))]
pub(crate) async fn get(
    State(state): State<AppState>,
    key: MerchantKey,
) -> Result<Json<WebhookOut>, ApiError> {
    Ok(Json(state.app.webhook(key.merchant()).await?.into()))
}

/// The merchant's newest events, each with its delivery attempts.
#[utoipa::path(get, path = "/v1/merchant/webhook-events", tag = "merchants", params(EventsQuery),
    responses((status = 200, body = [WebhookEventOut])), security(("merchant_signature" = [])))]
pub(crate) async fn events(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<EventsQuery>,
    key: MerchantKey,
) -> Result<Json<Vec<WebhookEventOut>>, ApiError> {
    let limit = q.limit.unwrap_or(50).min(EVENT_PAGE_MAX);
    let rows = state.app.webhook_events(key.merchant(), limit).await?;
    Ok(Json(rows.into_iter().map(WebhookEventOut::from).collect()))
}

/// Attempts every due event once (also run every few seconds by `cardlife serve`).
#[utoipa::path(post, path = "/v1/internal/webhooks/deliver", tag = "merchants",
    security(("internal_token" = [])),
    responses((status = 200, description = "What the run did", body = DeliveryOut)))]
pub(crate) async fn deliver(
    _: InternalKey,
    State(state): State<AppState>,
) -> Result<Json<DeliveryOut>, ApiError> {
    Ok(Json(state.app.deliver_webhooks().await?.into()))
}

/// The webhooks part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(set, get, events, deliver),
    components(schemas(
        WebhookIn,
        WebhookIssuedOut,
        WebhookOut,
        WebhookAttemptOut,
        WebhookEventOut,
        DeliveryOut
    ))
)]
pub(crate) struct WebhooksApi;
