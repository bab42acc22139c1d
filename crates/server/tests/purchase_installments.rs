//! Purchase installments (消费分期) over HTTP, on every backend, on the fake clock (docs/api.md,
//! "Card installments"): a purchase that arrived as an authorisation and its capture is named
//! by its id, quoted (APR first), booked with explicit consent and billed on the next
//! statement; a QR payment by card converted the same way is cancelled when the merchant
//! refunds it in full. Every bad input of issue 4 — 61 periods, an amount below the product
//! minimum, a temporary-limit overdraft, a second installment of the same statement part or
//! purchase, a negative rate — answers its code and leaves the account view, its events and
//! the ledger as they were.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::credit::{buy, login, open, post};
use common::merchant::ledger_ok;

use common::merchant::{Keys, onboard, pay, signed};
use common::{INTERNAL_TOKEN, TestServer, servers, servers_paying_by_card};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Advances the fake clock `days` days and closes them.
async fn days_pass(s: &TestServer, days: i64, key: &str) {
    s.clock.advance_days(days);
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

/// A purchase quote: the card's product prices it (no `rate`).
fn purchase_quote(purchase: &str, periods: u32) -> Value {
    json!({ "kind": "purchase", "purchase_id": purchase, "periods": periods })
}

/// A bill quote, priced by the product.
fn bill_quote(amount: i64, periods: u32) -> Value {
    json!({ "kind": "bill", "amount_fen": amount, "periods": periods })
}

/// Everything a refusal must leave as it was: the holder's account view, its plans, its
/// convertible purchases, and the number of stored credit events and ledger transfers.
async fn state(s: &TestServer, account: &str, token: &str) -> (Value, Value, Value, i64, i64) {
    let base = format!("/v1/credit/accounts/{account}");
    let (status, view) = s.get(&base, Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let (_, plans) = s.get(&format!("{base}/installments"), Some(token)).await;
    let (_, purchases) = s
        .get(&format!("{base}/installments/purchases"), Some(token))
        .await;
    (
        view,
        plans,
        purchases,
        s.count("credit_events").await,
        s.count("ledger_transfers").await,
    )
}

/// `body` is refused with `status`/`code` and nothing changes.
#[allow(clippy::too_many_arguments)]
async fn refused(
    s: &TestServer,
    account: &str,
    owner: &str,
    path: &str,
    token: &str,
    idem: Option<&str>,
    body: Value,
    status: StatusCode,
    code: &str,
) {
    let before = state(s, account, owner).await;
    let (got, b, _) = post(s, path, token, idem, body).await;
    assert_eq!(
        (got, b["code"].as_str().unwrap_or("")),
        (status, code),
        "{b}"
    );
    assert_eq!(
        b["type"].as_str().map(|t| t.is_empty()),
        Some(false),
        "a problem+json body: {b}"
    );
    assert_eq!(
        state(s, account, owner).await,
        before,
        "{code} changed something"
    );
}

#[tokio::test]
async fn a_captured_purchase_is_converted_by_its_id_and_every_bad_input_changes_nothing() {
    for s in servers().await {
        let alice = s.register("13900000021").await;
        let bob = s.register("13900000022").await;
        let carol = s.register("13900000023").await;
        let pan = "4111111111111111";
        let account = open(&s, &alice.id, pan, 1_000_000).await;
        let carol_pan = "5555555555554444";
        let carol_account = open(&s, &carol.id, carol_pan, 100_000).await;
        let big = buy(&s, pan, 300_000, "alice-big").await;
        let small = buy(&s, pan, 20_000, "alice-small").await;
        let base = format!("/v1/credit/accounts/{account}/installments");
        let quotes = format!("{base}/quotes");
        let un = StatusCode::UNPROCESSABLE_ENTITY;

        // Captured today, posted at the day's close: not convertible yet.
        let (_, list) = s
            .get(&format!("{base}/purchases"), Some(&alice.token))
            .await;
        assert_eq!(list["purchases"], json!([]), "{list}");
        refused(
            &s,
            &account,
            &alice.token,
            &quotes,
            &alice.token,
            None,
            purchase_quote(&big, 12),
            un,
            "PURCHASE_NOT_POSTED",
        )
        .await;

        days_pass(&s, 1, "close-1").await;
        let alice_token = login(&s, &alice.phone).await;
        let bob_token = login(&s, &bob.phone).await;
        let carol_token = login(&s, &carol.phone).await;
        let (status, list) = s
            .get(&format!("{base}/purchases"), Some(&alice_token))
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let ids: Vec<&str> = list["purchases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["purchase_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![big.as_str(), small.as_str()], "{list}");
        assert_eq!(list["purchases"][0]["amount_fen"], 300_000, "{list}");
        // Another customer sees neither the account nor its purchases.
        let (status, _) = s.get(&format!("{base}/purchases"), Some(&bob_token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Bad input, each a precise code, nothing changed.
        refused(
            &s,
            &account,
            &alice_token,
            &quotes,
            &alice_token,
            None,
            purchase_quote(&big, 61),
            un,
            "PERIODS_OUT_OF_RANGE",
        )
        .await;
        refused(
            &s,
            &account,
            &alice_token,
            &quotes,
            &alice_token,
            None,
            json!({ "kind": "purchase", "purchase_id": big, "periods": 12, "rate": "-0.006" }),
            un,
            "NEGATIVE_RATE",
        )
        .await;
        // 200.00 is below the product's minimum installment (500.00 by default).
        refused(
            &s,
            &account,
            &alice_token,
            &quotes,
            &alice_token,
            None,
            purchase_quote(&small, 3),
            un,
            "AMOUNT_BELOW_MINIMUM",
        )
        .await;
        refused(
            &s,
            &account,
            &alice_token,
            &quotes,
            &alice_token,
            None,
            json!({ "kind": "purchase", "periods": 3 }),
            un,
            "INVALID_PURCHASE_ID",
        )
        .await;
        refused(
            &s,
            &account,
            &alice_token,
            &quotes,
            &alice_token,
            None,
            purchase_quote("0190a0b0-0000-7000-8000-000000000000", 3),
            un,
            "PURCHASE_UNKNOWN",
        )
        .await;
        refused(
            &s,
            &account,
            &alice_token,
            &quotes,
            &alice_token,
            None,
            json!({ "kind": "purchase", "purchase_id": big, "amount_fen": 100_000,
                    "periods": 3 }),
            un,
            "INVALID_AMOUNT",
        )
        .await;
        refused(
            &s,
            &account,
            &alice_token,
            &quotes,
            &bob_token,
            None,
            purchase_quote(&big, 12),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
        // Carol's purchase id is not a purchase of Alice's account.
        let carol_buy = buy(&s, carol_pan, 60_000, "carol-1").await;
        refused(
            &s,
            &account,
            &alice_token,
            &quotes,
            &alice_token,
            None,
            purchase_quote(&carol_buy, 3),
            un,
            "PURCHASE_UNKNOWN",
        )
        .await;

        // The quote: the APR before anything else (12 periods at 0.60% → 13.03%).
        let (status, q, text) =
            post(&s, &quotes, &alice_token, None, purchase_quote(&big, 12)).await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert!(text.starts_with(r#"{"apr_percent":"13.03""#), "{text}");
        assert_eq!(
            (q["kind"].as_str(), q["purchase_id"].as_str()),
            (Some("purchase"), Some(big.as_str())),
            "{q}"
        );
        assert_eq!(q["quote"]["schedule"][0]["payment"], "268.00", "{q}");
        let quote_id = q["quote_id"].as_str().unwrap().to_owned();

        // Consent is a separate, explicit act.
        refused(
            &s,
            &account,
            &alice_token,
            &base,
            &alice_token,
            Some("pbook-0"),
            json!({ "quote_id": quote_id }),
            un,
            "CONSENT_REQUIRED",
        )
        .await;
        refused(
            &s,
            &account,
            &alice_token,
            &base,
            &alice_token,
            Some("pbook-00"),
            json!({ "quote_id": quote_id, "consent": false }),
            un,
            "CONSENT_REQUIRED",
        )
        .await;

        let (before, ..) = state(&s, &account, &alice_token).await;
        let (status, plan, _) = post(
            &s,
            &base,
            &alice_token,
            Some("pbook-1"),
            json!({ "quote_id": quote_id, "consent": true }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        assert_eq!(
            (
                plan["kind"].as_str(),
                plan["number"].as_u64(),
                plan["unbilled_fen"].as_i64()
            ),
            (Some("purchase"), Some(1), Some(300_000)),
            "{plan}"
        );
        // The whole principal stays owed and occupies the limit; nothing else moved.
        let (after, ..) = state(&s, &account, &alice_token).await;
        assert_eq!(after["balance_fen"], before["balance_fen"], "{after}");
        assert_eq!(
            after["available_credit_fen"], before["available_credit_fen"],
            "{after}"
        );
        ledger_ok(&s).await;

        // The same purchase again: refused at the quote and at a second booking.
        refused(
            &s,
            &account,
            &alice_token,
            &quotes,
            &alice_token,
            None,
            purchase_quote(&big, 6),
            un,
            "PURCHASE_ALREADY_CONVERTED",
        )
        .await;
        refused(
            &s,
            &account,
            &alice_token,
            &base,
            &alice_token,
            Some("pbook-2"),
            json!({ "quote_id": quote_id, "consent": true }),
            un,
            "PURCHASE_ALREADY_CONVERTED",
        )
        .await;

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
        buy(&s, carol_pan, 90_000, "carol-2").await;

        // The 7 Apr statement: the purchase installment bills its first period (250.00 + 18.00);
        // the small purchase is billed as a purchase.
        days_pass(&s, 6, "close-2").await;
        let alice_token = login(&s, &alice.phone).await;
        let carol_token2 = login(&s, &carol.phone).await;
        let _ = carol_token;
        let (status, st) = s
            .get(
                &format!("/v1/credit/accounts/{account}/statements/2026-04-07"),
                Some(&alice_token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{st}");
        assert_eq!(st["installments_fen"], 26_800, "{st}");
        assert_eq!(st["purchases_fen"], 20_000, "{st}");
        assert!(
            st["minimum_payment_fen"].as_i64().unwrap() >= 26_800,
            "{st}"
        );
        // Billed now: a purchase installment of it is refused (a bill installment converts it).
        refused(
            &s,
            &account,
            &alice_token,
            &quotes,
            &alice_token,
            None,
            purchase_quote(&small, 3),
            un,
            "PURCHASE_ALREADY_BILLED",
        )
        .await;
        ledger_ok(&s).await;

        // Carol's statement: 1,500.00 on a 1,000.00 permanent limit. The part above the limit is
        // not installable; the rest is, once; a second installment of the same part is refused.
        let carol_quotes = format!("/v1/credit/accounts/{carol_account}/installments/quotes");
        let carol_book = format!("/v1/credit/accounts/{carol_account}/installments");
        refused(
            &s,
            &carol_account,
            &carol_token2,
            &carol_quotes,
            &carol_token2,
            None,
            bill_quote(150_000, 6),
            un,
            "INSTALLMENT_OVER_PERMANENT_LIMIT",
        )
        .await;
        refused(
            &s,
            &carol_account,
            &carol_token2,
            &carol_quotes,
            &carol_token2,
            None,
            bill_quote(100_000, 61),
            un,
            "PERIODS_OUT_OF_RANGE",
        )
        .await;
        refused(
            &s,
            &carol_account,
            &carol_token2,
            &carol_quotes,
            &carol_token2,
            None,
            bill_quote(40_000, 6),
            un,
            "AMOUNT_BELOW_MINIMUM",
        )
        .await;
        refused(
            &s,
            &carol_account,
            &carol_token2,
            &carol_quotes,
            &carol_token2,
            None,
            json!({ "kind": "bill", "amount_fen": 100_000, "periods": 6, "rate": "-0.001" }),
            un,
            "NEGATIVE_RATE",
        )
        .await;
        let (status, q, _) = post(
            &s,
            &carol_quotes,
            &carol_token2,
            None,
            bill_quote(100_000, 6),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{q}");
        let qid = q["quote_id"].as_str().unwrap().to_owned();
        let (status, plan, _) = post(
            &s,
            &carol_book,
            &carol_token2,
            Some("cbook-1"),
            json!({ "quote_id": qid, "consent": true }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        refused(
            &s,
            &carol_account,
            &carol_token2,
            &carol_book,
            &carol_token2,
            Some("cbook-2"),
            json!({ "quote_id": qid, "consent": true }),
            un,
            "INSTALLMENT_EXCEEDS_UNCONVERTED",
        )
        .await;
        refused(
            &s,
            &carol_account,
            &carol_token2,
            &carol_quotes,
            &carol_token2,
            None,
            bill_quote(50_000, 6),
            un,
            "INSTALLMENT_OVER_PERMANENT_LIMIT",
        )
        .await;
        ledger_ok(&s).await;
    }
}

async fn order(s: &TestServer, key: &Keys, amount: &str) -> Value {
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

#[tokio::test]
async fn a_qr_payment_converted_into_installments_is_cancelled_by_its_full_refund() {
    for s in servers_paying_by_card().await {
        let (_, key) = onboard(&s, "Appliance Hall", "reviewer-inst").await;
        let alice = s.register("13900000031").await;
        let account = open(&s, &alice.id, "4111111111111111", 1_000_000).await;
        let base = format!("/v1/credit/accounts/{account}/installments");

        // Alice pays 900.00 by QR with her card; it posts at the day's close.
        let o = order(&s, &key, "900.00").await;
        let order_id = o["id"].as_str().unwrap().to_owned();
        let (status, p) = pay(
            &s,
            &alice.token,
            "alice-qr",
            json!({ "payload": o["qr_payload"] }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{p}");
        days_pass(&s, 1, "qr-close-1").await;
        let token = login(&s, &alice.phone).await;
        let (_, list) = s.get(&format!("{base}/purchases"), Some(&token)).await;
        let purchase = list["purchases"][0]["purchase_id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(list["purchases"][0]["amount_fen"], 90_000, "{list}");

        let (status, q, _) = post(
            &s,
            &format!("{base}/quotes"),
            &token,
            None,
            purchase_quote(&purchase, 6),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{q}");
        let (status, plan, _) = post(
            &s,
            &base,
            &token,
            Some("qr-book"),
            json!({ "quote_id": q["quote_id"], "consent": true }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        let (_, before) = s
            .get(&format!("/v1/credit/accounts/{account}"), Some(&token))
            .await;
        ledger_ok(&s).await;

        // A partial refund (posted after the one-day lag) leaves the plan running.
        let (status, r) = signed(
            &s,
            &key,
            Method::POST,
            &format!("/v1/merchant/orders/{order_id}/refunds"),
            Some(json!({ "amount": "300.00" })),
            Some("refund-1"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        days_pass(&s, 2, "qr-close-2").await;
        let token = login(&s, &alice.phone).await;
        let (_, plans) = s.get(&base, Some(&token)).await;
        assert!(plans["installments"][0]["cancelled"].is_null(), "{plans}");
        assert_eq!(plans["installments"][0]["unbilled_fen"], 90_000, "{plans}");

        // The rest refunded: the plan is cancelled as the refund posts; nothing more is owed
        // for the purchase and no fee is charged.
        let (status, r) = signed(
            &s,
            &key,
            Method::POST,
            &format!("/v1/merchant/orders/{order_id}/refunds"),
            Some(json!({ "amount": "600.00" })),
            Some("refund-2"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        days_pass(&s, 2, "qr-close-3").await;
        let token = login(&s, &alice.phone).await;
        let (_, plans) = s.get(&base, Some(&token)).await;
        let p = &plans["installments"][0];
        assert_eq!(p["cancelled"], "2026-04-05", "{plans}");
        assert_eq!(p["unbilled_fen"], 0, "{plans}");
        let (_, after) = s
            .get(&format!("/v1/credit/accounts/{account}"), Some(&token))
            .await;
        assert_eq!(after["balance_fen"], 0, "{before} → {after}");
        assert_eq!(after["available_credit_fen"], 1_000_000, "{after}");
        // Settling a cancelled plan is refused.
        let (status, b, _) = post(
            &s,
            &format!("{base}/1/settlement"),
            &token,
            Some("qr-settle"),
            json!({}),
        )
        .await;
        assert_eq!(
            (status, b["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("PLAN_CLOSED")),
            "{b}"
        );
        ledger_ok(&s).await;

        // The statement shows the cancelled principal and the refunds that cover it: no fee, no
        // interest, nothing owed.
        days_pass(&s, 2, "qr-close-4").await;
        let token = login(&s, &alice.phone).await;
        let (status, st) = s
            .get(
                &format!("/v1/credit/accounts/{account}/statements/2026-04-07"),
                Some(&token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{st}");
        assert_eq!(st["installments_fen"], 90_000, "{st}");
        assert_eq!(st["payments_credits_fen"], 90_000, "{st}");
        assert_eq!(
            (st["fees_fen"].as_i64(), st["interest_fen"].as_i64()),
            (Some(0), Some(0)),
            "{st}"
        );
        assert_eq!(st["balance_fen"], 0, "{st}");
        ledger_ok(&s).await;
    }
}
