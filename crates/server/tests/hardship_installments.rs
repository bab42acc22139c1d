//! Hardship plans (个性化分期) over HTTP, on every backend, on the fake clock (docs/api.md, "Card
//! installments"): refused while the account is current, then, once it is past due, part of its
//! billed principal is restructured into up to 60 periods, the account is current again and the
//! first period is billed on the next statement. Each refusal changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::credit::{buy, open, post};
use common::merchant::ledger_ok;

use common::{INTERNAL_TOKEN, TestServer, servers};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Advances the fake clock `days` days, closes them and logs in again.
async fn days_pass(s: &TestServer, days: i64, key: &str, phone: &str) -> String {
    s.clock.advance_days(days);
    let (status, c, _) = post(
        s,
        "/v1/internal/credit/close-day",
        INTERNAL_TOKEN,
        Some(key),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{key}: {c}");
    let password = format!("pw-{phone}-secret");
    let (status, b) = s
        .post(
            "/v1/sessions",
            None,
            json!({"phone": phone, "password": password}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    b["token"].as_str().unwrap().to_owned()
}

fn hardship(amount: i64, periods: u32) -> Value {
    json!({ "kind": "hardship", "amount_fen": amount, "periods": periods, "rate": "0.003" })
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
async fn a_hardship_plan_restructures_a_past_due_balance_and_makes_the_account_current() {
    for s in servers().await {
        let alice = s.register("13900000051").await;
        let bob = s.register("13900000052").await;
        let pan = "4111111111111111";
        let account = open(&s, &alice.id, pan, 1_000_000).await;
        buy(&s, pan, 600_000, "alice-buy").await;
        let quotes = format!("/v1/credit/accounts/{account}/installments/quotes");
        let base = format!("/v1/credit/accounts/{account}/installments");
        let un = StatusCode::UNPROCESSABLE_ENTITY;

        // The 7 Apr statement is due 25 Apr (28 Apr with the grace days): current until then.
        let token = days_pass(&s, 20, "close-1", &alice.phone).await;
        refused(
            &s,
            &account,
            &token,
            &quotes,
            &token,
            None,
            hardship(600_000, 60),
            un,
            "HARDSHIP_REQUIRES_DELINQUENCY",
        )
        .await;

        // Nothing paid: past due from 29 Apr.
        let token = days_pass(&s, 10, "close-2", &alice.phone).await;
        let bob_token = days_pass(&s, 0, "close-2b", &bob.phone).await;
        let (_, view) = s
            .get(&format!("/v1/credit/accounts/{account}"), Some(&token))
            .await;
        assert!(view["days_past_due"].as_i64().unwrap() > 0, "{view}");
        refused(
            &s,
            &account,
            &token,
            &quotes,
            &token,
            None,
            hardship(600_000, 61),
            un,
            "PERIODS_OUT_OF_RANGE",
        )
        .await;
        refused(
            &s,
            &account,
            &token,
            &quotes,
            &token,
            None,
            hardship(600_001, 60),
            un,
            "INSTALLMENT_NOT_CONVERTIBLE",
        )
        .await;
        refused(
            &s,
            &account,
            &token,
            &quotes,
            &token,
            None,
            hardship(40_000, 60),
            un,
            "AMOUNT_BELOW_MINIMUM",
        )
        .await;
        refused(
            &s,
            &account,
            &token,
            &quotes,
            &token,
            None,
            hardship(600_000, 60)
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert("rate".into(), json!("-0.003"));
                    Value::Object(o)
                })
                .unwrap(),
            un,
            "NEGATIVE_RATE",
        )
        .await;
        refused(
            &s,
            &account,
            &token,
            &quotes,
            &bob_token,
            None,
            hardship(600_000, 60),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;

        // 6,000.00 over 60 periods: the APR first.
        let (status, q, text) = post(&s, &quotes, &token, None, hardship(600_000, 60)).await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert!(text.starts_with(r#"{"apr_percent":""#), "{text}");
        assert_eq!(q["quote"]["schedule"].as_array().unwrap().len(), 60, "{q}");
        let (status, plan, _) = post(
            &s,
            &base,
            &token,
            Some("hardship-1"),
            json!({ "quote_id": q["quote_id"], "consent": true }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        assert_eq!(
            (plan["kind"].as_str(), plan["periods"].as_u64()),
            (Some("hardship"), Some(60)),
            "{plan}"
        );
        let (_, after) = s
            .get(&format!("/v1/credit/accounts/{account}"), Some(&token))
            .await;
        assert_eq!(after["days_past_due"], 0, "{after}");
        assert_eq!(after["balance_fen"], view["balance_fen"], "{after}");
        ledger_ok(&s).await;

        // The 7 May statement bills period 1: 100.00 + 18.00.
        let token = days_pass(&s, 8, "close-3", &alice.phone).await;
        let (status, st) = s
            .get(
                &format!("/v1/credit/accounts/{account}/statements/2026-05-07"),
                Some(&token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{st}");
        assert_eq!(st["installments_fen"], 11_800, "{st}");
        ledger_ok(&s).await;
    }
}
