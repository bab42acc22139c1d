//! The merchant portal's developer page (docs/web.md, "Merchant portal"; docs/merchants.md,
//! "Webhooks"): the active API keys (ids only), a rotation whose new secret is shown on the
//! answer page once, the webhook endpoint with its secret's fingerprint (a new secret, shown
//! once, each time it is set), and the latest webhook events with every delivery attempt.
//! Everything is scoped by the staff member's merchant.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cardlife_app::AppError;
use cardlife_app::merchants::KeyView;
use cardlife_app::merchants::webhooks::{WebhookEndpointView, WebhookEventView};
use serde::Deserialize;

use super::console_auth::Empty;
use super::csrf::CsrfForm;
use super::face_forms::{self, echo};
use super::page::Page;
use super::staff_session::MerchantPage;
use crate::AppState;
use crate::problem::ApiError;

/// Webhook events listed.
const EVENTS_SHOWN: u32 = 20;

/// A secret on the one page that ever shows it.
#[derive(Debug)]
pub(crate) struct OneTimeSecret {
    /// What it is for: `api_key` or `webhook`.
    kind: &'static str,
    /// The key id or the endpoint's fingerprint.
    label: String,
    secret: String,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "merchant/developer.html")]
pub(crate) struct DeveloperPage {
    page: Page,
    login: String,
    keys: Vec<KeyView>,
    webhook: Option<WebhookEndpointView>,
    events: Vec<WebhookEventView>,
    url: String,
    shown: Option<OneTimeSecret>,
    error: Option<String>,
}

/// The webhook form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WebhookForm {
    url: String,
}

fn failed(e: AppError) -> Response {
    ApiError::from(e).into_response()
}

async fn developer_page(
    state: &AppState,
    session: &MerchantPage,
    page: Page,
    url: String,
    shown: Option<OneTimeSecret>,
    error: Option<String>,
) -> Response {
    let app = &state.app;
    let merchant = session.staff.merchant;
    let read = async {
        let webhook = match app.webhook(merchant).await {
            Ok(w) => Some(w),
            Err(AppError::Merchants(cardlife_app::merchants::MerchantsError::NotFound(_))) => None,
            Err(e) => return Err(e),
        };
        Ok::<_, AppError>((
            app.merchant_keys(merchant).await?,
            webhook,
            app.webhook_events(merchant, EVENTS_SHOWN).await?,
        ))
    };
    let (keys, webhook, events) = match read.await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let url = if url.is_empty() {
        webhook.as_ref().map(|w| w.url.clone()).unwrap_or_default()
    } else {
        url
    };
    (
        status,
        DeveloperPage {
            page,
            login: session.staff.login.clone(),
            keys,
            webhook,
            events,
            url,
            shown,
            error,
        },
    )
        .into_response()
}

/// `GET /merchant/developer`.
pub(crate) async fn developer(
    session: MerchantPage,
    State(state): State<AppState>,
    page: Page,
) -> Response {
    developer_page(&state, &session, page, String::new(), None, None).await
}

/// `POST /merchant/developer/keys`: a new API key, its secret shown on this answer only.
pub(crate) async fn rotate_key(
    session: MerchantPage,
    State(state): State<AppState>,
    page: Page,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    match state.app.rotate_key(session.staff.merchant).await {
        Ok(issued) => {
            let shown = OneTimeSecret {
                kind: "api_key",
                label: issued.key_id,
                secret: issued.secret.expose_secret().clone(),
            };
            developer_page(&state, &session, page, String::new(), Some(shown), None).await
        }
        Err(e) => failed(e),
    }
}

/// `POST /merchant/developer/webhook`: sets the endpoint; the new secret is shown once.
pub(crate) async fn set_webhook(
    session: MerchantPage,
    State(state): State<AppState>,
    page: Page,
    CsrfForm(form): CsrfForm<WebhookForm>,
) -> Response {
    let url = form.url.trim().to_owned();
    match state.app.set_webhook(session.staff.merchant, &url).await {
        Ok(issued) => {
            let shown = OneTimeSecret {
                kind: "webhook",
                label: issued.fingerprint,
                secret: issued.secret.expose_secret().clone(),
            };
            developer_page(&state, &session, page, issued.url, Some(shown), None).await
        }
        Err(e) => match face_forms::refusal(page.f, &e) {
            Some(message) => {
                let echoed = echo(&url, 512);
                developer_page(&state, &session, page, echoed, None, Some(message)).await
            }
            None => failed(e),
        },
    }
}
