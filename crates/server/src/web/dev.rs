//! `/dev/sms`: the development outbox, listing the one-time codes sent (newest first), since
//! codes are never written to logs. Mounted only when the server runs in development mode
//! ([`crate::ServerConfig::with_dev_outbox`]); otherwise the path does not exist (docs/web.md,
//! "Development SMS page").

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use cardlife_app::customers::DevOutbox;
use cardlife_kernel::BusinessZone;

use super::page::Page;
use crate::AppState;
use crate::auth::Public;

/// One row of the page.
#[derive(Debug)]
pub(crate) struct Row {
    phone_masked: String,
    code: String,
    sent_at: String,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "dev/sms.html")]
pub(crate) struct SmsPage {
    page: Page,
    rows: Vec<Row>,
}

/// The development routes over `outbox`.
pub(crate) fn routes(outbox: Arc<DevOutbox>) -> Router<AppState> {
    Router::new().route("/dev/sms", get(sms).with_state(outbox))
}

/// `GET /dev/sms`.
async fn sms(_: Public, State(outbox): State<Arc<DevOutbox>>, page: Page) -> SmsPage {
    let zone = BusinessZone::shanghai();
    let rows = outbox
        .messages()
        .into_iter()
        .map(|m| Row {
            phone_masked: m.phone_masked,
            code: m.code,
            sent_at: m
                .sent_at
                .to_zoned(zone.time_zone().clone())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string(),
        })
        .collect();
    SmsPage { page, rows }
}
