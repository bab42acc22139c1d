//! Each customer's lifecycle stage and value in the operator console (docs/web.md, "Operator
//! console"): a registered customer is a prospect, a card never used is unactivated, a payment
//! makes the holder active with a value tier, and 91 quiet days make them dormant.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod pages;

use common::merchant::{onboard, pay, signed};
use common::{INTERNAL_TOKEN, TestServer, servers_paying_by_card};
use pages::{Browser, create_operator};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn open_card(s: &TestServer, customer: &str, pan: &str) {
    let resp = s
        .client
        .post(format!("{}/v1/internal/credit/accounts", s.base))
        .bearer_auth(INTERNAL_TOKEN)
        .header("idempotency-key", format!("open-{pan}"))
        .json(
            &json!({ "customer_id": customer, "credit_limit_fen": 5_000_000,
                       "card_number": pan, "card_expires": "2030-12" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
}

/// The stage codes of the console's list, by masked phone.
async fn stages(s: &TestServer) -> Vec<(String, String, String)> {
    let mut admin = Browser::new(s);
    admin.console_login("op-admin").await;
    let list = admin.get("/console/customers").await;
    assert_eq!(list.status, StatusCode::OK);
    list.body
        .split("<tr><td>")
        .skip(1)
        .map(|row| {
            let phone = row.split('<').next().unwrap().to_owned();
            let attr = |name: &str| {
                let at = row.find(name).unwrap() + name.len();
                row[at..at + row[at..].find('"').unwrap()].to_owned()
            };
            (phone, attr("data-stage=\""), attr("data-value=\""))
        })
        .collect()
}

fn row<'a>(all: &'a [(String, String, String)], phone: &str) -> (&'a str, &'a str) {
    let r = all.iter().find(|r| r.0 == phone).unwrap();
    (&r.1, &r.2)
}

#[tokio::test]
async fn the_console_shows_each_customers_stage_and_value() {
    for s in servers_paying_by_card().await {
        create_operator(&s, "op-admin", "13700000001", "admin").await;
        let (_, key) = onboard(&s, "Tea House", "reviewer-stage").await;
        let _prospect = s.register("13900004001").await;
        let holder = s.register("13900004002").await;
        open_card(&s, &holder.id, "6225880137461233").await;
        let payer = s.register("13900004003").await;
        open_card(&s, &payer.id, "4111111111111111").await;

        // Two payments on two days (a dynamic code pays at most 1,000.00 a day): 1,100.00.
        for (n, amount) in ["600.00", "500.00"].into_iter().enumerate() {
            let (status, order) = signed(
                &s,
                &key,
                Method::POST,
                "/v1/merchant/orders",
                Some(json!({ "amount": amount })),
                None,
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{order}");
            // A day apart, so a fresh login each time (sessions idle out after 30 minutes).
            let (_, login) = s
                .post(
                    "/v1/sessions",
                    None,
                    json!({ "phone": payer.phone, "password": payer.password }),
                )
                .await;
            let (status, paid): (StatusCode, Value) = pay(
                &s,
                login["token"].as_str().unwrap(),
                &format!("stage-pay-{n}"),
                json!({ "payload": order["qr_payload"] }),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{paid}");
            s.clock.advance(jiff::SignedDuration::from_hours(24));
        }

        let all = stages(&s).await;
        assert_eq!(
            row(&all, "139****4001"),
            ("prospect", "none"),
            "{}",
            s.backend
        );
        assert_eq!(row(&all, "139****4002"), ("unactivated", "none"));
        assert_eq!(row(&all, "139****4003"), ("active", "medium"));

        // 91 days after the last payment: dormant, and no spending in the window.
        s.clock.advance(jiff::SignedDuration::from_hours(90 * 24));
        let all = stages(&s).await;
        assert_eq!(row(&all, "139****4003"), ("dormant", "none"));
        assert_eq!(row(&all, "139****4001"), ("prospect", "none"));
    }
}
