//! My points and the points mall as pages, as a browser without JavaScript (docs/web.md,
//! "Points and the mall"): the home page links them, the balance and lots show in both
//! languages and in elder mode, a redeem form acts once however often it is sent, a refused
//! redemption shows why and writes nothing, and a return gives the points back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod pages;

use common::merchant::{onboard, pay, signed};
use common::{INTERNAL_TOKEN, servers};
use pages::{Browser, hidden};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_cardholder_reads_points_redeems_once_and_returns_in_the_mall_pages() {
    for s in servers().await {
        let phone = "13912349001";
        let api = s.register(phone).await;
        let (_, key) = onboard(&s, "TEA SHOP", "reviewer-web-points").await;
        let (_, order) = signed(
            &s,
            &key,
            Method::POST,
            "/v1/merchant/orders",
            Some(json!({ "amount": "300.00", "merchant_ref": "W-1" })),
            None,
        )
        .await;
        let (status, b) = pay(
            &s,
            &api.token,
            "w-pay-1",
            json!({ "payload": order["qr_payload"] }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        let (status, item) = s
            .post(
                "/v1/mall/items",
                Some(INTERNAL_TOKEN),
                json!({
            "name_zh": "电影票", "name_en": "Cinema ticket", "points": 120,
            "stock": 1, "per_customer_limit": 1,
            "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{item}");

        let mut b = Browser::new(&s);
        b.get("/app/login").await;
        let login = b
            .post(
                "/app/login",
                &[("phone", phone), ("password", &api.password)],
            )
            .await;
        assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
        let home = b.get("/app").await;
        assert!(home.body.contains("href=\"/app/points\""), "{}", home.body);
        assert!(home.body.contains("href=\"/app/mall\""));
        assert!(home.body.contains("href=\"/app/membership\""));
        let card = b.get("/app/membership").await;
        assert_eq!(card.status, StatusCode::OK);
        assert!(
            card.body.contains("data-test=\"tier\">standard<"),
            "{}",
            card.body
        );
        assert!(card.body.contains("消费积分"), "the tier's benefit");
        let invite = b.get("/app/invite").await;
        assert_eq!(invite.status, StatusCode::OK);
        assert!(
            invite.body.contains("data-test=\"invite-code\""),
            "{}",
            invite.body
        );
        let own_code = {
            let at = invite.body.find("data-test=\"invite-code\">").unwrap()
                + "data-test=\"invite-code\">".len();
            invite.body[at..at + 10].to_owned()
        };
        let rows = s.count("referrals").await;
        let refused = b.post("/app/invite/bind", &[("code", &own_code)]).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert!(refused.body.contains("不能绑定自己"), "{}", refused.body);
        let unknown = b.post("/app/invite/bind", &[("code", "<script>")]).await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unknown.body.contains("没有这个邀请码"));
        assert_eq!(s.count("referrals").await, rows);
        let points = b.get("/app/points").await;
        assert_eq!(points.status, StatusCode::OK);
        assert!(
            points.body.contains("可用积分: <strong>300</strong>"),
            "{}",
            points.body
        );
        assert!(points.body.contains("2031-04-01"), "the lot's expiry");
        assert!(points.body.contains("消费积分"), "the history");

        // English, then elder mode (no history; the balance stays).
        b.post("/app/prefs", &[("lang", "en"), ("back", "/app/points")])
            .await;
        let en = b.get("/app/points").await;
        assert!(
            en.body.contains("Points available: <strong>300</strong>"),
            "{}",
            en.body
        );
        assert!(en.body.contains("Earned on a payment"));
        b.post("/app/prefs", &[("elder", "1"), ("back", "/app/points")])
            .await;
        let elder = b.get("/app/points").await;
        assert!(elder.body.contains("<strong>300</strong>"));
        assert!(
            !elder.body.contains("data-test=\"movement\""),
            "{}",
            elder.body
        );
        b.post(
            "/app/prefs",
            &[("elder", "0"), ("lang", "zh-CN"), ("back", "/app")],
        )
        .await;

        // Redeem: the same form twice acts once.
        let mall = b.get("/app/mall").await;
        assert!(mall.body.contains("电影票"), "{}", mall.body);
        let form_key = hidden(&mall.body, "key");
        let item_id = item["id"].as_str().unwrap();
        for _ in 0..2 {
            let done = b
                .post(
                    "/app/mall/order",
                    &[("item_id", item_id), ("quantity", "1"), ("key", &form_key)],
                )
                .await;
            assert_eq!(done.status, StatusCode::OK, "{}", done.body);
            assert!(done.body.contains("兑换成功"), "{}", done.body);
        }
        assert_eq!(s.count("mall_orders").await, 1);
        let after = b.get("/app/mall").await;
        assert!(
            after.body.contains("<strong>180</strong>"),
            "{}",
            after.body
        );

        // Refused: sold out (and over the limit), a bad quantity — with why, and nothing written.
        let movements = s.count("points_movements").await;
        let fresh = hidden(&after.body, "key");
        let refused = b
            .post(
                "/app/mall/order",
                &[("item_id", item_id), ("quantity", "1"), ("key", &fresh)],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert!(refused.body.contains("data-test=\"error\""));
        let bad = b
            .post(
                "/app/mall/order",
                &[("item_id", item_id), ("quantity", "0"), ("key", &fresh)],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("1 到 99"), "{}", bad.body);
        assert_eq!(s.count("mall_orders").await, 1);
        assert_eq!(s.count("points_movements").await, movements);

        // Return it: the points come back.
        let page = b.get("/app/mall").await;
        let back = b
            .post(
                "/app/mall/return",
                &[
                    ("order_id", &hidden(&page.body, "order_id")),
                    ("key", &hidden(&page.body, "key")),
                ],
            )
            .await;
        assert_eq!(back.status, StatusCode::OK, "{}", back.body);
        assert!(back.body.contains("已退回积分和现金"), "{}", back.body);
        assert!(back.body.contains("<strong>300</strong>"));
    }
}
