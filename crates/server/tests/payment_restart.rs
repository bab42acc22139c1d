//! A restart in the middle of a card payment (docs/merchants.md, "Recovery of interrupted
//! payments"), on every backend: the process stops after the card authorisation — once before
//! the card capture, once after it — and a new process on the same store, with none of the first
//! one's memory, finishes both payments from the stored order → authorisation link: each order
//! captured once, the card charged once, the merchant owed once, the key answering the order,
//! the ledger check clean.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use cardlife_app::AppError;
use cardlife_app::merchants::CardFunding;
use cardlife_app::merchants::funding::{self, AuthId, FundingFuture, FundingRequest};
use cardlife_kernel::{MerchantId, Money};
use common::merchant::{
    card, code, ledger_account, ledger_ok, onboard, open_card, order, pay, signed,
};
use common::{INTERNAL_TOKEN, servers_paying_by_card_wrapped};
use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// The card funding of a process that stops after authorising: a payment of 300.00 stops
/// before the card capture, one of 200.00 right after it (before the capture is recorded).
#[derive(Debug)]
struct StopsAfterAuthorising(Arc<dyn CardFunding>);

const STOP_BEFORE_CAPTURE: Money = Money::cny(30_000);
const STOP_AFTER_CAPTURE: Money = Money::cny(20_000);

fn stopping(inner: Arc<dyn CardFunding>) -> Arc<dyn CardFunding> {
    Arc::new(StopsAfterAuthorising(inner))
}

impl CardFunding for StopsAfterAuthorising {
    fn authorise(&self, r: FundingRequest) -> FundingFuture<'_, AuthId> {
        self.0.authorise(r)
    }

    fn capture(&self, auth: AuthId, r: FundingRequest) -> FundingFuture<'_, ()> {
        Box::pin(async move {
            if r.amount == STOP_AFTER_CAPTURE {
                self.0.capture(auth, r).await?;
                return Err(AppError::Unavailable);
            }
            if r.amount == STOP_BEFORE_CAPTURE {
                return Err(AppError::Unavailable);
            }
            self.0.capture(auth, r).await
        })
    }

    fn void(&self, auth: AuthId, r: FundingRequest) -> FundingFuture<'_, ()> {
        self.0.void(auth, r)
    }

    fn refund(&self, r: FundingRequest) -> FundingFuture<'_, ()> {
        self.0.refund(r)
    }
}

#[tokio::test]
async fn a_restart_between_authorisation_and_capture_finishes_each_payment_once() {
    for s in servers_paying_by_card_wrapped(stopping).await {
        let (merchant, key) = onboard(&s, "Tea House", "reviewer-restart").await;
        let payable = funding::merchant_payable_account(merchant.parse::<MerchantId>().unwrap());
        let alice = s.register("13900000011").await;
        let account = open_card(&s, &alice.id, "4111111111111111", 100_000, "2030-12").await;
        let before = order(&s, &key, "300.00").await;
        let after = order(&s, &key, "200.00").await;
        for (o, idem) in [(&before, "pay-before"), (&after, "pay-after")] {
            let (status, b) = pay(
                &s,
                &alice.token,
                idem,
                json!({ "payload": o["qr_payload"] }),
            )
            .await;
            assert!(status.is_server_error(), "{status} {b}");
        }
        // Both holds are on the card; neither order is recorded as captured, and a retry
        // meanwhile is told the payment is still running.
        let a = card(&s, &alice.token, &account).await;
        assert_eq!(a["available_credit_fen"], 50_000, "{a}");
        let (status, b) = pay(
            &s,
            &alice.token,
            "pay-before",
            json!({ "payload": before["qr_payload"] }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::CONFLICT, "IDEMPOTENCY_IN_PROGRESS")
        );
        // The payment stopped after the card capture already owes the merchant its 200.00.
        assert_eq!(ledger_account(&s, payable).await, (0, 20_000));

        // The process stops. A new one, on the same store, with nothing in memory.
        let r = s.restart().await;
        r.clock.advance(SignedDuration::from_mins(2));
        let (status, report) = r
            .post(
                "/v1/internal/payments/recover",
                Some(INTERNAL_TOKEN),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(
            (report["finished"].as_u64(), report["voided"].as_u64()),
            (Some(2), Some(0)),
            "{report}"
        );
        for (o, idem, fen) in [
            (&before, "pay-before", "300.00"),
            (&after, "pay-after", "200.00"),
        ] {
            let id = o["id"].as_str().unwrap();
            let (status, got) = signed(
                &r,
                &key,
                Method::GET,
                &format!("/v1/merchant/orders/{id}"),
                None,
                None,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{got}");
            assert_eq!(
                (got["status"].as_str(), got["captured"].as_str()),
                (Some("captured"), Some(fen)),
                "{got}"
            );
            // The key now answers the order; nothing is charged again.
            let (status, again) = pay(
                &r,
                &alice.token,
                idem,
                json!({ "payload": o["qr_payload"] }),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{again}");
            assert_eq!(again["id"].as_str(), Some(id));
        }
        // A second sweep finds nothing left to do.
        let (_, report) = r
            .post(
                "/v1/internal/payments/recover",
                Some(INTERNAL_TOKEN),
                json!({}),
            )
            .await;
        assert_eq!(report["finished"], 0, "{report}");
        let a = card(&r, &alice.token, &account).await;
        assert_eq!(
            a["balance_fen"].as_i64().unwrap() + a["pending_fen"].as_i64().unwrap(),
            50_000,
            "each purchase on the card once: {a}"
        );
        assert_eq!(a["available_credit_fen"], 50_000, "{a}");
        assert_eq!(ledger_account(&r, payable).await, (0, 50_000));
        ledger_ok(&r).await;
    }
}
