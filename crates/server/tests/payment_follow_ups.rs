//! A QR payment's commits and its follow-ups (docs/merchants.md, "The commits of one payment",
//! "After the answer"), on every backend: with the follow-ups queued the payment answers
//! captured, the queue drains by itself and the payer's points arrive; a row a stopped process
//! left behind is run by the recovery sweep, once (the work is idempotent per order). On the
//! embedded store the durable commits of one payment are counted from the write-ahead log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use cardlife_app::App;
use cardlife_app::credit::{CardKeys, OpenCreditAccount};
use cardlife_app::merchants::operators::{NewOperator, Role};
use cardlife_app::merchants::orders::NewDynamicOrder;
use cardlife_app::merchants::{AfterCapture, Application, Decision, MerchantsConfig};
use cardlife_kernel::{Clock, CustomerId, FakeClock, MerchantId, Money, Secret};
use cardlife_store::{Db, LedgerService};
use jiff::SignedDuration;
use sqlx::Connection;

/// One store to pay on: the app, its clock, and the SQLite file when embedded.
struct World {
    app: App,
    db: Db,
    clock: FakeClock,
    payer: CustomerId,
    merchant: MerchantId,
    file: Option<PathBuf>,
    _dir: Option<tempfile::TempDir>,
    dropped: Option<(String, String)>,
}

async fn open(url: &str, clock: &FakeClock, after: AfterCapture) -> (App, Db) {
    let db = Db::open(url).await.unwrap();
    db.migrate().await.unwrap();
    let ledger = LedgerService::start(&db, clock.shared()).await.unwrap();
    let mut config = MerchantsConfig::random();
    config.after_capture = after;
    let app = App::new(db.clone(), ledger, clock.shared())
        .with_merchants(config)
        .with_credit(CardKeys::new([3; 32], [5; 32]))
        .await
        .unwrap();
    (app, db)
}

async fn world(url: String, after: AfterCapture) -> World {
    let clock = FakeClock::new("2026-04-01T02:00:00Z".parse().unwrap());
    let (app, db) = open(&url, &clock, after).await;
    let payer = app
        .seed_customers(&["13900000071".to_owned()])
        .await
        .unwrap()[0]
        .id;
    app.credit_open_account(OpenCreditAccount {
        customer_id: payer,
        product: serde_json::json!({}),
        credit_limit_fen: 1_000_000,
        card_number: Secret::new("4111111111111111".to_owned()),
        card_expires: "2035-12".to_owned(),
    })
    .await
    .unwrap();
    let reviewer = app
        .create_operator(
            NewOperator {
                login: "follow-up-reviewer".to_owned(),
                phone: "13800000071".to_owned(),
                password: Secret::new("follow-up-reviewer-pw-1".to_owned()),
                role: Role::MerchantReviewer,
            },
            None,
        )
        .await
        .unwrap();
    let applied = app
        .apply_merchant(Application {
            name: "FOLLOW UP STORE".to_owned(),
            city: "SHANGHAI".to_owned(),
            address: "1 Nanjing Rd".to_owned(),
            mcc: "5311".to_owned(),
            settlement_account: Secret::new("6222020200112233445".to_owned()),
            mdr_rate: None,
        })
        .await
        .unwrap();
    app.review_merchant(&reviewer, applied.id, Decision::Approve, None)
        .await
        .unwrap();
    let file = url.strip_prefix("sqlite://").map(PathBuf::from);
    World {
        app,
        db,
        clock,
        payer,
        merchant: applied.id,
        file,
        _dir: None,
        dropped: None,
    }
}

/// A fresh store on every backend the run has.
async fn worlds(after: AfterCapture) -> Vec<World> {
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = world(format!("sqlite://{}/pay.db", dir.path().display()), after).await;
    sqlite._dir = Some(dir);
    let mut all = vec![sqlite];
    if let Ok(admin) = std::env::var("CARDLIFE_TEST_DATABASE_URL") {
        let name = format!("cardlife_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        let mut pg = world(format!("{base}/{name}"), after).await;
        pg.dropped = Some((admin, name));
        all.push(pg);
    }
    all
}

async fn drop_world(w: World) {
    let World { db, dropped, .. } = w;
    db.close().await;
    if let Some((admin, name)) = dropped {
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
    }
}

/// Pays a fresh dynamic order of `fen` under `key`; the order's id.
async fn pay(w: &World, fen: i64, key: &str) -> uuid::Uuid {
    let order = w
        .app
        .create_dynamic_order(
            w.merchant,
            NewDynamicOrder {
                amount: Money::cny(fen),
                merchant_ref: None,
                ttl_seconds: None,
                cashier: None,
            },
        )
        .await
        .unwrap();
    let paid = w
        .app
        .pay_qr(w.payer, key, order.qr_payload.as_deref().unwrap(), None)
        .await
        .unwrap();
    assert_eq!(paid.status, "captured");
    paid.id.as_uuid()
}

async fn queued(db: &Db) -> i64 {
    let sql = "SELECT COUNT(*) FROM payment_follow_ups";
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
    }
}

async fn drained(db: &Db) {
    for _ in 0..200 {
        if queued(db).await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("follow-ups still queued after 5 s");
}

#[tokio::test]
async fn queued_follow_ups_run_after_the_answer_and_recovery_runs_a_left_row_once() {
    for w in worlds(AfterCapture::Queued).await {
        let order = pay(&w, 12_345, "follow-up-1").await;
        drained(&w.db).await;
        let points = w.app.my_points(w.payer).await.unwrap().balance;
        assert_eq!(points.value(), 123, "1 point per whole CNY of 123.45");

        // A process that stopped after the capture's commit leaves its row: the sweep runs
        // the work again, which changes nothing, and forgets the row.
        let at = w.clock.now().as_nanosecond() as i64;
        let sql = "INSERT INTO payment_follow_ups (order_id, queued_at_ns) VALUES ($1, $2)";
        match &w.db {
            Db::Sqlite(p) => {
                sqlx::query(sql)
                    .bind(order.to_string())
                    .bind(at)
                    .execute(p)
                    .await
                    .unwrap();
            }
            Db::Postgres(p) => {
                sqlx::query(sql)
                    .bind(order.to_string())
                    .bind(at)
                    .execute(p)
                    .await
                    .unwrap();
            }
        }
        w.app.recover_payments().await.unwrap();
        assert_eq!(queued(&w.db).await, 1, "younger than the grace: left alone");
        w.clock.advance(SignedDuration::from_mins(2));
        w.app.recover_payments().await.unwrap();
        assert_eq!(queued(&w.db).await, 0);
        let again = w.app.my_points(w.payer).await.unwrap().balance;
        assert_eq!(again, points, "the follow-ups ran once");
        drop_world(w).await;
    }
}

/// Commit frames in the write-ahead log since its last reset (its salt), one per durable
/// commit of any writer on the file.
fn wal_commits(file: &Path) -> ([u8; 8], usize) {
    let mut wal = file.as_os_str().to_owned();
    wal.push("-wal");
    let bytes = std::fs::read(&wal).unwrap_or_default();
    if bytes.len() < 32 {
        return ([0; 8], 0);
    }
    let page = u32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let salt: [u8; 8] = bytes[16..24].try_into().unwrap();
    let (mut commits, mut at) = (0, 32);
    while at + 24 + page <= bytes.len() {
        let frame = &bytes[at..at + 24];
        if frame[8..16] != salt {
            break;
        }
        if frame[4..8] != [0; 4] {
            commits += 1;
        }
        at += 24 + page;
    }
    (salt, commits)
}

/// A read transaction held open on a connection of its own, begun just after a write of its
/// own (so its snapshot ends in frames of the log not yet copied back). While it lasts the
/// write-ahead log is not started afresh (a writer restarts the log only when no reader uses
/// it), so the commits of what runs meanwhile can be counted from the file.
async fn log_held_open(file: &Path) -> sqlx::SqliteConnection {
    let mut reader = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    for sql in [
        "CREATE TABLE IF NOT EXISTS test_log_marker (n INTEGER)",
        "INSERT INTO test_log_marker (n) VALUES (1)",
        "BEGIN",
    ] {
        sqlx::query(sql).execute(&mut reader).await.unwrap();
    }
    let _: i64 = sqlx::query_scalar("SELECT count(*) FROM test_log_marker")
        .fetch_one(&mut reader)
        .await
        .unwrap();
    reader
}

/// The durable commits of one payment on the embedded store, after a first payment warmed the
/// payer's rows: (before the answer, after it). The log is held open while they are counted;
/// retried should it still have been started afresh.
async fn commits_of_one_payment(w: &World, n: usize) -> (usize, usize) {
    let file = w.file.as_deref().unwrap();
    for attempt in 0..5 {
        let order = w
            .app
            .create_dynamic_order(
                w.merchant,
                NewDynamicOrder {
                    amount: Money::cny(1_000),
                    merchant_ref: None,
                    ttl_seconds: None,
                    cashier: None,
                },
            )
            .await
            .unwrap();
        drained(&w.db).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let reader = log_held_open(file).await;
        let before = wal_commits(file);
        let paid = w
            .app
            .pay_qr(
                w.payer,
                &format!("count-{n}-{attempt}"),
                order.qr_payload.as_deref().unwrap(),
                None,
            )
            .await
            .unwrap();
        assert_eq!(paid.status, "captured");
        let answered = wal_commits(file);
        drained(&w.db).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let after = wal_commits(file);
        reader.close().await.unwrap();
        if before.0 == after.0 {
            return (answered.1 - before.1, after.1 - answered.1);
        }
    }
    panic!("the log was reset during every attempt");
}

#[tokio::test(flavor = "current_thread")]
async fn one_payment_commits_fewer_times_before_its_answer_when_follow_ups_are_queued() {
    let mut counts = Vec::new();
    for after in [AfterCapture::Inline, AfterCapture::Queued] {
        let w = worlds(after).await.into_iter().next().unwrap();
        pay(&w, 1_000, "warm-up").await;
        let (answer, later) = commits_of_one_payment(&w, 1).await;
        eprintln!("{after:?}: {answer} commits before the answer, {later} after it");
        counts.push(answer);
        drop_world(w).await;
    }
    assert!(
        counts[1] < counts[0],
        "queued follow-ups leave the answer path: {counts:?}"
    );
}
