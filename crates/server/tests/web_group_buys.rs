//! Group buying as pages, as a browser without JavaScript, paying by credit card (docs/web.md,
//! "Group buying"): the rewards page links it; offers and forming groups show with the members
//! needed and the time left; a start form acts (and pays) once however often it is sent; the
//! customer's groups show their state; bad input and refused joins re-render with why and write
//! nothing; a form without its CSRF token is refused; English works.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod pages;

use common::merchant::{card, ledger_ok, onboard, open_card};
use common::{INTERNAL_TOKEN, TestServer, servers_paying_by_card};
use pages::{Browser, hidden};
use reqwest::StatusCode;
use serde_json::json;

async fn manager(s: &TestServer) -> String {
    let (status, b) = s
        .post(
            "/v1/internal/operators",
            Some(INTERNAL_TOKEN),
            json!({ "login": "gb-web", "phone": "13800000801", "password": "gb-web-password-1",
                    "role": "campaign_manager" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let (_, b) = s
        .post(
            "/v1/operator/sessions",
            None,
            json!({ "login": "gb-web", "password": "gb-web-password-1" }),
        )
        .await;
    b["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_cardholder_starts_a_group_once_sees_it_complete_and_refusals_explain_themselves() {
    for s in servers_paying_by_card().await {
        let (merchant, _) = onboard(&s, "Dumpling Bar", "gb-web-reviewer").await;
        let token = manager(&s).await;
        let (status, offer) = s
            .post(
                "/v1/operator/group-buys",
                Some(&token),
                json!({ "merchant_id": merchant, "title": "小笼包双人套餐", "size": 2,
                        "price_fen": 1990, "window_secs": 7200,
                        "starts_at": "2026-03-01T00:00:00Z", "ends_at": "2026-06-01T00:00:00Z",
                        "per_customer_limit": 1 }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{offer}");
        let alice = s.register("13912340001").await;
        let account = open_card(&s, &alice.id, "4111111111111111", 50_000, "2030-12").await;
        let bob = s.register("13912340002").await;
        open_card(&s, &bob.id, "5555555555554444", 50_000, "2030-12").await;

        let mut b = Browser::new(&s);
        b.get("/app/login").await;
        let login = b
            .post(
                "/app/login",
                &[("phone", &alice.phone), ("password", &alice.password)],
            )
            .await;
        assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
        let rewards = b.get("/app/rewards").await;
        assert!(
            rewards.body.contains("href=\"/app/group-buys\""),
            "{}",
            rewards.body
        );
        let page = b.get("/app/group-buys").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("小笼包双人套餐"), "{}", page.body);
        assert!(page.body.contains("开团并支付"));
        assert!(page.body.contains("data-test=\"no-groups\""));

        // A form without its CSRF token is refused and writes nothing.
        let offer_id = offer["id"].as_str().unwrap();
        let key = hidden(&page.body, "key");
        let forged = b
            .post_raw(
                "/app/group-buys/start",
                &[("offer_id", offer_id), ("key", &key)],
                &[],
            )
            .await;
        assert_ne!(forged.status, StatusCode::OK);
        assert_eq!(s.count("group_buy_groups").await, 0);

        // Start: the same form twice starts (and pays) once.
        for _ in 0..2 {
            let done = b
                .post(
                    "/app/group-buys/start",
                    &[("offer_id", offer_id), ("key", &key)],
                )
                .await;
            assert_eq!(done.status, StatusCode::OK, "{}", done.body);
            assert!(done.body.contains("开团成功"), "{}", done.body);
        }
        assert_eq!(s.count("group_buy_groups").await, 1);
        let a = card(&s, &alice.token, &account).await;
        assert_eq!(a["available_credit_fen"], 50_000 - 1990, "{a}");
        let forming = b.get("/app/group-buys").await;
        assert!(forming.body.contains("还差 1 人"), "{}", forming.body);
        assert!(forming.body.contains("剩余 120 分钟"), "{}", forming.body);
        assert!(forming.body.contains("data-state=\"forming\""));

        // Bad input and a refused join: why, 422, nothing written.
        let members = s.count("group_buy_members").await;
        let fresh = hidden(&forming.body, "key");
        let bad = b
            .post(
                "/app/group-buys/join",
                &[("group_id", "<script>"), ("key", &fresh)],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("没有找到这个拼团"), "{}", bad.body);
        assert!(!bad.body.contains("<script>"));
        let group = s.get("/v1/group-buys", None).await.1["groups"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let again = b
            .post(
                "/app/group-buys/join",
                &[("group_id", &group), ("key", &fresh)],
            )
            .await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.body.contains("你已经在这个团里了"), "{}", again.body);
        assert_eq!(s.count("group_buy_members").await, members);

        // Bob completes it; Alice sees it completed, in English too.
        let (status, joined) = s
            .client
            .post(format!("{}/v1/group-buy-groups/{group}/members", s.base))
            .bearer_auth(&bob.token)
            .header("idempotency-key", "bob-join")
            .json(&json!({}))
            .send()
            .await
            .map(|r| (r.status(), r))
            .unwrap();
        assert_eq!(status, StatusCode::CREATED, "{:?}", joined.text().await);
        let done = b.get("/app/group-buys").await;
        assert!(done.body.contains("拼团成功"), "{}", done.body);
        assert!(done.body.contains("data-state=\"completed\""));
        b.post("/app/prefs", &[("lang", "en"), ("back", "/app/group-buys")])
            .await;
        let en = b.get("/app/group-buys").await;
        assert!(en.body.contains("My groups"), "{}", en.body);
        assert!(en.body.contains("Completed"), "{}", en.body);
        ledger_ok(&s).await;
    }
}
