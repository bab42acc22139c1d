//! Credit-account helpers the installment tests share: raw requests with an optional
//! idempotency key, opening an account, a purchase as an authorisation and its capture, a login.
#![allow(dead_code)]

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{INTERNAL_TOKEN, TestServer};

/// POSTs `body` with a bearer token and an optional `Idempotency-Key`: status, JSON, text.
pub async fn post(
    s: &TestServer,
    path: &str,
    token: &str,
    idem: Option<&str>,
    body: Value,
) -> (StatusCode, Value, String) {
    let mut req = s
        .client
        .post(format!("{}{path}", s.base))
        .bearer_auth(token);
    if let Some(k) = idem {
        req = req.header("idempotency-key", k);
    }
    let resp = req.json(&body).send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    )
}

/// Opens an account with card `pan` for `customer` (statement day 7); its id.
pub async fn open(s: &TestServer, customer: &str, pan: &str, limit: i64) -> String {
    let (status, b, _) = post(
        s,
        "/v1/internal/credit/accounts",
        INTERNAL_TOKEN,
        Some(&format!("open-{pan}")),
        json!({ "customer_id": customer, "product": {"statement_day": 7},
                "credit_limit_fen": limit, "card_number": pan, "card_expires": "2030-12" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

/// An authorisation and its capture; the authorisation's id.
pub async fn buy(s: &TestServer, pan: &str, amount: i64, key: &str) -> String {
    let (status, a, _) = post(
        s,
        "/v1/internal/credit/authorisations",
        INTERNAL_TOKEN,
        Some(&format!("{key}-a")),
        json!({ "card_number": pan, "amount_fen": amount }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let id = a["id"].as_str().unwrap().to_owned();
    let (status, c, _) = post(
        s,
        &format!("/v1/internal/credit/authorisations/{id}/capture"),
        INTERNAL_TOKEN,
        Some(&format!("{key}-c")),
        json!({ "amount_fen": amount }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    id
}

/// Logs `phone` in with its test password; the session token.
pub async fn login(s: &TestServer, phone: &str) -> String {
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
