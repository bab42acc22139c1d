//! The black-box harness: a router on a random port over a fresh store — SQLite always, and
//! PostgreSQL when `CARDLIFE_TEST_DATABASE_URL` is set — with a fake clock and the development
//! SMS outbox, driven over HTTP as a client would.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod credit;
pub mod merchant;

use std::sync::{Arc, OnceLock};

use cardlife_app::App;
use cardlife_app::credit::CardKeys;
use cardlife_app::customers::{DevOutbox, IdentityConfig, PasswordHashParams};
use cardlife_app::merchants::WebhookDestinations;
use cardlife_kernel::{FakeClock, Secret};
use cardlife_server::{ServerConfig, router, serve};
use cardlife_store::db::with_database;
use cardlife_store::{Db, LedgerService};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

pub const INTERNAL_TOKEN: &str = "test-internal-token-0123456789abcdef";

/// The recorder is process-global: install it once per test binary.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .install_recorder()
                .expect("install the recorder")
        })
        .clone()
}

/// A running server over its own store.
pub struct TestServer {
    pub base: String,
    /// The store's URL (a restart opens the same store).
    pub url: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub clock: FakeClock,
    pub outbox: Arc<DevOutbox>,
    pub backend: &'static str,
    /// The application the router serves (for jobs no route runs: the periodic sweeps).
    pub app: App,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL admin URL and database name, to drop the database afterwards.
    admin: Option<(String, String)>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.admin.take() else {
            return;
        };
        // Drop the test's database from a thread of its own: the test's runtime is ending.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                }
            });
        })
        .join();
    }
}

/// One server per backend this run can test.
pub async fn servers() -> Vec<TestServer> {
    let mut all = vec![spawn_sqlite().await];
    if let Ok(url) = std::env::var("CARDLIFE_TEST_DATABASE_URL") {
        all.push(spawn_postgres(&url).await);
    }
    all
}

pub async fn spawn_sqlite() -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/test.db", dir.path().display());
    spawn_on(&url, Some(dir)).await
}

pub async fn spawn_postgres(admin_url: &str) -> TestServer {
    let name = format!("cardlife_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = PgConnection::connect(admin_url).await.unwrap();
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let mut server = spawn_on(&with_database(admin_url, &name), None).await;
    server.admin = Some((admin_url.to_owned(), name));
    server
}

async fn spawn_on(url: &str, dir: Option<tempfile::TempDir>) -> TestServer {
    spawn_on_with(url, dir, false).await
}

/// One server per backend, paying QR and pay-code orders by the payer's credit card as
/// `cardlife serve` does (docs/merchants.md). The other helpers keep the ledger-only funding
/// for tests whose payers hold no credit account.
#[allow(dead_code)]
pub async fn servers_paying_by_card() -> Vec<TestServer> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/test.db", dir.path().display());
    let mut all = vec![spawn_full(&url, Some(dir), false, true).await];
    servers_paying_by_card_after(all.pop().unwrap(), None).await
}

/// Wraps the card funding a server pays with (a test that interrupts payments).
pub type WrapFunding = fn(
    Arc<dyn cardlife_app::merchants::CardFunding>,
) -> Arc<dyn cardlife_app::merchants::CardFunding>;

/// [`servers_paying_by_card`] whose funding is wrapped by `wrap`.
#[allow(dead_code)]
pub async fn servers_paying_by_card_wrapped(wrap: WrapFunding) -> Vec<TestServer> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/test.db", dir.path().display());
    let first = spawn_wrapped(&url, Some(dir), false, true, Some(wrap)).await;
    servers_paying_by_card_after(first, Some(wrap)).await
}

async fn servers_paying_by_card_after(
    first: TestServer,
    wrap: Option<WrapFunding>,
) -> Vec<TestServer> {
    let mut all = vec![first];
    if let Ok(admin_url) = std::env::var("CARDLIFE_TEST_DATABASE_URL") {
        let name = format!("cardlife_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(&admin_url).await.unwrap();
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let mut server =
            spawn_wrapped(&with_database(&admin_url, &name), None, false, true, wrap).await;
        server.admin = Some((admin_url.clone(), name));
        all.push(server);
    }
    all
}

/// A server on a fresh SQLite store in development mode (`/dev/sms` mounted).
pub async fn spawn_sqlite_dev() -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/test.db", dir.path().display());
    spawn_on_with(&url, Some(dir), true).await
}

async fn spawn_on_with(url: &str, dir: Option<tempfile::TempDir>, dev: bool) -> TestServer {
    spawn_full(url, dir, dev, false).await
}

async fn spawn_full(
    url: &str,
    dir: Option<tempfile::TempDir>,
    dev: bool,
    pay_by_card: bool,
) -> TestServer {
    spawn_wrapped(url, dir, dev, pay_by_card, None).await
}

impl TestServer {
    /// A new process on this server's store, paying by card (a restart): its own ledger
    /// service, funding and fake clock (at the harness's start time); this one is left idle.
    #[allow(dead_code)]
    pub async fn restart(&self) -> TestServer {
        spawn_wrapped(&self.url, None, false, true, None).await
    }
}

async fn spawn_wrapped(
    url: &str,
    dir: Option<tempfile::TempDir>,
    dev: bool,
    pay_by_card: bool,
    wrap: Option<WrapFunding>,
) -> TestServer {
    spawn_with_rules(url, dir, (dev, pay_by_card), wrap, None).await
}

/// Certificates the webhook client trusts besides the system's: the TLS receivers' test CA.
pub fn test_webhook_roots() -> Vec<Vec<u8>> {
    TEST_WEBHOOK_ROOTS.get().cloned().unwrap_or_default()
}

/// Set once by a test binary that runs a TLS receiver, before it spawns servers.
pub static TEST_WEBHOOK_ROOTS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();

impl TestServer {
    /// Another server on this store (ledger-only funding, its own fake clock at the
    /// harness's start time) applying `rules` to webhook endpoints and deliveries.
    pub async fn with_webhook_rules(&self, rules: WebhookDestinations) -> TestServer {
        spawn_with_rules(&self.url, None, (false, false), None, Some(rules)).await
    }
}

async fn spawn_with_rules(
    url: &str,
    dir: Option<tempfile::TempDir>,
    (dev, pay_by_card): (bool, bool),
    wrap: Option<WrapFunding>,
    rules: Option<WebhookDestinations>,
) -> TestServer {
    let db = Db::open(url).await.unwrap();
    db.migrate().await.unwrap();
    let clock = FakeClock::new("2026-04-01T02:00:00Z".parse().unwrap());
    let shared = clock.shared();
    let ledger = LedgerService::start(&db, shared.clone()).await.unwrap();
    let outbox = Arc::new(DevOutbox::new(shared.clone()));
    let mut identity = IdentityConfig::random(outbox.clone());
    // Cheap hashing keeps the suite fast; production cost is tested in the customers crate.
    identity.password_params = PasswordHashParams::new(256, 1, 1);
    let mut merchants = cardlife_app::merchants::MerchantsConfig::random();
    merchants.password_params = PasswordHashParams::new(256, 1, 1);
    // Fixed, like the card keys, so a restart on the same store opens what was sealed before.
    merchants.seal_key = Secret::new([11; 32]);
    merchants.lookup_key = Secret::new([13; 32]);
    merchants.paycode_key = Secret::new([17; 32]);
    // Receivers in tests listen on 127.0.0.1 over http; the refusals are tested on servers
    // made by `with_webhook_rules`.
    merchants.webhook_destinations = rules.unwrap_or(WebhookDestinations::LOCAL);
    merchants.webhook_extra_roots = test_webhook_roots();
    let ledger_funding = Arc::new(cardlife_app::merchants::LedgerCardFunding::new(
        ledger.clone(),
    ));
    let mut app = App::new(db.clone(), ledger, shared)
        .with_identity(identity)
        .with_merchants(merchants)
        .with_credit(CardKeys::new([3; 32], [5; 32]))
        .await
        .unwrap();
    if !pay_by_card {
        app = app.with_card_funding(ledger_funding);
    }
    if let Some(wrap) = wrap {
        let funding = wrap(app.card_funding());
        app = app.with_card_funding(funding);
    }
    let mut config = ServerConfig::new(Secret::new(INTERNAL_TOKEN.to_owned())).unwrap();
    if dev {
        config = config.with_dev_outbox(outbox.clone());
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(
        listener,
        router(app.clone(), config, metrics_handle()),
        std::future::pending(),
    ));
    TestServer {
        base,
        url: url.to_owned(),
        client: reqwest::Client::new(),
        backend: db.backend(),
        app,
        db,
        clock,
        outbox,
        _dir: dir,
        admin: None,
    }
}

/// A registered, logged-in customer.
pub struct Customer {
    pub phone: String,
    pub password: String,
    pub token: String,
    pub id: String,
}

impl TestServer {
    /// Sends `method path` with an optional JSON body and bearer token; the status and the JSON
    /// answer (`Null` when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    /// The last code the outbox holds for `phone`.
    pub fn code_for(&self, phone: &str) -> String {
        self.outbox.latest_code(phone).expect("a code was sent")
    }

    /// Registers `phone` with a password through the API and returns the logged-in customer.
    pub async fn register(&self, phone: &str) -> Customer {
        let (status, _) = self
            .post("/v1/otp", None, serde_json::json!({ "phone": phone }))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let password = format!("pw-{phone}-secret");
        let (status, body) = self
            .post(
                "/v1/customers",
                None,
                serde_json::json!({ "phone": phone, "code": self.code_for(phone), "password": password }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        Customer {
            phone: phone.to_owned(),
            password,
            token: body["token"].as_str().unwrap().to_owned(),
            id: body["customer_id"].as_str().unwrap().to_owned(),
        }
    }

    /// Rows in `table` (to show a refused request wrote nothing).
    pub async fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        match &self.db {
            Db::Sqlite(pool) => sqlx::query_scalar(AssertSqlSafe(sql))
                .fetch_one(pool)
                .await
                .unwrap(),
            Db::Postgres(pool) => sqlx::query_scalar(AssertSqlSafe(sql))
                .fetch_one(pool)
                .await
                .unwrap(),
        }
    }
}
