//! Lotteries over the API, on both stores (docs/rewards.md, "Lotteries"): monthly spend tiers
//! granting draw chances as captured payments cross them, refunds suspending unused chances,
//! draws with an `Idempotency-Key`, target segments leaving out-of-segment customers with
//! nothing, refusals that change nothing, and the stock and budgets holding under concurrent
//! draws.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_app::App;
use cardlife_app::rewards::lottery::{LotteryId, RandomSource, SeededRandom};
use cardlife_kernel::CustomerId;
use cardlife_store::LedgerService;
use common::merchant::{Keys, code, ledger_ok, onboard, pay, signed};
use common::{Customer, INTERNAL_TOKEN, TestServer, servers};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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

/// A campaign-only coupon template worth `off`, its id.
async fn template(s: &TestServer, token: &str, off: &str, stock: u32) -> String {
    let (status, t) = s
        .post(
            "/v1/operator/coupon-templates",
            Some(token),
            json!({ "name": "抽奖券", "kind": "fixed_off", "off": off, "valid_days": 30,
                    "budget": "10000.00", "stock": stock, "per_user": 100, "claimable": false }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    t["id"].as_str().unwrap().to_owned()
}

/// Tiers 10.00 → 1 draw, 30.00 → 3 draws; April 2026 (the harness clock is 1 April).
fn lottery(name: &str, prizes: Value, budget: &str, points_budget: u32, segment: Value) -> Value {
    json!({ "name": name,
            "tiers": [{ "min_spend": "10.00", "draws": 1 }, { "min_spend": "30.00", "draws": 3 }],
            "prizes": prizes, "budget": budget, "points_budget": points_budget,
            "starts_at": "2026-03-01", "ends_at": "2026-05-01", "segment": segment })
}

async fn create(s: &TestServer, token: &str, body: Value) -> Value {
    let (status, l) = s.post("/v1/operator/lotteries", Some(token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{l}");
    l
}

async fn order(s: &TestServer, keys: &Keys, amount: &str) -> Value {
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

/// `c` pays `amount` at the merchant: the order id.
async fn spend(s: &TestServer, keys: &Keys, c: &Customer, amount: &str, key: &str) -> String {
    let payload = order(s, keys, amount).await["qr_payload"].clone();
    let (status, paid) = pay(s, &c.token, key, json!({ "payload": payload })).await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    paid["id"].as_str().unwrap().to_owned()
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

/// `c`'s view of lottery `id`.
async fn mine(s: &TestServer, c: &Customer, id: &str) -> Value {
    let (status, list) = s.get("/v1/me/lotteries", Some(&c.token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .find(|m| m["lottery"]["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} not in {list}"))
}

#[tokio::test]
async fn bad_lottery_terms_are_refused_and_change_nothing() {
    for s in servers().await {
        let manager = operator(&s, "lm1", "campaign_manager", "13800001101").await;
        let viewer = operator(&s, "lv1", "viewer", "13800001102").await;
        let t = template(&s, &manager, "5.00", 100).await;
        let good = || {
            lottery(
                "月度抽奖",
                json!([{ "name": "五元券", "odds_bp": 4000, "kind": "coupon", "template": t, "stock": 10 },
                       { "name": "谢谢参与", "odds_bp": 6000, "kind": "none" }]),
                "50.00",
                0,
                json!({}),
            )
        };
        let (status, b) = s
            .post("/v1/operator/lotteries", Some(&viewer), good())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{b}");
        let mut odds = good();
        odds["prizes"][1]["odds_bp"] = json!(5999);
        let mut negative = good();
        negative["tiers"][0]["min_spend"] = json!("-10.00");
        let mut descending = good();
        descending["tiers"][1]["min_spend"] = json!("5.00");
        let mut stage = good();
        stage["segment"] = json!({ "stages": ["vip"] });
        let mut window = good();
        window["ends_at"] = json!("2026-02-01");
        for (bad, reason) in [
            (odds, "the odds must sum to 10,000 basis points"),
            (negative, "a spend tier's minimum cannot be negative"),
            (descending, "spend tiers must ascend"),
            (stage, "a lifecycle stage is"),
            (window, "a lottery must start before it ends"),
        ] {
            let (status, b) = s.post("/v1/operator/lotteries", Some(&manager), bad).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
            assert_eq!(code(&b), "INVALID_TERMS", "{b}");
            assert!(b["detail"].as_str().unwrap().contains(reason), "{b}");
        }
        let mut unknown = good();
        unknown["prizes"][0]["template"] = json!("cpt_0192f0c0a0b07c008000000000000001");
        let (status, b) = s
            .post("/v1/operator/lotteries", Some(&manager), unknown)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
        assert_eq!(s.count("lotteries").await, 0);
        assert_eq!(s.count("lottery_prizes").await, 0);

        let l = create(&s, &manager, good()).await;
        assert_eq!(l["prizes"][0]["face_value"], "5.00", "{l}");
        assert_eq!(l["prizes"][0]["odds_percent"], "40.00", "{l}");
        let (status, list) = s.get("/v1/operator/lotteries", Some(&viewer)).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list.as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn spend_tiers_grant_chances_draws_use_them_and_refunds_suspend_them() {
    for s in servers().await {
        let manager = operator(&s, "lm2", "campaign_manager", "13800001201").await;
        let t = template(&s, &manager, "5.00", 100).await;
        let l = create(
            &s,
            &manager,
            lottery(
                "月度抽奖",
                json!([{ "name": "五元券", "odds_bp": 5000, "kind": "coupon", "template": t, "stock": 100 },
                       { "name": "100 积分", "odds_bp": 2000, "kind": "points", "points": 100, "stock": 100 },
                       { "name": "谢谢参与", "odds_bp": 3000, "kind": "none" }]),
                "100.00",
                10_000,
                json!({}),
            ),
        )
        .await;
        let id = l["id"].as_str().unwrap();
        let (_, keys) = onboard(&s, "Noodle Bar", "lrev2").await;
        let c = s.register("13930011001").await;

        // Nothing before a tier: drawing is refused and changes nothing.
        let m = mine(&s, &c, id).await;
        assert_eq!(m["available"], 0, "{m}");
        assert_eq!(m["lottery"]["prizes"][0]["odds_bp"], 5000, "{m}");
        let (status, b) = draw(&s, &c, id, "d-0").await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}");
        assert_eq!(code(&b), "NO_DRAW_CHANCE", "{b}");
        assert_eq!(s.count("lottery_draws").await, 0);

        // 10.00 reaches the first tier: one chance.
        spend(&s, &keys, &c, "10.00", "p-1").await;
        let m = mine(&s, &c, id).await;
        assert_eq!(
            (m["available"].clone(), m["month_spend"].clone()),
            (json!(1), json!("10.00")),
            "{m}"
        );

        // One draw uses it; the same key answers the same draw; another key finds none left.
        let (status, d) = draw(&s, &c, id, "d-1").await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
        let (status, again) = draw(&s, &c, id, "d-1").await;
        assert_eq!(status, StatusCode::CREATED, "{again}");
        assert_eq!(again["id"], d["id"]);
        let (status, b) = draw(&s, &c, id, "d-2").await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::CONFLICT, "NO_DRAW_CHANCE"),
            "{b}"
        );
        assert_eq!(s.count("lottery_draws").await, 1);
        assert!(
            d["random_value"].as_str().unwrap().parse::<u64>().is_ok(),
            "{d}"
        );

        // 25.00 more takes the month to 35.00: the second tier's two chances.
        let second = spend(&s, &keys, &c, "25.00", "p-2").await;
        let m = mine(&s, &c, id).await;
        assert_eq!(m["available"], 2, "{m}");
        assert_eq!(s.count("draw_chances").await, 3);

        // Refunding it drops the month to 10.00: those chances are suspended, not drawable.
        let (status, r) = signed(
            &s,
            &keys,
            Method::POST,
            &format!("/v1/merchant/orders/{second}/refunds"),
            Some(json!({ "amount": "25.00" })),
            Some("lr-1"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        let m = mine(&s, &c, id).await;
        assert_eq!(m["available"], 0, "{m}");
        assert_eq!(m["month_spend"], "10.00", "{m}");
        let suspended = m["chances"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["state"] == "suspended")
            .count();
        assert_eq!(suspended, 2, "{m}");
        let (status, b) = draw(&s, &c, id, "d-3").await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::CONFLICT, "NO_DRAW_CHANCE"),
            "{b}"
        );

        // Spending again restores them (granted once: still three chances in all).
        spend(&s, &keys, &c, "20.00", "p-3").await;
        let m = mine(&s, &c, id).await;
        assert_eq!(m["available"], 2, "{m}");
        assert_eq!(s.count("draw_chances").await, 3);
        for k in ["d-4", "d-5"] {
            let (status, d) = draw(&s, &c, id, k).await;
            assert_eq!(status, StatusCode::CREATED, "{d}");
        }
        assert_eq!(s.count("lottery_draws").await, 3);

        // The operator's audit list shows every draw with its random value.
        let (status, draws) = s
            .get(
                &format!("/v1/operator/lotteries/{id}/draws"),
                Some(&manager),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{draws}");
        assert_eq!(draws.as_array().unwrap().len(), 3, "{draws}");
        assert_eq!(draws[0]["customer"], c.id.as_str(), "{draws}");
        ledger_ok(&s).await;
    }
}

#[tokio::test]
async fn out_of_segment_customers_get_nothing() {
    for s in servers().await {
        let manager = operator(&s, "lm3", "campaign_manager", "13800001301").await;
        let prizes = json!([{ "name": "谢谢参与", "odds_bp": 10000, "kind": "none" }]);
        let by_bin = create(
            &s,
            &manager,
            lottery(
                "卡 BIN 专享",
                prizes.clone(),
                "0",
                0,
                json!({ "card_bins": ["999999"] }),
            ),
        )
        .await;
        let by_stage = create(
            &s,
            &manager,
            lottery(
                "沉睡唤醒",
                prizes.clone(),
                "0",
                0,
                json!({ "stages": ["dormant"] }),
            ),
        )
        .await;
        let by_value = create(
            &s,
            &manager,
            lottery(
                "高价值",
                prizes.clone(),
                "0",
                0,
                json!({ "value_tiers": ["high"] }),
            ),
        )
        .await;
        let active = create(
            &s,
            &manager,
            lottery(
                "活跃客户",
                prizes,
                "0",
                0,
                json!({ "stages": ["active"], "value_tiers": ["low"] }),
            ),
        )
        .await;
        let (_, keys) = onboard(&s, "Book Shop", "lrev3").await;
        let c = s.register("13930012001").await;
        spend(&s, &keys, &c, "40.00", "p-1").await;
        for out in [&by_bin, &by_stage, &by_value] {
            let id = out["id"].as_str().unwrap();
            let m = mine(&s, &c, id).await;
            assert_eq!(m["available"], 0, "{m}");
            assert_eq!(m["month_spend"], "0.00", "{m}");
            let (status, b) = draw(&s, &c, id, &format!("x-{id}")).await;
            assert_eq!(
                (status, code(&b)),
                (StatusCode::CONFLICT, "NO_DRAW_CHANCE"),
                "{b}"
            );
        }
        // In the segment (active, low value after one payment): three chances.
        let m = mine(&s, &c, active["id"].as_str().unwrap()).await;
        assert_eq!(m["available"], 3, "{m}");
        assert_eq!(s.count("lottery_spend").await, 1);
        assert_eq!(s.count("draw_chances").await, 3);
        assert_eq!(s.count("lottery_draws").await, 0);
    }
}

#[tokio::test]
async fn stock_and_budgets_hold_under_concurrent_draws() {
    for s in servers().await {
        let manager = operator(&s, "lm4", "campaign_manager", "13800001401").await;
        let t = template(&s, &manager, "5.00", 1000).await;
        // Every draw picks the prize: three in stock, budget for twenty.
        let coupons = create(
            &s,
            &manager,
            lottery(
                "库存",
                json!([{ "name": "五元券", "odds_bp": 10000, "kind": "coupon", "template": t, "stock": 3 }]),
                "100.00",
                0,
                json!({}),
            ),
        )
        .await;
        // Every draw picks 100 points: stock for a hundred, budget for two.
        let points = create(
            &s,
            &manager,
            lottery(
                "积分",
                json!([{ "name": "100 积分", "odds_bp": 10000, "kind": "points", "points": 100, "stock": 100 }]),
                "0",
                250,
                json!({}),
            ),
        )
        .await;
        let (_, keys) = onboard(&s, "Fruit Stand", "lrev4").await;
        let mut payers = Vec::new();
        for i in 0..10 {
            let c = s.register(&format!("1393001{i:04}")).await;
            spend(&s, &keys, &c, "10.00", &format!("p-{i}")).await;
            payers.push(c);
        }
        let draws = payers.iter().flat_map(|c| {
            [(&coupons, "race-c"), (&points, "race-p")]
                .map(|(l, key)| draw(&s, c, l["id"].as_str().unwrap(), key))
        });
        let answers = futures_util::future::join_all(draws).await;
        let mut won = 0;
        for (status, d) in &answers {
            assert_eq!(*status, StatusCode::CREATED, "{d}");
            if d["outcome"] == "prize" {
                won += 1;
            } else {
                assert!(
                    ["stock_out", "budget_out"].contains(&d["reason"].as_str().unwrap()),
                    "{d}"
                );
            }
        }
        assert_eq!(won, 5, "three coupons and two points prizes");
        let (_, list) = s.get("/v1/operator/lotteries", Some(&manager)).await;
        let by_name = |n: &str| {
            list.as_array()
                .unwrap()
                .iter()
                .find(|l| l["name"] == n)
                .cloned()
                .unwrap()
        };
        assert_eq!(by_name("库存")["awarded"], "15.00", "{list}");
        assert_eq!(by_name("库存")["prizes"][0]["awarded"], 3, "{list}");
        assert_eq!(by_name("积分")["points_awarded"], 200, "{list}");
        assert_eq!(s.count("lottery_draws").await, 20);
        assert_eq!(s.count("coupons").await, 3);
        ledger_ok(&s).await;
    }
}

/// Over 400 draws from a seeded source through the use case (the one the API calls with the
/// CSPRNG), on each store: the observed frequency of the 20 % prize lies within 5 standard
/// deviations of 80, and every recorded random value replays to the recorded prize.
#[tokio::test]
async fn seeded_draws_match_the_stated_odds_and_replay_from_their_random_values() {
    for s in servers().await {
        let manager = operator(&s, "lm5", "campaign_manager", "13800001501").await;
        let t = template(&s, &manager, "1.00", 10_000).await;
        let mut body = lottery(
            "概率",
            json!([{ "name": "一元券", "odds_bp": 2000, "kind": "coupon", "template": t, "stock": 10000 },
                   { "name": "谢谢参与", "odds_bp": 8000, "kind": "none" }]),
            "10000.00",
            0,
            json!({}),
        );
        body["tiers"] = json!([{ "min_spend": "10.00", "draws": 100 }]);
        let l = create(&s, &manager, body).await;
        let id = LotteryId::parse(l["id"].as_str().unwrap()).unwrap();
        let (_, keys) = onboard(&s, "Corner Shop", "lrev5").await;
        // The same store through the use case, with a seeded source.
        let shared = s.clock.shared();
        let ledger = LedgerService::start(&s.db, shared.clone()).await.unwrap();
        let app = App::new(s.db.clone(), ledger, shared);
        let mut rng = SeededRandom::new(2026);
        let mut expected = SeededRandom::new(2026);
        let mut won = 0_u32;
        for i in 0..4 {
            let c = s.register(&format!("1393001{:04}", 50 + i)).await;
            spend(&s, &keys, &c, "10.00", &format!("p-{i}")).await;
            let customer = CustomerId::parse(&c.id).unwrap();
            for n in 0..100 {
                let d = app
                    .draw_lottery_with(customer, id, &format!("k-{n}"), &mut rng)
                    .await
                    .unwrap();
                assert_eq!(d.random_value, expected.next_u64());
                let terms_pick = if d.random_value < u64::MAX / 5 + 1 {
                    0
                } else {
                    1
                };
                assert_eq!(d.picked, terms_pick, "{d:?}");
                if d.no_prize.is_none() {
                    won += 1;
                }
            }
        }
        let (mean, sd) = (80.0_f64, (400.0_f64 * 0.2 * 0.8).sqrt());
        assert!(
            (f64::from(won) - mean).abs() <= 5.0 * sd,
            "{won} of 400 won"
        );
        assert_eq!(s.count("lottery_draws").await, 400);
        assert_eq!(i64::from(won), s.count("coupons").await);
    }
}
