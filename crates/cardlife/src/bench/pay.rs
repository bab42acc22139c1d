//! The `pay` case (docs/benchmarks.md): QR payments over HTTP end to end, open-loop arrivals,
//! durable, against the obvious PostgreSQL implementation in the same run.
//!
//! - **Ours**: the real router over a fresh store, paying by credit card as `cardlife serve`
//!   does (`App::with_credit`); N payers seeded with sessions and one credit account and card
//!   each, M approved merchants with their signing keys (setup, not timed). One payment is two
//!   requests, one after the other: the merchant's signed `POST /v1/merchant/orders
//!   {"amount"}` (a dynamic order and its EMVCo payload), then the payer's `POST /v1/qr/pay
//!   {"payload"}` with a bearer session and an `Idempotency-Key` (limits, authorisation on the
//!   card, capture, fee). Its latency runs from the payment's intended start to the second
//!   answer.
//! - **Load**: the shared open-loop generator: one run at a fixed rate, then rising rates until
//!   a step misses p99 ≤ [`P99_SLO_MS`].
//! - **Baseline**: an axum endpoint pair of this module on PostgreSQL, the same two requests per
//!   payment, no signature and no session: `INSERT` the order; then one transaction: claim the
//!   idempotency key, `SELECT … FOR UPDATE` the order and the payer's account, check the order
//!   and the available credit, `UPDATE` both, `COMMIT`.
//! - **Checks**: every paid order (201) is captured for the amount asked, and no two 201s name
//!   one order; the store's captured orders include every 201 (a payment the client gave up on
//!   at its 30 s timeout may still have completed); each merchant's payable account is credited
//!   exactly its captured orders and each payer's card carries exactly theirs (so every captured
//!   order moved money once); every captured order earned its points once, all posted, and the
//!   points ledger's liability equals what the lots hold; the ledger check passes. Baseline: the
//!   captured orders are the 201s and each account's use equals its captured orders, within its
//!   limit.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::post;
use cardlife_app::App;
use cardlife_app::credit::CardKeys;
use cardlife_app::merchants::operators::{NewOperator, Role};
use cardlife_app::merchants::vocabulary::PaymentOrderId;
use cardlife_app::merchants::vocabulary::signing::{self, SigningKey};
use cardlife_app::merchants::{AfterCapture, Application, Decision, MerchantsConfig, funding};
use cardlife_kernel::{Clock, MerchantId, Money, Secret, SharedClock, SystemClock};
use cardlife_store::{Db, LedgerService};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::authorize::{P99_SLO_MS, card_number, drop_pg, fresh_pg, mix, open_accounts};
use super::env::Stores;
use super::ladder::{self, Ladder, Report};
use super::open_loop::{self, Outcome, Run};
use super::{Machine, Options};

/// Payments in flight at most.
const IN_FLIGHT_MAX: usize = 1_024;
/// Each payer's credit limit, fen (20,000.00 CNY).
const LIMIT_FEN: i64 = 2_000_000;
/// How many times one payment is sent again after 409 CONCURRENT_UPDATE.
const CONFLICT_RETRIES: usize = 5;
/// The internal token of the server under test.
const TOKEN: &str = "bench-internal-token-0123456789abcdefghijklmnop";

/// How long the checks wait for queued follow-ups (points, campaigns) to drain.
const FOLLOW_UPS_WAIT: Duration = Duration::from_secs(30);

/// When a payment's follow-ups run: queued after the answer (the design the bench measures),
/// or before it with `CARDLIFE_BENCH_PAY_AFTER_CAPTURE=inline` (for an A/B run).
fn after_capture() -> AfterCapture {
    match std::env::var("CARDLIFE_BENCH_PAY_AFTER_CAPTURE").as_deref() {
        Ok("inline") => AfterCapture::Inline,
        _ => AfterCapture::Queued,
    }
}

/// Sizes of one run.
#[derive(Debug, Clone)]
struct Plan {
    payers: usize,
    merchants: usize,
    ladder: Ladder,
}

impl Plan {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                payers: 100,
                merchants: 2,
                // A smoke run, often of a debug build beside other tests: rates it serves.
                ladder: Ladder {
                    fixed_rate: 50.0,
                    fixed_seconds: 2.0,
                    rates: vec![25.0, 50.0],
                    step_seconds: 1.0,
                    step_requests_min: 0,
                },
            }
        } else {
            Self {
                payers: 2_000,
                merchants: 8,
                ladder: Ladder {
                    fixed_rate: 50.0,
                    fixed_seconds: 10.0,
                    rates: vec![25.0, 50.0, 100.0, 200.0, 500.0, 1_000.0, 2_000.0],
                    step_seconds: 3.0,
                    step_requests_min: 300,
                },
            }
        }
    }
}

/// Payment `i` of run `salt`: which payer, which merchant, how many fen (1.00–20.00 CNY, so no
/// payer nears the 1,000.00 daily limit of dynamic codes).
fn draw(salt: u64, i: u64, payers: usize, merchants: usize) -> (usize, usize, i64) {
    let r = mix(salt.wrapping_mul(1_000_003) ^ i);
    let payer = (r % payers as u64) as usize;
    let merchant = ((r >> 20) % merchants as u64) as usize;
    let amount = 100 + ((r >> 32) % 1_901) as i64;
    (payer, merchant, amount)
}

/// What a run's paid orders were: (payer, merchant, amount, order id).
type Paid = Arc<Mutex<Vec<(usize, usize, i64, String)>>>;

/// A merchant of our side: its id and signing key.
struct Merchant {
    id: MerchantId,
    key: SigningKey,
}

/// Our side: the real server over a fresh store, paying by credit card.
struct Ours {
    app: App,
    db: Db,
    ledger: LedgerService,
    base: Arc<str>,
    accounts: Vec<uuid::Uuid>,
    /// Each account's holder, as stored (a UUID).
    customers: Vec<String>,
    tokens: Arc<Vec<HeaderValue>>,
    merchants: Arc<Vec<Merchant>>,
    /// Payments sent again after 409 CONCURRENT_UPDATE.
    retried: Arc<AtomicU64>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Ours {
    async fn start(db: &Db, plan: &Plan) -> anyhow::Result<Self> {
        let clock: SharedClock = Arc::new(SystemClock);
        let ledger = LedgerService::start(db, clock.clone()).await?;
        let mut merchants_config = MerchantsConfig::random();
        merchants_config.after_capture = after_capture();
        let app = App::new(db.clone(), ledger.clone(), clock)
            .with_merchants(merchants_config)
            .with_credit(CardKeys::new([3; 32], [5; 32]))
            .await?;
        let phones: Vec<String> = (0..plan.payers).map(|i| format!("136{i:08}")).collect();
        let customers = app.seed_customers(&phones).await?;
        let cards: Vec<String> = (0..plan.payers).map(card_number).collect();
        let ids: Vec<_> = customers.iter().map(|c| c.id).collect();
        let accounts = open_accounts(&app, &ids, &cards, LIMIT_FEN).await?;
        let holders = ids.iter().map(|c| c.as_uuid().to_string()).collect();
        let tokens = customers
            .iter()
            .map(|c| HeaderValue::from_str(&format!("Bearer {}", c.token.expose_secret())))
            .collect::<Result<Vec<_>, _>>()?;
        let reviewer = app
            .create_operator(
                NewOperator {
                    login: "bench-reviewer".to_owned(),
                    phone: "13800000009".to_owned(),
                    password: Secret::new("bench-reviewer-password-1".to_owned()),
                    role: Role::MerchantReviewer,
                },
                None,
            )
            .await?;
        let mut merchants = Vec::with_capacity(plan.merchants);
        for m in 0..plan.merchants {
            let applied = app
                .apply_merchant(Application {
                    name: format!("BENCH SHOP {m}"),
                    city: "SHANGHAI".to_owned(),
                    address: "8 Huaihai Rd".to_owned(),
                    mcc: "5812".to_owned(),
                    settlement_account: Secret::new("6222020200112233445".to_owned()),
                    mdr_rate: None,
                })
                .await?;
            let (_, key) = app
                .review_merchant(&reviewer, applied.id, Decision::Approve, None)
                .await?;
            let key = key.ok_or_else(|| anyhow::anyhow!("approval issued no key"))?;
            merchants.push(Merchant {
                id: applied.id,
                key: SigningKey::new(
                    &key.key_id,
                    Secret::new(key.secret.expose_secret().as_bytes().to_vec()),
                )?,
            });
        }
        // The seeding's log copied into the database file before the clock starts.
        db.checkpoint().await?;
        // What `cardlife serve` does before it listens: the live sessions held in memory.
        app.hold_live_sessions().await?;
        let config = cardlife_server::ServerConfig::new(Secret::new(TOKEN.to_owned()))?;
        let router = cardlife_server::router(app.clone(), config, super::metrics()?);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let server = tokio::spawn(cardlife_server::serve(
            listener,
            router,
            std::future::pending(),
        ));
        Ok(Self {
            app,
            db: db.clone(),
            ledger,
            base: Arc::from(base),
            accounts,
            customers: holders,
            tokens: Arc::new(tokens),
            merchants: Arc::new(merchants),
            retried: Arc::default(),
            server,
        })
    }

    /// One open-loop run; its paid orders are added to `paid`.
    async fn run(
        &self,
        client: &reqwest::Client,
        salt: u64,
        rate: f64,
        seconds: f64,
        paid: &Paid,
    ) -> anyhow::Result<Run> {
        #[derive(Deserialize)]
        struct Created {
            id: String,
            qr_payload: String,
        }
        #[derive(Deserialize)]
        struct Answer {
            id: String,
            status: String,
        }
        #[derive(Deserialize)]
        struct Problem {
            code: String,
        }
        let (client, base, tokens, merchants, paid, retried) = (
            client.clone(),
            self.base.clone(),
            self.tokens.clone(),
            self.merchants.clone(),
            paid.clone(),
            self.retried.clone(),
        );
        let send = move |i: u64| {
            let (payer, m, amount) = draw(salt, i, tokens.len(), merchants.len());
            let body = format!(r#"{{"amount":"{}"}}"#, Money::cny(amount));
            let path = "/v1/merchant/orders";
            let signature = signing::sign(
                &signing::Request {
                    method: "POST",
                    path,
                    body: body.as_bytes(),
                },
                &merchants[m].key,
                SystemClock.now(),
                &format!("bench-pay-{salt:04}-{i:012}"),
            );
            let (client, base, token, paid, retried) = (
                client.clone(),
                base.clone(),
                tokens[payer].clone(),
                paid.clone(),
                retried.clone(),
            );
            async move {
                let Ok(signature) = signature else {
                    return Outcome::Failed;
                };
                let created = client
                    .post(format!("{base}{path}"))
                    .header(signing::SIGNATURE_HEADER, signature)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body)
                    .send()
                    .await;
                let Ok(created) = created else {
                    return Outcome::Failed;
                };
                if created.status() != reqwest::StatusCode::CREATED {
                    return Outcome::Failed;
                }
                let Ok(order) = created.json::<Created>().await else {
                    return Outcome::Failed;
                };
                let pay = serde_json::json!({ "payload": order.qr_payload }).to_string();
                // A payer's two payments at once: one may answer 409 CONCURRENT_UPDATE (its
                // daily spend changed meanwhile; nothing was written, the key is free) and is
                // sent again with the same key, as a client does.
                for _ in 0..=CONFLICT_RETRIES {
                    let answer = client
                        .post(format!("{base}/v1/qr/pay"))
                        .header(reqwest::header::AUTHORIZATION, token.clone())
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .header("idempotency-key", format!("pay{salt}-{i}"))
                        .body(pay.clone())
                        .send()
                        .await;
                    let Ok(answer) = answer else {
                        return Outcome::Failed;
                    };
                    return match answer.status().as_u16() {
                        201 => match answer.json::<Answer>().await {
                            Ok(a) if a.id == order.id && a.status == "captured" => {
                                paid.lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .push((payer, m, amount, a.id));
                                Outcome::Done
                            }
                            _ => Outcome::Failed,
                        },
                        409 => match answer.json::<Problem>().await {
                            Ok(p) if p.code == "CONCURRENT_UPDATE" => {
                                retried.fetch_add(1, Ordering::Relaxed);
                                continue;
                            }
                            _ => Outcome::Failed,
                        },
                        422 => Outcome::Refused,
                        _ => Outcome::Failed,
                    };
                }
                Outcome::Failed
            }
        };
        open_loop::run(rate, Duration::from_secs_f64(seconds), IN_FLIGHT_MAX, send).await
    }

    /// The checks after every run (see the module's documentation). A payment whose answer
    /// the client gave up on (its 30 s timeout) may still have completed on the server: the
    /// store's captured orders are therefore reconciled with the ledger and the cards, and must
    /// include every 201.
    async fn check(&self, paid: &Paid) -> anyhow::Result<bool> {
        let paid = std::mem::take(&mut *paid.lock().unwrap_or_else(|p| p.into_inner()));
        let mut ok = true;
        let drained = follow_ups_drained(&self.db).await?;
        let mut fail = |what: String| {
            eprintln!("pay check FAILED: {what}");
            ok = false;
        };
        if !drained {
            fail(format!("follow-ups still queued after {FOLLOW_UPS_WAIT:?}"));
        }
        let mut ids: Vec<&str> = Vec::with_capacity(paid.len());
        for (_, m, amount, id) in &paid {
            ids.push(id);
            let order = self
                .app
                .merchant_order(self.merchants[*m].id, PaymentOrderId::parse(id)?)
                .await?;
            if order.status != "captured" || order.captured.fen() != *amount {
                fail(format!(
                    "order {id} is {} for {}, expected captured {amount}",
                    order.status, order.captured
                ));
            }
        }
        ids.sort_unstable();
        ids.dedup();
        if ids.len() != paid.len() {
            fail("two 201s named the same order".to_owned());
        }
        let captured = captured_orders(&self.db).await?;
        if captured.len() < paid.len() {
            fail(format!(
                "{} orders captured, fewer than the {} answered 201",
                captured.len(),
                paid.len()
            ));
        }
        // Each merchant is owed exactly its captured orders; each payer's card carries exactly
        // theirs: every captured order moved money once.
        let mut per_merchant: HashMap<String, i64> = HashMap::new();
        let mut per_payer: HashMap<String, i64> = HashMap::new();
        for (merchant, payer, fen) in &captured {
            *per_merchant.entry(merchant.clone()).or_default() += fen;
            *per_payer.entry(payer.clone()).or_default() += fen;
        }
        for (m, merchant) in self.merchants.iter().enumerate() {
            let payable = self
                .app
                .account(funding::merchant_payable_account(merchant.id))
                .await?;
            let credited = i64::try_from(payable.credits_posted)?;
            let owed = per_merchant
                .get(&merchant.id.as_uuid().to_string())
                .copied()
                .unwrap_or(0);
            if credited != owed {
                fail(format!(
                    "merchant {m}'s payable account credited {credited}, its captured orders {owed}"
                ));
            }
        }
        for (i, (id, customer)) in self.accounts.iter().zip(&self.customers).enumerate() {
            let a = self.app.credit_account_any(*id).await?;
            let charged = a.balance.fen() + a.pending.fen();
            let owed = per_payer.get(customer).copied().unwrap_or(0);
            if charged != owed || a.available_credit.fen() < 0 {
                fail(format!(
                    "payer {i}'s card shows {charged}, their captured orders {owed}, available {}",
                    a.available_credit.fen()
                ));
            }
        }
        // Every captured order earned its points once (1 a whole CNY at the merchants' dining
        // MCC), posted to the points ledger, whose liability is what the lots hold.
        let (accruals, earned, unposted) = points_accrued(&self.db).await?;
        let due: i64 = captured.iter().map(|(_, _, fen)| fen / 100).sum();
        if usize::try_from(accruals)? != captured.len() || earned != due {
            fail(format!(
                "{accruals} accruals of {earned} points for {} captured orders due {due}",
                captured.len()
            ));
        }
        if unposted != 0 {
            fail(format!("{unposted} points movements not posted"));
        }
        let points = self.app.points_check().await?;
        if !points.holds() {
            fail(format!("points: {points:?}"));
        }
        let report = self.ledger.reader().check().await?;
        for v in report.violations.iter().take(10) {
            fail(format!("ledger: {v}"));
        }
        Ok(ok && report.ok())
    }
}

/// Waits until no payment's follow-ups are queued; `false` if some still are after
/// [`FOLLOW_UPS_WAIT`].
async fn follow_ups_drained(db: &Db) -> anyhow::Result<bool> {
    let sql = "SELECT COUNT(*) FROM payment_follow_ups";
    let started = std::time::Instant::now();
    loop {
        let (queued,): (i64,) = match db {
            Db::Sqlite(pool) => sqlx::query_as(sql).fetch_one(pool).await?,
            Db::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await?,
        };
        if queued == 0 {
            return Ok(true);
        }
        if started.elapsed() > FOLLOW_UPS_WAIT {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The captured orders on our store: (merchant, payer, captured fen), both ids as UUIDs.
async fn captured_orders(db: &Db) -> anyhow::Result<Vec<(String, String, i64)>> {
    let sql = "SELECT merchant_id, payer_id, captured_fen FROM payment_orders \
               WHERE status = 'captured'";
    Ok(match db {
        Db::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await?,
        Db::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await?,
    })
}

/// The accrual movements on our store: how many, their points, and how many movements are
/// not yet posted to the points ledger.
async fn points_accrued(db: &Db) -> anyhow::Result<(i64, i64, i64)> {
    let sql = "SELECT \
               CAST((SELECT COUNT(*) FROM points_movements WHERE kind = 'accrual') AS BIGINT), \
               CAST((SELECT COALESCE(SUM(points), 0) FROM points_movements \
                     WHERE kind = 'accrual') AS BIGINT), \
               CAST((SELECT COUNT(*) FROM points_movements WHERE posted = 0) AS BIGINT)";
    Ok(match db {
        Db::Sqlite(pool) => sqlx::query_as(sql).fetch_one(pool).await?,
        Db::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await?,
    })
}

#[derive(Deserialize)]
struct BaselineOrder {
    merchant: i64,
    amount_fen: i64,
}

#[derive(Deserialize)]
struct BaselinePay {
    order: i64,
    payer: i64,
}

#[derive(Serialize)]
struct BaselineCreated {
    id: i64,
}

/// The obvious way, step 1: insert the order.
async fn baseline_order(
    State(pool): State<PgPool>,
    Json(req): Json<BaselineOrder>,
) -> Result<(StatusCode, Json<BaselineCreated>), StatusCode> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO bench_pay_orders (merchant, amount, status) VALUES ($1, $2, 'created') \
         RETURNING id",
    )
    .bind(req.merchant)
    .bind(req.amount_fen)
    .fetch_one(&pool)
    .await
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok((StatusCode::CREATED, Json(BaselineCreated { id })))
}

/// The obvious way, step 2: one transaction claims the key, locks the order and the account,
/// checks both, authorises and captures.
async fn baseline_pay(
    State(pool): State<PgPool>,
    headers: HeaderMap,
    Json(req): Json<BaselinePay>,
) -> StatusCode {
    let Some(key) = headers.get("idempotency-key").and_then(|k| k.to_str().ok()) else {
        return StatusCode::BAD_REQUEST;
    };
    match baseline_pay_txn(&pool, &req, key).await {
        Ok(true) => StatusCode::CREATED,
        Ok(false) => StatusCode::UNPROCESSABLE_ENTITY,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn baseline_pay_txn(pool: &PgPool, req: &BaselinePay, key: &str) -> sqlx::Result<bool> {
    let mut tx = pool.begin().await?;
    let claimed = sqlx::query(
        "INSERT INTO bench_pay_keys (idem_key, order_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(key)
    .bind(req.order)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed == 0 {
        // A retry: answered from the order as it stands.
        tx.rollback().await?;
        return Ok(true);
    }
    let (status, amount): (String, i64) =
        sqlx::query_as("SELECT status, amount FROM bench_pay_orders WHERE id = $1 FOR UPDATE")
            .bind(req.order)
            .fetch_one(&mut *tx)
            .await?;
    let (limit, used): (i64, i64) = sqlx::query_as(
        "SELECT credit_limit, used FROM bench_pay_accounts WHERE id = $1 FOR UPDATE",
    )
    .bind(req.payer)
    .fetch_one(&mut *tx)
    .await?;
    if status != "created" || limit - used < amount {
        tx.rollback().await?;
        return Ok(false);
    }
    sqlx::query("UPDATE bench_pay_accounts SET used = used + $2 WHERE id = $1")
        .bind(req.payer)
        .bind(amount)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE bench_pay_orders SET status = 'captured', payer = $2, captured_at = now() \
         WHERE id = $1",
    )
    .bind(req.order)
    .bind(req.payer)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

struct PgBaseline {
    pool: PgPool,
    created: Option<(String, String)>,
    base: Arc<str>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl PgBaseline {
    async fn start(stores: &Stores, payers: usize) -> Result<Self, String> {
        let (pool, created) = fresh_pg(stores, "pay").await?;
        let e = |e: sqlx::Error| e.to_string();
        for ddl in [
            "CREATE TABLE bench_pay_accounts (id BIGINT PRIMARY KEY, credit_limit BIGINT NOT NULL, \
             used BIGINT NOT NULL DEFAULT 0)",
            "CREATE TABLE bench_pay_orders (id BIGSERIAL PRIMARY KEY, merchant BIGINT NOT NULL, \
             amount BIGINT NOT NULL, status TEXT NOT NULL, \
             payer BIGINT REFERENCES bench_pay_accounts (id), \
             created_at TIMESTAMPTZ NOT NULL DEFAULT now(), captured_at TIMESTAMPTZ)",
            "CREATE TABLE bench_pay_keys (idem_key TEXT PRIMARY KEY, order_id BIGINT NOT NULL)",
        ] {
            sqlx::query(ddl).execute(&pool).await.map_err(e)?;
        }
        sqlx::query(
            "INSERT INTO bench_pay_accounts (id, credit_limit) \
             SELECT g, $2 FROM generate_series(0, $1 - 1) g",
        )
        .bind(payers as i64)
        .bind(LIMIT_FEN)
        .execute(&pool)
        .await
        .map_err(e)?;
        let router = axum::Router::new()
            .route("/orders", post(baseline_order))
            .route("/pay", post(baseline_pay))
            .with_state(pool.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let base = format!(
            "http://{}",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        let server = tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(Self {
            pool,
            created,
            base: Arc::from(base),
            server,
        })
    }

    async fn run(
        &self,
        client: &reqwest::Client,
        salt: u64,
        rate: f64,
        seconds: f64,
        plan: &Plan,
    ) -> anyhow::Result<Run> {
        let (client, base) = (client.clone(), self.base.clone());
        let (payers, merchants) = (plan.payers, plan.merchants);
        let send = move |i: u64| {
            let (payer, m, amount) = draw(salt, i, payers, merchants);
            let (client, base) = (client.clone(), base.clone());
            async move {
                let created = client
                    .post(format!("{base}/orders"))
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(format!(r#"{{"merchant":{m},"amount_fen":{amount}}}"#))
                    .send()
                    .await;
                let order = match created {
                    Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                        match r.json::<HashMap<String, i64>>().await {
                            Ok(b) => b.get("id").copied(),
                            Err(_) => None,
                        }
                    }
                    _ => None,
                };
                let Some(order) = order else {
                    return Outcome::Failed;
                };
                let paid = client
                    .post(format!("{base}/pay"))
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header("idempotency-key", format!("b{salt}-{i}"))
                    .body(format!(r#"{{"order":{order},"payer":{payer}}}"#))
                    .send()
                    .await;
                match paid.map(|r| r.status().as_u16()) {
                    Ok(201) => Outcome::Done,
                    Ok(422) => Outcome::Refused,
                    _ => Outcome::Failed,
                }
            }
        };
        open_loop::run(rate, Duration::from_secs_f64(seconds), IN_FLIGHT_MAX, send).await
    }

    /// Captured orders are the 201s; each account's use equals its captured orders and stays
    /// within its limit.
    async fn check(&self, paid: u64) -> anyhow::Result<bool> {
        let (captured,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM bench_pay_orders WHERE status = 'captured'")
                .fetch_one(&self.pool)
                .await?;
        let (bad,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM bench_pay_accounts a LEFT JOIN \
             (SELECT payer, SUM(amount)::BIGINT AS s FROM bench_pay_orders \
              WHERE status = 'captured' GROUP BY payer) x \
             ON x.payer = a.id WHERE a.used <> COALESCE(x.s, 0) OR a.used > a.credit_limit",
        )
        .fetch_one(&self.pool)
        .await?;
        let ok = bad == 0 && u64::try_from(captured)? == paid;
        if !ok {
            eprintln!(
                "pay baseline check FAILED: {captured} captured for {paid} 201s, {bad} accounts off"
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
    let stores = Stores::create(&opts.dir, opts.database_url.as_deref(), "pay").await?;
    let backend = stores.ours.backend();
    eprintln!(
        "pay: seeding {} payers with cards and {} merchants…",
        plan.payers, plan.merchants
    );
    let ours = Ours::start(&stores.ours, &plan).await?;
    let client = open_loop::client(IN_FLIGHT_MAX)?;
    let paid: Paid = Arc::default();

    let mine = ladder::climb("pay", &plan.ladder, P99_SLO_MS, |salt, rate, secs| {
        ours.run(&client, salt, rate, secs, &paid)
    })
    .await?;
    let ours_ok = ours.check(&paid).await? && mine.fixed.failed == 0 && mine.fixed.done > 0;

    let baseline = match PgBaseline::start(&stores, plan.payers).await {
        Ok(base) => {
            let measured = async {
                let climb = ladder::climb(
                    "pay baseline",
                    &plan.ladder,
                    P99_SLO_MS,
                    |salt, rate, secs| base.run(&client, salt, rate, secs, &plan),
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
            eprintln!("pay: baseline skipped: {reason}");
            Err(reason)
        }
    };
    ours.server.abort();
    stores.cleanup().await?;

    let mut extra = serde_json::Map::new();
    extra.insert("payers".into(), plan.payers.into());
    extra.insert("merchants".into(), plan.merchants.into());
    extra.insert(
        "after_capture".into(),
        format!("{:?}", after_capture()).to_lowercase().into(),
    );
    extra.insert(
        "conflict_retries".into(),
        ours.retried.load(Ordering::Relaxed).into(),
    );
    let report = Report {
        name: "pay",
        unit: "payments/s",
        done_as: "paid",
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
