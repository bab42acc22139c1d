//! Merchant installments with a merchant-paid fee (商户分期, 贴息) over HTTP, on every backend,
//! on the fake clock (docs/api.md, "Merchant installments"): the merchant sets the terms it pays
//! the fee for over the signed API (bad terms change nothing); the holder converts a QR payment
//! made there at 0% (APR 0, shown first); at booking the merchant's fee moves from its
//! settlement account to the issuer's installment fee income, once, and the ledger check
//! passes. A purchase made elsewhere, periods the merchant does not pay for, a rate asked for,
//! and terms changed between quote and booking are refused and change nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::credit::{login, post};

use cardlife_app::merchants::installment_terms::{
    installment_fee_income_account, merchant_fee_transfer_id,
};
use cardlife_app::merchants::settlement::merchant_settlement_account;
use cardlife_kernel::MerchantId;
use common::merchant::{
    Keys, code, internal, ledger_account, ledger_ok, onboard, open_card, order, pay, signed,
};
use common::{INTERNAL_TOKEN, TestServer, servers_paying_by_card};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn set_terms(s: &TestServer, key: &Keys, terms: Value) -> (StatusCode, Value) {
    signed(
        s,
        key,
        Method::PUT,
        "/v1/merchant/installment-terms",
        Some(json!({ "terms": terms })),
        None,
    )
    .await
}

async fn terms(s: &TestServer, key: &Keys) -> Value {
    let (status, t) = signed(
        s,
        key,
        Method::GET,
        "/v1/merchant/installment-terms",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    t
}

/// Whether the ledger holds transfer `id`.
async fn has_transfer(s: &TestServer, id: u128) -> bool {
    let id = uuid::Uuid::from_u128(id);
    let (status, _) = s
        .get(&format!("/v1/ledger/transfers/{id}"), Some(INTERNAL_TOKEN))
        .await;
    status == StatusCode::OK
}

#[tokio::test]
async fn a_purchase_at_a_merchant_paying_the_fee_is_free_and_the_merchant_pays_once() {
    for s in servers_paying_by_card().await {
        let (merchant, key) = onboard(&s, "Appliance Hall", "reviewer-mi").await;
        let merchant_id: MerchantId = merchant.parse().unwrap();

        // The merchant's terms: none at first; bad terms are refused and change nothing.
        assert_eq!(terms(&s, &key).await["terms"], json!([]));
        for (bad, want) in [
            (
                json!([{"periods": 61, "rate": "0.006"}]),
                "PERIODS_OUT_OF_RANGE",
            ),
            (
                json!([{"periods": 0, "rate": "0.006"}]),
                "PERIODS_OUT_OF_RANGE",
            ),
            (
                json!([{"periods": 6, "rate": "0.006"}, {"periods": 6, "rate": "0.005"}]),
                "DUPLICATE_TERM",
            ),
            (json!([{"periods": 6, "rate": "-0.006"}]), "NEGATIVE_RATE"),
            (
                json!([{"periods": 6, "rate": "0.0000000001"}]),
                "INVALID_RATE",
            ),
        ] {
            let (status, p) = set_terms(&s, &key, bad.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {p}");
            assert_eq!(code(&p), want, "{bad}: {p}");
            assert_eq!(terms(&s, &key).await["terms"], json!([]));
        }
        let (status, t) = set_terms(
            &s,
            &key,
            json!([{"periods": 12, "rate": "0.0055"}, {"periods": 6, "rate": "0.006"}]),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{t}");
        let set = json!([{"periods": 6, "rate": "0.006"}, {"periods": 12, "rate": "0.0055"}]);
        assert_eq!(t["terms"], set);
        assert_eq!(terms(&s, &key).await["terms"], set);

        // Alice pays 900.00 there by QR, and 800.00 elsewhere; both post at the day's close.
        let alice = s.register("13900000041").await;
        let account = open_card(&s, &alice.id, "4111111111111111", 1_000_000, "2030-12").await;
        let base = format!("/v1/credit/accounts/{account}/installments");
        let o = order(&s, &key, "900.00").await;
        let (status, p) = pay(
            &s,
            &alice.token,
            "alice-qr",
            json!({ "payload": o["qr_payload"] }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{p}");
        let (status, a) = internal(
            &s,
            "/v1/internal/credit/authorisations",
            "elsewhere-a",
            json!({ "card_number": "4111111111111111", "amount_fen": 80_000 }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{a}");
        let elsewhere = a["id"].as_str().unwrap().to_owned();
        let (status, c) = internal(
            &s,
            &format!("/v1/internal/credit/authorisations/{elsewhere}/capture"),
            "elsewhere-c",
            json!({ "amount_fen": 80_000 }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{c}");
        s.clock.advance_days(1);
        let (status, c) = internal(&s, "/v1/internal/credit/close-day", "close-1", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{c}");
        let token = login(&s, &alice.phone).await;
        let (_, list) = s.get(&format!("{base}/purchases"), Some(&token)).await;
        let purchase = list["purchases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["amount_fen"] == 90_000)
            .unwrap()["purchase_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, account_before) = s
            .get(&format!("/v1/credit/accounts/{account}"), Some(&token))
            .await;

        // Refusals: elsewhere, periods not offered, a rate asked for.
        for (body, want) in [
            (
                json!({"kind": "merchant", "purchase_id": elsewhere, "periods": 6}),
                "MERCHANT_INSTALLMENT_NOT_OFFERED",
            ),
            (
                json!({"kind": "merchant", "purchase_id": purchase, "periods": 3}),
                "MERCHANT_INSTALLMENT_NOT_OFFERED",
            ),
            (
                json!({"kind": "merchant", "purchase_id": purchase, "periods": 6, "rate": "0.006"}),
                "INVALID_INSTALLMENT_TERMS",
            ),
            (
                json!({"kind": "merchant", "purchase_id": purchase, "periods": 61}),
                "PERIODS_OUT_OF_RANGE",
            ),
            // A plan the holder pays for is priced by the card's product, which offers no 5.
            (
                json!({"kind": "purchase", "purchase_id": purchase, "periods": 5}),
                "INSTALLMENT_TERM_NOT_OFFERED",
            ),
        ] {
            let (status, p, _) =
                post(&s, &format!("{base}/quotes"), &token, None, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {p}");
            assert_eq!(code(&p), want, "{body}: {p}");
        }

        // The quote: free to Alice, APR first.
        let (status, q, text) = post(
            &s,
            &format!("{base}/quotes"),
            &token,
            None,
            json!({"kind": "merchant", "purchase_id": purchase, "periods": 6}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert!(text.starts_with(r#"{"apr_percent":"0.00""#), "{text}");
        assert_eq!(q["kind"], "merchant");
        assert_eq!(q["merchant_id"], merchant.as_str());
        assert_eq!(q["purchase_id"], purchase.as_str());
        assert_eq!(q["quote"]["total_fee"], q["quote"]["upfront_fee"]);
        let schedule = q["quote"]["schedule"].as_array().unwrap();
        assert_eq!(schedule.len(), 6);

        // The merchant changes its rate between the quote and the booking: refused, nothing
        // booked, nothing charged.
        let (status, _) = set_terms(&s, &key, json!([{"periods": 6, "rate": "0.007"}])).await;
        assert_eq!(status, StatusCode::OK);
        let book = json!({ "quote_id": q["quote_id"], "consent": true });
        let (status, p, _) = post(&s, &base, &token, Some("book-changed"), book.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(code(&p), "MERCHANT_INSTALLMENT_NOT_OFFERED", "{p}");
        let (_, plans) = s.get(&base, Some(&token)).await;
        assert_eq!(plans["installments"], json!([]));
        let (_, account_after) = s
            .get(&format!("/v1/credit/accounts/{account}"), Some(&token))
            .await;
        assert_eq!(account_after, account_before);
        let fee_id = merchant_fee_transfer_id(purchase.parse().unwrap());
        assert!(!has_transfer(&s, fee_id).await);
        ledger_ok(&s).await;

        // Back to the quoted terms: booked, free to Alice, the fee charged to the merchant.
        let (status, _) = set_terms(&s, &key, set.clone()).await;
        assert_eq!(status, StatusCode::OK);
        let (status, plan, _) = post(&s, &base, &token, Some("book"), book.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        assert_eq!(plan["apr_percent"], "0.00");
        assert_eq!(plan["amount_fen"], 90_000);
        assert_eq!(plan["periods"], 6);
        // The same key answers the same plan and charges nothing more.
        let (status, again, _) = post(&s, &base, &token, Some("book"), book.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{again}");
        assert_eq!(again, plan);
        // A second booking of the same purchase is refused.
        let (status, p, _) = post(&s, &base, &token, Some("book-2"), book).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");

        // 900.00 × 0.6% × 6 = 32.40, from the merchant's settlement account to the issuer's
        // installment fee income, once.
        let fee = 90_000 * 6 * 6 / 1000;
        assert!(has_transfer(&s, fee_id).await);
        let (debits, credits) = ledger_account(&s, merchant_settlement_account(merchant_id)).await;
        assert_eq!((debits, credits), (fee, 0));
        let (debits, credits) = ledger_account(&s, installment_fee_income_account()).await;
        assert_eq!((debits, credits), (0, fee));
        ledger_ok(&s).await;

        // The 7 Apr statement bills the first period: 150.00 of principal, no fee, no
        // interest; the purchase made elsewhere is billed as a purchase.
        s.clock.advance_days(6);
        let (status, c) = internal(&s, "/v1/internal/credit/close-day", "close-2", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{c}");
        let token = login(&s, &alice.phone).await;
        let (status, st) = s
            .get(
                &format!("/v1/credit/accounts/{account}/statements/2026-04-07"),
                Some(&token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{st}");
        assert_eq!(st["installments_fen"], 15_000, "{st}");
        assert_eq!(st["purchases_fen"], 80_000, "{st}");
        assert_eq!(
            (st["fees_fen"].as_i64(), st["interest_fen"].as_i64()),
            (Some(0), Some(0)),
            "{st}"
        );
        let (_, plans) = s.get(&base, Some(&token)).await;
        assert_eq!(plans["installments"][0]["billed"], 1, "{plans}");
        assert_eq!(plans["installments"][0]["unbilled_fen"], 75_000, "{plans}");
        // Still charged once.
        let (debits, _) = ledger_account(&s, merchant_settlement_account(merchant_id)).await;
        assert_eq!(debits, fee);
        ledger_ok(&s).await;

        // The merchant sees its terms; another merchant has none (owner-scoped).
        let (_, other) = onboard(&s, "Book Corner", "reviewer-mi-2").await;
        assert_eq!(terms(&s, &other).await["terms"], json!([]));
    }
}
