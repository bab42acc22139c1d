//! Flash sales as pages, as a browser without JavaScript (docs/web.md, "Flash sales"): the
//! rewards page links them; sales on now and coming soon show with their item, price and stock;
//! a claim form wins once however often it is sent and shows the winner's number; the last unit
//! goes to one customer and the next hears "sold out"; early, late, repeated and malformed claims
//! re-render with why and write nothing; a form without its CSRF token is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod pages;

use common::merchant::ledger_ok;
use common::{INTERNAL_TOKEN, TestServer, servers};
use jiff::SignedDuration;
use pages::{Browser, CSRF};
use reqwest::StatusCode;
use serde_json::json;

/// Schedules a sale from `start_min` to `end_min` minutes around the server's now.
async fn schedule(s: &TestServer, item: &str, stock: u32, start_min: i64, end_min: i64) -> String {
    let now = s.clock.shared().now();
    let at = |m: i64| now.checked_add(SignedDuration::from_mins(m)).unwrap();
    let (status, sale) = s
        .post(
            "/v1/flash-sales",
            Some(INTERNAL_TOKEN),
            json!({ "item": item, "stock": stock, "per_user_limit": 1, "price_fen": 990,
                    "starts_at": at(start_min).to_string(), "ends_at": at(end_min).to_string() }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sale}");
    sale["id"].as_str().unwrap().to_owned()
}

/// A browser logged in as a freshly registered cardholder.
async fn cardholder<'a>(s: &'a TestServer, phone: &str) -> Browser<'a> {
    let who = s.register(phone).await;
    let mut b = Browser::new(s);
    b.get("/app/login").await;
    let login = b
        .post(
            "/app/login",
            &[("phone", &who.phone), ("password", &who.password)],
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    b
}

/// The idempotency key of the claim form of `sale` on a rendered page.
fn form_key(body: &str, sale: &str) -> String {
    let form = format!("action=\"/app/flash-sales/{sale}/claim\"");
    let at = body.find(&form).expect("the sale's form");
    let marker = "name=\"key\" value=\"";
    let from = at + body[at..].find(marker).unwrap() + marker.len();
    let end = body[from..].find('"').unwrap();
    body[from..from + end].to_owned()
}

/// Opens the page and sends the claim form of `sale` `times` times; the last answer.
async fn claim(b: &mut Browser<'_>, sale: &str, times: usize) -> pages::Answer {
    let page = b.get("/app/flash-sales").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let key = form_key(&page.body, sale);
    let path = format!("/app/flash-sales/{sale}/claim");
    let mut last = None;
    for _ in 0..times {
        last = Some(b.post(&path, &[("key", &key)]).await);
    }
    last.unwrap()
}

#[tokio::test]
async fn the_page_lists_sales_on_now_and_coming_soon_but_not_ended_ones() {
    for s in servers().await {
        let ended = schedule(&s, "已结束的耳机", 5, -120, -60).await;
        let on = schedule(&s, "爆品咖啡券", 3, -10, 60).await;
        let soon = schedule(&s, "明日电饭煲", 7, 60, 120).await;
        let mut b = cardholder(&s, "13912350001").await;
        let rewards = b.get("/app/rewards").await;
        assert!(rewards.body.contains("href=\"/app/flash-sales\""));
        let page = b.get("/app/flash-sales").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("<strong>爆品咖啡券</strong> · ¥ 9.90"),
            "{}",
            page.body
        );
        assert!(page.body.contains("进行中 · 剩余 3"), "{}", page.body);
        assert!(page.body.contains("即将开始 · 剩余 7"), "{}", page.body);
        assert!(page.body.contains(&format!("data-id=\"{on}\"")));
        assert!(!page.body.contains(&format!("data-id=\"{ended}\"")));
        // Most recently scheduled first.
        let (a, c) = (
            page.body.find(&format!("data-id=\"{soon}\"")).unwrap(),
            page.body.find(&format!("data-id=\"{on}\"")).unwrap(),
        );
        assert!(a < c);
        let (status, list) = s.get("/v1/flash-sales", None).await;
        assert_eq!(status, StatusCode::OK);
        let ids: Vec<&str> = list["sales"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [soon.as_str(), on.as_str()], "{list}");
        b.post(
            "/app/prefs",
            &[("lang", "en"), ("back", "/app/flash-sales")],
        )
        .await;
        let en = b.get("/app/flash-sales").await;
        assert!(en.body.contains("On now · Left 3"), "{}", en.body);
        assert!(en.body.contains("Grab it"));
    }
}

#[tokio::test]
async fn a_claim_form_sent_twice_wins_once_and_shows_the_same_number() {
    for s in servers().await {
        let sale = schedule(&s, "爆品咖啡券", 3, -10, 60).await;
        let mut b = cardholder(&s, "13912350011").await;
        let won = claim(&mut b, &sale, 2).await;
        assert_eq!(won.status, StatusCode::OK, "{}", won.body);
        assert!(won.body.contains("抢到了！你是第 1 位"), "{}", won.body);
        assert_eq!(s.count("flash_sale_claims").await, 1);
        assert!(won.body.contains("剩余 2"), "{}", won.body);
        // A fresh form is a new claim: refused, as one customer may win one.
        let again = claim(&mut b, &sale, 1).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.body.contains("你已经抢过了"), "{}", again.body);
        assert_eq!(s.count("flash_sale_claims").await, 1);
        ledger_ok(&s).await;
    }
}

#[tokio::test]
async fn the_last_unit_goes_to_one_customer_and_the_next_hears_sold_out() {
    for s in servers().await {
        let sale = schedule(&s, "限量球鞋", 2, -10, 60).await;
        for (phone, seq) in [("13912350021", 1), ("13912350022", 2)] {
            let mut b = cardholder(&s, phone).await;
            let won = claim(&mut b, &sale, 1).await;
            assert!(
                won.body.contains(&format!("data-seq=\"{seq}\"")),
                "{}",
                won.body
            );
        }
        let mut carol = cardholder(&s, "13912350023").await;
        let out = claim(&mut carol, &sale, 1).await;
        assert_eq!(out.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(out.body.contains("已抢光"), "{}", out.body);
        assert!(out.body.contains("剩余 0"), "{}", out.body);
        assert_eq!(s.count("flash_sale_claims").await, 2);
    }
}

#[tokio::test]
async fn claims_too_early_too_late_or_malformed_explain_themselves_and_write_nothing() {
    for s in servers().await {
        let soon = schedule(&s, "明日电饭煲", 7, 60, 120).await;
        let on = schedule(&s, "爆品咖啡券", 3, -10, 2).await;
        let mut b = cardholder(&s, "13912350031").await;
        let early = claim(&mut b, &soon, 1).await;
        assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(early.body.contains("秒杀还没开始"), "{}", early.body);

        let page = b.get("/app/flash-sales").await;
        let key = form_key(&page.body, &on);
        let bad_id = b
            .post("/app/flash-sales/<script>/claim", &[("key", &key)])
            .await;
        assert_eq!(bad_id.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad_id.body.contains("没有找到这个秒杀活动"),
            "{}",
            bad_id.body
        );
        assert!(!bad_id.body.contains("<script>"));
        let no_key = b.post(&format!("/app/flash-sales/{on}/claim"), &[]).await;
        assert_eq!(no_key.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(no_key.body.contains("页面已过期"), "{}", no_key.body);

        // The page was open when the sale ended.
        s.clock.advance(SignedDuration::from_mins(3));
        let late = b
            .post(&format!("/app/flash-sales/{on}/claim"), &[("key", &key)])
            .await;
        assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(late.body.contains("秒杀已结束"), "{}", late.body);
        assert!(!late.body.contains(&format!("data-id=\"{on}\"")));
        assert_eq!(s.count("flash_sale_claims").await, 0);
        assert_eq!(s.count("idempotency_keys").await, 0);
    }
}

#[tokio::test]
async fn a_claim_without_its_csrf_token_is_refused_and_writes_nothing() {
    for s in servers().await {
        let sale = schedule(&s, "爆品咖啡券", 3, -10, 60).await;
        let mut b = cardholder(&s, "13912350041").await;
        let page = b.get("/app/flash-sales").await;
        let key = form_key(&page.body, &sale);
        assert!(b.cookie(CSRF).is_some());
        let forged = b
            .post_raw(
                &format!("/app/flash-sales/{sale}/claim"),
                &[("key", &key)],
                &[],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
        assert_eq!(s.count("flash_sale_claims").await, 0);
        let (_, one) = s.get(&format!("/v1/flash-sales/{sale}"), None).await;
        assert_eq!(one["remaining"], 3, "{one}");
    }
}
