//! A lottery's points prize whose credit fails after the draw committed, on both stores
//! (docs/rewards.md, "Lotteries"): the draw stands and the points are recorded as owed in its
//! transaction; the sweep leaves a fresh debt to the draw's own credit, keeps a debt whose credit
//! fails again, and credits it exactly once when the credit works — also when run again over a
//! debt whose credit already committed (the points movement and its ledger transfer are keyed by
//! the draw). The credit's failure is injected by a trigger on the test's own store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_app::rewards::lottery_owed::OwedPointsReport;
use cardlife_kernel::Clock;
use cardlife_store::db::Db;
use common::merchant::{code, ledger_ok, onboard, pay, signed};
use common::{Customer, INTERNAL_TOKEN, TestServer, servers};
use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn operator(s: &TestServer, login: &str, phone: &str) -> String {
    let password = format!("{login}-password-1");
    let (status, b) = s
        .post(
            "/v1/internal/operators",
            Some(INTERNAL_TOKEN),
            json!({ "login": login, "phone": phone, "password": password,
                    "role": "campaign_manager" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let (status, b) = s
        .post(
            "/v1/operator/sessions",
            None,
            json!({ "login": login, "password": password }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    b["token"].as_str().unwrap().to_owned()
}

async fn exec(s: &TestServer, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match &s.db {
        Db::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
    }
    .unwrap();
}

/// Makes every `lottery` points movement fail to insert, so the credit's transaction rolls
/// back: the failure a store error or a stopped process would cause. Only this test's store
/// carries it.
async fn refuse_lottery_credits(s: &TestServer) {
    let sql = if s.backend == "sqlite" {
        "CREATE TRIGGER refuse_lottery_points BEFORE INSERT ON points_movements \
         WHEN NEW.kind = 'lottery' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;"
    } else {
        "CREATE FUNCTION refuse_lottery_points() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$; \
         CREATE TRIGGER refuse_lottery_points BEFORE INSERT ON points_movements FOR EACH ROW \
         WHEN (NEW.kind = 'lottery') EXECUTE FUNCTION refuse_lottery_points();"
    };
    exec(s, sql).await;
}

async fn allow_lottery_credits(s: &TestServer) {
    let sql = if s.backend == "sqlite" {
        "DROP TRIGGER refuse_lottery_points;"
    } else {
        "DROP TRIGGER refuse_lottery_points ON points_movements; \
         DROP FUNCTION refuse_lottery_points();"
    };
    exec(s, sql).await;
}

async fn draw(s: &TestServer, c: &Customer, lottery: &str, key: &str) -> (StatusCode, Value) {
    let resp = s
        .client
        .post(format!("{}/v1/me/lotteries/{lottery}/draws", s.base))
        .bearer_auth(&c.token)
        .header("idempotency-key", key)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn balance(s: &TestServer, c: &Customer) -> i64 {
    let (status, b) = s.get("/v1/me/points", Some(&c.token)).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    b["balance"].as_i64().unwrap()
}

async fn sweep(s: &TestServer) -> OwedPointsReport {
    s.app.pay_owed_lottery_points().await.unwrap()
}

#[tokio::test]
async fn a_points_prize_whose_credit_failed_stays_owed_and_the_sweep_credits_it_once() {
    for s in servers().await {
        let manager = operator(&s, "owed-lm", "13800001301").await;
        let (status, l) = s
            .post(
                "/v1/operator/lotteries",
                Some(&manager),
                json!({ "name": "积分抽奖",
                        "tiers": [{ "min_spend": "10.00", "draws": 1 }],
                        "prizes": [{ "name": "100 积分", "odds_bp": 10000, "kind": "points",
                                     "points": 100, "stock": 10 }],
                        "budget": "0", "points_budget": 1000,
                        "starts_at": "2026-03-01", "ends_at": "2026-05-01", "segment": {} }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{l}");
        let lottery = l["id"].as_str().unwrap();
        let (_, keys) = onboard(&s, "Owed Points Cafe", "owed-rev").await;
        let c = s.register("13930013001").await;
        let (status, o) = signed(
            &s,
            &keys,
            Method::POST,
            "/v1/merchant/orders",
            Some(json!({ "amount": "10.00" })),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{o}");
        let (status, paid) = pay(
            &s,
            &c.token,
            "owed-pay",
            json!({ "payload": o["qr_payload"] }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{paid}");
        let earned = balance(&s, &c).await;
        assert_eq!(earned, 10, "1 point per whole CNY of the payment");

        // The credit fails: the draw still commits and answers its prize; the points are owed.
        refuse_lottery_credits(&s).await;
        let (status, d) = draw(&s, &c, lottery, "owed-d1").await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
        assert_eq!(d["points"], 100, "{d}");
        assert_eq!(s.count("lottery_draws").await, 1);
        assert_eq!(s.count("lottery_points_owed").await, 1);
        assert_eq!(
            s.count("points_movements WHERE kind = 'lottery'").await,
            0,
            "nothing credited"
        );
        assert_eq!(balance(&s, &c).await, earned);

        // A debt younger than the grace is left to the draw's own credit.
        assert_eq!(sweep(&s).await, OwedPointsReport::default());
        // Older, with the credit still failing: it stays owed.
        s.clock.advance(SignedDuration::from_mins(2));
        assert_eq!(sweep(&s).await, OwedPointsReport { paid: 0, failed: 1 });
        assert_eq!(s.count("lottery_points_owed").await, 1);
        assert_eq!(balance(&s, &c).await, earned);

        // The credit works again: the sweep credits the draw once and forgets the debt.
        allow_lottery_credits(&s).await;
        assert_eq!(sweep(&s).await, OwedPointsReport { paid: 1, failed: 0 });
        assert_eq!(s.count("lottery_points_owed").await, 0);
        assert_eq!(balance(&s, &c).await, earned + 100);
        assert_eq!(s.count("points_movements WHERE kind = 'lottery'").await, 1);
        assert_eq!(sweep(&s).await, OwedPointsReport::default());

        // A process that stopped after the credit's commit but before the debt's delete leaves
        // the row: the sweep runs the credit again, which changes nothing, and forgets it.
        let at = s.clock.now().as_nanosecond() as i64 - 3_600_000_000_000;
        exec(
            &s,
            &format!(
                "INSERT INTO lottery_points_owed (draw_id, customer_id, points, owed_at_ns) \
                 SELECT id, customer_id, points, {at} FROM lottery_draws WHERE points > 0"
            ),
        )
        .await;
        assert_eq!(s.count("lottery_points_owed").await, 1);
        assert_eq!(sweep(&s).await, OwedPointsReport { paid: 1, failed: 0 });
        assert_eq!(s.count("lottery_points_owed").await, 0);
        assert_eq!(balance(&s, &c).await, earned + 100, "credited once");
        assert_eq!(s.count("points_movements WHERE kind = 'lottery'").await, 1);

        // The same key answers the same draw and credits nothing more; no chance is left.
        let (status, again) = draw(&s, &c, lottery, "owed-d1").await;
        assert_eq!((status, &again["id"]), (StatusCode::CREATED, &d["id"]));
        let (status, b) = draw(&s, &c, lottery, "owed-d2").await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::CONFLICT, "NO_DRAW_CHANCE"),
            "{b}"
        );
        assert_eq!(balance(&s, &c).await, earned + 100);
        let check = s.app.points_check().await.unwrap();
        assert!(check.holds(), "{check:?}");
        ledger_ok(&s).await;
    }
}
