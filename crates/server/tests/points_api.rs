//! Points and the points mall over HTTP on both stores (docs/rewards.md): a captured card
//! payment earns points once, refunds claw them back pro rata, the mall takes points FIFO and
//! cash, refunds return both, bad requests change nothing, the daily job warns and then lapses
//! points, another customer's order is not there — and the points ledger's liability equals what
//! the customers hold after every step.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_app::rewards::points_ledger;
use cardlife_kernel::Clock;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use common::merchant::{code, ledger_ok, onboard, pay, signed};
use common::{INTERNAL_TOKEN, TestServer, servers};

async fn points(s: &TestServer, token: &str) -> Value {
    let (status, body) = s.get("/v1/me/points", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// `debits − credits` (posted) of a points-ledger account, 0 when it does not exist yet.
async fn ledger_net(s: &TestServer, id: u128) -> i64 {
    let path = format!("/v1/ledger/accounts/{}", uuid::Uuid::from_u128(id));
    let (status, a) = s.get(&path, Some(INTERNAL_TOKEN)).await;
    if status == StatusCode::NOT_FOUND {
        return 0;
    }
    assert_eq!(status, StatusCode::OK, "{a}");
    a["debits_posted"].as_i64().unwrap() - a["credits_posted"].as_i64().unwrap()
}

/// The programme's liability on the ledger equals Σ balances (API and ledger), and the ledger
/// check passes.
async fn liability_holds(s: &TestServer, customers: &[(&str, &str)]) {
    let mut sum = 0;
    for (id, token) in customers {
        let balance = points(s, token).await["balance"].as_i64().unwrap();
        let customer = cardlife_kernel::CustomerId::parse(id).unwrap();
        let on_ledger = -ledger_net(s, points_ledger::customer_id(customer)).await;
        assert_eq!(on_ledger, balance, "customer {id} on the ledger");
        sum += balance;
    }
    assert_eq!(ledger_net(s, points_ledger::programme_id()).await, sum);
    ledger_ok(s).await;
}

async fn login(s: &TestServer, phone: &str) -> String {
    let password = format!("pw-{phone}-secret");
    let (status, b) = s
        .post(
            "/v1/sessions",
            None,
            json!({"phone": phone, "password": password}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    b["token"].as_str().unwrap().to_owned()
}

async fn mall_post(
    s: &TestServer,
    path: &str,
    token: &str,
    idem: &str,
    body: Value,
) -> (StatusCode, Value) {
    let resp = s
        .client
        .post(format!("{}{path}", s.base))
        .bearer_auth(token)
        .header("idempotency-key", idem)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn points_are_earned_clawed_back_spent_in_the_mall_refunded_and_lapse_on_the_ledger() {
    for s in servers().await {
        let (_, key) = onboard(&s, "NOODLE HOUSE", "reviewer-points").await;
        let payer = s.register("13912340001").await;
        let other = s.register("13912340002").await;
        let who = [
            (payer.id.as_str(), payer.token.as_str()),
            (other.id.as_str(), other.token.as_str()),
        ];
        let empty = points(&s, &payer.token).await;
        assert_eq!(empty["balance"], 0);
        assert_eq!(empty["lots"].as_array().unwrap().len(), 0);

        // A 120.00 payment at a restaurant earns 120 points, once however often it is retried.
        let (status, order) = signed(
            &s,
            &key,
            Method::POST,
            "/v1/merchant/orders",
            Some(json!({ "amount": "120.00", "merchant_ref": "P-1" })),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        let body = json!({ "payload": order["qr_payload"] });
        for _ in 0..2 {
            let (status, b) = pay(&s, &payer.token, "pay-1", body.clone()).await;
            assert_eq!(status, StatusCode::CREATED, "{b}");
        }
        let p = points(&s, &payer.token).await;
        assert_eq!(p["balance"], 120, "{p}");
        assert_eq!(p["earned"], 120);
        assert_eq!(p["lots"][0]["expires_on"], "2031-04-01", "five years: {p}");
        assert_eq!(p["history"][0]["kind"], "accrual");
        liability_holds(&s, &who).await;

        // A partial refund of 33.33 claws back floor(33.33 × 120 ÷ 120) = 33; the rest of the
        // amount later takes exactly what is left of the 120.
        let order_id = order["id"].as_str().unwrap();
        let refunds = format!("/v1/merchant/orders/{order_id}/refunds");
        let (status, b) = signed(
            &s,
            &key,
            Method::POST,
            &refunds,
            Some(json!({ "amount": "33.33" })),
            Some("r-1"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        let p = points(&s, &payer.token).await;
        assert_eq!(
            (p["balance"].as_i64(), p["clawed_back"].as_i64()),
            (Some(87), Some(33)),
            "{p}"
        );
        liability_holds(&s, &who).await;

        // A second payment of 500.00 (500 points) to spend in the mall.
        let (_, order2) = signed(
            &s,
            &key,
            Method::POST,
            "/v1/merchant/orders",
            Some(json!({ "amount": "500.00", "merchant_ref": "P-2" })),
            None,
        )
        .await;
        let (status, b) = pay(
            &s,
            &payer.token,
            "pay-2",
            json!({ "payload": order2["qr_payload"] }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        assert_eq!(points(&s, &payer.token).await["balance"], 587);

        // The mall: 100 points + 9.90 CNY a unit, two units, one per customer.
        let (status, item) = s
            .post(
                "/v1/mall/items",
                Some(INTERNAL_TOKEN),
                json!({
            "name_zh": "保温杯", "name_en": "Vacuum flask", "points": 100, "cash_fen": 990,
            "stock": 2, "per_customer_limit": 1,
            "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{item}");
        let item_id = item["id"].as_str().unwrap().to_owned();
        let (status, bad) = s
            .post(
                "/v1/mall/items",
                Some(INTERNAL_TOKEN),
                json!({
            "name_zh": "坏", "name_en": "Bad", "points": 0, "stock": 1, "per_customer_limit": 1,
            "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z" }),
            )
            .await;
        assert_eq!(
            (status, code(&bad)),
            (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_TERMS")
        );
        assert_eq!(s.count("mall_items").await, 1);

        let (status, placed) = mall_post(
            &s,
            "/v1/mall/orders",
            &payer.token,
            "m-1",
            json!({ "item_id": item_id, "quantity": 1 }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{placed}");
        assert_eq!(
            (placed["points"].as_i64(), placed["cash_fen"].as_i64()),
            (Some(100), Some(990))
        );
        let (status, again) = mall_post(
            &s,
            "/v1/mall/orders",
            &payer.token,
            "m-1",
            json!({ "item_id": item_id, "quantity": 1 }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "a replay: {again}");
        assert_eq!(again["id"], placed["id"]);
        let p = points(&s, &payer.token).await;
        assert_eq!(p["balance"], 487, "{p}");
        // FIFO by expiry: both lots expire on the same day, so the older lot (87 left) went
        // first and is spent; 13 came from the second.
        assert_eq!(p["lots"].as_array().unwrap().len(), 1, "{p}");
        assert_eq!(
            (
                p["lots"][0]["lot"].as_i64(),
                p["lots"][0]["remaining"].as_i64()
            ),
            (Some(2), Some(487)),
            "{p}"
        );
        liability_holds(&s, &who).await;

        // Refusals change nothing: over the limit, not enough points, unknown item, bad id.
        let movements = s.count("points_movements").await;
        let (status, b) = mall_post(
            &s,
            "/v1/mall/orders",
            &payer.token,
            "m-2",
            json!({ "item_id": item_id, "quantity": 1 }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::CONFLICT, "OVER_CUSTOMER_LIMIT"),
            "{b}"
        );
        let (status, b) = mall_post(
            &s,
            "/v1/mall/orders",
            &other.token,
            "m-3",
            json!({ "item_id": item_id, "quantity": 1 }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "INSUFFICIENT_POINTS"),
            "{b}"
        );
        let unknown = format!("mli_{}", "0".repeat(32));
        let (status, b) = mall_post(
            &s,
            "/v1/mall/orders",
            &payer.token,
            "m-4",
            json!({ "item_id": unknown, "quantity": 1 }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::NOT_FOUND, "NOT_FOUND"),
            "{b}"
        );
        let (status, b) = mall_post(
            &s,
            "/v1/mall/orders",
            &payer.token,
            "m-5",
            json!({ "item_id": "nope", "quantity": 1 }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::BAD_REQUEST, "INVALID_ID"),
            "{b}"
        );
        let (status, b) = s
            .post(
                "/v1/mall/orders",
                Some(&payer.token),
                json!({ "item_id": item_id, "quantity": 1 }),
            )
            .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::BAD_REQUEST, "IDEMPOTENCY_KEY_REQUIRED"),
            "{b}"
        );
        assert_eq!(s.count("mall_orders").await, 1);
        assert_eq!(s.count("points_movements").await, movements);
        let (_, i) = s.get(&format!("/v1/mall/items/{item_id}"), None).await;
        assert_eq!(i["remaining"], 1);

        // Another customer's order is not there.
        let mall_order = placed["id"].as_str().unwrap();
        let (status, _) = s
            .get(
                &format!("/v1/me/mall/orders/{mall_order}"),
                Some(&other.token),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = mall_post(
            &s,
            &format!("/v1/me/mall/orders/{mall_order}/refunds"),
            &other.token,
            "x-1",
            json!({ "quantity": 1 }),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The refund returns both parts and the unit.
        let (status, r) = mall_post(
            &s,
            &format!("/v1/me/mall/orders/{mall_order}/refunds"),
            &payer.token,
            "mr-1",
            json!({ "quantity": 1 }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(
            (
                r["points_refunded"].as_i64(),
                r["cash_refunded_fen"].as_i64()
            ),
            (Some(100), Some(990))
        );
        let (status, r) = mall_post(
            &s,
            &format!("/v1/me/mall/orders/{mall_order}/refunds"),
            &payer.token,
            "mr-2",
            json!({ "quantity": 1 }),
        )
        .await;
        assert_eq!(
            (status, code(&r)),
            (StatusCode::UNPROCESSABLE_ENTITY, "REFUND_EXCEEDS_ORDER"),
            "{r}"
        );
        assert_eq!(points(&s, &payer.token).await["balance"], 587);
        let (_, i) = s.get(&format!("/v1/mall/items/{item_id}"), None).await;
        assert_eq!(i["remaining"], 2);
        let (_, mine) = s.get("/v1/me/mall/orders", Some(&payer.token)).await;
        assert_eq!(mine["orders"].as_array().unwrap().len(), 1);
        liability_holds(&s, &who).await;

        // The daily job: 20 days before the lots lapse it warns; on the day it lapses them.
        let start = s.clock.now();
        s.clock.set("2031-03-12T02:00:00Z".parse().unwrap());
        let (status, run) = s
            .post(
                "/v1/internal/points/expiry-runs",
                Some(INTERNAL_TOKEN),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        assert_eq!(run["points_expired"], 0);
        let token = login(&s, &payer.phone).await;
        let p = points(&s, &token).await;
        assert_eq!(
            p["expiring"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["points"].as_i64().unwrap())
                .sum::<i64>(),
            587,
            "{p}"
        );
        s.clock.set("2031-04-01T02:00:00Z".parse().unwrap());
        let (_, run) = s
            .post(
                "/v1/internal/points/expiry-runs",
                Some(INTERNAL_TOKEN),
                json!({}),
            )
            .await;
        assert_eq!(run["points_expired"], 587, "{run}");
        let (_, again) = s
            .post(
                "/v1/internal/points/expiry-runs",
                Some(INTERNAL_TOKEN),
                json!({}),
            )
            .await;
        assert_eq!(again["points_expired"], 0, "idempotent: {again}");
        let token = login(&s, &payer.phone).await;
        let other_token = login(&s, &other.phone).await;
        let p = points(&s, &token).await;
        assert_eq!(
            (p["balance"].as_i64(), p["expired"].as_i64()),
            (Some(0), Some(587)),
            "{p}"
        );
        assert_eq!(p["expiring"].as_array().unwrap().len(), 0);
        assert_eq!(p["history"][0]["kind"], "expiry");
        let who = [
            (payer.id.as_str(), token.as_str()),
            (other.id.as_str(), other_token.as_str()),
        ];
        liability_holds(&s, &who).await;
        s.clock.set(start);
    }
}
