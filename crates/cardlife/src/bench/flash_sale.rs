//! The `flash-sale` case (docs/rewards.md, docs/benchmarks.md): one item, stock 10,000,
//! 200,000 distinct logged-in customers, per-user limit 1, durable claims over HTTP with
//! open-loop arrivals, against the obvious PostgreSQL implementation in the same run.
//!
//! - **Ours**: the real router over a fresh embedded store (or `--database-url`), customers
//!   seeded in bulk with sessions (setup, not timed), claims sent to
//!   `POST /v1/flash-sales/{id}/claims` with a bearer token and an `Idempotency-Key`.
//! - **Open loop** from the generator in its own process (`load_gen`): attempt *i* is due at
//!   `start + i / rate` and its latency is measured from that instant (no coordinated
//!   omission); at most [`CONNECTIONS`] in flight over keep-alive HTTP/1.1 connections. Both
//!   sides are driven by it the same way.
//! - **Workload**: one attempt in [`RETRY_ONE_IN`] is a retry by a customer who already tried
//!   (a new key: an `ALREADY_CLAIMED` or `SOLD_OUT`); the others are distinct customers in a
//!   seeded random order. Each run is a fresh sale.
//! - **Rate search**: short runs at rising rates find the highest rate whose p99 stays within
//!   [`P99_SLO_MS`]; the full run (every customer once, plus retries) then runs at that rate and
//!   is the figure printed as `ours`.
//! - **Baseline**: `UPDATE flash_stock SET n = n - 1 WHERE id = $1 AND n > 0` then `INSERT INTO
//!   flash_claims` (unique (sale, user)), one transaction per request, behind an axum endpoint
//!   that maps the same bearer tokens to users in memory (cheaper auth than ours), on
//!   PostgreSQL (`--database-url`, else 127.0.0.1:5432; skipped with the reason when neither
//!   answers). Stepped the same way over a fixed window, with stock left throughout (the phase a
//!   flash sale is about).
//! - **Ceiling**: a server that does nothing (`ceiling`), stepped the same way from
//!   [`Plan::ceiling_rates`]: the most this machine, its loopback and the generator carry within
//!   the objective for any server, so a figure of ours reads against what is possible here.
//! - **Checks** after every run, from the database: winners = min(stock, distinct claimants),
//!   nobody twice, `remaining` = stock − winners and never negative, the winners' reserved value
//!   within the sale's budget (stock × price), `seq` exactly 1..winners, and every 201 answered
//!   is a stored claim. A failed check fails the command.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::post;
use cardlife_app::App;
use cardlife_app::flash_sales::{FlashSaleId, NewFlashSale};
use cardlife_kernel::{Money, SharedClock, SystemClock};
use cardlife_store::db::with_database;
use cardlife_store::{Db, LedgerService};
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng, rngs::StdRng};
use serde::Serialize;
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};

use super::ceiling::Ceiling;
use super::cpu;
use super::env::Stores;
use super::load_gen::{self, LoadRequest, LoadSpec};
use super::open_loop;
use super::stats::{Side, round2};
use super::timeline::Window;
use super::{Machine, Options};

/// The latency objective the rate search holds to.
pub const P99_SLO_MS: f64 = 20.0;
/// Keep-alive connections of the generator (the most requests in flight).
const CONNECTIONS: usize = 512;
/// One attempt in this many is a retry by a customer who already tried.
const RETRY_ONE_IN: usize = 11;
/// The price of the unit sold, in fen.
const PRICE_FEN: i64 = 990;
/// The workload's seed.
const SEED: u64 = 0x00F1_A5A1_E5EE;
/// PostgreSQL tried for the baseline when no `--database-url` is given.
const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Connections of the baseline's pool.
const BASELINE_POOL: u32 = 32;

/// Sizes of one run.
#[derive(Debug, Clone)]
struct Plan {
    users: usize,
    stock: u32,
    rates: Vec<f64>,
    step_seconds: f64,
    baseline_rates: Vec<f64>,
    baseline_seconds: f64,
    /// Rates for the do-nothing server, run for `step_seconds` each.
    ceiling_rates: Vec<f64>,
}

impl Plan {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                users: 5_000,
                stock: 500,
                rates: vec![1_000.0, 2_000.0],
                step_seconds: 1.0,
                baseline_rates: vec![200.0, 400.0],
                baseline_seconds: 1.0,
                ceiling_rates: vec![2_000.0, 4_000.0],
            }
        } else {
            Self {
                users: 200_000,
                stock: 10_000,
                rates: vec![
                    2_000.0, 5_000.0, 10_000.0, 15_000.0, 20_000.0, 25_000.0, 30_000.0, 40_000.0,
                ],
                step_seconds: 3.0,
                baseline_rates: vec![100.0, 200.0, 400.0, 800.0, 1_600.0],
                baseline_seconds: 4.0,
                ceiling_rates: vec![
                    20_000.0, 30_000.0, 40_000.0, 50_000.0, 60_000.0, 80_000.0, 100_000.0,
                ],
            }
        }
    }
}

/// One open-loop run at one offered rate.
#[derive(Debug, Clone, Serialize)]
struct Step {
    offered_per_sec: f64,
    attempts: u64,
    #[serde(flatten)]
    side: Side,
    won: u64,
    refused: u64,
    errors: u64,
    sold_out_after_s: Option<f64>,
    slo_met: bool,
    checks_passed: bool,
    /// CPU time this process (the server under test; the generator runs apart) spent per
    /// attempt during the step, in microseconds.
    server_cpu_us_per_attempt: Option<f64>,
    /// CPU time the generator's process spent per attempt, in microseconds.
    generator_cpu_us_per_attempt: Option<f64>,
    /// The whole machine's CPU an attempt (server, generator, a baseline's database), µs.
    machine_cpu_us_per_attempt: Option<f64>,
    /// Latency by 100 ms window of due instants: the sale's first half-second apart from the
    /// sold-out phase after it.
    timeline: Vec<Window>,
}

/// The printed result (the common fields of every case, then this case's own).
#[derive(Debug, Serialize)]
struct FlashSaleResult {
    name: &'static str,
    unit: &'static str,
    durable: bool,
    backend: &'static str,
    ours: Side,
    baseline: Option<Side>,
    ratio: Option<f64>,
    checks_passed: bool,
    machine: Machine,
    users: usize,
    stock: u32,
    per_user_limit: u32,
    winners: u64,
    sold_out_after_s: Option<f64>,
    p99_slo_ms: f64,
    max_rate_within_slo: Option<f64>,
    baseline_skipped: Option<String>,
    /// The highest rate the do-nothing server held within the objective.
    ceiling_max_rate_within_slo: Option<f64>,
    steps: Vec<Step>,
    baseline_steps: Vec<Step>,
    ceiling_steps: Vec<Step>,
}

/// One attempt: which customer, with which key.
#[derive(Debug, Clone)]
struct Attempt {
    user: usize,
    key: String,
}

/// `n` attempts: distinct customers in a seeded order, one in [`RETRY_ONE_IN`] a retry.
fn attempts(users: usize, n: usize, salt: u64) -> anyhow::Result<Vec<Attempt>> {
    let mut rng = StdRng::seed_from_u64(SEED ^ salt);
    let mut order: Vec<usize> = (0..users).collect();
    order.shuffle(&mut rng);
    let mut fresh = order.into_iter();
    let mut tried: Vec<usize> = Vec::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let retry = !tried.is_empty() && rng.random_range(0..RETRY_ONE_IN) == 0;
        let user = match (retry, fresh.next()) {
            (false, Some(u)) => u,
            _ => tried[rng.random_range(0..tried.len())],
        };
        tried.push(user);
        out.push(Attempt {
            user,
            key: format!("k{salt}-{i}"),
        });
    }
    Ok(out)
}

fn distinct(attempts: &[Attempt]) -> usize {
    let mut seen: Vec<usize> = attempts.iter().map(|a| a.user).collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

/// Sends `attempts` to `path` on `addr` open-loop at `rate` from the out-of-process generator
/// (`load_gen`, docs/benchmarks.md): 201 is a win, 409 a refusal (already claimed, sold out),
/// anything else a failure.
async fn claims(
    addr: &str,
    path: &str,
    tokens: &[String],
    attempts: &[Attempt],
    rate: f64,
) -> anyhow::Result<Step> {
    let requests: Vec<LoadRequest> = attempts
        .iter()
        .map(|a| LoadRequest {
            path: path.to_owned(),
            headers: vec![
                format!("authorization: {}", tokens[a.user]),
                format!("idempotency-key: {}", a.key),
            ],
        })
        .collect();
    let spec = LoadSpec {
        addr: addr.to_owned(),
        method: "POST".to_owned(),
        rate,
        connections: CONNECTIONS,
        done: vec![201],
        refused: vec![409],
    };
    let cpu_before = cpu::used();
    let report = load_gen::drive(&spec, &requests).await?;
    let cpu_after = cpu::used();
    let run = report.run();
    let server_cpu_us_per_attempt =
        cpu::per_op_us(cpu_before, cpu_after, run.side.ops + run.failed);
    Ok(Step {
        offered_per_sec: rate,
        attempts: run.done + run.refused + run.failed,
        slo_met: run.within(P99_SLO_MS),
        side: run.side,
        won: run.done,
        refused: run.refused,
        errors: run.failed,
        sold_out_after_s: report.last_done_s,
        checks_passed: false,
        server_cpu_us_per_attempt,
        generator_cpu_us_per_attempt: report.generator_cpu_us_per_request,
        machine_cpu_us_per_attempt: run.machine_cpu_us,
        timeline: report.timeline,
    })
}

/// Our side: the real server over `db`, `users` customers seeded with sessions.
struct Ours {
    app: App,
    addr: String,
    tokens: Vec<String>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Ours {
    async fn start(db: &Db, users: usize) -> anyhow::Result<Self> {
        let clock: SharedClock = Arc::new(SystemClock);
        let ledger = LedgerService::start(db, clock.clone()).await?;
        let app = App::new(db.clone(), ledger, clock);
        let phones: Vec<String> = (0..users).map(|i| format!("139{i:08}")).collect();
        let mut tokens = Vec::with_capacity(users);
        for chunk in phones.chunks(20_000) {
            for c in app.seed_customers(chunk).await? {
                tokens.push(format!("Bearer {}", c.token.expose_secret()));
            }
        }
        // The seeding's log copied into the database file before the clock starts, as a store
        // in service has it within a second (`cardlife_store::checkpoint`).
        db.checkpoint().await?;
        // What `cardlife serve` does before it listens: the live sessions held in memory.
        app.hold_live_sessions().await?;
        let token = cardlife_kernel::Secret::new(format!("bench-{}", "x".repeat(40)));
        let config = cardlife_server::ServerConfig::new(token)?;
        let router = cardlife_server::router(app.clone(), config, super::metrics()?);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?.to_string();
        let server = tokio::spawn(cardlife_server::serve(
            listener,
            router,
            std::future::pending(),
        ));
        Ok(Self {
            app,
            addr,
            tokens,
            server,
        })
    }

    async fn sale(&self, stock: u32) -> anyhow::Result<FlashSaleId> {
        let now = self.app.clock().now();
        let sale = self
            .app
            .schedule_flash_sale(NewFlashSale {
                item: "bench item".to_owned(),
                stock,
                per_user_limit: 1,
                price: Money::cny(PRICE_FEN),
                starts_at: now.checked_sub(jiff::SignedDuration::from_mins(1))?,
                ends_at: now.checked_add(jiff::SignedDuration::from_hours(2))?,
            })
            .await?;
        Ok(sale.id)
    }

    /// One run on a fresh sale; checks it from the database.
    async fn run(&self, stock: u32, attempts: &[Attempt], rate: f64) -> anyhow::Result<Step> {
        let sale = self.sale(stock).await?;
        let path = format!("/v1/flash-sales/{sale}/claims");
        let mut step = claims(&self.addr, &path, &self.tokens, attempts, rate).await?;
        let audit = self.app.flash_sale_audit(sale).await?;
        let expected = u64::from(stock).min(distinct(attempts) as u64);
        let budget = i64::from(stock) * PRICE_FEN;
        let reserved = i64::try_from(audit.claims)? * PRICE_FEN;
        let checks = [
            (
                "winners = min(stock, distinct claimants)",
                audit.claims == expected,
            ),
            (
                "nobody twice",
                audit.winners == audit.claims && audit.most_by_one <= 1,
            ),
            (
                "remaining = stock - winners, not negative",
                audit.remaining >= 0
                    && audit.remaining == i64::from(stock) - i64::try_from(audit.claims)?,
            ),
            ("budget not exceeded", reserved <= budget),
            ("seq is 1..winners", audit.seq_contiguous),
            ("every 201 is a stored claim", step.won == audit.claims),
            ("no transport or server errors", step.errors == 0),
        ];
        step.checks_passed = true;
        for (what, held) in checks {
            if !held {
                eprintln!("flash-sale check FAILED at {rate}/s: {what} ({audit:?}, {step:?})");
                step.checks_passed = false;
            }
        }
        Ok(step)
    }
}

/// The obvious implementation: one PostgreSQL transaction per request.
#[derive(Clone)]
struct BaselineState {
    pool: PgPool,
    users: Arc<HashMap<HeaderValue, i64>>,
}

async fn baseline_claim(
    State(state): State<BaselineState>,
    Path(sale): Path<i64>,
    headers: HeaderMap,
) -> StatusCode {
    let Some(&user) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|t| state.users.get(t))
    else {
        return StatusCode::UNAUTHORIZED;
    };
    match baseline_txn(&state.pool, sale, user).await {
        Ok(true) => StatusCode::CREATED,
        Ok(false) => StatusCode::CONFLICT,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn baseline_txn(pool: &PgPool, sale: i64, user: i64) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let taken = sqlx::query("UPDATE flash_stock SET n = n - 1 WHERE id = $1 AND n > 0")
        .bind(sale)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if taken == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    let inserted = sqlx::query("INSERT INTO flash_claims (sale_id, user_id) VALUES ($1, $2)")
        .bind(sale)
        .bind(user)
        .execute(&mut *tx)
        .await;
    match inserted {
        Ok(_) => {
            tx.commit().await?;
            Ok(true)
        }
        Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
            tx.rollback().await?;
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

struct Baseline {
    pool: PgPool,
    addr: String,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    drop_db: Option<(String, String)>,
}

impl Baseline {
    /// The baseline on `stores.baseline` when it is PostgreSQL, else on a fresh database of the
    /// default server; `Err(reason)` when there is no PostgreSQL to run it on.
    async fn start(stores: &Stores, tokens: &[String]) -> Result<Self, String> {
        let (pool, drop_db) = match &stores.baseline {
            Db::Postgres(pool) => (pool.clone(), None),
            Db::Sqlite(_) => {
                let name = format!("cardlife_bench_flash_{}", std::process::id());
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
                (pool, Some((DEFAULT_PG.to_owned(), name)))
            }
        };
        for ddl in [
            "CREATE TABLE flash_stock (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)",
            "CREATE TABLE flash_claims (sale_id BIGINT NOT NULL, user_id BIGINT NOT NULL, \
             claimed_at TIMESTAMPTZ NOT NULL DEFAULT now(), UNIQUE (sale_id, user_id))",
        ] {
            sqlx::query(ddl)
                .execute(&pool)
                .await
                .map_err(|e| e.to_string())?;
        }
        let users: HashMap<HeaderValue, i64> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| Ok((HeaderValue::from_str(t)?, i as i64)))
            .collect::<Result<_, axum::http::header::InvalidHeaderValue>>()
            .map_err(|e| e.to_string())?;
        let state = BaselineState {
            pool: pool.clone(),
            users: Arc::new(users),
        };
        let router = axum::Router::new()
            .route("/claims/{sale}", post(baseline_claim))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let addr = listener
            .local_addr()
            .map_err(|e| e.to_string())?
            .to_string();
        let server = tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(Self {
            pool,
            addr,
            server,
            drop_db,
        })
    }

    async fn run(
        &self,
        tokens: &[String],
        sale: i64,
        stock: u32,
        attempts: &[Attempt],
        rate: f64,
    ) -> anyhow::Result<Step> {
        sqlx::query("INSERT INTO flash_stock (id, n) VALUES ($1, $2)")
            .bind(sale)
            .bind(i64::from(stock))
            .execute(&self.pool)
            .await?;
        let path = format!("/claims/{sale}");
        let mut step = claims(&self.addr, &path, tokens, attempts, rate).await?;
        let (n,): (i64,) = sqlx::query_as("SELECT n FROM flash_stock WHERE id = $1")
            .bind(sale)
            .fetch_one(&self.pool)
            .await?;
        let (claims, people): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(DISTINCT user_id) FROM flash_claims WHERE sale_id = $1",
        )
        .bind(sale)
        .fetch_one(&self.pool)
        .await?;
        let expected = i64::from(stock).min(distinct(attempts) as i64);
        step.checks_passed = n >= 0
            && n + claims == i64::from(stock)
            && claims == people
            && claims <= expected
            && u64::try_from(claims)? == step.won
            && step.errors == 0;
        if !step.checks_passed {
            eprintln!("flash-sale baseline check FAILED at {rate}/s: n={n} claims={claims}");
        }
        Ok(step)
    }

    async fn stop(self) {
        self.server.abort();
        self.pool.close().await;
        if let Some((url, name)) = self.drop_db
            && let Ok(mut admin) = PgConnection::connect(&url).await
        {
            let _ = sqlx::query(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await;
        }
    }
}

/// The highest offered rate whose step met the objective; else the fastest step.
fn best(steps: &[Step]) -> Option<&Step> {
    steps
        .iter()
        .filter(|s| s.slo_met)
        .max_by(|a, b| a.offered_per_sec.total_cmp(&b.offered_per_sec))
        .or_else(|| {
            steps
                .iter()
                .max_by(|a, b| a.side.per_sec.total_cmp(&b.side.per_sec))
        })
}

/// The highest offered rate whose step met the objective.
fn highest_within(steps: &[Step]) -> Option<f64> {
    steps
        .iter()
        .filter(|s| s.slo_met)
        .map(|s| s.offered_per_sec)
        .reduce(f64::max)
}

/// The do-nothing server stepped through the plan's ceiling rates with ours' customers and
/// tokens: every answer must be its `409` (nothing failed, nothing won).
async fn ceiling(plan: &Plan, tokens: &[String]) -> anyhow::Result<Vec<Step>> {
    let server = Ceiling::start().await?;
    let steps = search(&plan.ceiling_rates, |i, rate| {
        let n = ((rate * plan.step_seconds) as usize).max(1);
        let attempts = attempts(plan.users, n, 2_000 + i as u64);
        let addr = &server.addr;
        async move {
            let mut step = claims(addr, Ceiling::PATH, tokens, &attempts?, rate).await?;
            step.checks_passed = step.errors == 0 && step.won == 0;
            Ok(step)
        }
    })
    .await;
    server.stop();
    steps
}

/// Steps through `rates` until a step misses the objective; returns every step run.
async fn search<F, Fut>(rates: &[f64], run: F) -> anyhow::Result<Vec<Step>>
where
    F: FnMut(usize, f64) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Step>>,
{
    open_loop::step_rates(
        "flash-sale",
        rates,
        run,
        |s: &Step| s.slo_met,
        |s: &Step| {
            format!(
                "{:>9.0}/s achieved, p50 {:?} p99 {:?} p99.9 {:?} ms, won {}, server CPU {:?} µs/attempt",
                s.side.per_sec,
                s.side.p50_ms,
                s.side.p99_ms,
                s.side.p999_ms,
                s.won,
                s.server_cpu_us_per_attempt
            )
        },
    )
    .await
}

/// Runs the case and prints its line. Returns whether every check held.
pub async fn run(opts: &Options, machine: Machine) -> anyhow::Result<bool> {
    let mut plan = Plan::new(opts.quick);
    if let Some(rates) = &opts.rates {
        plan.rates.clone_from(rates);
    }
    let stores = Stores::create(&opts.dir, opts.database_url.as_deref(), "flash-sale").await?;
    let backend = stores.ours.backend();
    eprintln!(
        "flash-sale: seeding {} customers with sessions…",
        plan.users
    );
    let ours = Ours::start(&stores.ours, plan.users).await?;

    let ours_steps = search(&plan.rates, |i, rate| {
        let n = ((rate * plan.step_seconds) as usize).max(1);
        let attempts = attempts(plan.users, n, i as u64 + 1);
        let (ours, stock) = (&ours, plan.stock);
        async move { ours.run(stock, &attempts?, rate).await }
    })
    .await?;
    let chosen = best(&ours_steps).map_or(plan.rates[0], |s| s.offered_per_sec);
    let full_n = plan.users + plan.users / (RETRY_ONE_IN - 1);
    let full_attempts = attempts(plan.users, full_n, 0)?;
    eprintln!("flash-sale: full run, {full_n} attempts at {chosen}/s");
    let full = ours.run(plan.stock, &full_attempts, chosen).await?;

    let ceiling_steps = ceiling(&plan, &ours.tokens).await?;

    let (baseline_steps, skipped) = match Baseline::start(&stores, &ours.tokens).await {
        Ok(base) => {
            let steps = search(&plan.baseline_rates, |i, rate| {
                let n = ((rate * plan.baseline_seconds) as usize).max(1);
                let attempts = attempts(plan.users, n, 1_000 + i as u64);
                let (base, tokens, stock) = (&base, &ours.tokens, plan.stock);
                async move {
                    base.run(tokens, i as i64 + 1, stock, &attempts?, rate)
                        .await
                }
            })
            .await;
            base.stop().await;
            (steps?, None)
        }
        Err(reason) => {
            eprintln!("flash-sale: baseline skipped: {reason}");
            (Vec::new(), Some(reason))
        }
    };
    ours.server.abort();
    stores.cleanup().await?;

    let baseline = best(&baseline_steps).map(|s| s.side.clone());
    let checks_passed = full.checks_passed
        && ours_steps.iter().all(|s| s.checks_passed)
        && baseline_steps.iter().all(|s| s.checks_passed)
        && ceiling_steps.iter().all(|s| s.checks_passed);
    let result = FlashSaleResult {
        name: "flash-sale",
        unit: "attempts/s",
        durable: true,
        backend,
        ratio: baseline
            .as_ref()
            .map(|b| round2(full.side.per_sec / b.per_sec.max(1e-9))),
        baseline,
        checks_passed,
        machine,
        users: plan.users,
        stock: plan.stock,
        per_user_limit: 1,
        winners: full.won,
        sold_out_after_s: full.sold_out_after_s,
        p99_slo_ms: P99_SLO_MS,
        max_rate_within_slo: highest_within(&ours_steps),
        baseline_skipped: skipped,
        ceiling_max_rate_within_slo: highest_within(&ceiling_steps),
        ours: full.side.clone(),
        steps: ours_steps.into_iter().chain([full]).collect(),
        baseline_steps,
        ceiling_steps,
    };
    print(&result, opts.json)?;
    Ok(checks_passed)
}

fn print(r: &FlashSaleResult, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(r)?);
        return Ok(());
    }
    let baseline = r
        .baseline
        .as_ref()
        .map_or_else(|| "skipped".to_owned(), |b| format!("{:.0}", b.per_sec));
    println!(
        "{:<20} ours {:>12.0} {} (p99 {:?} ms, {} winners)  baseline {}  ratio {}  do-nothing server within {} ms: {}  checks {}  ({}, {} cores, fsync {:.0}/s)",
        r.name,
        r.ours.per_sec,
        r.unit,
        r.ours.p99_ms,
        r.winners,
        baseline,
        r.ratio
            .map_or_else(|| "-".to_owned(), |x| format!("{x:.2}")),
        r.p99_slo_ms,
        r.ceiling_max_rate_within_slo
            .map_or_else(|| "-".to_owned(), |x| format!("{x:.0}/s")),
        if r.checks_passed { "passed" } else { "FAILED" },
        r.backend,
        r.machine.cores,
        r.machine.fsync_per_sec
    );
    Ok(())
}
