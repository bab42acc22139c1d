//! Referral over HTTP on both stores (docs/rewards.md, "Referral"): codes and links, binding once,
//! both sides rewarded in points on the invitee's first payment of 100.00 or more and never again,
//! one level only, the same device on both sides refused, every bad binding changing nothing, and
//! the points ledger balanced after.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use common::merchant::{Keys, code, ledger_ok, onboard, pay, signed};
use common::{Customer, TestServer, servers};

async fn referral(s: &TestServer, c: &Customer, device: &str) -> Value {
    let resp = s
        .client
        .get(format!("{}/v1/me/referral", s.base))
        .bearer_auth(&c.token)
        .header("x-device-id", device)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

async fn bind(s: &TestServer, c: &Customer, code: &str, device: &str) -> (StatusCode, Value) {
    let resp = s
        .client
        .post(format!("{}/v1/me/referral/binding", s.base))
        .bearer_auth(&c.token)
        .header("x-device-id", device)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap())
}

async fn spend(s: &TestServer, key: &Keys, c: &Customer, amount: &str, n: &str) {
    let (status, order) = signed(
        s,
        key,
        Method::POST,
        "/v1/merchant/orders",
        Some(json!({ "amount": amount, "merchant_ref": n })),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let (status, b) = pay(s, &c.token, n, json!({ "payload": order["qr_payload"] })).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
}

async fn balance(s: &TestServer, c: &Customer) -> i64 {
    s.get("/v1/me/points", Some(&c.token)).await.1["balance"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn both_sides_earn_once_on_the_first_qualifying_payment_one_level_only_and_abuse_is_refused()
{
    for s in servers().await {
        let (_, key) = onboard(&s, "BOOK SHOP", "reviewer-referral").await;
        let a = s.register("13912348001").await;
        let b = s.register("13912348002").await;
        let a_ref = referral(&s, &a, "device-a").await;
        let a_code = a_ref["code"].as_str().unwrap().to_owned();
        assert_eq!(a_code.len(), 10);
        assert!(
            a_ref["link"]
                .as_str()
                .unwrap()
                .ends_with(&format!("?invite={a_code}"))
        );
        assert_eq!(
            referral(&s, &a, "device-a").await["code"],
            a_code.as_str(),
            "the same code"
        );

        let (status, bound) = bind(&s, &b, &a_code.to_lowercase(), "device-b").await;
        assert_eq!(status, StatusCode::CREATED, "{bound}");
        assert_eq!(bound["invited_by"], "pending");
        // Refused, nothing changed: twice, back to one's invitee, oneself, an unknown code.
        let rows = s.count("referrals").await;
        let (status, e) = bind(&s, &b, &a_code, "device-b").await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::CONFLICT, "ALREADY_REFERRED"),
            "{e}"
        );
        let b_code = referral(&s, &b, "device-b").await["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, e) = bind(&s, &a, &b_code, "device-a").await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::UNPROCESSABLE_ENTITY, "SELF_REFERRAL"),
            "{e}"
        );
        let (status, e) = bind(&s, &a, &a_code, "device-a").await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::UNPROCESSABLE_ENTITY, "SELF_REFERRAL"),
            "{e}"
        );
        let (status, e) = bind(&s, &a, "ZZZZZZZZZZ", "device-a").await;
        assert_eq!(
            (status, code(&e)),
            (StatusCode::NOT_FOUND, "NOT_FOUND"),
            "{e}"
        );
        assert_eq!(s.count("referrals").await, rows);

        // Below 100.00 earns only its own points; the first qualifying payment rewards both.
        spend(&s, &key, &b, "50.00", "b-1").await;
        assert_eq!((balance(&s, &a).await, balance(&s, &b).await), (0, 50));
        spend(&s, &key, &b, "120.00", "b-2").await;
        assert_eq!(
            (balance(&s, &a).await, balance(&s, &b).await),
            (500, 50 + 120 + 200)
        );
        spend(&s, &key, &b, "300.00", "b-3").await;
        assert_eq!(
            (balance(&s, &a).await, balance(&s, &b).await),
            (500, 670),
            "once only"
        );
        assert_eq!(
            referral(&s, &a, "device-a").await["invited"][0]["state"],
            "rewarded"
        );

        // One level: B's invitee rewards B, never A.
        let d = s.register("13912348004").await;
        let (status, _) = bind(&s, &d, &b_code, "device-d").await;
        assert_eq!(status, StatusCode::CREATED);
        spend(&s, &key, &d, "100.00", "d-1").await;
        assert_eq!(
            (
                balance(&s, &a).await,
                balance(&s, &b).await,
                balance(&s, &d).await
            ),
            (500, 1_170, 300)
        );

        // The same device on both sides: refused, no reward.
        let c = s.register("13912348003").await;
        let (status, _) = bind(&s, &c, &a_code, "device-a").await;
        assert_eq!(status, StatusCode::CREATED);
        spend(&s, &key, &c, "150.00", "c-1").await;
        assert_eq!((balance(&s, &a).await, balance(&s, &c).await), (500, 150));
        let invited = referral(&s, &a, "device-a").await["invited"].clone();
        assert_eq!(
            (invited[1]["state"].as_str(), invited[1]["reason"].as_str()),
            (Some("refused"), Some("same_device"))
        );
        ledger_ok(&s).await;
    }
}
