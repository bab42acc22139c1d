//! Merchant webhooks end to end, on every backend, on the fake clock (docs/merchants.md,
//! "Webhooks"): a real receiver (axum on 127.0.0.1:0) verifies each delivery's signature with
//! the secret shown once and deduplicates by event id as a merchant would; the server's outbox
//! is written with each change (order paid, refunded, day settled) and nothing with a refusal;
//! failures are retried with growing delays, an answer lost after processing is delivered again
//! and applied once, an endpoint that never answers is given up after the attempt budget; every
//! attempt is visible to the merchant and only to it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use cardlife_app::merchants::vocabulary::webhook::{
    self, Receipt, ReceiverPolicy, WebhookEventId, WebhookSecret,
};
use cardlife_kernel::{Clock, FakeClock, Secret};
use common::merchant::{Keys, code, onboard, pay, signed};
use common::{INTERNAL_TOKEN, TestServer, servers};
use jiff::{SignedDuration, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// What the receiver does with the next delivery.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Answers this status before looking at the delivery (the merchant's server is failing).
    FailBefore(u16),
    /// Verifies and processes it, then answers this status (the answer is lost on the way).
    FailAfter(u16),
}

/// A merchant's receiver: the secret it was shown, the server's clock (the signature's time is
/// the server's), a script of failures, the event ids seen and the events applied.
struct Receiver {
    secret: Option<WebhookSecret>,
    clock: FakeClock,
    script: VecDeque<Step>,
    seen: HashSet<WebhookEventId>,
    applied: Vec<Value>,
    deliveries: u32,
    rejected: u32,
}

type Shared = Arc<Mutex<Receiver>>;

async fn receive(State(r): State<Shared>, headers: HeaderMap, body: Bytes) -> AxumStatus {
    let mut r = r.lock().unwrap();
    r.deliveries += 1;
    let step = r.script.pop_front();
    if let Some(Step::FailBefore(status)) = step {
        return AxumStatus::from_u16(status).unwrap();
    }
    let header = headers
        .get(webhook::SIGNATURE_HEADER)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let now = r.clock.now();
    let secret = r.secret.clone().unwrap();
    let policy = ReceiverPolicy::default();
    let receipt = webhook::verify(&header, &body, &secret, &policy, now, &mut r.seen);
    match receipt {
        Ok(Receipt::First(_)) => {
            let event: Value = serde_json::from_slice(&body).unwrap();
            r.applied.push(event);
        }
        // Already applied: answer 2xx and do nothing.
        Ok(Receipt::Duplicate(_)) => {}
        Err(_) => {
            r.rejected += 1;
            return AxumStatus::UNAUTHORIZED;
        }
    }
    match step {
        Some(Step::FailAfter(status)) => AxumStatus::from_u16(status).unwrap(),
        _ => AxumStatus::OK,
    }
}

async fn start_receiver(clock: FakeClock) -> (String, Shared) {
    let shared = Arc::new(Mutex::new(Receiver {
        secret: None,
        clock,
        script: VecDeque::new(),
        seen: HashSet::new(),
        applied: Vec::new(),
        deliveries: 0,
        rejected: 0,
    }));
    let app = axum::Router::new()
        .route("/hooks", axum::routing::post(receive))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, shared)
}

async fn deliver(s: &TestServer) -> Value {
    let (status, report) = s
        .post(
            "/v1/internal/webhooks/deliver",
            Some(INTERNAL_TOKEN),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

fn report(r: &Value) -> (u64, u64, u64) {
    (
        r["delivered"].as_u64().unwrap(),
        r["retrying"].as_u64().unwrap(),
        r["dead"].as_u64().unwrap(),
    )
}

async fn events(s: &TestServer, key: &Keys) -> Vec<Value> {
    let (status, list) = signed(
        s,
        key,
        Method::GET,
        "/v1/merchant/webhook-events",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

fn at(v: &Value) -> Timestamp {
    v.as_str().unwrap().parse().unwrap()
}

async fn set_webhook(s: &TestServer, key: &Keys, url: &str) -> (StatusCode, Value) {
    signed(
        s,
        key,
        Method::PUT,
        "/v1/merchant/webhook",
        Some(json!({ "url": url })),
        None,
    )
    .await
}

async fn paid_order(s: &TestServer, key: &Keys, token: &str, amount: &str, idem: &str) -> String {
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
    let (status, b) = pay(s, token, idem, json!({ "payload": o["qr_payload"] })).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    o["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn webhooks_are_signed_retried_with_backoff_deduplicated_and_visible_to_their_merchant() {
    for s in servers().await {
        let (url, receiver) = start_receiver(s.clock.clone()).await;
        let (_, key) = onboard(&s, "Dumpling Bar", "reviewer-hooks").await;
        let payer = s.register("13900000021").await;

        // Before an endpoint is set, changes write no events.
        paid_order(&s, &key, &payer.token, "10.00", "before-hook").await;
        assert_eq!(s.count("webhook_events").await, 0);

        // A bad URL is refused and changes nothing; a good one answers the secret once.
        for bad in ["ftp://example.com/x", "not a url", "http://u:p@127.0.0.1/"] {
            let (status, b) = set_webhook(&s, &key, bad).await;
            assert_eq!(
                (status, code(&b)),
                (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_FIELD"),
                "{bad}: {b}"
            );
        }
        let (status, b) = signed(&s, &key, Method::GET, "/v1/merchant/webhook", None, None).await;
        assert_eq!((status, code(&b)), (StatusCode::NOT_FOUND, "NOT_FOUND"));
        let (status, issued) = set_webhook(&s, &key, &url).await;
        assert_eq!(status, StatusCode::OK, "{issued}");
        let secret = issued["secret"].as_str().unwrap().to_owned();
        assert!(
            secret.starts_with("whsec_") && secret.len() == 70,
            "{secret}"
        );
        receiver.lock().unwrap().secret =
            Some(WebhookSecret::new(Secret::new(secret.as_bytes().to_vec())).unwrap());
        let (status, shown) =
            signed(&s, &key, Method::GET, "/v1/merchant/webhook", None, None).await;
        assert_eq!(status, StatusCode::OK, "{shown}");
        assert_eq!(shown["fingerprint"], issued["fingerprint"]);
        assert!(
            !shown.to_string().contains(&secret[6..]),
            "the secret is never shown again"
        );

        // Paid: one event, due at once, in the outbox with the payment.
        let order = paid_order(&s, &key, &payer.token, "88.00", "pay-hook").await;
        let list = events(&s, &key).await;
        assert_eq!(list.len(), 1, "{list:?}");
        let paid = &list[0];
        assert_eq!(
            (paid["type"].as_str(), paid["state"].as_str()),
            (Some("order.paid"), Some("pending"))
        );
        let payload: Value = serde_json::from_str(paid["payload"].as_str().unwrap()).unwrap();
        assert_eq!(payload["data"]["order_id"].as_str(), Some(order.as_str()));
        assert_eq!(payload["data"]["captured"], "88.00");

        // 1st attempt: the merchant's server fails → retried after ~10 s (jitter ≤ 20 %).
        receiver
            .lock()
            .unwrap()
            .script
            .extend([Step::FailBefore(500), Step::FailAfter(503)]);
        assert_eq!(report(&deliver(&s).await), (0, 1, 0));
        let e = &events(&s, &key).await[0];
        let first = &e["attempts"][0];
        assert_eq!(
            (first["number"].as_i64(), first["status"].as_i64()),
            (Some(1), Some(500))
        );
        let wait = at(&e["next_attempt_at"]).duration_since(at(&first["at"]));
        assert!(
            (SignedDuration::from_secs(10)..=SignedDuration::from_secs(12)).contains(&wait),
            "{wait:?}"
        );
        // Not due yet: nothing is sent.
        assert_eq!(report(&deliver(&s).await), (0, 0, 0));
        assert_eq!(receiver.lock().unwrap().deliveries, 1);

        // 2nd attempt: processed, but the answer is lost (503) → retried after ~30 s.
        s.clock.advance(SignedDuration::from_secs(13));
        assert_eq!(report(&deliver(&s).await), (0, 1, 0));
        let e = &events(&s, &key).await[0];
        let second = &e["attempts"][1];
        let wait = at(&e["next_attempt_at"]).duration_since(at(&second["at"]));
        assert!(
            (SignedDuration::from_secs(30)..=SignedDuration::from_secs(36)).contains(&wait),
            "{wait:?}"
        );
        assert_eq!(receiver.lock().unwrap().applied.len(), 1);

        // 3rd attempt: a duplicate to the receiver — 2xx, applied once — and delivered.
        s.clock.advance(SignedDuration::from_secs(37));
        assert_eq!(report(&deliver(&s).await), (1, 0, 0));
        {
            let r = receiver.lock().unwrap();
            assert_eq!((r.deliveries, r.applied.len(), r.rejected), (3, 1, 0));
            assert_eq!(r.applied[0]["id"], paid["id"]);
        }
        let e = &events(&s, &key).await[0];
        assert_eq!(e["state"], "delivered");
        assert_eq!(e["attempts"].as_array().unwrap().len(), 3);
        assert_eq!(e["attempts"][2]["status"], 200);
        assert!(e["next_attempt_at"].is_null());

        // A refused refund writes nothing; a refund writes its event with the refund.
        let before = s.count("webhook_events").await;
        let refunds = format!("/v1/merchant/orders/{order}/refunds");
        let (status, b) = signed(
            &s,
            &key,
            Method::POST,
            &refunds,
            Some(json!({ "amount": "88.01" })),
            Some("refund-too-much"),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(s.count("webhook_events").await, before);
        let (status, b) = signed(
            &s,
            &key,
            Method::POST,
            &refunds,
            Some(json!({ "amount": "8.00" })),
            Some("refund-1"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(report(&deliver(&s).await), (1, 0, 0));
        {
            let r = receiver.lock().unwrap();
            let refunded = r.applied.last().unwrap();
            assert_eq!(refunded["type"], "order.refunded");
            assert_eq!(refunded["data"]["refund"]["amount"], "8.00");
        }

        // A day settled reports itself.
        s.clock.advance(SignedDuration::from_hours(24));
        let (status, b) = s
            .post(
                "/v1/internal/settlement/run",
                Some(INTERNAL_TOKEN),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(report(&deliver(&s).await), (1, 0, 0));
        {
            let r = receiver.lock().unwrap();
            let settled = r.applied.last().unwrap();
            assert_eq!(settled["type"], "settlement.completed");
            assert_eq!(settled["data"]["business_date"], "2026-04-01");
            assert_eq!(r.rejected, 0);
        }

        // An endpoint that never answers: retried (each delay at most the 1 h cap), then given
        // up after 8 attempts.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead_url = format!("http://{}/hooks", closed.local_addr().unwrap());
        drop(closed);
        let (status, _) = set_webhook(&s, &key, &dead_url).await;
        assert_eq!(status, StatusCode::OK);
        // (A day later the first payer's session has ended: another payer pays.)
        let later = s.register("13900000022").await;
        paid_order(&s, &key, &later.token, "5.00", "pay-dead").await;
        let mut last = (0, 0, 0);
        for _ in 0..8 {
            last = report(&deliver(&s).await);
            s.clock.advance(SignedDuration::from_hours(2));
        }
        assert_eq!(last, (0, 0, 1));
        // (The settlement event has the same creation time: find the dead one by its state.)
        let list = events(&s, &key).await;
        let dead: Vec<&Value> = list.iter().filter(|e| e["state"] == "dead").collect();
        assert_eq!(dead.len(), 1, "{list:?}");
        let e = dead[0];
        assert_eq!(e["type"], "order.paid");
        let tries = e["attempts"].as_array().unwrap();
        assert_eq!(tries.len(), 8);
        assert!(
            tries
                .iter()
                .all(|t| t["status"].is_null() && t["error"] == "could not connect")
        );
        assert_eq!(
            report(&deliver(&s).await),
            (0, 0, 0),
            "a dead event is not retried"
        );

        // Another merchant sees none of these events.
        let (_, other) = onboard(&s, "Other Bar", "reviewer-hooks-2").await;
        assert!(events(&s, &other).await.is_empty());
    }
}
