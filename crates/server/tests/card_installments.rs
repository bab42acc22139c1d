//! Card installments over HTTP, on every backend, on the fake clock (docs/api.md, "Card
//! installments"): a bill installment of an issued statement is quoted (APR first), refused
//! without consent, booked, billed on the next statement and in its minimum payment, and settled
//! early; every bad input answers its code and changes nothing. The ledger check holds after
//! each step.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::credit::{buy, login, open, post};
use common::merchant::ledger_ok;

use common::{INTERNAL_TOKEN, TestServer, servers};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn close_days(s: &TestServer, key: &str) {
    let (status, c, _) = post(
        s,
        "/v1/internal/credit/close-day",
        INTERNAL_TOKEN,
        Some(key),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
}

/// A bill quote: the card's product prices it (no `rate`).
fn quote_body(amount: i64, periods: u32) -> Value {
    json!({ "kind": "bill", "amount_fen": amount, "periods": periods })
}

/// `body` is refused with `status`/`code` and nothing is written.
async fn refused(
    s: &TestServer,
    path: &str,
    token: &str,
    idem: Option<&str>,
    body: Value,
    status: StatusCode,
    code: &str,
) {
    let events = s.count("credit_events").await;
    let (got, b, _) = post(s, path, token, idem, body).await;
    assert_eq!(
        (got, b["code"].as_str().unwrap_or("")),
        (status, code),
        "{b}"
    );
    assert_eq!(
        s.count("credit_events").await,
        events,
        "{code} wrote an event"
    );
}

#[tokio::test]
async fn a_bill_installment_is_quoted_booked_billed_and_settled_and_bad_input_changes_nothing() {
    for s in servers().await {
        let alice = s.register("13900000011").await;
        let bob = s.register("13900000012").await;
        let carol = s.register("13900000013").await;
        let account = open(&s, &alice.id, "4111111111111111", 1_000_000).await;
        let carol_account = open(&s, &carol.id, "5555555555554444", 100_000).await;
        buy(&s, "4111111111111111", 600_000, "alice-buy").await;
        // Carol overdraws on a temporary limit: 1,500.00 on a 1,000.00 permanent limit.
        let (status, t, _) = post(
            &s,
            &format!("/v1/internal/credit/accounts/{carol_account}/temp-limit"),
            INTERNAL_TOKEN,
            Some("carol-temp"),
            json!({ "amount_fen": 100_000, "until": "2026-04-30" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{t}");
        buy(&s, "5555555555554444", 150_000, "carol-buy").await;
        ledger_ok(&s).await;

        // Before any statement: the window is closed.
        let quotes = format!("/v1/credit/accounts/{account}/installments/quotes");
        refused(
            &s,
            &quotes,
            &alice.token,
            None,
            quote_body(100_000, 12),
            StatusCode::UNPROCESSABLE_ENTITY,
            "INSTALLMENT_WINDOW_CLOSED",
        )
        .await;

        // The 7 Apr statement is cut; on 8 Apr the holder asks.
        s.clock.advance_days(7);
        close_days(&s, "close-1").await;
        let alice_token = login(&s, &alice.phone).await;
        let bob_token = login(&s, &bob.phone).await;
        let carol_token = login(&s, &carol.phone).await;
        let (status, st) = s
            .get(
                &format!("/v1/credit/accounts/{account}/statements/2026-04-07"),
                Some(&alice_token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{st}");
        assert_eq!(st["balance_fen"], 600_000, "{st}");

        let un = StatusCode::UNPROCESSABLE_ENTITY;
        refused(
            &s,
            &quotes,
            &alice_token,
            None,
            quote_body(600_000, 61),
            un,
            "PERIODS_OUT_OF_RANGE",
        )
        .await;
        refused(
            &s,
            &quotes,
            &alice_token,
            None,
            quote_body(600_000, 0),
            un,
            "PERIODS_OUT_OF_RANGE",
        )
        .await;
        refused(
            &s,
            &quotes,
            &alice_token,
            None,
            quote_body(10_000, 12),
            un,
            "AMOUNT_BELOW_MINIMUM",
        )
        .await;
        refused(
            &s,
            &quotes,
            &alice_token,
            None,
            json!({ "kind": "bill", "amount_fen": 600_000, "periods": 12, "rate": "-0.006" }),
            un,
            "NEGATIVE_RATE",
        )
        .await;
        refused(
            &s,
            &quotes,
            &alice_token,
            None,
            quote_body(700_000, 12),
            un,
            "INSTALLMENT_EXCEEDS_UNCONVERTED",
        )
        .await;
        refused(
            &s,
            &quotes,
            &bob_token,
            None,
            quote_body(600_000, 12),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
        // Carol's statement is 1,500.00 on a 1,000.00 permanent limit: the 500.00 above it is not
        // installable; 1,000.00 is.
        let carol_quotes = format!("/v1/credit/accounts/{carol_account}/installments/quotes");
        refused(
            &s,
            &carol_quotes,
            &carol_token,
            None,
            quote_body(150_000, 6),
            un,
            "INSTALLMENT_OVER_PERMANENT_LIMIT",
        )
        .await;
        let (status, ok, _) = post(
            &s,
            &carol_quotes,
            &carol_token,
            None,
            quote_body(100_000, 6),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{ok}");

        // The quote: the APR first (docs/domain.md §4: 12 periods at 0.60% → 13.03%).
        let (status, q, text) =
            post(&s, &quotes, &alice_token, None, quote_body(600_000, 12)).await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert!(text.starts_with(r#"{"apr_percent":"13.03""#), "{text}");
        let quote_id = q["quote_id"].as_str().unwrap().to_owned();

        // Consent is explicit.
        let book = format!("/v1/credit/accounts/{account}/installments");
        refused(
            &s,
            &book,
            &alice_token,
            Some("book-0"),
            json!({ "quote_id": quote_id }),
            un,
            "CONSENT_REQUIRED",
        )
        .await;
        refused(
            &s,
            &book,
            &alice_token,
            Some("book-00"),
            json!({ "quote_id": quote_id, "consent": false }),
            un,
            "CONSENT_REQUIRED",
        )
        .await;
        refused(
            &s,
            &book,
            &alice_token,
            Some("book-000"),
            json!({ "quote_id": "iq_zz", "consent": true }),
            un,
            "QUOTE_UNKNOWN",
        )
        .await;
        refused(
            &s,
            &book,
            &bob_token,
            Some("book-bob"),
            json!({ "quote_id": quote_id, "consent": true }),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;

        let events = s.count("credit_events").await;
        let (status, plan, _) = post(
            &s,
            &book,
            &alice_token,
            Some("book-1"),
            json!({ "quote_id": quote_id, "consent": true }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        assert_eq!(
            (plan["number"].as_u64(), plan["unbilled_fen"].as_i64()),
            (Some(1), Some(600_000)),
            "{plan}"
        );
        assert_eq!(s.count("credit_events").await, events + 1);
        // The same key answers the same plan, once.
        let (status, again, _) = post(
            &s,
            &book,
            &alice_token,
            Some("book-1"),
            json!({ "quote_id": quote_id, "consent": true }),
        )
        .await;
        assert_eq!((status, &again), (StatusCode::CREATED, &plan));
        assert_eq!(s.count("credit_events").await, events + 1);
        ledger_ok(&s).await;

        // A second installment of the same statement part is refused.
        refused(
            &s,
            &book,
            &alice_token,
            Some("book-2"),
            json!({ "quote_id": quote_id, "consent": true }),
            un,
            "INSTALLMENT_EXCEEDS_UNCONVERTED",
        )
        .await;
        let (status, list) = s.get(&book, Some(&alice_token)).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list["installments"].as_array().unwrap().len(), 1, "{list}");

        // The 7 May statement bills the first period (500.00 + 36.00), all in the minimum payment.
        s.clock.advance_days(30);
        close_days(&s, "close-2").await;
        let alice_token = login(&s, &alice.phone).await;
        let bob_token = login(&s, &bob.phone).await;
        let (status, st) = s
            .get(
                &format!("/v1/credit/accounts/{account}/statements/2026-05-07"),
                Some(&alice_token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{st}");
        assert_eq!(st["installments_fen"], 53_600, "{st}");
        assert!(
            st["minimum_payment_fen"].as_i64().unwrap() >= 53_600,
            "{st}"
        );
        ledger_ok(&s).await;

        // Early settlement; a second one, or an unknown plan, is refused.
        let settle = format!("/v1/credit/accounts/{account}/installments/1/settlement");
        let (status, settled, _) =
            post(&s, &settle, &alice_token, Some("settle-1"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{settled}");
        assert_eq!(settled["settled"], "2026-05-08", "{settled}");
        refused(
            &s,
            &settle,
            &alice_token,
            Some("settle-2"),
            json!({}),
            un,
            "PLAN_ALREADY_SETTLED",
        )
        .await;
        refused(
            &s,
            &format!("/v1/credit/accounts/{account}/installments/9/settlement"),
            &alice_token,
            Some("settle-9"),
            json!({}),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
        refused(
            &s,
            &settle,
            &bob_token,
            Some("settle-bob"),
            json!({}),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
        ledger_ok(&s).await;
    }
}
