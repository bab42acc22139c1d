//! Pre-approved offers over HTTP (docs/loans.md, "Offers"): `GET /v1/me/offers` weighs the
//! customer's card account — limit headroom, months on book, minimums missed, days past due now
//! and at worst in the last year — and answers the installment and loan amounts with the
//! reason codes behind every cut.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::credit::{buy, open, post};
use common::{TestServer, servers};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn offers(s: &TestServer, phone: &str, password: &str) -> Value {
    // Sessions end after idle time: log in again after days pass.
    let (status, b) = s
        .post(
            "/v1/sessions",
            None,
            json!({"phone": phone, "password": password}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let token = b["token"].as_str().unwrap();
    let (status, o) = s.get("/v1/me/offers", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{o}");
    o
}

fn reasons(o: &Value) -> Vec<&str> {
    o["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect()
}

async fn close_days(s: &TestServer, days: i64) {
    s.clock.advance_days(days);
    let (status, b, _) = post(
        s,
        "/v1/internal/credit/close-day",
        common::INTERNAL_TOKEN,
        None,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{b}");
}

#[tokio::test]
async fn offers_weigh_the_card_account_and_remember_the_worst_delinquency_of_the_year() {
    for s in servers().await {
        let c = s.register("13800000031").await;
        // Without a card: a loan on the notional limit only, never an installment.
        let o = offers(&s, &c.phone, &c.password).await;
        assert_eq!(o["account_id"], Value::Null, "{o}");
        assert_eq!(o["installment"], "0.00", "{o}");

        let id = open(&s, &c.id, "4111111111111111", 2_000_000).await;
        buy(&s, "4111111111111111", 500_000, "offer-buy").await;
        let o = offers(&s, &c.phone, &c.password).await;
        assert_eq!(o["account_id"], id.as_str(), "{o}");
        // Headroom 15,000.00 × 80%, limit 20,000.00 × 2, both halved for a thin file.
        assert_eq!(o["installment"], "6000.00", "{o}");
        assert_eq!(o["loan"], "20000.00", "{o}");
        assert_eq!(reasons(&o), ["THIN_FILE"]);

        // Nothing is paid: two months on, the account is past due and nothing is offered.
        close_days(&s, 60).await;
        let o = offers(&s, &c.phone, &c.password).await;
        assert_eq!(
            (&o["installment"], &o["loan"]),
            (&json!("0.00"), &json!("0.00"))
        );
        assert!(reasons(&o).contains(&"DELINQUENT_NOW"), "{o}");

        // Paid off in full, the account is current again, but the year still shows the worst
        // it reached (more than 30 days past due): still no offer, for that reason.
        let (status, b) = s
            .post(
                "/v1/sessions",
                None,
                json!({"phone": c.phone, "password": c.password}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        let token = b["token"].as_str().unwrap().to_owned();
        let (status, paid, _) = post(
            &s,
            &format!("/v1/credit/accounts/{id}/repayments"),
            &token,
            Some("offer-pay-all"),
            json!({"amount_fen": 1_000_000}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{paid}");
        let o = offers(&s, &c.phone, &c.password).await;
        let why = reasons(&o);
        assert!(!why.contains(&"DELINQUENT_NOW"), "{o}");
        assert!(why.contains(&"M2_IN_LAST_12"), "{o}");
        assert_eq!(o["loan"], "0.00", "{o}");

        // Another customer's token sees their own standing, never this account.
        let other = s.register("13800000032").await;
        let o = offers(&s, &other.phone, &other.password).await;
        assert_eq!(o["account_id"], Value::Null, "{o}");
    }
}
