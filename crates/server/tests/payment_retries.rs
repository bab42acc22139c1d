//! Idempotency of a payment under client retries, over HTTP, on every backend
//! (docs/merchants.md, "One effect per request"). A static code is the sharpest case: every
//! payment through it makes a new order, so only the key can stop a retry from paying twice.
//! The same request is sent five times — three at once, then twice more — and takes effect once;
//! a concurrent duplicate answers 409 `IDEMPOTENCY_IN_PROGRESS` or the stored order; the key
//! reused with another body answers 422 and changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_app::merchants::funding;
use cardlife_kernel::MerchantId;
use common::merchant::{code, ledger_account, ledger_ok, onboard, pay, signed};
use common::servers;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_same_payment_sent_five_times_some_at_once_pays_once() {
    for s in servers().await {
        let (merchant, key) = onboard(&s, "Retry Cafe", "reviewer-retries").await;
        let payable = funding::merchant_payable_account(merchant.parse::<MerchantId>().unwrap());
        let (status, c) =
            signed(&s, &key, Method::POST, "/v1/merchant/qr/static", None, None).await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        let payer = s.register("13900000031").await;
        let body = json!({ "payload": c["payload"], "amount": "12.34" });

        let (a, b, c3) = tokio::join!(
            pay(&s, &payer.token, "retry-1", body.clone()),
            pay(&s, &payer.token, "retry-1", body.clone()),
            pay(&s, &payer.token, "retry-1", body.clone()),
        );
        let mut answers = vec![a, b, c3];
        for _ in 0..2 {
            answers.push(pay(&s, &payer.token, "retry-1", body.clone()).await);
        }
        let mut order = None;
        for (status, b) in &answers {
            match *status {
                StatusCode::CREATED => {
                    assert_eq!(b["status"], "captured", "{b}");
                    let id = b["id"].as_str().unwrap().to_owned();
                    assert_eq!(
                        order.get_or_insert(id.clone()),
                        &id,
                        "one order for one key"
                    );
                }
                StatusCode::CONFLICT => assert_eq!(code(b), "IDEMPOTENCY_IN_PROGRESS", "{b}"),
                other => panic!("unexpected {other}: {b}"),
            }
        }
        // The last two came after the first had finished: they answer the stored order.
        assert_eq!(answers[3].0, StatusCode::CREATED, "{}", answers[3].1);
        assert_eq!(answers[4].0, StatusCode::CREATED, "{}", answers[4].1);
        assert_eq!(s.count("payment_orders").await, 1);
        assert_eq!(ledger_account(&s, payable).await, (0, 1_234), "paid once");

        // The key again with another amount: refused, nothing changes.
        let (status, b) = pay(
            &s,
            &payer.token,
            "retry-1",
            json!({ "payload": body["payload"], "amount": "12.35" }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "IDEMPOTENCY_KEY_REUSED")
        );
        assert_eq!(s.count("payment_orders").await, 1);
        assert_eq!(ledger_account(&s, payable).await, (0, 1_234));

        // A new key is a new payment: the key, not the body, tells a retry from a purchase.
        let (status, b) = pay(&s, &payer.token, "retry-2", body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        assert_ne!(b["id"].as_str(), order.as_deref());
        assert_eq!(s.count("payment_orders").await, 2);
        assert_eq!(ledger_account(&s, payable).await, (0, 2_468));
        ledger_ok(&s).await;
    }
}
