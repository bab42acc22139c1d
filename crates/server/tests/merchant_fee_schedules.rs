//! MDR by payment type over HTTP, on every backend (docs/merchants.md, "Fees by payment
//! type"): a merchant reviewer gives a merchant its own rate, minimum and cap for pay-code
//! charges; bad schedules are refused and write nothing; merchant-presented QR payments keep
//! the merchant's rate; the fees charged follow each payment's type; the next-day settlement
//! and the reconciliation file tie out to the ledger to the fen.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::merchant::{code, ledger_ok, onboard, pay, signed, signed_raw};
use common::{INTERNAL_TOKEN, TestServer, servers};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Yuan text ("-12.34") to fen.
fn fen(text: &str) -> i64 {
    let negative = text.starts_with('-');
    let (yuan, cents) = text.trim_start_matches('-').split_once('.').unwrap();
    let v = yuan.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap();
    if negative { -v } else { v }
}

async fn credits(s: &TestServer, id: &str) -> i64 {
    let (status, a) = s
        .get(&format!("/v1/ledger/accounts/{id}"), Some(INTERNAL_TOKEN))
        .await;
    assert_eq!(status, StatusCode::OK, "{id}: {a}");
    a["credits_posted"].as_i64().unwrap()
}

async fn reviewer(s: &TestServer, login: &str, role: &str) -> String {
    let password = "operator-password-1";
    let body =
        json!({ "login": login, "phone": "13800000009", "password": password, "role": role });
    let (status, b) = s
        .post("/v1/internal/operators", Some(INTERNAL_TOKEN), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let body = json!({ "login": login, "password": password });
    let (_, session) = s.post("/v1/operator/sessions", None, body).await;
    session["token"].as_str().unwrap().to_owned()
}

async fn put_schedule(s: &TestServer, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let resp = s
        .client
        .put(format!("{}{path}", s.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn pay_code_charges_are_priced_by_their_own_schedule_and_the_day_still_ties_out() {
    for s in servers().await {
        let (merchant, key) = onboard(&s, "Corner Shop", "rev-fees").await;
        let token = reviewer(&s, "fees-reviewer", "merchant_reviewer").await;
        let viewer = reviewer(&s, "fees-viewer", "viewer").await;
        let path = format!("/v1/operator/merchants/{merchant}/fee-schedules/pay_code");
        let good = json!({ "rate": "0.0038", "minimum": "0.10", "cap": "2.00" });

        // Refusals write nothing: the wrong role, an unknown type, bad terms.
        let before = (
            s.count("merchant_fee_schedules").await,
            s.count("audit_log").await,
        );
        let (status, b) = put_schedule(&s, &viewer, &path, good.clone()).await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::FORBIDDEN, "FORBIDDEN_ROLE")
        );
        let debit = format!("/v1/operator/merchants/{merchant}/fee-schedules/debit");
        let (status, b) = put_schedule(&s, &token, &debit, good.clone()).await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_FIELD")
        );
        for bad in [
            json!({ "rate": "0.2", "minimum": "0.00" }),
            json!({ "rate": "-0.001", "minimum": "0.00" }),
            json!({ "rate": "0.006", "minimum": "-1.00" }),
            json!({ "rate": "0.006", "minimum": "5.00", "cap": "1.00" }),
        ] {
            let (status, b) = put_schedule(&s, &token, &path, bad.clone()).await;
            assert_eq!(
                (status, code(&b)),
                (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_FIELD"),
                "{bad}: {b}"
            );
        }
        let after = (
            s.count("merchant_fee_schedules").await,
            s.count("audit_log").await,
        );
        assert_eq!(after, before);

        let (status, set) = put_schedule(&s, &token, &path, good).await;
        assert_eq!(status, StatusCode::OK, "{set}");
        assert_eq!(
            (&set["payment_type"], &set["rate"], &set["cap"]),
            (&json!("pay_code"), &json!("0.0038"), &json!("2.00"))
        );

        // A dynamic QR order at the merchant's rate (0.6 %): 100.00 → 0.60.
        let body = Some(json!({ "amount": "100.00" }));
        let (_, o) = signed(&s, &key, Method::POST, "/v1/merchant/orders", body, None).await;
        let payer = s.register("13900000071").await;
        let (status, paid) = pay(
            &s,
            &payer.token,
            "fee-qr",
            json!({ "payload": o["qr_payload"] }),
        )
        .await;
        assert_eq!(
            (status, paid["fee"].as_str()),
            (StatusCode::CREATED, Some("0.60")),
            "{paid}"
        );

        // Pay codes at 0.38 %, at least 0.10, at most 2.00.
        let mut fees = vec![60];
        for (amount, fee, idem) in [
            ("100.00", "0.38", "till-1"),
            ("10.00", "0.10", "till-2"),
            ("600.00", "2.00", "till-3"),
        ] {
            let (_, shown) = s.get("/v1/me/pay-code", Some(&payer.token)).await;
            let body = Some(json!({ "pay_code": shown["code"], "amount": amount }));
            let path = "/v1/merchant/pay-code-charges";
            let (status, b) = signed(&s, &key, Method::POST, path, body, Some(idem)).await;
            assert_eq!(
                (status, b["fee"].as_str()),
                (StatusCode::CREATED, Some(fee)),
                "{b}"
            );
            fees.push(fen(fee));
        }
        let charged: i64 = fees.iter().sum();

        // T+1: the settlement's fees, the file and the fee accounts all add up to what was charged.
        s.clock.advance(jiff::SignedDuration::from_hours(24));
        let (status, run) = s
            .post(
                "/v1/internal/settlement/run",
                Some(INTERNAL_TOKEN),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        let day = &run["settled"][0];
        assert_eq!(fen(day["fees"].as_str().unwrap()), charged, "{run}");
        let shares: i64 = ["issuer_fees", "network_fees", "acquirer_fees"]
            .iter()
            .map(|k| fen(day[k].as_str().unwrap()))
            .sum();
        assert_eq!(shares, charged);
        let csv_path = "/v1/merchant/settlements/2026-04-01/reconciliation.csv";
        let (status, csv) = signed_raw(&s, &key, Method::GET, csv_path, None, None).await;
        assert_eq!(status, StatusCode::OK, "{csv}");
        let fee_lines: i64 = csv
            .lines()
            .filter(|l| l.split(',').nth(2) == Some("fee"))
            .map(|l| fen(l.split(',').nth(4).unwrap()))
            .sum();
        assert_eq!(fee_lines, -charged, "{csv}");
        let mut income = 0;
        for field in [
            "issuer_fee_account",
            "network_fee_account",
            "acquirer_fee_account",
        ] {
            income += credits(&s, run[field].as_str().unwrap()).await;
        }
        assert_eq!(income, charged);
        let captures = 10_000 + 10_000 + 1_000 + 60_000;
        assert_eq!(
            credits(&s, day["settlement_account"].as_str().unwrap()).await,
            captures - charged
        );
        ledger_ok(&s).await;
    }
}
