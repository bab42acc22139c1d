//! Flash sales over HTTP on both stores (docs/rewards.md): concurrent claims never oversell and
//! never give anyone two units, every refusal has its code and changes nothing, an
//! `Idempotency-Key` replays its answer, and a restarted process keeps the winners.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use cardlife_app::App;
use cardlife_kernel::{FakeClock, Secret};
use cardlife_server::{ServerConfig, router, serve};
use cardlife_store::db::with_database;
use cardlife_store::log_sync::LogSync;
use cardlife_store::{Db, LedgerService};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

use common::{INTERNAL_TOKEN, metrics_handle};

const NOW: &str = "2026-04-01T02:00:00Z";

/// A server over a store at `url`, with `tokens` of seeded customers; dropping `task` stops it.
struct Server {
    base: String,
    client: reqwest::Client,
    db: Db,
    clock: FakeClock,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(url: &str, clock: &FakeClock) -> (Server, App) {
    let db = Db::open(url).await.unwrap();
    db.migrate().await.unwrap();
    let shared = clock.shared();
    let ledger = LedgerService::start(&db, shared.clone()).await.unwrap();
    let app = App::new(db.clone(), ledger, shared);
    let config = ServerConfig::new(Secret::new(INTERNAL_TOKEN.to_owned())).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(serve(
        listener,
        router(app.clone(), config, metrics_handle()),
        std::future::pending(),
    ));
    let server = Server {
        base,
        client: reqwest::Client::new(),
        db,
        clock: clock.clone(),
        task,
    };
    (server, app)
}

/// One store URL per backend this run tests, each fresh (the temp dir lives as long as needed).
async fn store_urls() -> Vec<(String, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![(
        format!("sqlite://{}/test.db", dir.path().display()),
        Some(dir),
    )];
    if let Ok(admin) = std::env::var("CARDLIFE_TEST_DATABASE_URL") {
        let name = format!("cardlife_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = PgConnection::connect(&admin).await.unwrap();
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        urls.push((with_database(&admin, &name), None));
    }
    urls
}

async fn seed(app: &App, first: u32, n: u32) -> Vec<String> {
    let phones: Vec<String> = (first..first + n).map(|i| format!("139{i:08}")).collect();
    app.seed_customers(&phones)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.token.expose_secret().clone())
        .collect()
}

impl Server {
    async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value, bool) {
        let response = req.send().await.unwrap();
        let status = response.status();
        let replayed = response.headers().contains_key("idempotent-replayed");
        let text = response.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, value, replayed)
    }

    /// Schedules a sale from `start_min` to `end_min` minutes around the clock's now.
    async fn schedule(&self, stock: u32, limit: u32, start_min: i64, end_min: i64) -> String {
        let now = self.clock.shared().now();
        let at = |m: i64| now.checked_add(jiff::SignedDuration::from_mins(m)).unwrap();
        let body = json!({
            "item": "爆品 coffee voucher", "stock": stock, "per_user_limit": limit,
            "price_fen": 990, "starts_at": at(start_min).to_string(), "ends_at": at(end_min).to_string(),
        });
        let req = self
            .client
            .post(format!("{}/v1/flash-sales", self.base))
            .bearer_auth(INTERNAL_TOKEN)
            .json(&body);
        let (status, body, _) = self.send(req).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    async fn claim(&self, sale: &str, token: &str, key: Option<&str>) -> (StatusCode, Value, bool) {
        let mut req = self
            .client
            .post(format!("{}/v1/flash-sales/{sale}/claims", self.base))
            .bearer_auth(token);
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        self.send(req).await
    }

    async fn sale(&self, sale: &str) -> Value {
        let req = self
            .client
            .get(format!("{}/v1/flash-sales/{sale}", self.base));
        let (status, body, _) = self.send(req).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn claims_rows(&self) -> i64 {
        let sql = "SELECT COUNT(*) FROM flash_sale_claims";
        match &self.db {
            Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
            Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        }
    }
}

/// A claim sent on a task of its own, to be looked at while it waits.
fn spawn_claim(
    server: &Server,
    sale: &str,
    token: &str,
    key: &str,
) -> tokio::task::JoinHandle<(StatusCode, Value)> {
    let req = server
        .client
        .post(format!("{}/v1/flash-sales/{sale}/claims", server.base))
        .bearer_auth(token)
        .header("Idempotency-Key", key);
    tokio::spawn(async move {
        let response = req.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    })
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn fifty_concurrent_claims_on_twenty_units_make_exactly_twenty_distinct_winners() {
    for (url, _dir) in store_urls().await {
        let clock = FakeClock::new(NOW.parse().unwrap());
        let (server, app) = start(&url, &clock).await;
        let tokens = seed(&app, 0, 30).await;
        let sale = server.schedule(20, 1, -1, 60).await;
        let server = std::sync::Arc::new(server);
        let tasks: Vec<_> = (0..50usize)
            .map(|i| {
                let server = server.clone();
                let token = tokens[(i * 7) % 30].clone();
                let sale = sale.clone();
                tokio::spawn(async move {
                    let (status, body, _) =
                        server.claim(&sale, &token, Some(&format!("k-{i}"))).await;
                    (token, status, body)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for t in tasks {
            let (token, status, body) = t.await.unwrap();
            match status {
                StatusCode::CREATED => winners.push((token, body["seq"].as_u64().unwrap())),
                StatusCode::CONFLICT => {
                    assert!(
                        ["SOLD_OUT", "ALREADY_CLAIMED"].contains(&code(&body)),
                        "{body}"
                    )
                }
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!(
            winners.len(),
            20,
            "{}: winners {winners:?}",
            server.db.backend()
        );
        let people: HashSet<_> = winners.iter().map(|(t, _)| t.clone()).collect();
        assert_eq!(people.len(), 20, "someone won twice");
        let seqs: HashSet<_> = winners.iter().map(|(_, s)| *s).collect();
        assert_eq!(seqs, (1..=20).collect());
        assert_eq!(server.claims_rows().await, 20);
        assert_eq!(server.sale(&sale).await["remaining"], 0);
        let audit = app
            .flash_sale_audit(cardlife_app::flash_sales::FlashSaleId::parse(&sale).unwrap())
            .await
            .unwrap();
        assert_eq!(
            (audit.claims, audit.winners, audit.most_by_one),
            (20, 20, 1)
        );
        assert!(audit.seq_contiguous && audit.remaining == 0);
    }
}

#[tokio::test]
async fn every_refusal_has_its_code_and_changes_nothing() {
    for (url, _dir) in store_urls().await {
        let clock = FakeClock::new(NOW.parse().unwrap());
        let (server, app) = start(&url, &clock).await;
        let t = seed(&app, 100, 4).await;
        let sale = server.schedule(2, 1, -1, 60).await;

        let (status, won, replayed) = server.claim(&sale, &t[0], Some("a")).await;
        assert_eq!(status, StatusCode::CREATED, "{won}");
        assert!(!replayed);
        assert_eq!(
            (won["seq"].as_u64(), won["price_fen"].as_i64()),
            (Some(1), Some(990))
        );

        // The same key again: the same answer, marked replayed, nothing new written.
        let (status, again, replayed) = server.claim(&sale, &t[0], Some("a")).await;
        assert_eq!((status, replayed), (StatusCode::CREATED, true));
        assert_eq!(again, won);
        assert_eq!(server.claims_rows().await, 1);

        let (status, body, _) = server.claim(&sale, &t[0], Some("b")).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "ALREADY_CLAIMED")
        );
        let (status, _, _) = server.claim(&sale, &t[1], Some("c")).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, body, _) = server.claim(&sale, &t[2], Some("d")).await;
        assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "SOLD_OUT"));
        assert_eq!(server.claims_rows().await, 2);

        let (status, body, _) = server.claim(&sale, &t[2], None).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_REQUEST, "IDEMPOTENCY_KEY_REQUIRED")
        );
        let (status, body, _) = server.claim(&sale, "not-a-token", Some("e")).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED")
        );
        let (status, body, _) = server.claim("fls_123", &t[2], Some("e")).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_REQUEST, "INVALID_ID")
        );
        let unknown = format!("fls_{}", "0".repeat(32));
        let (status, body, _) = server.claim(&unknown, &t[2], Some("e")).await;
        assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "NOT_FOUND"));

        // Before the start and from the end on: SALE_NOT_OPEN.
        let later = server.schedule(5, 1, 10, 20).await;
        let (status, body, _) = server.claim(&later, &t[3], Some("f")).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "SALE_NOT_OPEN")
        );
        clock.advance(jiff::SignedDuration::from_mins(20));
        let (status, body, _) = server.claim(&later, &t[3], Some("g")).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "SALE_NOT_OPEN")
        );
        assert_eq!(server.sale(&later).await["remaining"], 5);
        assert_eq!(server.claims_rows().await, 2);
    }
}

#[tokio::test]
async fn bad_terms_and_a_missing_internal_token_schedule_nothing() {
    for (url, _dir) in store_urls().await {
        let clock = FakeClock::new(NOW.parse().unwrap());
        let (server, _app) = start(&url, &clock).await;
        let good = json!({"item": "x", "stock": 5, "per_user_limit": 1, "price_fen": 100,
            "starts_at": "2026-04-01T02:00:00Z", "ends_at": "2026-04-01T03:00:00Z"});
        let mut cases = Vec::new();
        for (field, value) in [
            ("stock", json!(0)),
            ("per_user_limit", json!(0)),
            ("price_fen", json!(-1)),
            ("item", json!("")),
            ("ends_at", json!("2026-04-01T02:00:00Z")),
        ] {
            let mut body = good.clone();
            body[field] = value;
            cases.push(body);
        }
        for body in cases {
            let req = server
                .client
                .post(format!("{}/v1/flash-sales", server.base))
                .bearer_auth(INTERNAL_TOKEN)
                .json(&body);
            let (status, answer, _) = server.send(req).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body} → {answer}"
            );
            assert_eq!(code(&answer), "INVALID_TERMS", "{answer}");
        }
        let req = server
            .client
            .post(format!("{}/v1/flash-sales", server.base))
            .json(&good);
        let (status, _, _) = server.send(req).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let n: i64 = match &server.db {
            Db::Sqlite(p) => sqlx::query_scalar("SELECT COUNT(*) FROM flash_sales")
                .fetch_one(p)
                .await
                .unwrap(),
            Db::Postgres(p) => sqlx::query_scalar("SELECT COUNT(*) FROM flash_sales")
                .fetch_one(p)
                .await
                .unwrap(),
        };
        assert_eq!(n, 0);
    }
}

#[tokio::test]
async fn a_restarted_process_keeps_the_winners_and_the_sold_count() {
    for (url, _dir) in store_urls().await {
        let clock = FakeClock::new(NOW.parse().unwrap());
        let (first, app) = start(&url, &clock).await;
        let t = seed(&app, 200, 4).await;
        let sale = first.schedule(2, 1, -1, 60).await;
        assert_eq!(
            first.claim(&sale, &t[0], Some("a")).await.0,
            StatusCode::CREATED
        );
        first.task.abort();
        drop(app);
        first.db.close().await;

        let (second, _app) = start(&url, &clock).await;
        let (status, body, replayed) = second.claim(&sale, &t[0], Some("a")).await;
        assert_eq!((status, replayed), (StatusCode::CREATED, true), "{body}");
        let (status, body, _) = second.claim(&sale, &t[0], Some("b")).await;
        assert_eq!(code(&body), "ALREADY_CLAIMED", "{status} {body}");
        let (status, body, _) = second.claim(&sale, &t[1], Some("c")).await;
        assert_eq!(
            (status, body["seq"].as_u64()),
            (StatusCode::CREATED, Some(2))
        );
        let (_, body, _) = second.claim(&sale, &t[2], Some("d")).await;
        assert_eq!(code(&body), "SOLD_OUT");
        assert_eq!(second.claims_rows().await, 2);
    }
}

#[tokio::test]
async fn a_starting_process_arms_the_sales_not_yet_ended_and_they_take_claims() {
    for (url, _dir) in store_urls().await {
        let clock = FakeClock::new(NOW.parse().unwrap());
        let (first, app) = start(&url, &clock).await;
        let t = seed(&app, 400, 2).await;
        let on = first.schedule(5, 1, -1, 60).await;
        let upcoming = first.schedule(5, 1, 30, 90).await;
        let ending = first.schedule(5, 1, -1, 2).await;
        // Scheduling a sale arms it.
        let mut armed: Vec<String> = app
            .armed_flash_sales()
            .iter()
            .map(ToString::to_string)
            .collect();
        armed.sort();
        let mut scheduled = vec![on.clone(), upcoming, ending];
        scheduled.sort();
        assert_eq!(armed, scheduled);
        first.task.abort();
        drop(app);
        first.db.close().await;
        clock.advance(jiff::SignedDuration::from_mins(3));

        let (second, app) = start(&url, &clock).await;
        assert!(app.armed_flash_sales().is_empty(), "nothing armed yet");
        assert_eq!(
            app.arm_flash_sales().await.unwrap(),
            2,
            "on sale and upcoming"
        );
        assert_eq!(app.armed_flash_sales().len(), 2);
        // Armed twice: still one sequencer a sale, and it decides.
        assert_eq!(app.arm_flash_sales().await.unwrap(), 2);
        let (status, body, _) = second.claim(&on, &t[0], Some("a")).await;
        assert_eq!(
            (status, body["seq"].as_u64()),
            (StatusCode::CREATED, Some(1))
        );
        let (status, body, replayed) = second.claim(&on, &t[0], Some("a")).await;
        assert_eq!((status, replayed), (StatusCode::CREATED, true), "{body}");
        assert_eq!(second.claims_rows().await, 1);
    }
}

#[tokio::test]
async fn two_processes_on_one_postgres_never_oversell() {
    // Two App instances (two sequencers, as two `cardlife serve` would have) share one database.
    let Ok(admin) = std::env::var("CARDLIFE_TEST_DATABASE_URL") else {
        return;
    };
    let name = format!("cardlife_test_{}", uuid::Uuid::now_v7().simple());
    let mut conn = PgConnection::connect(&admin).await.unwrap();
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let url = with_database(&admin, &name);
    let clock = FakeClock::new(NOW.parse().unwrap());
    let (a, app) = start(&url, &clock).await;
    let (b, _app_b) = start(&url, &clock).await;
    let tokens = seed(&app, 300, 40).await;
    let sale = a.schedule(15, 1, -1, 60).await;
    let servers = std::sync::Arc::new([a, b]);
    let tasks: Vec<_> = (0..80usize)
        .map(|i| {
            let servers = servers.clone();
            let token = tokens[i % 40].clone();
            let sale = sale.clone();
            tokio::spawn(async move {
                let (status, _, _) = servers[i % 2]
                    .claim(&sale, &token, Some(&format!("k-{i}")))
                    .await;
                (token, status)
            })
        })
        .collect();
    let mut winners = HashSet::new();
    let mut wins = 0;
    for t in tasks {
        let (token, status) = t.await.unwrap();
        if status == StatusCode::CREATED {
            wins += 1;
            winners.insert(token);
        }
    }
    assert_eq!((wins, winners.len()), (15, 15));
    assert_eq!(servers[0].claims_rows().await, 15);
}

#[tokio::test]
async fn a_claim_is_answered_only_once_its_batch_is_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/test.db", dir.path().display());
    let clock = FakeClock::new(NOW.parse().unwrap());
    let (server, app) = start(&url, &clock).await;
    let t = seed(&app, 600, 2).await;
    let Db::Sqlite(pool) = &server.db else {
        unreachable!("a sqlite URL opens SQLite")
    };
    // Held before the sale's writer starts and asks for the file's syncer: the hold keeps the
    // syncer, so the writer gets this one.
    let hold = LogSync::of(pool).unwrap().hold();
    let sale = server.schedule(5, 1, -1, 60).await;

    // The win is committed (its row is there to read) but not answered while the disk is held.
    let first = spawn_claim(&server, &sale, &t[0], "a");
    for _ in 0..500 {
        if server.claims_rows().await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(server.claims_rows().await, 1);
    // Nor is what memory would learn from it: the same customer's second claim is decided by
    // the writer from the table, and that refusal waits for the same disk.
    let again = spawn_claim(&server, &sale, &t[0], "b");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!first.is_finished(), "a win answered before it was on disk");
    assert!(
        !again.is_finished(),
        "a refusal answered before its reason was on disk"
    );

    drop(hold);
    let (status, body) = first.await.unwrap();
    assert_eq!(
        (status, body["seq"].as_u64()),
        (StatusCode::CREATED, Some(1)),
        "{body}"
    );
    let (status, body) = again.await.unwrap();
    assert_eq!(code(&body), "ALREADY_CLAIMED", "{status} {body}");
    // Once on disk, memory answers the customer at once.
    let (status, body, _) = server.claim(&sale, &t[0], Some("c")).await;
    assert_eq!(code(&body), "ALREADY_CLAIMED", "{status} {body}");
    assert_eq!(server.claims_rows().await, 1);
}
