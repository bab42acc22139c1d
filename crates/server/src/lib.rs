//! The cardlife HTTP server. `server` owns the edge: parsing requests into domain types,
//! authentication, the mapping of every error to a stable `application/problem+json` code, the
//! OpenAPI document, health and metrics. It talks to `cardlife-app` only, never to the store.
//!
//! - [`router`] wires the routes and the middleware stack; [`serve`] runs it until shutdown.
//! - `auth`: the [`InternalKey`] and [`Public`] extractors every route declares.
//! - `idempotent`: `Idempotency-Key` handling of money-moving requests.
//! - `auth_operator`, `auth_merchant`: the [`OperatorSession`] and [`MerchantKey`] extractors.
//! - `problem`: [`ApiError`] and its exhaustive mapping to problem+json.
//! - `extract`: body, path and query extractors whose rejections are problems too.
//! - `dto`: the wire types (UUID strings, flag names, integer amounts) and their parsing.
//! - `web`: the server-rendered pages (cardholder app, development SMS page) and their assets.
//! - `routes`: the handlers; `middleware`: request ids, metrics, time limit; `openapi`: the
//!   document.

mod auth;
mod auth_merchant;
mod auth_operator;
mod credit_dto;
mod dto;
mod extract;
mod idempotent;
mod middleware;
mod openapi;
mod problem;
mod problem_installments;
mod problem_merchants;
mod problem_rewards;
mod recorder;
mod routes;
mod web;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use cardlife_app::App;
use cardlife_app::customers::DevOutbox;
use cardlife_kernel::{AheadClock, Secret};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;

pub use auth::{CustomerSession, InternalKey, Public, SESSION_COOKIE};
pub use auth_merchant::MerchantKey;
pub use auth_operator::OperatorSession;
pub use idempotent::{IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED};
pub use openapi::ApiDoc;
pub use problem::{ApiError, Problem};
pub use recorder::{UPKEEP_EVERY, install_recorder};

/// The largest request body, in bytes. A full batch of [`cardlife_app::ledger::BATCH_MAX`]
/// transfers with every field at its longest is about 4.5 MB of compact JSON, so the limit
/// leaves room for one more than a full batch (which then answers `BATCH_TOO_LARGE`, not 413).
pub const BODY_LIMIT_BYTES: usize = 8 * 1024 * 1024;
/// How long one request may take before it answers 503 `TIMEOUT`.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The shortest internal token accepted, in bytes (`openssl rand -hex 32` gives 64).
pub const INTERNAL_TOKEN_LEN_MIN: usize = 32;

/// How the server is configured. Built with [`ServerConfig::new`], which refuses a weak token.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    internal_token: Secret<String>,
    body_limit_bytes: usize,
    request_timeout: Duration,
    /// Development mode: the outbox `/dev/sms` shows (docs/web.md).
    dev_outbox: Option<Arc<DevOutbox>>,
    /// Development mode: the clock `POST /dev/clock` moves ahead (docs/web.md).
    dev_clock: Option<AheadClock>,
}

/// Why a [`ServerConfig`] was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The internal token is too short to resist guessing.
    #[error("the internal token must be at least {min} bytes, got {got}")]
    InternalTokenTooShort {
        /// [`INTERNAL_TOKEN_LEN_MIN`].
        min: usize,
        /// The length given.
        got: usize,
    },
}

impl ServerConfig {
    /// A configuration with the default limits ([`BODY_LIMIT_BYTES`], [`REQUEST_TIMEOUT`]).
    /// `internal_token` is the bearer token of the internal `/v1/ledger` API.
    pub fn new(internal_token: Secret<String>) -> Result<Self, ConfigError> {
        let got = internal_token.expose_secret().len();
        if got < INTERNAL_TOKEN_LEN_MIN {
            return Err(ConfigError::InternalTokenTooShort {
                min: INTERNAL_TOKEN_LEN_MIN,
                got,
            });
        }
        Ok(Self {
            internal_token,
            body_limit_bytes: BODY_LIMIT_BYTES,
            request_timeout: REQUEST_TIMEOUT,
            dev_outbox: None,
            dev_clock: None,
        })
    }

    /// The same configuration with another body limit, in bytes.
    #[must_use]
    pub fn with_body_limit_bytes(self, body_limit_bytes: usize) -> Self {
        Self {
            body_limit_bytes,
            ..self
        }
    }

    /// The same configuration with another request time limit.
    #[must_use]
    pub fn with_request_timeout(self, request_timeout: Duration) -> Self {
        Self {
            request_timeout,
            ..self
        }
    }

    /// The same configuration in development mode: the `/dev/sms` page lists the one-time codes
    /// `outbox` holds. Never in production (the binary sets it for `CARDLIFE_DEV=1` only).
    #[must_use]
    pub fn with_dev_outbox(self, outbox: Arc<DevOutbox>) -> Self {
        Self {
            dev_outbox: Some(outbox),
            ..self
        }
    }

    /// The same configuration with a development clock: `POST /dev/clock` (internal token)
    /// moves `clock` ahead by whole days. Never in production (the binary sets it for
    /// `CARDLIFE_DEV=1` only).
    #[must_use]
    pub fn with_dev_clock(self, clock: AheadClock) -> Self {
        Self {
            dev_clock: Some(clock),
            ..self
        }
    }

    /// Whether the server runs in development mode.
    pub fn dev_mode(&self) -> bool {
        self.dev_outbox.is_some()
    }

    /// The largest request body, in bytes.
    pub fn body_limit_bytes(&self) -> usize {
        self.body_limit_bytes
    }

    /// How long one request may take.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }
}

/// What every handler can reach: one shared allocation, so the router's clone of the state for
/// each request and extractor is one reference count, not one per service the app holds
/// (docs/benchmarks.md, "flash-sale").
#[derive(Clone)]
pub(crate) struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The state's fields.
pub(crate) struct Shared {
    pub(crate) app: App,
    pub(crate) internal_token: Arc<Secret<String>>,
    pub(crate) body_limit_bytes: usize,
    pub(crate) metrics: PrometheusHandle,
    pub(crate) openapi: Arc<utoipa::openapi::OpenApi>,
}

/// The whole HTTP API. `metrics` renders `/metrics`; the caller installs the recorder it
/// belongs to (it is process-global), so the router never does.
pub fn router(app: App, config: ServerConfig, metrics: PrometheusHandle) -> Router {
    middleware::describe_metrics();
    let state = AppState(Arc::new(Shared {
        app,
        internal_token: Arc::new(config.internal_token.clone()),
        body_limit_bytes: config.body_limit_bytes,
        metrics,
        openapi: Arc::new(openapi::document()),
    }));
    let mut routes = routes::routes().merge(web::routes(config.dev_outbox.clone()));
    if let Some(clock) = config.dev_clock.clone() {
        routes = routes.merge(routes::dev_clock::routes(clock));
    }
    let routes = routes.with_state(state);
    middleware::wrap(routes, &config)
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting connections
/// and lets the requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_short_internal_token_is_refused() {
        let err = ServerConfig::new(Secret::new("short".to_owned())).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::InternalTokenTooShort {
                min: INTERNAL_TOKEN_LEN_MIN,
                got: 5
            }
        ));
    }

    #[test]
    fn the_config_debug_output_masks_the_token() {
        let config = ServerConfig::new(Secret::new("x".repeat(40))).unwrap();
        assert!(!format!("{config:?}").contains("xxxx"));
    }
}
