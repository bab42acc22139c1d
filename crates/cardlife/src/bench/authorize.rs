//! The `authorize` case (docs/benchmarks.md): card authorisations over HTTP, open-loop arrivals,
//! durable, against the obvious PostgreSQL implementation in the same run.
//!
//! - **Ours**: the real router over a fresh embedded store (or `--database-url`); N credit
//!   accounts with one card each opened through the app's use cases (setup, not timed); then
//!   `POST /v1/internal/credit/authorisations` `{card_number, amount_fen}` with the internal
//!   token and an `Idempotency-Key`, the card and amount drawn from a fixed seed per request.
//! - **Load**: the shared open-loop generator (`open_loop`): one run at a fixed rate
//!   ([`Plan::fixed_rate`], 5,000/s), then rising rates until a step misses p99 ≤
//!   [`P99_SLO_MS`].
//! - **Baseline**: an axum endpoint of this module doing `BEGIN; SELECT … FOR UPDATE; check
//!   available; UPDATE; INSERT; COMMIT` per request on PostgreSQL (`--database-url`, else
//!   127.0.0.1:5432; skipped with the reason when neither answers), the same generator at the
//!   same rates.
//! - **Checks**: every 201 is a pending authorisation of the amount asked; per account the
//!   pending amount equals the sum of its 201s and the available credit is not negative; the
//!   ledger check passes; every 201 is stored under its idempotency key. The baseline's held sums equal its inserted rows, within each limit.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use cardlife_app::App;
use cardlife_app::credit::{CardKeys, OpenCreditAccount};
use cardlife_kernel::{Secret, SharedClock, SystemClock};
use cardlife_store::db::with_database;
use cardlife_store::{Db, LedgerService};
use serde::Deserialize;
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};

use super::env::Stores;
use super::ladder::{self, Ladder, Report};
use super::open_loop::{self, Outcome, Run};
use super::{Machine, Options};

/// The latency objective of the rate search.
pub const P99_SLO_MS: f64 = 10.0;
/// Requests in flight at most.
const IN_FLIGHT_MAX: usize = 1_024;
/// Each account's credit limit, fen (5,000.00 CNY: the longest runs reach it, so some
/// authorisations are declined).
const LIMIT_FEN: i64 = 500_000;
/// PostgreSQL tried for the baseline when no `--database-url` is given.
pub(super) const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Connections of the baseline's pool.
const BASELINE_POOL: u32 = 32;
/// The internal token of the server under test.
const TOKEN: &str = "bench-internal-token-0123456789abcdefghijklmnop";

/// Sizes of one run.
#[derive(Debug, Clone)]
struct Plan {
    accounts: usize,
    ladder: Ladder,
}

impl Plan {
    fn new(quick: bool) -> Self {
        let ladder = if quick {
            Ladder {
                fixed_rate: 1_000.0,
                fixed_seconds: 1.0,
                rates: vec![500.0, 1_000.0],
                step_seconds: 1.0,
                step_requests_min: 0,
            }
        } else {
            Ladder {
                fixed_rate: 5_000.0,
                fixed_seconds: 5.0,
                rates: vec![
                    1_000.0, 2_000.0, 5_000.0, 10_000.0, 15_000.0, 20_000.0, 30_000.0,
                ],
                step_seconds: 3.0,
                step_requests_min: 300,
            }
        };
        Self {
            accounts: if quick { 100 } else { 2_000 },
            ladder,
        }
    }
}

/// A 64-bit mix of `x` (splitmix64), for the seeded card and amount of request `i`.
pub(super) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Request `i` of run `salt`: which account, how many fen (1.00–100.00 CNY).
fn draw(salt: u64, i: u64, accounts: usize) -> (usize, i64) {
    let r = mix(salt.wrapping_mul(1_000_003) ^ i);
    let account = (r % accounts as u64) as usize;
    let amount = 100 + ((r >> 32) % 9_901) as i64;
    (account, amount)
}

/// A 16-digit card number with a valid Luhn check digit for account `i`.
pub(super) fn card_number(i: usize) -> String {
    let body = format!("622588{i:09}");
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(k, b)| {
            let d = u32::from(b - b'0');
            if k % 2 == 0 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// Opens one credit account with card `cards[i]` for each of `customers` through the app's
/// use case, 32 at a time (setup, not timed); the account ids, in order.
pub(super) async fn open_accounts(
    app: &App,
    customers: &[cardlife_kernel::CustomerId],
    cards: &[String],
    limit_fen: i64,
) -> anyhow::Result<Vec<uuid::Uuid>> {
    let mut accounts = Vec::with_capacity(customers.len());
    for (c, chunk) in customers.chunks(32).enumerate() {
        let mut set = tokio::task::JoinSet::new();
        for (k, customer) in chunk.iter().enumerate() {
            let app = app.clone();
            let cmd = OpenCreditAccount {
                customer_id: *customer,
                product: serde_json::json!({}),
                credit_limit_fen: limit_fen,
                card_number: Secret::new(cards[c * 32 + k].clone()),
                card_expires: "2035-12".to_owned(),
            };
            set.spawn(async move { (c * 32 + k, app.credit_open_account(cmd).await) });
        }
        let mut opened: Vec<(usize, uuid::Uuid)> = Vec::with_capacity(chunk.len());
        while let Some(done) = set.join_next().await {
            let (i, account) = done?;
            opened.push((i, account?.id));
        }
        opened.sort_unstable();
        accounts.extend(opened.into_iter().map(|(_, id)| id));
    }
    Ok(accounts)
}

/// What a run's 201s were: (account index, amount, authorisation id).
type Granted = Arc<Mutex<Vec<(usize, i64, uuid::Uuid)>>>;

/// Our side: the real server over a fresh store, N accounts with cards.
struct Ours {
    app: App,
    db: Db,
    ledger: LedgerService,
    url: Arc<str>,
    accounts: Vec<uuid::Uuid>,
    cards: Arc<Vec<String>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Ours {
    async fn start(db: &Db, n: usize) -> anyhow::Result<Self> {
        let clock: SharedClock = Arc::new(SystemClock);
        let ledger = LedgerService::start(db, clock.clone()).await?;
        let app = App::new(db.clone(), ledger.clone(), clock)
            .with_credit(CardKeys::new([3; 32], [5; 32]))
            .await?;
        let phones: Vec<String> = (0..n).map(|i| format!("137{i:08}")).collect();
        let customers = app.seed_customers(&phones).await?;
        let cards: Vec<String> = (0..n).map(card_number).collect();
        let ids: Vec<_> = customers.iter().map(|c| c.id).collect();
        let accounts = open_accounts(&app, &ids, &cards, LIMIT_FEN).await?;
        let config = cardlife_server::ServerConfig::new(Secret::new(TOKEN.to_owned()))?;
        let router = cardlife_server::router(app.clone(), config, super::metrics()?);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!(
            "http://{}/v1/internal/credit/authorisations",
            listener.local_addr()?
        );
        let server = tokio::spawn(cardlife_server::serve(
            listener,
            router,
            std::future::pending(),
        ));
        Ok(Self {
            app,
            db: db.clone(),
            ledger,
            url: Arc::from(url),
            accounts,
            cards: Arc::new(cards),
            server,
        })
    }

    /// One open-loop run; its 201s are added to `granted`.
    async fn run(
        &self,
        client: &reqwest::Client,
        salt: u64,
        rate: f64,
        seconds: f64,
        granted: &Granted,
    ) -> anyhow::Result<Run> {
        #[derive(Deserialize)]
        struct Answer {
            id: uuid::Uuid,
        }
        let (client, url, cards, granted) = (
            client.clone(),
            self.url.clone(),
            self.cards.clone(),
            granted.clone(),
        );
        let auth = format!("Bearer {TOKEN}");
        let n = cards.len();
        let send = move |i: u64| {
            let (account, amount) = draw(salt, i, n);
            let body = format!(
                r#"{{"card_number":"{}","amount_fen":{amount}}}"#,
                cards[account]
            );
            let request = client
                .post(&*url)
                .header(reqwest::header::AUTHORIZATION, auth.as_str())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("idempotency-key", format!("a{salt}-{i}"))
                .body(body);
            let granted = granted.clone();
            async move {
                let Ok(response) = request.send().await else {
                    return Outcome::Failed;
                };
                let status = response.status().as_u16();
                let Ok(bytes) = response.bytes().await else {
                    return Outcome::Failed;
                };
                match status {
                    201 => match serde_json::from_slice::<Answer>(&bytes) {
                        Ok(a) => {
                            granted
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push((account, amount, a.id));
                            Outcome::Done
                        }
                        Err(_) => Outcome::Failed,
                    },
                    422 => Outcome::Refused,
                    _ => Outcome::Failed,
                }
            }
        };
        open_loop::run(rate, Duration::from_secs_f64(seconds), IN_FLIGHT_MAX, send).await
    }

    /// The checks after every run (see the module's documentation).
    async fn check(&self, granted: &Granted) -> anyhow::Result<bool> {
        let granted = std::mem::take(&mut *granted.lock().unwrap_or_else(|p| p.into_inner()));
        let mut ok = true;
        let mut expected = vec![0i64; self.accounts.len()];
        for &(account, amount, id) in &granted {
            expected[account] += amount;
            let a = self.app.credit_authorisation(id.as_u128()).await?;
            if a.status != "pending"
                || a.amount.fen() != amount
                || a.account_id != self.accounts[account]
            {
                eprintln!(
                    "authorize check FAILED: authorisation {id} is {a:?}, expected a pending hold of {amount}"
                );
                ok = false;
            }
        }
        let mut ids: Vec<uuid::Uuid> = granted.iter().map(|g| g.2).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() != granted.len() {
            eprintln!("authorize check FAILED: two 201s named the same authorisation");
            ok = false;
        }
        for (i, id) in self.accounts.iter().enumerate() {
            let a = self.app.credit_account_any(*id).await?;
            if a.pending.fen() != expected[i] || a.available_credit.fen() < 0 {
                eprintln!(
                    "authorize check FAILED: account {i} pending {} (201s sum {}), available {}",
                    a.pending.fen(),
                    expected[i],
                    a.available_credit.fen()
                );
                ok = false;
            }
        }
        // Every 201 was stored under its key with the hold, in the same commit.
        let sql = "SELECT COUNT(*) FROM idempotency_keys WHERE scope = 'internal' AND status = 201";
        let (stored,): (i64,) = match &self.db {
            Db::Sqlite(pool) => sqlx::query_as(sql).fetch_one(pool).await?,
            Db::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await?,
        };
        if usize::try_from(stored).ok() != Some(granted.len()) {
            eprintln!(
                "authorize check FAILED: {stored} stored 201 answers for {} 201s",
                granted.len()
            );
            ok = false;
        }
        let report = self.ledger.reader().check().await?;
        for v in report.violations.iter().take(10) {
            eprintln!("authorize check FAILED: ledger: {v}");
        }
        Ok(ok && report.ok())
    }
}

/// A fresh PostgreSQL database for a baseline: `stores.baseline` when it is PostgreSQL, else a
/// new database on the default server (dropped by [`PgBaseline::stop`]); `Err(reason)` when
/// there is no PostgreSQL to run on.
pub(super) async fn fresh_pg(
    stores: &Stores,
    case: &str,
) -> Result<(PgPool, Option<(String, String)>), String> {
    match &stores.baseline {
        Db::Postgres(pool) => Ok((pool.clone(), None)),
        Db::Sqlite(_) => {
            let name = format!("cardlife_bench_{case}_{}", std::process::id());
            let mut admin = PgConnection::connect(DEFAULT_PG).await.map_err(|e| {
                format!("no --database-url and PostgreSQL at 127.0.0.1:5432 is down ({e})")
            })?;
            let _ = sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
                .execute(&mut admin)
                .await;
            sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .map_err(|e| e.to_string())?;
            let url = with_database(DEFAULT_PG, &name);
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(BASELINE_POOL)
                .connect(&url)
                .await
                .map_err(|e| e.to_string())?;
            Ok((pool, Some((DEFAULT_PG.to_owned(), name))))
        }
    }
}

/// Drops a database [`fresh_pg`] created.
pub(super) async fn drop_pg(pool: PgPool, created: Option<(String, String)>) {
    pool.close().await;
    if let Some((url, name)) = created
        && let Ok(mut admin) = PgConnection::connect(&url).await
    {
        let _ = sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await;
    }
}

#[derive(Deserialize)]
struct BaselineRequest {
    account: i64,
    amount_fen: i64,
}

/// The obvious way: one transaction per request, the account row locked.
async fn baseline_authorise(
    State(pool): State<PgPool>,
    headers: HeaderMap,
    Json(req): Json<BaselineRequest>,
) -> StatusCode {
    let Some(key) = headers.get("idempotency-key").and_then(|k| k.to_str().ok()) else {
        return StatusCode::BAD_REQUEST;
    };
    match baseline_txn(&pool, &req, key).await {
        Ok(true) => StatusCode::CREATED,
        Ok(false) => StatusCode::UNPROCESSABLE_ENTITY,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn baseline_txn(pool: &PgPool, req: &BaselineRequest, key: &str) -> sqlx::Result<bool> {
    let mut tx = pool.begin().await?;
    let (limit, held): (i64, i64) =
        sqlx::query_as("SELECT credit_limit, held FROM bench_accounts WHERE id = $1 FOR UPDATE")
            .bind(req.account)
            .fetch_one(&mut *tx)
            .await?;
    if limit - held < req.amount_fen {
        tx.rollback().await?;
        return Ok(false);
    }
    sqlx::query("UPDATE bench_accounts SET held = held + $2 WHERE id = $1")
        .bind(req.account)
        .bind(req.amount_fen)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO bench_authorisations (account_id, amount, idem_key) VALUES ($1, $2, $3)",
    )
    .bind(req.account)
    .bind(req.amount_fen)
    .bind(key)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

struct PgBaseline {
    pool: PgPool,
    created: Option<(String, String)>,
    url: Arc<str>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl PgBaseline {
    async fn start(stores: &Stores, accounts: usize) -> Result<Self, String> {
        let (pool, created) = fresh_pg(stores, "authorize").await?;
        let e = |e: sqlx::Error| e.to_string();
        for ddl in [
            "CREATE TABLE bench_accounts (id BIGINT PRIMARY KEY, credit_limit BIGINT NOT NULL, \
             held BIGINT NOT NULL DEFAULT 0)",
            "CREATE TABLE bench_authorisations (id BIGSERIAL PRIMARY KEY, \
             account_id BIGINT NOT NULL REFERENCES bench_accounts (id), amount BIGINT NOT NULL, \
             idem_key TEXT NOT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        ] {
            sqlx::query(ddl).execute(&pool).await.map_err(e)?;
        }
        sqlx::query(
            "INSERT INTO bench_accounts (id, credit_limit) SELECT g, $2 FROM generate_series(0, $1 - 1) g",
        )
        .bind(accounts as i64)
        .bind(LIMIT_FEN)
        .execute(&pool)
        .await
        .map_err(e)?;
        let router = axum::Router::new()
            .route("/authorisations", post(baseline_authorise))
            .with_state(pool.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let url = format!(
            "http://{}/authorisations",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        let server = tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(Self {
            pool,
            created,
            url: Arc::from(url),
            server,
        })
    }

    async fn run(
        &self,
        client: &reqwest::Client,
        salt: u64,
        rate: f64,
        seconds: f64,
        accounts: usize,
    ) -> anyhow::Result<Run> {
        let (client, url) = (client.clone(), self.url.clone());
        let send = move |i: u64| {
            let (account, amount) = draw(salt, i, accounts);
            let request = client
                .post(&*url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("idempotency-key", format!("b{salt}-{i}"))
                .body(format!(r#"{{"account":{account},"amount_fen":{amount}}}"#));
            async move {
                match request.send().await.map(|r| r.status().as_u16()) {
                    Ok(201) => Outcome::Done,
                    Ok(422) => Outcome::Refused,
                    _ => Outcome::Failed,
                }
            }
        };
        open_loop::run(rate, Duration::from_secs_f64(seconds), IN_FLIGHT_MAX, send).await
    }

    /// Held sums equal the inserted rows, within every limit, one row per 201.
    async fn check(&self, authorised: u64) -> anyhow::Result<bool> {
        let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM bench_authorisations")
            .fetch_one(&self.pool)
            .await?;
        let (bad,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM bench_accounts a LEFT JOIN \
             (SELECT account_id, SUM(amount)::BIGINT AS s FROM bench_authorisations GROUP BY account_id) x \
             ON x.account_id = a.id WHERE a.held <> COALESCE(x.s, 0) OR a.held > a.credit_limit",
        )
        .fetch_one(&self.pool)
        .await?;
        let ok = bad == 0 && u64::try_from(rows)? == authorised;
        if !ok {
            eprintln!(
                "authorize baseline check FAILED: {rows} rows for {authorised} 201s, {bad} accounts off"
            );
        }
        Ok(ok)
    }

    async fn stop(self) {
        self.server.abort();
        drop_pg(self.pool, self.created).await;
    }
}

/// Runs the case and prints its line. Returns whether every check held.
pub async fn run(opts: &Options, machine: Machine) -> anyhow::Result<bool> {
    let mut plan = Plan::new(opts.quick);
    if let Some(rates) = &opts.rates {
        plan.ladder.rates.clone_from(rates);
    }
    let stores = Stores::create(&opts.dir, opts.database_url.as_deref(), "authorize").await?;
    let backend = stores.ours.backend();
    eprintln!("authorize: opening {} accounts with cards…", plan.accounts);
    let ours = Ours::start(&stores.ours, plan.accounts).await?;
    let client = open_loop::client(IN_FLIGHT_MAX)?;
    let granted: Granted = Arc::default();

    let mine = ladder::climb("authorize", &plan.ladder, P99_SLO_MS, |salt, rate, secs| {
        ours.run(&client, salt, rate, secs, &granted)
    })
    .await?;
    let ours_ok = ours.check(&granted).await? && mine.fixed.failed == 0 && mine.fixed.done > 0;

    let baseline = match PgBaseline::start(&stores, plan.accounts).await {
        Ok(base) => {
            let measured = async {
                let climb = ladder::climb(
                    "authorize baseline",
                    &plan.ladder,
                    P99_SLO_MS,
                    |salt, rate, secs| base.run(&client, salt, rate, secs, plan.accounts),
                )
                .await?;
                let ok = base.check(climb.done()).await?;
                anyhow::Ok((climb, ok))
            }
            .await;
            base.stop().await;
            Ok(measured?)
        }
        Err(reason) => {
            eprintln!("authorize: baseline skipped: {reason}");
            Err(reason)
        }
    };
    ours.server.abort();
    stores.cleanup().await?;

    let mut extra = serde_json::Map::new();
    extra.insert("accounts".into(), plan.accounts.into());
    let report = Report {
        name: "authorize",
        unit: "authorisations/s",
        done_as: "authorised",
        backend,
        machine,
        ladder: &plan.ladder,
        p99_ms_max: P99_SLO_MS,
        ours: &mine,
        baseline: baseline.as_ref().map(|(b, _)| b).map_err(String::as_str),
        checks_passed: ours_ok && baseline.as_ref().map_or(true, |(_, ok)| *ok),
        extra,
    };
    report.print(opts.json)?;
    Ok(report.checks_passed)
}
