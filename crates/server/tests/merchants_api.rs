//! Merchants, operators and QR payments over HTTP, on every backend (docs/merchants.md):
//! onboarding → review → signed calls; every refusal is a precise code that changes nothing;
//! repeated and concurrent payments take effect once; the ledger check holds after money moves.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_app::merchants::vocabulary::signing::{self, SigningKey};
use cardlife_kernel::Secret;
use common::{INTERNAL_TOKEN, TestServer, servers};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct MerchantKeys {
    key_id: String,
    secret: String,
}

static NONCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn fresh_nonce() -> String {
    let n = NONCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("nonce-{n:016}")
}

/// Sends a request signed with `key`, `skew_secs` away from the server's clock.
#[allow(clippy::too_many_arguments)]
async fn signed(
    s: &TestServer,
    key: &MerchantKeys,
    method: Method,
    path: &str,
    body: Option<Value>,
    idem: Option<&str>,
    skew_secs: i64,
    nonce: &str,
) -> (StatusCode, Value) {
    let bytes = body.map(|b| b.to_string()).unwrap_or_default();
    let signing_key =
        SigningKey::new(&key.key_id, Secret::new(key.secret.as_bytes().to_vec())).unwrap();
    let at =
        jiff::Timestamp::from_second(cardlife_kernel::Clock::now(&s.clock).as_second() + skew_secs)
            .unwrap();
    let request = signing::Request {
        method: method.as_str(),
        path,
        body: bytes.as_bytes(),
    };
    let header = signing::sign(&request, &signing_key, at, nonce).unwrap();
    send_signed(s, method, path, bytes, &header, idem).await
}

async fn send_signed(
    s: &TestServer,
    method: Method,
    path: &str,
    bytes: String,
    header: &str,
    idem: Option<&str>,
) -> (StatusCode, Value) {
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
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn pay(s: &TestServer, token: &str, idem: &str, body: Value) -> (StatusCode, Value) {
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

async fn operator(s: &TestServer, login: &str, phone: &str, role: &str) -> String {
    let password = format!("pw-{login}-secret");
    let (status, body) = s
        .post(
            "/v1/internal/operators",
            Some(INTERNAL_TOKEN),
            json!({ "login": login, "phone": phone, "password": password, "role": role }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = s
        .post(
            "/v1/operator/sessions",
            None,
            json!({ "login": login, "password": password }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// An approved merchant with its first key, approved by a reviewer whose token is returned.
async fn approved_merchant(s: &TestServer, name: &str) -> (String, MerchantKeys, String) {
    let (status, m) = s
        .post(
            "/v1/merchant-applications",
            None,
            json!({ "name": name, "city": "SHANGHAI", "address": "1 Nanjing Rd", "mcc": "5812",
                    "settlement_account": "6222020200112233445" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    assert_eq!(m["status"], "pending");
    assert_eq!(m["settlement_account_masked"], "6222****3445");
    let id = m["id"].as_str().unwrap().to_owned();
    let reviewer = operator(
        s,
        &format!("rev-{}", &id[id.len() - 12..]),
        "13800000001",
        "merchant_reviewer",
    )
    .await;
    let (status, r) = s
        .post(
            &format!("/v1/operator/merchants/{id}/approve"),
            Some(&reviewer),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let key = MerchantKeys {
        key_id: r["key"]["key_id"].as_str().unwrap().to_owned(),
        secret: r["key"]["secret"].as_str().unwrap().to_owned(),
    };
    (id, key, reviewer)
}

async fn ledger_ok(s: &TestServer) {
    let (status, report) = s.get("/v1/ledger/check", Some(INTERNAL_TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["ok"], true, "{report}");
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn review_needs_the_reviewer_role_and_every_decision_is_audited() {
    for s in servers().await {
        let viewer = operator(&s, "viewer1", "13800000002", "viewer").await;
        let (_, m) = s
            .post(
                "/v1/merchant-applications",
                None,
                json!({ "name": "LAOWANG NOODLES", "city": "SHANGHAI", "address": "2 Fuzhou Rd",
                        "mcc": "5812", "settlement_account": "6222020200998877665" }),
            )
            .await;
        let id = m["id"].as_str().unwrap().to_owned();
        let audit_before = s.count("audit_log").await;
        let (status, body) = s
            .post(
                &format!("/v1/operator/merchants/{id}/approve"),
                Some(&viewer),
                json!({}),
            )
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::FORBIDDEN, "FORBIDDEN_ROLE")
        );
        assert_eq!(s.count("merchant_keys").await, 0);
        assert_eq!(s.count("audit_log").await, audit_before);
        let (status, body) = s.get("/v1/operator/audit", Some(&viewer)).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::FORBIDDEN, "FORBIDDEN_ROLE")
        );
        let reviewer = operator(&s, "reviewer1", "13800000003", "merchant_reviewer").await;
        let (status, q) = s
            .get("/v1/operator/merchants/review-queue", Some(&reviewer))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(q.as_array().unwrap().len(), 1);
        let (status, body) = s
            .post(
                &format!("/v1/operator/merchants/{id}/reject"),
                Some(&reviewer),
                json!({}),
            )
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_FIELD")
        );
        let (status, body) = s
            .post(
                &format!("/v1/operator/merchants/{id}/reject"),
                Some(&reviewer),
                json!({ "reason": "licence unreadable" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["merchant"]["status"], "rejected");
        let (status, body) = s
            .post(
                &format!("/v1/operator/merchants/{id}/approve"),
                Some(&reviewer),
                json!({}),
            )
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "REVIEW_NOT_ALLOWED")
        );
        let admin = operator(&s, "admin1", "13800000004", "admin").await;
        let (status, log) = s.get("/v1/operator/audit", Some(&admin)).await;
        assert_eq!(status, StatusCode::OK);
        let actions: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert!(actions.contains(&"merchant.reject"), "{actions:?}");
        assert!(actions.contains(&"merchant.apply"), "{actions:?}");
        assert!(
            !log.to_string().contains("6222020200998877665"),
            "no account number in the log"
        );
    }
}

#[tokio::test]
async fn signed_requests_refuse_forgeries_replays_stale_times_and_unknown_keys() {
    for s in servers().await {
        let (_, key, _) = approved_merchant(&s, "SIGNED SHOP").await;
        let nonce = fresh_nonce();
        let (status, me) = signed(
            &s,
            &key,
            Method::GET,
            "/v1/merchant/me",
            None,
            None,
            0,
            &nonce,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["status"], "approved");
        let (status, body) = signed(
            &s,
            &key,
            Method::GET,
            "/v1/merchant/me",
            None,
            None,
            0,
            &nonce,
        )
        .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "REQUEST_REPLAYED")
        );
        let forged = MerchantKeys {
            key_id: key.key_id.clone(),
            secret: "f".repeat(64),
        };
        let (status, body) = signed(
            &s,
            &forged,
            Method::GET,
            "/v1/merchant/me",
            None,
            None,
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "SIGNATURE_INVALID")
        );
        let (status, body) = signed(
            &s,
            &key,
            Method::GET,
            "/v1/merchant/me",
            None,
            None,
            -301,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "TIMESTAMP_OUT_OF_WINDOW")
        );
        let unknown = MerchantKeys {
            key_id: "mk_nobody".to_owned(),
            secret: key.secret.clone(),
        };
        let (status, body) = signed(
            &s,
            &unknown,
            Method::GET,
            "/v1/merchant/me",
            None,
            None,
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "UNKNOWN_MERCHANT")
        );
        let (status, body) = s.get("/v1/merchant/me", None).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "SIGNATURE_REQUIRED")
        );
        // A body signed for one request does not verify for another.
        let orders_before = s.count("payment_orders").await;
        let good = json!({ "amount": "10.00" });
        let signing_key =
            SigningKey::new(&key.key_id, Secret::new(key.secret.as_bytes().to_vec())).unwrap();
        let header = signing::sign(
            &signing::Request {
                method: "POST",
                path: "/v1/merchant/orders",
                body: good.to_string().as_bytes(),
            },
            &signing_key,
            cardlife_kernel::Clock::now(&s.clock),
            &fresh_nonce(),
        )
        .unwrap();
        let tampered = json!({ "amount": "9999.00" }).to_string();
        let (status, body) = send_signed(
            &s,
            Method::POST,
            "/v1/merchant/orders",
            tampered,
            &header,
            None,
        )
        .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "SIGNATURE_INVALID")
        );
        assert_eq!(s.count("payment_orders").await, orders_before);
        // Rotation: the new key works, and so does the old one until a second rotation.
        let (status, rotated) = signed(
            &s,
            &key,
            Method::POST,
            "/v1/merchant/keys/rotate",
            None,
            None,
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{rotated}");
        let second = MerchantKeys {
            key_id: rotated["key_id"].as_str().unwrap().to_owned(),
            secret: rotated["secret"].as_str().unwrap().to_owned(),
        };
        let (status, _) = signed(
            &s,
            &second,
            Method::GET,
            "/v1/merchant/me",
            None,
            None,
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, third) = signed(
            &s,
            &second,
            Method::POST,
            "/v1/merchant/keys/rotate",
            None,
            None,
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(third["retired"], json!(key.key_id));
        let (status, body) = signed(
            &s,
            &key,
            Method::GET,
            "/v1/merchant/me",
            None,
            None,
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "SIGNATURE_INVALID")
        );
    }
}

#[tokio::test]
async fn a_dynamic_order_is_paid_once_refunded_within_what_was_captured_and_the_ledger_balances() {
    for s in servers().await {
        let (_, key, _) = approved_merchant(&s, "DYNAMIC SHOP").await;
        let (status, order) = signed(
            &s,
            &key,
            Method::POST,
            "/v1/merchant/orders",
            Some(json!({ "amount": "120.00", "merchant_ref": "T-1" })),
            None,
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        let payload = order["qr_payload"].as_str().unwrap().to_owned();
        let order_id = order["id"].as_str().unwrap().to_owned();
        let payer = s.register("13912345678").await;
        let (status, scan) = s
            .post(
                "/v1/qr/scan",
                Some(&payer.token),
                json!({ "payload": payload }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{scan}");
        assert_eq!(
            (scan["kind"].as_str(), scan["amount"].as_str()),
            (Some("dynamic"), Some("120.00"))
        );
        // Five times with one key, three of them at once: one effect.
        let body = json!({ "payload": payload });
        let concurrent = futures_like_join(&s, &payer.token, "pay-1", &body).await;
        for (status, b) in &concurrent {
            assert!(
                *status == StatusCode::CREATED
                    || (*status == StatusCode::CONFLICT && code(b) == "IDEMPOTENCY_IN_PROGRESS"),
                "{status} {b}"
            );
        }
        for _ in 0..2 {
            let (status, b) = pay(&s, &payer.token, "pay-1", body.clone()).await;
            assert_eq!(status, StatusCode::CREATED, "{b}");
            assert_eq!(b["id"], json!(order_id));
            assert_eq!(b["status"], "captured");
        }
        assert_eq!(s.count("payment_orders").await, 1);
        assert_eq!(s.count("order_refunds").await, 0);
        // The same key with another body.
        let (status, b) = pay(
            &s,
            &payer.token,
            "pay-1",
            json!({ "payload": payload, "amount": "1.00" }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "IDEMPOTENCY_KEY_REUSED")
        );
        // Another key cannot pay the order again.
        let (status, b) = pay(&s, &payer.token, "pay-2", body.clone()).await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::CONFLICT, "ORDER_ALREADY_PAID")
        );
        ledger_ok(&s).await;
        // Refunds: more than captured is refused and changes nothing; then in part.
        let refunds = format!("/v1/merchant/orders/{order_id}/refunds");
        let (status, b) = signed(
            &s,
            &key,
            Method::POST,
            &refunds,
            Some(json!({ "amount": "120.01" })),
            Some("r-0"),
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "REFUND_EXCEEDS_CAPTURED")
        );
        assert_eq!(s.count("order_refunds").await, 0);
        let (status, b) = signed(
            &s,
            &key,
            Method::POST,
            &refunds,
            Some(json!({ "amount": "20.00" })),
            Some("r-1"),
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(
            (b["status"].as_str(), b["refunded"].as_str()),
            (Some("partially_refunded"), Some("20.00"))
        );
        let (status, b) = signed(
            &s,
            &key,
            Method::POST,
            &refunds,
            Some(json!({ "amount": "20.00" })),
            Some("r-1"),
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(
            b["refunded"], "20.00",
            "the same refund again is answered, not repeated"
        );
        assert_eq!(s.count("order_refunds").await, 1);
        let (status, b) = signed(
            &s,
            &key,
            Method::POST,
            &refunds,
            Some(json!({ "amount": "100.01" })),
            Some("r-2"),
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "REFUND_EXCEEDS_CAPTURED")
        );
        let (status, got) = signed(
            &s,
            &key,
            Method::GET,
            &format!("/v1/merchant/orders/{order_id}"),
            None,
            None,
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (got["captured"].as_str(), got["fee"].as_str()),
            (Some("120.00"), Some("0.72"))
        );
        ledger_ok(&s).await;
        // Another merchant sees no such order.
        let (_, other, _) = approved_merchant(&s, "OTHER SHOP").await;
        let (status, b) = signed(
            &s,
            &other,
            Method::GET,
            &format!("/v1/merchant/orders/{order_id}"),
            None,
            None,
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!((status, code(&b)), (StatusCode::NOT_FOUND, "NOT_FOUND"));
    }
}

async fn futures_like_join(
    s: &TestServer,
    token: &str,
    idem: &str,
    body: &Value,
) -> Vec<(StatusCode, Value)> {
    let (a, b, c) = tokio::join!(
        pay(s, token, idem, body.clone()),
        pay(s, token, idem, body.clone()),
        pay(s, token, idem, body.clone())
    );
    vec![a, b, c]
}

#[tokio::test]
async fn static_codes_expired_orders_suspended_merchants_and_pay_codes_answer_precisely() {
    for s in servers().await {
        let (merchant_id, key, reviewer) = approved_merchant(&s, "STATIC SHOP").await;
        let payer = s.register("13712345678").await;
        let (status, code_body) = signed(
            &s,
            &key,
            Method::POST,
            "/v1/merchant/qr/static",
            None,
            None,
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let payload = code_body["payload"].as_str().unwrap().to_owned();
        let (status, b) = pay(&s, &payer.token, "s-0", json!({ "payload": payload })).await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "AMOUNT_REQUIRED")
        );
        let (status, b) = pay(
            &s,
            &payer.token,
            "s-1",
            json!({ "payload": payload, "amount": "300.00" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        let orders = s.count("payment_orders").await;
        let (status, b) = pay(
            &s,
            &payer.token,
            "s-2",
            json!({ "payload": payload, "amount": "200.01" }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "STATIC_CODE_DAILY_LIMIT")
        );
        assert_eq!(s.count("payment_orders").await, orders);
        // A wrong CRC and garbage.
        let mut bad = payload.clone();
        bad.replace_range(bad.len() - 4.., "0000");
        let (status, b) = pay(&s, &payer.token, "s-3", json!({ "payload": bad })).await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "QR_CRC_INVALID")
        );
        let (status, b) = pay(&s, &payer.token, "s-4", json!({ "payload": "00020101" })).await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "QR_INVALID")
        );
        // An expired dynamic order.
        let (_, order) = signed(
            &s,
            &key,
            Method::POST,
            "/v1/merchant/orders",
            Some(json!({ "amount": "5.00", "ttl_seconds": 60 })),
            None,
            0,
            &fresh_nonce(),
        )
        .await;
        s.clock.advance(jiff::SignedDuration::from_secs(61));
        let (status, b) = pay(
            &s,
            &payer.token,
            "s-5",
            json!({ "payload": order["qr_payload"] }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "ORDER_EXPIRED")
        );
        // Pay codes: charged once, then refused.
        let (status, pc) = s.get("/v1/me/pay-code", Some(&payer.token)).await;
        assert_eq!(status, StatusCode::OK, "{pc}");
        let pay_code = pc["code"].as_str().unwrap().to_owned();
        assert!(!pay_code.contains(&payer.phone));
        let charge = json!({ "pay_code": pay_code, "amount": "42.00" });
        let (status, b) = signed(
            &s,
            &key,
            Method::POST,
            "/v1/merchant/pay-code-charges",
            Some(charge.clone()),
            Some("c-1"),
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        assert_eq!(
            (b["channel"].as_str(), b["payer_id"].as_str()),
            (Some("pay_code"), Some(payer.id.as_str()))
        );
        let (status, b) = signed(
            &s,
            &key,
            Method::POST,
            "/v1/merchant/pay-code-charges",
            Some(charge.clone()),
            Some("c-2"),
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!((status, code(&b)), (StatusCode::CONFLICT, "PAY_CODE_USED"));
        let (_, pc) = s.get("/v1/me/pay-code", Some(&payer.token)).await;
        s.clock.advance(jiff::SignedDuration::from_secs(61));
        let late = json!({ "pay_code": pc["code"], "amount": "1.00" });
        let (status, b) = signed(
            &s,
            &key,
            Method::POST,
            "/v1/merchant/pay-code-charges",
            Some(late),
            Some("c-3"),
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "PAY_CODE_EXPIRED")
        );
        ledger_ok(&s).await;
        // Suspended: signed calls refused, nothing written.
        let (status, b) = s
            .post(
                &format!("/v1/operator/merchants/{merchant_id}/suspend"),
                Some(&reviewer),
                json!({ "reason": "chargebacks" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        let orders = s.count("payment_orders").await;
        let (status, b) = signed(
            &s,
            &key,
            Method::POST,
            "/v1/merchant/orders",
            Some(json!({ "amount": "5.00" })),
            None,
            0,
            &fresh_nonce(),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::FORBIDDEN, "MERCHANT_SUSPENDED")
        );
        let (status, b) = pay(
            &s,
            &payer.token,
            "s-6",
            json!({ "payload": payload, "amount": "1.00" }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::FORBIDDEN, "MERCHANT_SUSPENDED")
        );
        assert_eq!(s.count("payment_orders").await, orders);
    }
}

#[tokio::test]
async fn money_moving_requests_need_an_idempotency_key() {
    for s in servers().await {
        let payer = s.register("13612345678").await;
        let (status, b) = s
            .post("/v1/qr/pay", Some(&payer.token), json!({ "payload": "x" }))
            .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::BAD_REQUEST, "IDEMPOTENCY_KEY_REQUIRED")
        );
    }
}
