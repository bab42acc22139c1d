//! Special-purpose installments (专项分期) over HTTP, on every backend, on the fake clock
//! (docs/api.md, "Card installments"): a limit per purpose granted by the internal API or a risk
//! officer (audited); a plan quoted (APR first) and booked with consent pays the approved
//! merchant named, occupies only its special limit (the card's available credit does not move),
//! bills period 1 into the next minimum payment, releases the special limit as its principal is
//! billed and repaid, settles early, and reaches the merchant at T+1. Every bad request is
//! refused with its own code and changes nothing. The ledger check holds after each money step.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_app::merchants::funding;
use cardlife_kernel::MerchantId;
use common::credit::{login, open, post};
use common::merchant::{internal, ledger_account, ledger_ok, onboard};
use common::{INTERNAL_TOKEN, TestServer, servers};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Grants `purpose` a limit of `fen` on `account` through the internal API.
async fn grant(s: &TestServer, account: &str, purpose: &str, fen: i64) -> Value {
    let path = format!("/v1/internal/credit/accounts/{account}/special-limits/{purpose}");
    let (status, b) = s
        .call(
            Method::PUT,
            &path,
            Some(INTERNAL_TOKEN),
            Some(json!({ "limit_fen": fen })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    b
}

/// The limit, used and remaining fen of `purpose` as the holder sees them.
async fn limit(s: &TestServer, account: &str, token: &str, purpose: &str) -> (i64, i64, i64) {
    let (status, b) = s
        .get(
            &format!("/v1/credit/accounts/{account}/special-limits"),
            Some(token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let p = b["special_limits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["purpose"] == purpose)
        .unwrap();
    (
        p["limit_fen"].as_i64().unwrap(),
        p["used_fen"].as_i64().unwrap(),
        p["remaining_fen"].as_i64().unwrap(),
    )
}

async fn available(s: &TestServer, account: &str, token: &str) -> i64 {
    let (status, a) = s
        .get(&format!("/v1/credit/accounts/{account}"), Some(token))
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    a["available_credit_fen"].as_i64().unwrap()
}

fn travel(amount: i64, periods: u32, merchant: &str) -> Value {
    json!({ "kind": "special", "purpose": "travel", "amount_fen": amount, "periods": periods,
            "rate": "0.005", "merchant_id": merchant })
}

/// Everything a refused request must leave as it was.
async fn snapshot(s: &TestServer, account: &str, token: &str) -> (Value, Value, Value, [i64; 3]) {
    let view = format!("/v1/credit/accounts/{account}");
    (
        s.get(&view, Some(token)).await.1,
        s.get(&format!("{view}/installments"), Some(token)).await.1,
        s.get(&format!("{view}/special-limits"), Some(token))
            .await
            .1,
        [
            s.count("credit_events").await,
            s.count("ledger_transfers").await,
            s.count("special_disbursements").await,
        ],
    )
}

/// `body` posted to `path` is refused with `status`/`code` and nothing changed.
#[allow(clippy::too_many_arguments)]
async fn refused(
    s: &TestServer,
    (account, owner): (&str, &str),
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

async fn close_day(s: &TestServer, key: &str) {
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

async fn repay(s: &TestServer, account: &str, token: &str, key: &str, fen: i64) {
    let (status, b, _) = post(
        s,
        &format!("/v1/credit/accounts/{account}/repayments"),
        token,
        Some(key),
        json!({ "amount_fen": fen }),
    )
    .await;
    assert!(status.is_success(), "{status} {b}");
}

#[tokio::test]
async fn a_special_plan_pays_the_merchant_and_occupies_only_its_special_limit_until_repaid() {
    for s in servers().await {
        let (merchant, _) = onboard(&s, "Blue Sky Travel", "reviewer-special").await;
        let payable = funding::merchant_payable_account(merchant.parse::<MerchantId>().unwrap());
        let alice = s.register("13900000051").await;
        // A card limit of 10,000.00 and a travel limit of 20,000.00.
        let account = open(&s, &alice.id, "4111111111111111", 1_000_000).await;
        grant(&s, &account, "travel", 2_000_000).await;
        assert_eq!(
            limit(&s, &account, &alice.token, "travel").await,
            (2_000_000, 0, 2_000_000)
        );
        let base = format!("/v1/credit/accounts/{account}/installments");

        // 12,000.00 over 12 at 0.50%: more than the card's whole limit, within the travel one.
        let (status, q, text) = post(
            &s,
            &format!("{base}/quotes"),
            &alice.token,
            None,
            travel(1_200_000, 12, &merchant),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert!(text.starts_with(r#"{"apr_percent":"10.90""#), "{text}");
        assert_eq!(
            (
                q["kind"].as_str(),
                q["purpose"].as_str(),
                q["merchant_id"].as_str()
            ),
            (Some("special"), Some("travel"), Some(merchant.as_str())),
            "{q}"
        );
        assert_eq!(q["quote"]["schedule"].as_array().unwrap().len(), 12, "{q}");
        let card_before = available(&s, &account, &alice.token).await;
        let book = json!({ "quote_id": q["quote_id"], "consent": true });
        let (status, plan, _) = post(&s, &base, &alice.token, Some("sp-1"), book.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        assert_eq!(
            (
                plan["kind"].as_str(),
                plan["purpose"].as_str(),
                plan["unbilled_fen"].as_i64()
            ),
            (Some("special"), Some("travel"), Some(1_200_000)),
            "{plan}"
        );
        // Paid to the merchant; the card's available credit has not moved; the travel limit has.
        assert_eq!(ledger_account(&s, payable).await, (0, 1_200_000));
        assert_eq!(available(&s, &account, &alice.token).await, card_before);
        assert_eq!(
            limit(&s, &account, &alice.token, "travel").await,
            (2_000_000, 1_200_000, 800_000)
        );
        // The same key answers the same plan; the merchant is not paid twice.
        let events = s.count("credit_events").await;
        let (status, again, _) = post(&s, &base, &alice.token, Some("sp-1"), book).await;
        assert_eq!((status, &again), (StatusCode::CREATED, &plan));
        assert_eq!(s.count("credit_events").await, events);
        assert_eq!(ledger_account(&s, payable).await, (0, 1_200_000));
        ledger_ok(&s).await;

        // The 7 Apr statement bills period 1 (1,000.00 + 60.00) into the minimum payment; only
        // the fee takes the card's credit.
        s.clock.advance_days(7);
        close_day(&s, "sp-close-1").await;
        let token = login(&s, &alice.phone).await;
        let (status, st) = s
            .get(
                &format!("/v1/credit/accounts/{account}/statements/2026-04-07"),
                Some(&token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{st}");
        assert_eq!(st["installments_fen"], 106_000, "{st}");
        assert!(
            st["minimum_payment_fen"].as_i64().unwrap() >= 106_000,
            "{st}"
        );
        assert_eq!(available(&s, &account, &token).await, card_before - 6_000);
        assert_eq!(
            limit(&s, &account, &token, "travel").await.1,
            1_200_000,
            "billed but unpaid principal still occupies the special limit"
        );
        // Repaying the period releases its principal from the travel limit.
        repay(&s, &account, &token, "sp-repay-1", 106_000).await;
        assert_eq!(
            limit(&s, &account, &token, "travel").await,
            (2_000_000, 1_100_000, 900_000)
        );
        assert_eq!(available(&s, &account, &token).await, card_before);
        ledger_ok(&s).await;

        // Early settlement (remaining fees): 11,000.00 + 11 × 60.00 post now; repaid, the
        // travel limit is whole again.
        let (status, settled, _) = post(
            &s,
            &format!("{base}/1/settlement"),
            &token,
            Some("sp-settle-1"),
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{settled}");
        assert_eq!(settled["unbilled_fen"], 0, "{settled}");
        assert!(settled["settled"].is_string(), "{settled}");
        assert_eq!(limit(&s, &account, &token, "travel").await.1, 1_100_000);
        repay(&s, &account, &token, "sp-repay-2", 1_100_000 + 66_000).await;
        assert_eq!(
            limit(&s, &account, &token, "travel").await,
            (2_000_000, 0, 2_000_000)
        );
        assert_eq!(available(&s, &account, &token).await, card_before);
        ledger_ok(&s).await;

        // T+1: the settlement of 1 Apr pays the plan's principal out to the merchant.
        let (status, run) = internal(
            &s,
            "/v1/internal/settlement/run",
            "sp-settlement",
            json!({"through": "2026-04-01"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        let day = run["settled"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["merchant_id"] == merchant.as_str() && d["business_date"] == "2026-04-01")
            .unwrap_or_else(|| panic!("no settled day: {run}"));
        assert_eq!(
            (day["captures"].as_str(), day["payout"].as_str()),
            (Some("12000.00"), Some("12000.00")),
            "{day}"
        );
        let (d, c) = ledger_account(&s, payable).await;
        assert_eq!(
            c - d,
            0,
            "the payable account is back to zero after the payout"
        );
        ledger_ok(&s).await;
    }
}

#[tokio::test]
async fn every_bad_special_request_is_refused_precisely_and_changes_nothing() {
    for s in servers().await {
        let (merchant, _) = onboard(&s, "Bright School", "reviewer-special-bad").await;
        let (status, pending) = s
            .post(
                "/v1/merchant-applications",
                None,
                json!({ "name": "Not Yet Travel", "city": "SHANGHAI", "address": "1 Nanjing Rd",
                        "mcc": "4722", "settlement_account": "6222020200112233446" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{pending}");
        let pending = pending["id"].as_str().unwrap().to_owned();
        let alice = s.register("13900000061").await;
        let bob = s.register("13900000062").await;
        let account = open(&s, &alice.id, "4111111111111111", 1_000_000).await;
        grant(&s, &account, "travel", 500_000).await;
        let quotes = format!("/v1/credit/accounts/{account}/installments/quotes");
        let base = format!("/v1/credit/accounts/{account}/installments");
        let un = StatusCode::UNPROCESSABLE_ENTITY;
        let at = (account.as_str(), alice.token.as_str());
        let education = json!({ "kind": "special", "purpose": "education", "amount_fen": 300_000,
                                "periods": 12, "rate": "0.005", "merchant_id": merchant });
        let cases: Vec<(Value, StatusCode, &str)> = vec![
            (education, un, "NO_SPECIAL_LIMIT"),
            (travel(500_001, 12, &merchant), un, "SPECIAL_LIMIT_EXCEEDED"),
            (travel(99_999, 12, &merchant), un, "AMOUNT_BELOW_MINIMUM"),
            (travel(300_000, 61, &merchant), un, "PERIODS_OUT_OF_RANGE"),
            (
                travel(300_000, 12, "mer_00000000000000000000000000000000"),
                un,
                "MERCHANT_UNKNOWN",
            ),
            (
                travel(300_000, 12, "not-a-merchant"),
                un,
                "MERCHANT_UNKNOWN",
            ),
            (travel(300_000, 12, &pending), un, "MERCHANT_NOT_APPROVED"),
            (
                json!({ "kind": "special", "purpose": "travel", "amount_fen": 300_000,
                        "periods": 12, "rate": "0.005" }),
                un,
                "MERCHANT_REQUIRED",
            ),
            (
                json!({ "kind": "special", "purpose": "yacht", "amount_fen": 300_000,
                        "periods": 12, "rate": "0.005", "merchant_id": merchant }),
                un,
                "UNKNOWN_PURPOSE",
            ),
        ];
        for (body, status, code) in cases {
            refused(&s, at, &quotes, &alice.token, None, body, status, code).await;
        }
        // Another customer's account is not found, whatever the body.
        refused(
            &s,
            at,
            &quotes,
            &bob.token,
            None,
            travel(300_000, 12, &merchant),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;

        let (status, q, _) = post(
            &s,
            &quotes,
            &alice.token,
            None,
            travel(300_000, 12, &merchant),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{q}");
        refused(
            &s,
            at,
            &base,
            &alice.token,
            Some("bad-1"),
            json!({ "quote_id": q["quote_id"] }),
            un,
            "CONSENT_REQUIRED",
        )
        .await;
        refused(
            &s,
            at,
            &base,
            &bob.token,
            Some("bad-2"),
            json!({ "quote_id": q["quote_id"], "consent": true }),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
        // The limit is read again at booking: lowered since the quote, the booking is refused.
        grant(&s, &account, "travel", 200_000).await;
        refused(
            &s,
            at,
            &base,
            &alice.token,
            Some("bad-3"),
            json!({ "quote_id": q["quote_id"], "consent": true }),
            un,
            "SPECIAL_LIMIT_EXCEEDED",
        )
        .await;
        // A grant needs a known purpose and a limit from 0.
        for (purpose, fen, code) in [
            ("yacht", 1, "UNKNOWN_PURPOSE"),
            ("auto", -1, "INVALID_AMOUNT"),
        ] {
            let (status, b) = s
                .call(
                    Method::PUT,
                    &format!("/v1/internal/credit/accounts/{account}/special-limits/{purpose}"),
                    Some(INTERNAL_TOKEN),
                    Some(json!({ "limit_fen": fen })),
                )
                .await;
            assert_eq!((status, b["code"].as_str()), (un, Some(code)), "{b}");
        }
        assert_eq!(limit(&s, &account, &alice.token, "auto").await, (0, 0, 0));
        ledger_ok(&s).await;
    }
}

#[tokio::test]
async fn a_risk_officer_grants_a_special_limit_and_the_grant_is_audited() {
    for s in servers().await {
        let alice = s.register("13900000071").await;
        let account = open(&s, &alice.id, "4111111111111111", 1_000_000).await;
        let mut tokens = Vec::new();
        for (i, role) in ["risk_officer", "viewer"].iter().enumerate() {
            let login = format!("special_{role}");
            let password = format!("special-{role}-pass");
            let (status, b) = s
                .post(
                    "/v1/internal/operators",
                    Some(INTERNAL_TOKEN),
                    json!({ "login": login, "phone": format!("1370000{i:04}"),
                            "password": password, "role": role }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{b}");
            let (status, b) = s
                .post(
                    "/v1/operator/sessions",
                    None,
                    json!({ "login": login, "password": password }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{b}");
            tokens.push(b["token"].as_str().unwrap().to_owned());
        }
        let path =
            format!("/v1/operator/credit/accounts/{account}/special-limits/home_improvement");
        let body = Some(json!({ "limit_fen": 5_000_000 }));
        let audits = s.count("audit_log").await;
        let (status, b) = s
            .call(Method::PUT, &path, Some(&tokens[1]), body.clone())
            .await;
        assert_eq!(
            (status, b["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("FORBIDDEN_ROLE"))
        );
        assert_eq!(s.count("audit_log").await, audits);
        let (status, b) = s.call(Method::PUT, &path, Some(&tokens[0]), body).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(
            limit(&s, &account, &alice.token, "home_improvement").await,
            (5_000_000, 0, 5_000_000)
        );
        let (status, log) = s.get("/v1/operator/audit", Some(&tokens[0])).await;
        assert_eq!(status, StatusCode::OK, "{log}");
        let entry = log
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "credit_account.special_limit")
            .unwrap_or_else(|| panic!("no audit entry: {log}"));
        assert_eq!(entry["subject_id"], account.as_str(), "{entry}");
        assert!(
            entry["detail"].as_str().unwrap().contains("50000.00"),
            "{entry}"
        );
    }
}
