//! A captured payment's follow-up work run again after a stop in the middle of it, on both
//! stores (docs/merchants.md, "After the answer"): when the work committed but its queue row was
//! not deleted, the recovery sweep runs it again and nothing is applied twice — the payer's
//! points, both sides of the referral, the cashier's reward (its grant and its transfer), the
//! campaign's coupon, the lottery's spend and chance. A stop between the referral's credits and
//! its settlement, and one between the cashier reward's grant and its transfer, are finished by
//! the sweep exactly once. The ledger check and the points check hold after each run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_app::merchants::incentives::{cashier_payable_account, incentive_budget_account};
use cardlife_kernel::Clock;
use cardlife_store::db::Db;
use common::merchant::{Keys, ledger_account, ledger_ok, onboard, pay, signed};
use common::{Customer, INTERNAL_TOKEN, TestServer, servers};
use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn exec(s: &TestServer, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match &s.db {
        Db::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
    }
    .unwrap();
}

async fn text(s: &TestServer, sql: &str) -> String {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match &s.db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
    }
}

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

/// A cashier of `merchant` (`mer_…`); its id.
async fn cashier(s: &TestServer, merchant: &str, login: &str) -> uuid::Uuid {
    let id = uuid::Uuid::now_v7();
    let merchant = uuid::Uuid::parse_str(merchant.trim_start_matches("mer_")).unwrap();
    exec(
        s,
        &format!(
            "INSERT INTO merchant_staff (id, merchant_id, login, password_phc, created_at_ns) \
             VALUES ('{id}', '{merchant}', '{login}', 'unused', 0)"
        ),
    )
    .await;
    id
}

async fn referral_code(s: &TestServer, c: &Customer, device: &str) -> String {
    let resp = s
        .client
        .get(format!("{}/v1/me/referral", s.base))
        .bearer_auth(&c.token)
        .header("x-device-id", device)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let b: Value = resp.json().await.unwrap();
    b["code"].as_str().unwrap().to_owned()
}

async fn bind(s: &TestServer, c: &Customer, code: &str, device: &str) {
    let resp = s
        .client
        .post(format!("{}/v1/me/referral/binding", s.base))
        .bearer_auth(&c.token)
        .header("x-device-id", device)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
}

async fn keyed(s: &TestServer, path: &str, token: &str, key: &str, body: Value) -> Value {
    let resp = s
        .client
        .post(format!("{}{path}", s.base))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let b: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{b}");
    b
}

/// `c` pays `amount` on an order taken by cashier `login`; the order's UUID.
async fn pay_at(s: &TestServer, keys: &Keys, c: &Customer, amount: &str, login: &str) -> String {
    let (status, o) = signed(
        s,
        keys,
        Method::POST,
        "/v1/merchant/orders",
        Some(json!({ "amount": amount, "cashier": login })),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    let key = format!("pay-{}", o["id"].as_str().unwrap());
    let (status, b) = pay(s, &c.token, &key, json!({ "payload": o["qr_payload"] })).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let id = o["id"].as_str().unwrap();
    uuid::Uuid::parse_str(id.split_once('_').map_or(id, |(_, u)| u))
        .unwrap()
        .to_string()
}

async fn balance(s: &TestServer, c: &Customer) -> i64 {
    s.get("/v1/me/points", Some(&c.token)).await.1["balance"]
        .as_i64()
        .unwrap()
}

/// Everything the follow-ups of a payment change, as one comparable line.
async fn effects(s: &TestServer, a: &Customer, b: &Customer, staff: uuid::Uuid) -> Vec<i64> {
    let mut out = vec![balance(s, a).await, balance(s, b).await];
    for table in [
        "points_movements",
        "cashier_rewards",
        "cashier_reward_days",
        "coupons",
        "campaign_grants",
        "lottery_spend",
        "draw_chances",
        "referrals WHERE state = 'rewarded'",
    ] {
        out.push(s.count(table).await);
    }
    let granted: String = text(
        s,
        "SELECT CAST(SUM(granted_fen) AS TEXT) FROM cashier_incentive_plans",
    )
    .await;
    out.push(granted.parse().unwrap());
    let (debits, credits) = ledger_account(s, cashier_payable_account(staff)).await;
    out.extend([debits, credits]);
    out
}

/// Leaves `order`'s queue row behind as a stopped process would, queued long enough ago for
/// the sweep to take it, and runs the sweep.
async fn rerun(s: &TestServer, order: &str) {
    let at = s.clock.now().as_nanosecond() as i64 - 600_000_000_000;
    exec(
        s,
        &format!(
            "INSERT INTO payment_follow_ups (order_id, queued_at_ns) VALUES ('{order}', {at})"
        ),
    )
    .await;
    s.app.recover_payments().await.unwrap();
    assert_eq!(s.count("payment_follow_ups").await, 0, "the row is gone");
}

async fn checks_hold(s: &TestServer) {
    ledger_ok(s).await;
    let check = s.app.points_check().await.unwrap();
    assert!(check.holds(), "{check:?}");
}

#[tokio::test]
async fn follow_ups_run_again_after_a_stop_apply_nothing_twice() {
    for s in servers().await {
        let (merchant, keys) = onboard(&s, "Twice Tea House", "twice-rev").await;
        let staff = cashier(&s, &merchant, "twice-a1").await;
        let manager = operator(&s, "twice-cm", "13800001401").await;
        let a = s.register("13930014001").await;
        let b = s.register("13930014002").await;
        let code = referral_code(&s, &a, "device-a").await;
        bind(&s, &b, &code, "device-b").await;

        // A payment campaign and a lottery, running.
        let (status, t) = s
            .post(
                "/v1/operator/coupon-templates",
                Some(&manager),
                json!({ "name": "回头礼", "kind": "fixed_off", "off": "3.00", "valid_days": 7,
                        "budget": "100.00", "stock": 10, "per_user": 5, "claimable": false }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{t}");
        let (status, c) = s
            .post(
                "/v1/operator/campaigns",
                Some(&manager),
                json!({ "name": "满百返", "trigger": "payment", "min_amount": "100.00",
                        "template_a": t["id"], "budget": "30.00", "starts_at": "2026-03-01",
                        "ends_at": "2026-05-01", "per_customer": 5 }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        let (status, l) = s
            .post(
                "/v1/operator/lotteries",
                Some(&manager),
                json!({ "name": "月度抽奖", "tiers": [{ "min_spend": "100.00", "draws": 1 }],
                        "prizes": [{ "name": "谢谢参与", "odds_bp": 10000, "kind": "none" }],
                        "budget": "0", "points_budget": 0,
                        "starts_at": "2026-03-01", "ends_at": "2026-05-01", "segment": {} }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{l}");

        // Paid before the cashier programme runs, below every threshold: points and the
        // lottery's spend only.
        let early = pay_at(&s, &keys, &b, "10.00", "twice-a1").await;
        let plan = keyed(
            &s,
            "/v1/operator/cashier-incentives",
            &manager,
            "twice-plan",
            json!({ "name": "Spring", "reward": "0.50", "min_payment": "5.00",
                    "daily_cap": "5.00", "budget": "10.00" }),
        )
        .await;
        let plan = uuid::Uuid::parse_str(&uuid_text(plan["id"].as_str().unwrap())).unwrap();

        // The qualifying payment: every follow-up has something to do.
        let order = pay_at(&s, &keys, &b, "120.00", "twice-a1").await;
        let once = effects(&s, &a, &b, staff).await;
        assert!(once[0] > 0, "the inviter was rewarded: {once:?}");
        assert_eq!(once[3], 1, "one cashier reward: {once:?}");
        assert_eq!(once[5], 1, "one coupon: {once:?}");
        assert_eq!(
            once[7], 2,
            "both payments counted for the lottery: {once:?}"
        );
        assert_eq!(once[8], 1, "one chance: {once:?}");
        assert_eq!(once[9], 1, "the referral rewarded: {once:?}");
        assert_eq!(once[12], 50, "the cashier's reward on the ledger: {once:?}");
        checks_hold(&s).await;
        s.clock.advance(SignedDuration::from_mins(1));

        // Stopped after the work committed, before its row was deleted: nothing twice.
        rerun(&s, &order).await;
        assert_eq!(effects(&s, &a, &b, staff).await, once);
        checks_hold(&s).await;

        // Stopped between the referral's credits and its settlement: settled, credited once.
        exec(
            &s,
            &format!(
                "UPDATE referrals SET state = 'pending', event = NULL, settled_at_ns = NULL \
                 WHERE invitee_id = '{}'",
                uuid_text(&b.id)
            ),
        )
        .await;
        rerun(&s, &order).await;
        assert_eq!(effects(&s, &a, &b, staff).await, once);
        checks_hold(&s).await;

        // Stopped between a cashier reward's grant and its transfer: the grant of the early
        // order is written as the reward's own transaction writes it, without the transfer.
        let merchant_uuid = uuid_text(&merchant);
        exec(
            &s,
            &format!(
                "INSERT INTO cashier_rewards (order_id, plan_id, merchant_id, staff_id, \
                 payment_fen, amount_fen, business_date, rewarded_at_ns, reversed_at_ns) \
                 VALUES ('{early}', '{plan}', '{merchant_uuid}', '{staff}', 1000, 50, \
                 '2026-04-01', 0, NULL); \
                 UPDATE cashier_incentive_plans SET granted_fen = granted_fen + 50 \
                 WHERE id = '{plan}'; \
                 UPDATE cashier_reward_days SET earned_fen = earned_fen + 50 \
                 WHERE plan_id = '{plan}' AND staff_id = '{staff}';"
            ),
        )
        .await;
        let budget = incentive_budget_account(plan);
        let (budget_debits, _) = ledger_account(&s, budget).await;
        rerun(&s, &early).await;
        let after = effects(&s, &a, &b, staff).await;
        assert_eq!(after[12], 100, "the cut-off transfer was made: {after:?}");
        assert_eq!(
            ledger_account(&s, budget).await.0,
            budget_debits + 50,
            "from the programme's budget"
        );
        rerun(&s, &early).await;
        assert_eq!(effects(&s, &a, &b, staff).await, after, "and only once");
        let mut expected = once.clone();
        expected[3] += 1;
        expected[10] += 50;
        expected[12] += 50;
        assert_eq!(after, expected, "nothing else changed");
        checks_hold(&s).await;
    }
}

/// The UUID in a typed id (`cus_…`, `mer_…`) or a bare UUID, as the tables store it.
fn uuid_text(id: &str) -> String {
    let bare = id.split_once('_').map_or(id, |(_, u)| u);
    uuid::Uuid::parse_str(bare).unwrap().to_string()
}
