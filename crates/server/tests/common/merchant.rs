//! Merchant-side helpers shared by the merchant test binaries: signed requests, paying a QR
//! order as a cardholder, onboarding an approved merchant, the ledger check.

use cardlife_app::merchants::vocabulary::signing::{self, SigningKey};
use cardlife_kernel::Secret;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{INTERNAL_TOKEN, TestServer};

/// A merchant's signing key, as approval answers it.
pub struct Keys {
    pub key_id: String,
    pub secret: String,
}

static NONCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A signed merchant request; the answer's status and raw body.
pub async fn signed_raw(
    s: &TestServer,
    key: &Keys,
    method: Method,
    path: &str,
    body: Option<Value>,
    idem: Option<&str>,
) -> (StatusCode, String) {
    let bytes = body.map(|b| b.to_string()).unwrap_or_default();
    let signing_key =
        SigningKey::new(&key.key_id, Secret::new(key.secret.as_bytes().to_vec())).unwrap();
    let at = cardlife_kernel::Clock::now(&s.clock);
    let n = NONCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let request = signing::Request {
        method: method.as_str(),
        path,
        body: bytes.as_bytes(),
    };
    let header = signing::sign(&request, &signing_key, at, &format!("nonce-{n:012}")).unwrap();
    let mut req = s
        .client
        .request(method, format!("{}{path}", s.base))
        .header(signing::SIGNATURE_HEADER, header)
        .header("content-type", "application/json")
        .body(bytes);
    if let Some(k) = idem {
        req = req.header("idempotency-key", k);
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

pub async fn signed(
    s: &TestServer,
    key: &Keys,
    method: Method,
    path: &str,
    body: Option<Value>,
    idem: Option<&str>,
) -> (StatusCode, Value) {
    let (status, text) = signed_raw(s, key, method, path, body, idem).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn pay(s: &TestServer, token: &str, idem: &str, body: Value) -> (StatusCode, Value) {
    let resp = s
        .client
        .post(format!("{}/v1/qr/pay", s.base))
        .bearer_auth(token)
        .header("idempotency-key", idem)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

pub fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("")
}

pub async fn onboard(s: &TestServer, name: &str, reviewer_login: &str) -> (String, Keys) {
    let (status, m) = s
        .post(
            "/v1/merchant-applications",
            None,
            json!({ "name": name, "city": "SHANGHAI", "address": "8 Huaihai Rd", "mcc": "5812",
                    "settlement_account": "6222020200112233445" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let id = m["id"].as_str().unwrap().to_owned();
    let password = "reviewer-password-1";
    let (status, b) = s
        .post(
            "/v1/internal/operators",
            Some(INTERNAL_TOKEN),
            json!({ "login": reviewer_login, "phone": "13800000009", "password": password,
                    "role": "merchant_reviewer" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let (_, session) = s
        .post(
            "/v1/operator/sessions",
            None,
            json!({ "login": reviewer_login, "password": password }),
        )
        .await;
    let token = session["token"].as_str().unwrap().to_owned();
    let (status, r) = s
        .post(
            &format!("/v1/operator/merchants/{id}/approve"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let keys = Keys {
        key_id: r["key"]["key_id"].as_str().unwrap().to_owned(),
        secret: r["key"]["secret"].as_str().unwrap().to_owned(),
    };
    (id, keys)
}

/// The ledger check passes.
pub async fn ledger_ok(s: &TestServer) {
    let (status, report) = s.get("/v1/ledger/check", Some(INTERNAL_TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["ok"], true, "{report}");
}

/// A ledger account's posted debits and credits.
pub async fn ledger_account(s: &TestServer, id: u128) -> (i64, i64) {
    let id = uuid::Uuid::from_u128(id);
    let (status, a) = s
        .get(&format!("/v1/ledger/accounts/{id}"), Some(INTERNAL_TOKEN))
        .await;
    assert_eq!(status, StatusCode::OK, "{id}: {a}");
    (
        a["debits_posted"].as_i64().unwrap(),
        a["credits_posted"].as_i64().unwrap(),
    )
}

/// Opens a credit account with one card for `customer`; the account id.
pub async fn open_card(
    s: &TestServer,
    customer: &str,
    pan: &str,
    limit: i64,
    expires: &str,
) -> String {
    let resp = s
        .client
        .post(format!("{}/v1/internal/credit/accounts", s.base))
        .bearer_auth(INTERNAL_TOKEN)
        .header("idempotency-key", format!("open-{pan}"))
        .json(
            &json!({ "customer_id": customer, "product": {"statement_day": 7},
                       "credit_limit_fen": limit, "card_number": pan, "card_expires": expires }),
        )
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// An internal POST with an idempotency key.
pub async fn internal(s: &TestServer, path: &str, idem: &str, body: Value) -> (StatusCode, Value) {
    let resp = s
        .client
        .post(format!("{}{path}", s.base))
        .bearer_auth(INTERNAL_TOKEN)
        .header("idempotency-key", idem)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A dynamic order of `amount`.
pub async fn order(s: &TestServer, key: &Keys, amount: &str) -> Value {
    let (status, o) = signed(
        s,
        key,
        Method::POST,
        "/v1/merchant/orders",
        Some(json!({ "amount": amount })),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    o
}

/// The cardholder's view of a credit account.
pub async fn card(s: &TestServer, token: &str, id: &str) -> Value {
    let (status, a) = s
        .get(&format!("/v1/credit/accounts/{id}"), Some(token))
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    a
}
