//! Cash installments (现金分期) over HTTP, on every backend, on the fake clock (docs/api.md,
//! "Card installments"): the amount is paid out to one of the holder's own bound debit cards,
//! occupies the limit at once and is repaid by installments billed on the statements; a card
//! of another customer, a missing card, more than the available credit, an amount outside the
//! product's range or 61 periods are refused and change nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::credit::{open, post};
use common::merchant::ledger_ok;

use common::{INTERNAL_TOKEN, TestServer, servers};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn bind(s: &TestServer, token: &str, number: &str) -> String {
    let (status, body) = s
        .post(
            "/v1/me/debit-cards",
            Some(token),
            json!({ "card_number": number }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

fn cash(amount: i64, periods: u32, card: &str) -> Value {
    json!({ "kind": "cash", "amount_fen": amount, "periods": periods, "debit_card_id": card })
}

/// The account view, its plans, the stored credit events and the ledger's transfers.
async fn snapshot(s: &TestServer, account: &str, token: &str) -> (Value, Value, i64, i64) {
    let view = format!("/v1/credit/accounts/{account}");
    (
        s.get(&view, Some(token)).await.1,
        s.get(&format!("{view}/installments"), Some(token)).await.1,
        s.count("credit_events").await,
        s.count("ledger_transfers").await,
    )
}

/// `body` is refused with `status`/`code` and the [`snapshot`] is as it was.
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
    let before = snapshot(s, account, owner).await;
    let (got, b, _) = post(s, path, token, idem, body).await;
    assert_eq!(
        (got, b["code"].as_str().unwrap_or("")),
        (status, code),
        "{b}"
    );
    assert_eq!(
        snapshot(s, account, owner).await,
        before,
        "{code} changed something"
    );
}

#[tokio::test]
async fn a_cash_installment_is_paid_to_the_holders_own_debit_card_and_billed_by_periods() {
    for s in servers().await {
        let alice = s.register("13900000041").await;
        let bob = s.register("13900000042").await;
        let account = open(&s, &alice.id, "4111111111111111", 1_000_000).await;
        let card = bind(&s, &alice.token, "6222020200112230").await;
        let bobs_card = bind(&s, &bob.token, "6228480011223341").await;
        let base = format!("/v1/credit/accounts/{account}/installments");
        let quotes = format!("{base}/quotes");
        let un = StatusCode::UNPROCESSABLE_ENTITY;

        refused(
            &s,
            &account,
            &alice.token,
            &quotes,
            &alice.token,
            None,
            cash(500_000, 12, &bobs_card),
            StatusCode::NOT_FOUND,
            "DEBIT_CARD_NOT_FOUND",
        )
        .await;
        refused(
            &s,
            &account,
            &alice.token,
            &quotes,
            &alice.token,
            None,
            json!({ "kind": "cash", "amount_fen": 500_000, "periods": 12 }),
            un,
            "DEBIT_CARD_REQUIRED",
        )
        .await;
        refused(
            &s,
            &account,
            &alice.token,
            &quotes,
            &alice.token,
            None,
            cash(1_000_001, 12, &card),
            un,
            "INSUFFICIENT_CREDIT",
        )
        .await;
        refused(
            &s,
            &account,
            &alice.token,
            &quotes,
            &alice.token,
            None,
            cash(49_999, 12, &card),
            un,
            "AMOUNT_BELOW_MINIMUM",
        )
        .await;
        refused(
            &s,
            &account,
            &alice.token,
            &quotes,
            &alice.token,
            None,
            cash(500_000, 61, &card),
            un,
            "PERIODS_OUT_OF_RANGE",
        )
        .await;
        refused(
            &s,
            &account,
            &alice.token,
            &quotes,
            &bob.token,
            None,
            cash(500_000, 12, &bobs_card),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;

        // 5,000.00 over 12 periods at 0.60%: APR first, 13.03%.
        let (status, q, text) =
            post(&s, &quotes, &alice.token, None, cash(500_000, 12, &card)).await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert!(text.starts_with(r#"{"apr_percent":"13.03""#), "{text}");
        assert_eq!(
            (q["kind"].as_str(), q["debit_card_id"].as_str()),
            (Some("cash"), Some(card.as_str())),
            "{q}"
        );
        refused(
            &s,
            &account,
            &alice.token,
            &base,
            &alice.token,
            Some("cash-0"),
            json!({ "quote_id": q["quote_id"] }),
            un,
            "CONSENT_REQUIRED",
        )
        .await;
        let (_, before) = s
            .get(
                &format!("/v1/credit/accounts/{account}"),
                Some(&alice.token),
            )
            .await;
        let (status, plan, _) = post(
            &s,
            &base,
            &alice.token,
            Some("cash-1"),
            json!({ "quote_id": q["quote_id"], "consent": true }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        assert_eq!(
            (plan["kind"].as_str(), plan["unbilled_fen"].as_i64()),
            (Some("cash"), Some(500_000)),
            "{plan}"
        );
        // Paid out now: owed and occupying the limit at once.
        let (_, after) = s
            .get(
                &format!("/v1/credit/accounts/{account}"),
                Some(&alice.token),
            )
            .await;
        assert_eq!(
            after["balance_fen"].as_i64().unwrap() - before["balance_fen"].as_i64().unwrap(),
            500_000,
            "{after}"
        );
        assert_eq!(after["available_credit_fen"], 500_000, "{after}");
        // The same key answers the same plan; nothing is paid twice.
        let events = s.count("credit_events").await;
        let (status, again, _) = post(
            &s,
            &base,
            &alice.token,
            Some("cash-1"),
            json!({ "quote_id": q["quote_id"], "consent": true }),
        )
        .await;
        assert_eq!((status, &again), (StatusCode::CREATED, &plan));
        assert_eq!(s.count("credit_events").await, events);
        // What is left of the limit bounds the next one.
        refused(
            &s,
            &account,
            &alice.token,
            &quotes,
            &alice.token,
            None,
            cash(500_001, 12, &card),
            un,
            "INSUFFICIENT_CREDIT",
        )
        .await;
        ledger_ok(&s).await;

        // The 7 Apr statement bills period 1 (416.66 + 30.00), all in the minimum payment; no
        // cash-advance fee, no interest.
        s.clock.advance_days(7);
        let (status, c, _) = post(
            &s,
            "/v1/internal/credit/close-day",
            INTERNAL_TOKEN,
            Some("cash-close"),
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{c}");
        let token = {
            let (status, b) = s
                .post(
                    "/v1/sessions",
                    None,
                    json!({"phone": alice.phone, "password": format!("pw-{}-secret", alice.phone)}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{b}");
            b["token"].as_str().unwrap().to_owned()
        };
        let (status, st) = s
            .get(
                &format!("/v1/credit/accounts/{account}/statements/2026-04-07"),
                Some(&token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{st}");
        assert_eq!(st["installments_fen"], 44_666, "{st}");
        assert_eq!(
            (
                st["fees_fen"].as_i64(),
                st["interest_fen"].as_i64(),
                st["cash_advances_fen"].as_i64()
            ),
            (Some(0), Some(0), Some(0)),
            "{st}"
        );
        assert!(
            st["minimum_payment_fen"].as_i64().unwrap() >= 44_666,
            "{st}"
        );
        ledger_ok(&s).await;
    }
}
