//! Coupons and campaigns over the API, on both stores (docs/rewards.md): templates funded on the
//! ledger, claims racing for a budget, paying with a coupon (price − coupon charged, the discount
//! held then posted), refusals that change nothing, refunds giving the coupon back, campaigns
//! granting on a first card binding and on a payment, budgets holding under concurrent triggers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::merchant::{Keys, code, ledger_ok, onboard, pay, signed};
use common::{Customer, INTERNAL_TOKEN, TestServer, servers};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// An operator of `role`, logged in: its session token.
async fn operator(s: &TestServer, login: &str, role: &str, phone: &str) -> String {
    let password = format!("{login}-password-1");
    let (status, b) = s
        .post(
            "/v1/internal/operators",
            Some(INTERNAL_TOKEN),
            json!({ "login": login, "phone": phone, "password": password, "role": role }),
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

fn fixed_template(name: &str, off: &str, budget: &str, stock: u32, claimable: bool) -> Value {
    json!({ "name": name, "kind": "fixed_off", "off": off, "valid_days": 7, "budget": budget,
            "stock": stock, "per_user": 1, "claimable": claimable })
}

async fn create_template(s: &TestServer, token: &str, body: Value) -> Value {
    let (status, t) = s
        .post("/v1/operator/coupon-templates", Some(token), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    t
}

async fn claim(s: &TestServer, c: &Customer, template: &str, key: &str) -> (StatusCode, Value) {
    let resp = s
        .client
        .post(format!("{}/v1/coupons/claimable/{template}/claims", s.base))
        .bearer_auth(&c.token)
        .header("idempotency-key", key)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The ledger account `id` (UUID form) as the internal API shows it.
async fn account(s: &TestServer, id: &str) -> Value {
    let (status, a) = s
        .get(&format!("/v1/ledger/accounts/{id}"), Some(INTERNAL_TOKEN))
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    a
}

fn fen(v: &Value) -> i64 {
    v.as_str()
        .map(|s| s.parse().unwrap())
        .or_else(|| v.as_i64())
        .unwrap_or_else(|| panic!("not an amount: {v}"))
}

async fn dynamic_order(s: &TestServer, keys: &Keys, amount: &str) -> Value {
    let (status, o) = signed(
        s,
        keys,
        Method::POST,
        "/v1/merchant/orders",
        Some(json!({ "amount": amount })),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    o
}

async fn my_coupons(s: &TestServer, c: &Customer) -> Vec<Value> {
    let (status, list) = s.get("/v1/me/coupons", Some(&c.token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

/// A Luhn-valid 16-digit card number from `n`.
fn card_number(n: u64) -> String {
    let body = format!("622202{n:09}");
    let digits: Vec<u32> = body.chars().map(|c| c.to_digit(10).unwrap()).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                *d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

#[tokio::test]
async fn templates_claims_and_paying_with_a_coupon() {
    for s in servers().await {
        let manager = operator(&s, "cm1", "campaign_manager", "13800000101").await;
        let viewer = operator(&s, "vw1", "viewer", "13800000102").await;

        // Roles and bad terms: refused, nothing written, no money moved.
        let body = fixed_template("十元立减", "10.00", "100.00", 50, true);
        let (status, b) = s
            .post("/v1/operator/coupon-templates", Some(&viewer), body.clone())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{b}");
        for bad in [
            json!({ "name": "x", "kind": "fixed_off", "off": "-1", "valid_days": 7, "budget": "100.00", "stock": 5, "per_user": 1, "claimable": true }),
            json!({ "name": "<script>", "kind": "fixed_off", "off": "1.00", "valid_days": 7, "budget": "100.00", "stock": 5, "per_user": 1, "claimable": true }),
            json!({ "name": "x", "kind": "threshold", "off": "30.00", "min_spend": "20.00", "valid_days": 7, "budget": "100.00", "stock": 5, "per_user": 1, "claimable": true }),
            json!({ "name": "x", "kind": "fixed_off", "off": "1.00", "valid_from": "2026-05-01", "valid_until": "2026-04-01", "budget": "100.00", "stock": 5, "per_user": 1, "claimable": true }),
            json!({ "name": "x", "kind": "percent_off", "percent": "150", "cap": "5.00", "valid_days": 7, "budget": "100.00", "stock": 5, "per_user": 1, "claimable": true }),
        ] {
            let (status, b) = s
                .post("/v1/operator/coupon-templates", Some(&manager), bad)
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
            assert_eq!(code(&b), "INVALID_TERMS", "{b}");
        }
        assert_eq!(s.count("coupon_templates").await, 0);

        // A template: 10.00 off, budget 100.00 → at most 10 coupons though the stock is 50.
        let t = create_template(&s, &manager, body).await;
        let template = t["id"].as_str().unwrap().to_owned();
        assert_eq!(t["remaining"], 10, "{t}");
        let budget = account(&s, t["budget_account"].as_str().unwrap()).await;
        assert_eq!(fen(&budget["credits_posted"]), 10_000, "{budget}");
        let (status, list) = s.get("/v1/operator/coupon-templates", Some(&viewer)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list.as_array().unwrap().len(), 1);

        // 16 customers race for 10 coupons' worth of budget.
        let mut customers = Vec::new();
        for i in 0..16 {
            customers.push(s.register(&format!("1391000{i:04}")).await);
        }
        let (status, offer) = s
            .get("/v1/coupons/claimable", Some(&customers[0].token))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(offer[0]["template"]["id"], template.as_str(), "{offer}");
        let claim_keys: Vec<String> = (0..customers.len()).map(|i| format!("claim-{i}")).collect();
        let claims = customers
            .iter()
            .zip(&claim_keys)
            .map(|(c, k)| claim(&s, c, &template, k));
        let answers = futures_util::future::join_all(claims).await;
        let won = answers
            .iter()
            .filter(|(st, _)| *st == StatusCode::CREATED)
            .count();
        assert_eq!(won, 10, "{answers:?}");
        for (st, b) in answers.iter().filter(|(st, _)| *st != StatusCode::CREATED) {
            assert_eq!(*st, StatusCode::CONFLICT, "{b}");
            assert_eq!(code(b), "BUDGET_EXHAUSTED", "{b}");
        }
        assert_eq!(s.count("coupons").await, 10);
        let (_, list) = s.get("/v1/operator/coupon-templates", Some(&viewer)).await;
        assert_eq!(list[0]["issued_value"], "100.00", "{list}");

        let winners: Vec<&Customer> = customers
            .iter()
            .zip(&answers)
            .filter(|(_, (st, _))| *st == StatusCode::CREATED)
            .map(|(c, _)| c)
            .collect();
        let loser = customers
            .iter()
            .zip(&answers)
            .find(|(_, (st, _))| *st != StatusCode::CREATED)
            .map(|(c, _)| c)
            .unwrap();
        let a = winners[0];
        let b = winners[1];
        let a_index = customers.iter().position(|c| c.id == a.id).unwrap();

        // The same key replays the same coupon; another key is a second claim: refused.
        let (status, again) = claim(&s, a, &template, &format!("claim-{a_index}")).await;
        assert_eq!(status, StatusCode::CREATED, "{again}");
        assert_eq!(again["id"], answers[a_index].1["id"]);
        let (status, second) = claim(&s, a, &template, "another-key").await;
        assert_eq!(status, StatusCode::CONFLICT, "{second}");
        assert!(
            ["ALREADY_CLAIMED", "BUDGET_EXHAUSTED"].contains(&code(&second)),
            "{second}"
        );
        assert_eq!(s.count("coupons").await, 10);

        // Owner-scoped: each sees its own coupons only.
        let mine = my_coupons(&s, a).await;
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0]["state"], "available");
        assert!(my_coupons(&s, loser).await.is_empty());
        let coupon = mine[0]["id"].as_str().unwrap().to_owned();

        // Paying a 30.00 order with it: 20.00 charged, 10.00 off.
        let (_, keys) = onboard(&s, "Noodle Bar", "rev1").await;
        let order = dynamic_order(&s, &keys, "30.00").await;
        let payload = order["qr_payload"].as_str().unwrap().to_owned();
        // Another customer's coupon is not there.
        let (status, refused) = pay(
            &s,
            &loser.token,
            "pay-foreign",
            json!({ "payload": payload, "coupon_id": coupon }),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
        let (status, paid) = pay(
            &s,
            &a.token,
            "pay-1",
            json!({ "payload": payload, "coupon_id": coupon }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{paid}");
        assert_eq!(paid["amount"], "30.00");
        assert_eq!(paid["coupon"], "10.00");
        assert_eq!(paid["captured"], "20.00");
        let mine = my_coupons(&s, a).await;
        assert_eq!(mine[0]["state"], "redeemed");
        assert_eq!(mine[0]["discount_given"], "10.00");
        let budget = account(&s, t["budget_account"].as_str().unwrap()).await;
        assert_eq!(fen(&budget["debits_posted"]), 1_000, "{budget}");
        assert_eq!(fen(&budget["debits_pending"]), 0, "{budget}");
        ledger_ok(&s).await;

        // A used coupon cannot pay again; the refusal charges nothing.
        let second_order = dynamic_order(&s, &keys, "15.00").await;
        let (status, refused) = pay(
            &s,
            &a.token,
            "pay-2",
            json!({ "payload": second_order["qr_payload"], "coupon_id": coupon }),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{refused}");
        assert_eq!(code(&refused), "COUPON_REDEEMED");

        // Below a threshold: refused, the order still unpaid, the coupon still available.
        let t2 = create_template(
            &s,
            &manager,
            json!({ "name": "满50减8", "kind": "threshold", "off": "8.00", "min_spend": "50.00",
                    "valid_days": 3, "budget": "80.00", "stock": 10, "per_user": 1, "claimable": true }),
        )
        .await;
        let (status, c2) = claim(&s, b, t2["id"].as_str().unwrap(), "b-t2").await;
        assert_eq!(status, StatusCode::CREATED, "{c2}");
        let (status, refused) = pay(
            &s,
            &b.token,
            "pay-3",
            json!({ "payload": second_order["qr_payload"], "coupon_id": c2["id"] }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(code(&refused), "BELOW_THRESHOLD");
        let c2_now = my_coupons(&s, b)
            .await
            .into_iter()
            .find(|c| c["id"] == c2["id"])
            .unwrap();
        assert_eq!(c2_now["state"], "available");
        let (_, unpaid) = signed(
            &s,
            &keys,
            Method::GET,
            &format!(
                "/v1/merchant/orders/{}",
                second_order["id"].as_str().unwrap()
            ),
            None,
            None,
        )
        .await;
        assert_eq!(unpaid["status"], "created", "{unpaid}");

        // A full refund gives back what was paid and the coupon (still valid); the discount
        // returns to the budget.
        let order_id = paid["id"].as_str().unwrap();
        let (status, refunded) = signed(
            &s,
            &keys,
            Method::POST,
            &format!("/v1/merchant/orders/{order_id}/refunds"),
            Some(json!({ "amount": "30.00" })),
            Some("refund-1"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{refunded}");
        assert_eq!(refunded["refunded"], "20.00", "{refunded}");
        let mine = my_coupons(&s, a).await;
        assert_eq!(mine[0]["state"], "available", "{mine:?}");
        let budget = account(&s, t["budget_account"].as_str().unwrap()).await;
        assert_eq!(fen(&budget["credits_posted"]), 11_000, "{budget}");
        ledger_ok(&s).await;

        // Used again after the refund.
        let third = dynamic_order(&s, &keys, "12.00").await;
        let (status, paid) = pay(
            &s,
            &a.token,
            "pay-4",
            json!({ "payload": third["qr_payload"], "coupon_id": coupon }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{paid}");
        assert_eq!(paid["captured"], "2.00");
        ledger_ok(&s).await;
    }
}

#[tokio::test]
async fn campaigns_grant_on_first_binding_and_on_payments_within_their_budgets() {
    for s in servers().await {
        let manager = operator(&s, "cm2", "campaign_manager", "13800000201").await;
        let gift = create_template(
            &s,
            &manager,
            fixed_template("新客礼 5 元", "5.00", "1000.00", 1000, false),
        )
        .await;
        let dining = create_template(
            &s,
            &manager,
            json!({ "name": "周三美食 8 折", "kind": "percent_off", "percent": "20", "cap": "15.00",
                    "valid_days": 7, "budget": "1000.00", "stock": 100, "per_user": 5,
                    "claimable": false }),
        )
        .await;
        // A gift budget of 15.00: three 5.00 coupons at most.
        let (status, c) = s
            .post(
                "/v1/operator/campaigns",
                Some(&manager),
                json!({ "name": "新客礼", "trigger": "first_card_binding", "template_a": gift["id"],
                        "budget": "15.00", "starts_at": "2026-03-01", "ends_at": "2026-05-01",
                        "per_customer": 1 }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        // Spend ≥ 50.00 at a restaurant (5812) on a Wednesday (2026-04-01 is one).
        let (status, c) = s
            .post(
                "/v1/operator/campaigns",
                Some(&manager),
                json!({ "name": "周三美食", "trigger": "payment", "min_amount": "50.00",
                        "mccs": ["5812"], "weekdays": [3], "template_a": dining["id"],
                        "budget": "100.00", "starts_at": "2026-03-01", "ends_at": "2026-05-01",
                        "per_customer": 2 }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        let (status, bad) = s
            .post(
                "/v1/operator/campaigns",
                Some(&manager),
                json!({ "name": "bad", "trigger": "payment", "min_amount": "50.00",
                        "weekdays": [9], "template_a": dining["id"], "budget": "100.00",
                        "starts_at": "2026-03-01", "ends_at": "2026-05-01", "per_customer": 1 }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let (_, calendar) = s.get("/v1/operator/campaigns", Some(&manager)).await;
        assert_eq!(calendar.as_array().unwrap().len(), 2, "{calendar}");

        // Eight customers bind their first cards at once: three gifts, never more.
        let mut customers = Vec::new();
        for i in 0..8 {
            customers.push(s.register(&format!("1392000{i:04}")).await);
        }
        let binds = customers.iter().enumerate().map(|(i, c)| {
            s.post(
                "/v1/me/debit-cards",
                Some(&c.token),
                json!({ "card_number": card_number(i as u64 + 1) }),
            )
        });
        for (status, b) in futures_util::future::join_all(binds).await {
            assert_eq!(status, StatusCode::CREATED, "{b}");
        }
        let mut gifts = 0;
        for c in &customers {
            gifts += my_coupons(&s, c).await.len();
        }
        assert_eq!(gifts, 3);
        assert_eq!(s.count("campaign_grants").await, 3);
        let (_, calendar) = s.get("/v1/operator/campaigns", Some(&manager)).await;
        let granted: Vec<&str> = calendar
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["granted"].as_str().unwrap())
            .collect();
        assert!(granted.contains(&"15.00"), "{calendar}");

        // A second binding is not a first binding.
        let first = &customers[0];
        let before = my_coupons(&s, first).await.len();
        let (status, _) = s
            .post(
                "/v1/me/debit-cards",
                Some(&first.token),
                json!({ "card_number": card_number(100) }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(my_coupons(&s, first).await.len(), before);

        // Payments: 60.00 at the restaurant on Wednesday earns the coupon; 40.00 does not.
        let (_, keys) = onboard(&s, "Hotpot", "rev2").await;
        let payer = s.register("13920009999").await;
        let small = dynamic_order(&s, &keys, "40.00").await;
        let (status, _) = pay(
            &s,
            &payer.token,
            "p-small",
            json!({ "payload": small["qr_payload"] }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        assert!(my_coupons(&s, &payer).await.is_empty());
        let big = dynamic_order(&s, &keys, "60.00").await;
        let (status, _) = pay(
            &s,
            &payer.token,
            "p-big",
            json!({ "payload": big["qr_payload"] }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let mine = my_coupons(&s, &payer).await;
        assert_eq!(mine.len(), 1, "{mine:?}");
        assert!(mine[0]["source"].as_str().unwrap().starts_with("cmp_"));
        // Used on the next dinner: 20 % of 50.00 = 10.00 off.
        let next = dynamic_order(&s, &keys, "50.00").await;
        let (status, paid) = pay(
            &s,
            &payer.token,
            "p-next",
            json!({ "payload": next["qr_payload"], "coupon_id": mine[0]["id"] }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{paid}");
        assert_eq!(paid["coupon"], "10.00");
        assert_eq!(paid["captured"], "40.00");
        // That payment (≥ 50.00 by price) earns the second and last award of the campaign.
        assert_eq!(my_coupons(&s, &payer).await.len(), 2);
        ledger_ok(&s).await;
    }
}

#[tokio::test]
async fn campaign_budgets_hold_under_concurrent_payment_triggers() {
    for s in servers().await {
        let manager = operator(&s, "cm3", "campaign_manager", "13800000301").await;
        let t = create_template(
            &s,
            &manager,
            fixed_template("返 3 元", "3.00", "1000.00", 1000, false),
        )
        .await;
        let (status, c) = s
            .post(
                "/v1/operator/campaigns",
                Some(&manager),
                json!({ "name": "满额返券", "trigger": "payment", "min_amount": "1.00",
                        "template_a": t["id"], "budget": "12.00", "starts_at": "2026-03-01",
                        "ends_at": "2026-05-01", "per_customer": 10 }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        let (_, keys) = onboard(&s, "Tea Shop", "rev3").await;
        let mut payers = Vec::new();
        let mut payloads = Vec::new();
        for i in 0..10 {
            payers.push(s.register(&format!("1393000{i:04}")).await);
            payloads.push(dynamic_order(&s, &keys, "5.00").await["qr_payload"].clone());
        }
        let keys_: Vec<String> = (0..payers.len()).map(|i| format!("cp-{i}")).collect();
        let payments = payers
            .iter()
            .zip(&payloads)
            .zip(&keys_)
            .map(|((p, payload), k)| pay(&s, &p.token, k, json!({ "payload": payload })));
        for (status, b) in futures_util::future::join_all(payments).await {
            assert_eq!(status, StatusCode::CREATED, "{b}");
        }
        // 12.00 of budget, 3.00 each: exactly four awards.
        assert_eq!(s.count("campaign_grants").await, 4);
        assert_eq!(s.count("coupons").await, 4);
        let (_, calendar) = s.get("/v1/operator/campaigns", Some(&manager)).await;
        assert_eq!(calendar[0]["granted"], "12.00", "{calendar}");
        ledger_ok(&s).await;
    }
}

/// A small deterministic generator (xorshift64*), so a failing sequence can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// Property, over random sequences of claims, payments (some refused before the coupon is held,
/// some after: over the daily limit) and refunds: the face value issued never exceeds the
/// budget, the budget account is never overdrawn, and every coupon hold ends posted (its coupon
/// redeemed) or voided (released), never both and never left pending.
#[tokio::test]
async fn issued_value_stays_within_budget_and_every_hold_ends_redeemed_or_released() {
    for s in servers().await {
        let manager = operator(&s, "cm4", "campaign_manager", "13800000401").await;
        let (_, keys) = onboard(&s, "Random Mart", "rev4").await;
        let templates = [
            create_template(
                &s,
                &manager,
                json!({ "name": "立减 7", "kind": "fixed_off", "off": "7.00", "valid_days": 30,
                        "budget": "49.00", "stock": 100, "per_user": 3, "claimable": true }),
            )
            .await,
            create_template(
                &s,
                &manager,
                json!({ "name": "满 300 减 40", "kind": "threshold", "off": "40.00",
                        "min_spend": "300.00", "valid_days": 30, "budget": "200.00", "stock": 100,
                        "per_user": 2, "claimable": true }),
            )
            .await,
            create_template(
                &s,
                &manager,
                json!({ "name": "9 折", "kind": "percent_off", "percent": "10", "cap": "25.00",
                        "valid_days": 30, "budget": "100.00", "stock": 100, "per_user": 2,
                        "claimable": true }),
            )
            .await,
        ];
        let mut customers = Vec::new();
        for i in 0..5 {
            customers.push(s.register(&format!("1394000{i:04}")).await);
        }
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ s.backend.len() as u64);
        let mut paid_orders: Vec<String> = Vec::new();
        let mut holds: Vec<String> = Vec::new();
        for step in 0..60 {
            let c = &customers[rng.below(customers.len() as u64) as usize];
            match rng.below(3) {
                0 => {
                    let t = &templates[rng.below(3) as usize];
                    let (status, b) =
                        claim(&s, c, t["id"].as_str().unwrap(), &format!("k{step}")).await;
                    assert!(
                        status == StatusCode::CREATED || status == StatusCode::CONFLICT,
                        "{status} {b}"
                    );
                }
                1 => {
                    let mine = my_coupons(&s, c).await;
                    let usable: Vec<&Value> =
                        mine.iter().filter(|x| x["state"] == "available").collect();
                    let Some(coupon) = usable.first() else {
                        continue;
                    };
                    // 1.00 to 1,400.00: above 1,000.00 the daily limit refuses after the hold.
                    let amount = format!("{}.00", 1 + rng.below(1_400));
                    let order = dynamic_order(&s, &keys, &amount).await;
                    let id = order["id"].as_str().unwrap().to_owned();
                    let (status, b) = pay(
                        &s,
                        &c.token,
                        &format!("p{step}"),
                        json!({ "payload": order["qr_payload"], "coupon_id": coupon["id"] }),
                    )
                    .await;
                    if status == StatusCode::CREATED {
                        paid_orders.push(id.clone());
                    } else {
                        assert!(status.is_client_error(), "{status} {b}");
                    }
                    holds.push(id);
                }
                _ => {
                    let Some(order) =
                        paid_orders.get(rng.below(paid_orders.len().max(1) as u64) as usize)
                    else {
                        continue;
                    };
                    let amount = if rng.below(2) == 0 { "1.00" } else { "0.50" };
                    let (status, b) = signed(
                        &s,
                        &keys,
                        Method::POST,
                        &format!("/v1/merchant/orders/{order}/refunds"),
                        Some(json!({ "amount": amount })),
                        Some(&format!("r{step}")),
                    )
                    .await;
                    assert!(
                        status.is_success() || status.is_client_error(),
                        "{status} {b}"
                    );
                }
            }
        }
        // The face value issued never exceeds a budget, and the budget account is never
        // overdrawn.
        let (_, list) = s.get("/v1/operator/coupon-templates", Some(&manager)).await;
        for t in list.as_array().unwrap() {
            let issued: f64 = t["issued_value"].as_str().unwrap().parse().unwrap();
            let budget: f64 = t["budget"].as_str().unwrap().parse().unwrap();
            assert!(issued <= budget, "{t}");
            let a = account(&s, t["budget_account"].as_str().unwrap()).await;
            assert!(
                fen(&a["debits_posted"]) + fen(&a["debits_pending"]) <= fen(&a["credits_posted"]),
                "{a}"
            );
        }
        // No coupon is left reserved; every hold placed ended posted or voided.
        assert_eq!(
            s.count("coupons WHERE state = 'reserved'").await,
            0,
            "a coupon left reserved"
        );
        let (mut posted, mut voided) = (0, 0);
        for order in &holds {
            let uuid = uuid::Uuid::parse_str(order.trim_start_matches("ord_")).unwrap();
            let hold = cardlife_app::rewards::coupon_ledger::discount_hold_id(uuid);
            let (status, t) = s
                .get(
                    &format!("/v1/ledger/transfers/{}", uuid::Uuid::from_u128(hold)),
                    Some(INTERNAL_TOKEN),
                )
                .await;
            if status == StatusCode::NOT_FOUND {
                continue; // refused before the coupon was held (scope, threshold)
            }
            assert_eq!(status, StatusCode::OK, "{t}");
            let state = t["pending_status"].as_str().unwrap_or_default().to_owned();
            assert!(["posted", "voided"].contains(&state.as_str()), "{t}");
            if state == "posted" {
                posted += 1;
                assert!(paid_orders.contains(order), "posted but not paid: {order}");
            } else {
                voided += 1;
                assert!(!paid_orders.contains(order), "paid but voided: {order}");
            }
        }
        assert_eq!(posted, paid_orders.len());
        // The sequence exercised both ends of a reservation.
        assert!(posted > 0 && voided > 0, "posted {posted}, voided {voided}");
        ledger_ok(&s).await;
    }
}

/// An expired coupon shows expired and is refused at payment with nothing held or charged.
#[tokio::test]
async fn an_expired_coupon_is_refused_and_changes_nothing() {
    for s in servers().await {
        let manager = operator(&s, "cm5", "campaign_manager", "13800000501").await;
        let t = create_template(
            &s,
            &manager,
            json!({ "name": "当日有效", "kind": "fixed_off", "off": "3.00", "valid_days": 1,
                    "budget": "30.00", "stock": 10, "per_user": 1, "claimable": true }),
        )
        .await;
        let mut c = s.register("13950000001").await;
        let (status, coupon) = claim(&s, &c, t["id"].as_str().unwrap(), "exp-1").await;
        assert_eq!(status, StatusCode::CREATED, "{coupon}");
        let (_, keys) = onboard(&s, "Late Shop", "rev5").await;
        s.clock.advance_days(2);
        // The session has ended by now: log in again.
        let (status, login) = s
            .post(
                "/v1/sessions",
                None,
                json!({ "phone": c.phone, "password": c.password }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{login}");
        c.token = login["token"].as_str().unwrap().to_owned();
        assert_eq!(my_coupons(&s, &c).await[0]["state"], "expired");
        let order = dynamic_order(&s, &keys, "10.00").await;
        let (status, refused) = pay(
            &s,
            &c.token,
            "exp-pay",
            json!({ "payload": order["qr_payload"], "coupon_id": coupon["id"] }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(code(&refused), "COUPON_EXPIRED");
        let budget = account(&s, t["budget_account"].as_str().unwrap()).await;
        assert_eq!(fen(&budget["debits_pending"]), 0);
        assert_eq!(fen(&budget["debits_posted"]), 0);
        assert_eq!(s.count("coupons WHERE state = 'available'").await, 1);
        ledger_ok(&s).await;
    }
}

/// docs/domain.md §6: a partial refund returns `requested × paid ÷ total` to the card and its
/// share of the discount to the budget; the coupon comes back once the order is fully refunded.
#[tokio::test]
async fn partial_refunds_return_their_share_and_the_last_one_gives_the_coupon_back() {
    for s in servers().await {
        let manager = operator(&s, "cm6", "campaign_manager", "13800000601").await;
        let t = create_template(
            &s,
            &manager,
            json!({ "name": "立减 10", "kind": "fixed_off", "off": "10.00", "valid_days": 7,
                    "budget": "100.00", "stock": 10, "per_user": 1, "claimable": true }),
        )
        .await;
        let budget_account = t["budget_account"].as_str().unwrap().to_owned();
        let c = s.register("13960000001").await;
        let (_, coupon) = claim(&s, &c, t["id"].as_str().unwrap(), "pr-1").await;
        let (_, keys) = onboard(&s, "Split Shop", "rev6").await;
        let order = dynamic_order(&s, &keys, "40.00").await;
        let (status, paid) = pay(
            &s,
            &c.token,
            "pr-pay",
            json!({ "payload": order["qr_payload"], "coupon_id": coupon["id"] }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{paid}");
        assert_eq!(paid["captured"], "30.00");
        let id = paid["id"].as_str().unwrap();
        // 10.00 of 40.00 back: 10 × 30 ÷ 40 = 7.50 to the card, 2.50 to the budget.
        let (status, r) = signed(
            &s,
            &keys,
            Method::POST,
            &format!("/v1/merchant/orders/{id}/refunds"),
            Some(json!({ "amount": "10.00" })),
            Some("pr-r1"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(r["refunds"][0]["cash"], "7.50", "{r}");
        let budget = account(&s, &budget_account).await;
        assert_eq!(fen(&budget["credits_posted"]), 10_000 + 250, "{budget}");
        assert_eq!(my_coupons(&s, &c).await[0]["state"], "redeemed");
        // The rest: 22.50 to the card, 7.50 to the budget, the coupon usable again.
        let (status, r) = signed(
            &s,
            &keys,
            Method::POST,
            &format!("/v1/merchant/orders/{id}/refunds"),
            Some(json!({ "amount": "30.00" })),
            Some("pr-r2"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(r["refunded"], "30.00", "{r}");
        let budget = account(&s, &budget_account).await;
        assert_eq!(fen(&budget["credits_posted"]), 10_000 + 1_000, "{budget}");
        assert_eq!(my_coupons(&s, &c).await[0]["state"], "available");
        ledger_ok(&s).await;
    }
}

#[tokio::test]
async fn campaign_segments_leave_out_of_segment_customers_with_nothing() {
    for s in servers().await {
        let manager = operator(&s, "cm9", "campaign_manager", "13800000209").await;
        let gift = create_template(
            &s,
            &manager,
            fixed_template("定向礼 3 元", "3.00", "1000.00", 1000, false),
        )
        .await;
        let campaign = |name: &str, segment: Value| {
            json!({ "name": name, "trigger": "payment", "min_amount": "10.00",
                    "template_a": gift["id"], "budget": "100.00", "starts_at": "2026-03-01",
                    "ends_at": "2026-05-01", "per_customer": 1, "segment": segment })
        };
        // A code that is not a stage, a tier or a BIN is refused and writes nothing.
        for bad in [
            json!({ "stages": ["vip"] }),
            json!({ "value_tiers": ["gold"] }),
            json!({ "card_bins": ["12ab56"] }),
        ] {
            let (status, b) = s
                .post(
                    "/v1/operator/campaigns",
                    Some(&manager),
                    campaign("bad", bad),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
            assert_eq!(b["code"], "INVALID_TERMS", "{b}");
        }
        assert_eq!(s.count("campaigns").await, 0);
        for (name, segment) in [
            ("BIN 专享", json!({ "card_bins": ["999999"] })),
            ("沉睡唤醒", json!({ "stages": ["dormant"] })),
            ("高价值", json!({ "value_tiers": ["high"] })),
            (
                "活跃客户",
                json!({ "stages": ["active"], "value_tiers": ["low"] }),
            ),
        ] {
            let (status, c) = s
                .post(
                    "/v1/operator/campaigns",
                    Some(&manager),
                    campaign(name, segment.clone()),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{c}");
            for (k, v) in segment.as_object().unwrap() {
                assert_eq!(&c["segment"][k], v, "{c}");
            }
        }
        let (_, keys) = onboard(&s, "Tea House", "rev9").await;
        let payer = s.register("13920019999").await;
        let order = dynamic_order(&s, &keys, "30.00").await;
        let (status, _) = pay(
            &s,
            &payer.token,
            "p-seg",
            json!({ "payload": order["qr_payload"] }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        // Only the campaign whose segment holds an active, low-value payer granted.
        let mine = my_coupons(&s, &payer).await;
        assert_eq!(mine.len(), 1, "{mine:?}");
        let (_, calendar) = s.get("/v1/operator/campaigns", Some(&manager)).await;
        let granted: Vec<(&str, &str)> = calendar
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["name"].as_str().unwrap(), c["granted"].as_str().unwrap()))
            .collect();
        for (name, amount) in granted {
            let expected = if name == "活跃客户" {
                "3.00"
            } else {
                "0.00"
            };
            assert_eq!(amount, expected, "{name}: {calendar}");
        }
        ledger_ok(&s).await;
    }
}
