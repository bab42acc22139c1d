//! Paying merchants by credit card over HTTP, on every backend, on the fake clock
//! (docs/merchants.md, "Paying by credit card"): a cardholder pays a dynamic QR order → the
//! authorisation is captured on the card → a refund shows as a credit → the statement after the
//! cycle shows both → repayment; the merchant's payable account carries the purchase exactly once;
//! a customer without a card gets `NO_CARD`; frozen, insufficient and expired cards decline with
//! their codes and change nothing on the card. The ledger check holds after each step.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_app::merchants::funding;
use cardlife_kernel::MerchantId;
use common::merchant::{
    card, code, internal, ledger_account, ledger_ok, onboard, open_card, order, pay, signed,
};
use common::servers_paying_by_card;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_qr_payment_is_paid_by_the_credit_card_and_ties_out_on_both_sides() {
    for s in servers_paying_by_card().await {
        let (merchant, key) = onboard(&s, "Noodle House", "reviewer-card").await;
        let merchant: MerchantId = merchant.parse().unwrap();
        let payable = funding::merchant_payable_account(merchant);
        let alice = s.register("13900000001").await;
        let bob = s.register("13900000002").await;
        let account = open_card(&s, &alice.id, "4111111111111111", 40_000, "2030-12").await;
        ledger_ok(&s).await;

        // Bob holds no card: NO_CARD, nothing on any card, the order stays payable.
        let events = s.count("credit_events").await;
        let o = order(&s, &key, "50.00").await;
        let (status, b) = pay(
            &s,
            &bob.token,
            "bob-1",
            json!({ "payload": o["qr_payload"] }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "NO_CARD"),
            "{b}"
        );
        assert_eq!(s.count("credit_events").await, events);
        assert_eq!(ledger_account(&s, payable).await, (0, 0));

        // Alice pays 300.00: authorised and captured on her card, owed to the merchant once.
        let o = order(&s, &key, "300.00").await;
        let order_id = o["id"].as_str().unwrap().to_owned();
        let (status, b) = pay(
            &s,
            &alice.token,
            "alice-1",
            json!({ "payload": o["qr_payload"] }),
        )
        .await;
        assert_eq!(
            (status, b["status"].as_str()),
            (StatusCode::CREATED, Some("captured")),
            "{b}"
        );
        let a = card(&s, &alice.token, &account).await;
        // Captured, it shows as pending on the card until its posting date.
        assert_eq!(
            a["balance_fen"].as_i64().unwrap() + a["pending_fen"].as_i64().unwrap(),
            30_000,
            "{a}"
        );
        assert_eq!(a["available_credit_fen"], 10_000, "{a}");
        assert_eq!(ledger_account(&s, payable).await, (0, 30_000));
        // The same key answers the same order and charges nothing more.
        let (status, again) = pay(
            &s,
            &alice.token,
            "alice-1",
            json!({ "payload": o["qr_payload"] }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{again}");
        assert_eq!(again["id"], b["id"]);
        assert_eq!(
            card(&s, &alice.token, &account).await["available_credit_fen"],
            10_000
        );
        ledger_ok(&s).await;

        // Declines, each changing nothing on the card or the merchant.
        let events = s.count("credit_events").await;
        let big = order(&s, &key, "200.00").await;
        let (status, b) = pay(
            &s,
            &alice.token,
            "alice-2",
            json!({ "payload": big["qr_payload"] }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "INSUFFICIENT_CREDIT"),
            "{b}"
        );
        let (status, f) = internal(
            &s,
            &format!("/v1/internal/credit/accounts/{account}/status"),
            "freeze-1",
            json!({"action": "freeze"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{f}");
        let events = events + 1;
        let small = order(&s, &key, "10.00").await;
        let (status, b) = pay(
            &s,
            &alice.token,
            "alice-3",
            json!({ "payload": small["qr_payload"] }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "ACCOUNT_FROZEN"),
            "{b}"
        );
        assert_eq!(s.count("credit_events").await, events);
        let (status, f) = internal(
            &s,
            &format!("/v1/internal/credit/accounts/{account}/status"),
            "unfreeze-1",
            json!({"action": "unfreeze"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{f}");
        assert_eq!(
            card(&s, &alice.token, &account).await["available_credit_fen"],
            10_000
        );
        assert_eq!(ledger_account(&s, payable).await, (0, 30_000));
        // A closed account declines.
        let dave = s.register("13900000004").await;
        let closed = open_card(&s, &dave.id, "378282246310005", 40_000, "2030-12").await;
        let (status, f) = internal(
            &s,
            &format!("/v1/internal/credit/accounts/{closed}/status"),
            "close-dave",
            json!({"action": "close"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{f}");
        let events = s.count("credit_events").await;
        let o4 = order(&s, &key, "10.00").await;
        let (status, b) = pay(
            &s,
            &dave.token,
            "dave-1",
            json!({ "payload": o4["qr_payload"] }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "ACCOUNT_CLOSED"),
            "{b}"
        );
        assert_eq!(s.count("credit_events").await, events);
        // An expired card declines.
        let carol = s.register("13900000003").await;
        open_card(&s, &carol.id, "5555555555554444", 40_000, "2026-03").await;
        let o3 = order(&s, &key, "10.00").await;
        let (status, b) = pay(
            &s,
            &carol.token,
            "carol-1",
            json!({ "payload": o3["qr_payload"] }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "CARD_EXPIRED"),
            "{b}"
        );
        ledger_ok(&s).await;

        // A partial refund: payable → clearing now, a credit on the card after the lag.
        let (status, r) = signed(
            &s,
            &key,
            Method::POST,
            &format!("/v1/merchant/orders/{order_id}/refunds"),
            Some(json!({ "amount": "20.00" })),
            Some("refund-1"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(ledger_account(&s, payable).await, (2_000, 30_000));
        ledger_ok(&s).await;

        // After the 7 Apr statement day: the statement shows the purchase and the refund.
        s.clock.advance_days(7);
        let (status, c) = internal(&s, "/v1/internal/credit/close-day", "close-1", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{c}");
        let (status, login) = s
            .post(
                "/v1/sessions",
                None,
                json!({"phone": alice.phone, "password": alice.password}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{login}");
        let alice_token = login["token"].as_str().unwrap().to_owned();
        let (status, st) = s
            .get(
                &format!("/v1/credit/accounts/{account}/statements/2026-04-07"),
                Some(&alice_token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{st}");
        let lines = st["lines"].as_array().unwrap();
        assert!(
            lines
                .iter()
                .any(|l| l["kind"] == "purchase" && l["amount_fen"] == 30_000),
            "{st}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l["kind"] == "refund" && l["amount_fen"] == -2_000),
            "{st}"
        );
        assert_eq!(st["balance_fen"], 28_000, "{st}");
        ledger_ok(&s).await;

        // Repayment clears the card.
        let resp = s
            .client
            .post(format!(
                "{}/v1/credit/accounts/{account}/repayments",
                s.base
            ))
            .bearer_auth(&alice_token)
            .header("idempotency-key", "repay-1")
            .json(&json!({"amount_fen": 28_000}))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success());
        assert_eq!(card(&s, &alice_token, &account).await["balance_fen"], 0);

        // Settlement of 1 Apr pays the merchant from the payable account: captures − refunds − fees.
        let (status, run) = internal(
            &s,
            "/v1/internal/settlement/run",
            "settle-1",
            json!({"through": "2026-04-01"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        let (d, c) = ledger_account(&s, payable).await;
        assert_eq!(
            c - d,
            0,
            "the payable account is back to zero after the payout"
        );
        ledger_ok(&s).await;
    }
}
