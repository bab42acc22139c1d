//! Cashier incentives over HTTP, on every backend (docs/merchants.md, "Cashier incentives"): an
//! operator funds a programme on the ledger; QR payments taken by a named cashier earn one
//! reward each (minimum payment, daily cap, budget); a same-day full refund claws the reward
//! back, a later one does not; concurrent captures never pass the cap or the budget; the
//! merchant reads its cashiers' rewards; the ledger check holds throughout.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_app::merchants::incentives::{cashier_payable_account, incentive_budget_account};
use cardlife_store::db::Db;
use common::merchant::{Keys, code, ledger_account, ledger_ok, onboard, pay, signed};
use common::{INTERNAL_TOKEN, TestServer, servers};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// An operator POST with an idempotency key.
async fn post_keyed(
    s: &TestServer,
    path: &str,
    token: &str,
    key: &str,
    body: Value,
) -> (StatusCode, Value) {
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
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A staff member of `merchant` (the portal's application makes only the first; the rewards
/// need several cashiers).
async fn staff(s: &TestServer, merchant: &str, login: &str) -> uuid::Uuid {
    let id = uuid::Uuid::now_v7();
    let merchant = merchant.trim_start_matches("mer_");
    let merchant = uuid::Uuid::parse_str(merchant).unwrap().to_string();
    let sql = "INSERT INTO merchant_staff (id, merchant_id, login, password_phc, created_at_ns) \
               VALUES ($1, $2, $3, 'unused', 0)";
    match &s.db {
        Db::Sqlite(p) => sqlx::query(sql)
            .bind(id.to_string())
            .bind(&merchant)
            .bind(login)
            .execute(p)
            .await
            .map(|_| ()),
        Db::Postgres(p) => sqlx::query(sql)
            .bind(id.to_string())
            .bind(&merchant)
            .bind(login)
            .execute(p)
            .await
            .map(|_| ()),
    }
    .unwrap();
    id
}

async fn operator(s: &TestServer, login: &str, role: &str) -> String {
    let password = "operator-password-1";
    let (status, b) = s
        .post(
            "/v1/internal/operators",
            Some(INTERNAL_TOKEN),
            json!({ "login": login, "phone": "13800000007", "password": password, "role": role }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let (_, session) = s
        .post(
            "/v1/operator/sessions",
            None,
            json!({ "login": login, "password": password }),
        )
        .await;
    session["token"].as_str().unwrap().to_owned()
}

async fn order_by(s: &TestServer, key: &Keys, amount: &str, cashier: &str) -> Value {
    let (status, o) = signed(
        s,
        key,
        Method::POST,
        "/v1/merchant/orders",
        Some(json!({ "amount": amount, "cashier": cashier })),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    o
}

async fn paid(s: &TestServer, payer: &str, o: &Value) {
    let idem = format!("pay-{}", o["id"].as_str().unwrap());
    let (status, b) = pay(s, payer, &idem, json!({ "payload": o["qr_payload"] })).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
}

async fn rewards(s: &TestServer, key: &Keys) -> Vec<Value> {
    let (status, b) = signed(
        s,
        key,
        Method::GET,
        "/v1/merchant/cashier-rewards",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    b.as_array().unwrap().clone()
}

fn of<'a>(list: &'a [Value], login: &str) -> &'a Value {
    list.iter().find(|c| c["login"] == login).unwrap()
}

async fn refund(s: &TestServer, key: &Keys, o: &Value, amount: &str, idem: &str) {
    let path = format!("/v1/merchant/orders/{}/refunds", o["id"].as_str().unwrap());
    let (status, b) = signed(
        s,
        key,
        Method::POST,
        &path,
        Some(json!({ "amount": amount })),
        Some(idem),
    )
    .await;
    assert!(status.is_success(), "{b}");
}

#[tokio::test]
async fn cashiers_earn_rewards_within_cap_and_budget_and_lose_them_on_a_same_day_full_refund() {
    for s in servers().await {
        let (merchant, key) = onboard(&s, "Tea House", "rev-tea").await;
        let (other, other_key) = onboard(&s, "Bakery", "rev-bakery").await;
        let a1 = staff(&s, &merchant, "tea-a1").await;
        for n in 2..=5 {
            staff(&s, &merchant, &format!("tea-a{n}")).await;
        }
        staff(&s, &other, "bakery-b1").await;
        let manager = operator(&s, "incentives", "campaign_manager").await;

        // Refusals write nothing.
        let (status, b) = post_keyed(
            &s,
            "/v1/operator/cashier-incentives",
            &manager,
            "plan-bad",
            json!({ "name": "Spring", "reward": "0.50", "min_payment": "5.00",
                    "daily_cap": "0.40", "budget": "3.00" }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(code(&b), "INVALID_FIELD");
        assert_eq!(s.count("cashier_incentive_plans").await, 0);
        let (status, _) = s
            .get("/v1/operator/cashier-incentives", Some(&manager))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // 0.50 per payment of at least 5.00, at most 1.00 per cashier per day, 3.00 in all.
        let terms = json!({ "name": "Spring", "reward": "0.50", "min_payment": "5.00",
                            "daily_cap": "1.00", "budget": "3.00" });
        let (status, b) = s
            .post(
                "/v1/operator/cashier-incentives",
                Some(&manager),
                terms.clone(),
            )
            .await;
        assert_eq!(code(&b), "IDEMPOTENCY_KEY_REQUIRED", "{status} {b}");
        let (status, plan) = post_keyed(
            &s,
            "/v1/operator/cashier-incentives",
            &manager,
            "plan-1",
            terms.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        // A retry answers the same programme and funds nothing twice.
        let (status, again) = post_keyed(
            &s,
            "/v1/operator/cashier-incentives",
            &manager,
            "plan-1",
            terms,
        )
        .await;
        assert_eq!((status, &again["id"]), (StatusCode::CREATED, &plan["id"]));
        assert_eq!(s.count("cashier_incentive_plans").await, 1);
        let plan_id = uuid::Uuid::parse_str(plan["id"].as_str().unwrap()).unwrap();
        let budget = incentive_budget_account(plan_id);
        assert_eq!(plan["budget_account"], budget.to_string());
        assert_eq!(ledger_account(&s, budget).await, (0, 300));
        ledger_ok(&s).await;

        // Another merchant's staff is not a cashier here; nothing is written.
        let orders_before = s.count("payment_orders").await;
        let (status, b) = signed(
            &s,
            &key,
            Method::POST,
            "/v1/merchant/orders",
            Some(json!({ "amount": "10.00", "cashier": "bakery-b1" })),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(code(&b), "INVALID_FIELD");
        assert_eq!(s.count("payment_orders").await, orders_before);

        let payer = s.register("13911119001").await;
        let o1 = order_by(&s, &key, "10.00", "tea-a1").await;
        paid(&s, &payer.token, &o1).await;
        let below = order_by(&s, &key, "3.00", "tea-a1").await;
        paid(&s, &payer.token, &below).await;
        let o3 = order_by(&s, &key, "10.00", "tea-a1").await;
        paid(&s, &payer.token, &o3).await;
        let capped = order_by(&s, &key, "10.00", "tea-a1").await;
        paid(&s, &payer.token, &capped).await;
        let list = rewards(&s, &key).await;
        assert_eq!(of(&list, "tea-a1")["today"], "1.00");
        assert_eq!(of(&list, "tea-a1")["today_count"], 2);
        assert_eq!(
            ledger_account(&s, cashier_payable_account(a1)).await,
            (0, 100)
        );

        // A same-day full refund claws the reward back; a partial refund does not.
        refund(&s, &key, &o3, "4.00", "r-o3-1").await;
        refund(&s, &key, &o1, "10.00", "r-o1").await;
        let list = rewards(&s, &key).await;
        assert_eq!(of(&list, "tea-a1")["today"], "0.50");
        assert_eq!(of(&list, "tea-a1")["total_count"], 1);
        assert_eq!(
            ledger_account(&s, cashier_payable_account(a1)).await,
            (50, 100)
        );
        ledger_ok(&s).await;

        // Concurrent captures: four each for tea-a2 and tea-a3 (cap: two each).
        let mut jobs = Vec::new();
        for n in 0..8 {
            let cashier = if n % 2 == 0 { "tea-a2" } else { "tea-a3" };
            let o = order_by(&s, &key, "20.00", cashier).await;
            let p = s.register(&format!("139111192{n:02}")).await;
            jobs.push((o, p));
        }
        let runs = jobs.iter().map(|(o, p)| paid(&s, &p.token, o));
        futures_util::future::join_all(runs).await;
        let list = rewards(&s, &key).await;
        assert_eq!(of(&list, "tea-a2")["today"], "1.00", "{list:?}");
        assert_eq!(of(&list, "tea-a3")["today"], "1.00", "{list:?}");
        // Granted so far: 0.50 + 2.00 of 3.00. Then six at once for two cashiers: one fits.
        let mut jobs = Vec::new();
        for n in 0..6 {
            let cashier = if n % 2 == 0 { "tea-a4" } else { "tea-a5" };
            let o = order_by(&s, &key, "20.00", cashier).await;
            let p = s.register(&format!("139111193{n:02}")).await;
            jobs.push((o, p));
        }
        let runs = jobs.iter().map(|(o, p)| paid(&s, &p.token, o));
        futures_util::future::join_all(runs).await;
        let list = rewards(&s, &key).await;
        let late: i64 = ["tea-a4", "tea-a5"]
            .iter()
            .map(|l| of(&list, l)["today_count"].as_i64().unwrap())
            .sum();
        assert_eq!(late, 1, "{list:?}");
        let (_, running) = s
            .get("/v1/operator/cashier-incentives", Some(&manager))
            .await;
        assert_eq!(running["granted"], "3.00", "{running}");
        // Funded 3.00 + clawed back 0.50 = rewards paid 3.50: the budget account is empty.
        assert_eq!(ledger_account(&s, budget).await, (350, 350));
        ledger_ok(&s).await;

        // The next business day: a full refund keeps the reward (already earned on its day).
        s.clock.advance(jiff::SignedDuration::from_hours(24));
        refund(&s, &key, &o3, "6.00", "r-o3-2").await;
        let list = rewards(&s, &key).await;
        assert_eq!(of(&list, "tea-a1")["today"], "0.00");
        assert_eq!(of(&list, "tea-a1")["total"], "0.50");
        assert_eq!(
            ledger_account(&s, cashier_payable_account(a1)).await,
            (50, 100)
        );

        // The other merchant sees its own staff only.
        let theirs = rewards(&s, &other_key).await;
        assert_eq!(theirs.len(), 1);
        assert_eq!(theirs[0]["login"], "bakery-b1");
        assert_eq!(theirs[0]["total"], "0.00");
        ledger_ok(&s).await;
    }
}

/// Charges `payer`'s pay code at `merchant`'s till, naming `cashier` when given.
async fn charge(
    s: &TestServer,
    key: &Keys,
    payer: &str,
    (amount, cashier): (&str, Option<&str>),
    idem: &str,
) -> (StatusCode, Value) {
    let (status, shown) = s.get("/v1/me/pay-code", Some(payer)).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    let mut body = json!({ "pay_code": shown["code"], "amount": amount });
    if let Some(c) = cashier {
        body["cashier"] = json!(c);
    }
    let path = "/v1/merchant/pay-code-charges";
    signed(s, key, Method::POST, path, Some(body), Some(idem)).await
}

async fn static_code_of(s: &TestServer, key: &Keys, cashier: &str) -> (StatusCode, Value) {
    let body = Some(json!({ "cashier": cashier }));
    signed(s, key, Method::POST, "/v1/merchant/qr/static", body, None).await
}

async fn pay_static(s: &TestServer, payer: &str, payload: &Value, amount: &str, idem: &str) {
    let body = json!({ "payload": payload, "amount": amount });
    let (status, b) = pay(s, payer, idem, body).await;
    assert_eq!(
        (status, b["status"].as_str()),
        (StatusCode::CREATED, Some("captured")),
        "{b}"
    );
}

#[tokio::test]
async fn pay_code_charges_and_static_codes_credit_their_cashier_within_the_cap_and_budget() {
    for s in servers().await {
        let (merchant, key) = onboard(&s, "Noodle Bar", "rev-noodle").await;
        let (other, _) = onboard(&s, "Florist", "rev-florist").await;
        let c1 = staff(&s, &merchant, "noodle-c1").await;
        let c2 = staff(&s, &merchant, "noodle-c2").await;
        staff(&s, &other, "florist-f1").await;
        let manager = operator(&s, "incentives-qr", "campaign_manager").await;
        // 0.50 per payment of at least 5.00, 1.00 per cashier per day, 1.50 in all.
        let terms = json!({ "name": "Tills", "reward": "0.50", "min_payment": "5.00",
                            "daily_cap": "1.00", "budget": "1.50" });
        let path = "/v1/operator/cashier-incentives";
        let (status, plan) = post_keyed(&s, path, &manager, "plan-qr", terms).await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        let plan_id = uuid::Uuid::parse_str(plan["id"].as_str().unwrap()).unwrap();
        let payer = s.register("13911119401").await;

        // A cashier that is not the merchant's own is refused, and nothing is written.
        let counted = [
            "qr_codes",
            "static_code_cashiers",
            "payment_orders",
            "used_paycodes",
        ];
        let mut before = Vec::new();
        for t in counted {
            before.push(s.count(t).await);
        }
        for login in ["florist-f1", "nobody"] {
            let (status, b) = static_code_of(&s, &key, login).await;
            assert_eq!(
                (status, code(&b)),
                (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_FIELD"),
                "{b}"
            );
            let idem = format!("bad-{login}");
            let (status, b) = charge(&s, &key, &payer.token, ("9.00", Some(login)), &idem).await;
            assert_eq!(
                (status, code(&b)),
                (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_FIELD"),
                "{b}"
            );
        }
        for (t, n) in counted.iter().zip(&before) {
            assert_eq!(s.count(t).await, *n, "{t}");
        }

        // A static code issued for noodle-c1: each payment with it is theirs, up to the cap.
        let (status, code_c1) = static_code_of(&s, &key, "noodle-c1").await;
        assert_eq!(status, StatusCode::CREATED, "{code_c1}");
        for n in 1..=3 {
            let idem = format!("static-c1-{n}");
            pay_static(&s, &payer.token, &code_c1["payload"], "12.00", &idem).await;
        }
        let list = rewards(&s, &key).await;
        assert_eq!(
            (
                &of(&list, "noodle-c1")["today"],
                &of(&list, "noodle-c1")["today_count"]
            ),
            (&json!("1.00"), &json!(2)),
            "{list:?}"
        );
        assert_eq!(
            ledger_account(&s, cashier_payable_account(c1)).await,
            (0, 100)
        );
        // A code made without a cashier credits no one.
        let (status, plain) =
            signed(&s, &key, Method::POST, "/v1/merchant/qr/static", None, None).await;
        assert_eq!(status, StatusCode::CREATED, "{plain}");
        pay_static(&s, &payer.token, &plain["payload"], "12.00", "static-none").await;

        // A pay-code charge naming noodle-c2 earns their reward.
        let (status, b) = charge(&s, &key, &payer.token, ("8.00", Some("noodle-c2")), "pc-1").await;
        assert_eq!(
            (status, b["status"].as_str()),
            (StatusCode::CREATED, Some("captured")),
            "{b}"
        );
        let list = rewards(&s, &key).await;
        assert_eq!(of(&list, "noodle-c2")["today"], "0.50", "{list:?}");
        // The budget (1.50) is spent: the next charge by noodle-c2 earns nothing.
        let (status, b) = charge(&s, &key, &payer.token, ("8.00", Some("noodle-c2")), "pc-2").await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        let list = rewards(&s, &key).await;
        assert_eq!(of(&list, "noodle-c2")["today_count"], 1, "{list:?}");
        let (_, running) = s.get(path, Some(&manager)).await;
        assert_eq!(running["granted"], "1.50", "{running}");
        assert_eq!(
            ledger_account(&s, incentive_budget_account(plan_id)).await,
            (150, 150)
        );
        assert_eq!(
            ledger_account(&s, cashier_payable_account(c2)).await,
            (0, 50)
        );
        ledger_ok(&s).await;
    }
}
