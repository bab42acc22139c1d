//! Consumer loans and credit lines over HTTP, on every backend (docs/loans.md): the worked
//! example of docs/domain.md §5 booked through the API, a loan's life on the fake clock, the
//! revolving line's daily interest, every refused input changing nothing, and idempotency.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Customer, TestServer, servers};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CARD_A: &str = "6222020200112230";
const CARD_B: &str = "6228480011223341";

/// POST with a session and an optional idempotency key.
async fn post_key(
    s: &TestServer,
    path: &str,
    token: &str,
    key: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let mut r = s
        .client
        .post(format!("{}{path}", s.base))
        .bearer_auth(token)
        .json(&body);
    if let Some(key) = key {
        r = r.header("Idempotency-Key", key);
    }
    let response = r.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn close_day(s: &TestServer) -> Value {
    let r = s
        .client
        .post(format!("{}/v1/internal/loans/close-day", s.base))
        .bearer_auth(common::INTERNAL_TOKEN)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// Advances the clock one day at a time, closing each day, `days` times; the customer logs
/// in again (sessions end after idle time).
async fn days_pass(s: &TestServer, c: &mut Customer, days: i64) {
    for _ in 0..days {
        s.clock.advance_days(1);
        close_day(s).await;
    }
    relogin(s, c).await;
}

async fn relogin(s: &TestServer, c: &mut Customer) {
    let (status, body) = s
        .post(
            "/v1/sessions",
            None,
            json!({ "phone": c.phone, "password": c.password }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    c.token = body["token"].as_str().unwrap().to_owned();
}

async fn ledger_ok(s: &TestServer) {
    let (status, report) = s
        .get("/v1/ledger/check", Some(common::INTERNAL_TOKEN))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["ok"], true, "{report}");
}

async fn card(s: &TestServer, c: &Customer, number: &str) -> String {
    let (status, body) = s
        .post(
            "/v1/me/debit-cards",
            Some(&c.token),
            json!({ "card_number": number }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn quote(s: &TestServer, c: &Customer, amount_fen: i64, periods: u32, method: &str) -> Value {
    let (status, q) = s
        .post(
            "/v1/loans/quotes",
            Some(&c.token),
            json!({ "amount_fen": amount_fen, "periods": periods, "method": method }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{q}");
    q
}

async fn book(s: &TestServer, c: &Customer, quote_id: &str, card: &str, key: &str) -> Value {
    let (status, loan) = post_key(
        s,
        "/v1/loans",
        &c.token,
        Some(key),
        json!({ "quote_id": quote_id, "consent": true, "debit_card_id": card }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{loan}");
    loan
}

/// Everything a refused request must leave unchanged.
async fn snapshot(s: &TestServer) -> [i64; 6] {
    [
        s.count("loans").await,
        s.count("loan_quotes").await,
        s.count("loan_events").await,
        s.count("credit_lines").await,
        s.count("debit_cards").await,
        s.count("ledger_transfers").await,
    ]
}

fn fen(v: &Value) -> i64 {
    let text = v.as_str().unwrap();
    let (whole, frac) = text.split_once('.').unwrap();
    whole.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap()
}

#[tokio::test]
async fn the_domain_loan_example_is_quoted_and_booked_exactly_through_the_api() {
    for s in servers().await {
        let c = s.register("13800000001").await;
        let card = card(&s, &c, CARD_A).await;
        let q = quote(&s, &c, 10_000_000, 36, "equal_installment").await;
        // The APR is the first thing shown (the raw answer leads with it).
        let raw = s
            .client
            .post(format!("{}/v1/loans/quotes", s.base))
            .bearer_auth(&c.token)
            .json(
                &json!({ "amount_fen": 10_000_000, "periods": 36, "method": "equal_installment" }),
            )
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(raw.starts_with("{\"apr_percent\":\"4.00\""), "{raw}");
        assert_eq!(q["apr_percent"], "4.00");
        assert_eq!(q["schedule"][0]["payment"], "2952.40");
        assert_eq!(q["schedule"][0]["interest"], "333.33");
        assert_eq!(q["schedule"][0]["principal"], "2619.07");
        assert_eq!(q["schedule"][0]["balance"], "97380.93");
        assert_eq!(q["total_interest"], "6286.35");
        assert_eq!(q["total_repayment"], "106286.35");
        assert_eq!(q["schedule"].as_array().unwrap().len(), 36);

        let loan = book(&s, &c, q["id"].as_str().unwrap(), &card, "k-book-1").await;
        assert_eq!(loan["status"], "active", "{}", s.backend);
        assert_eq!(loan["apr_percent"], "4.00");
        assert_eq!(loan["principal"], "100000.00");
        assert_eq!(loan["schedule"][0]["payment"], "2952.40");
        assert_eq!(loan["schedule"][0]["due"], "2026-05-01");
        assert_eq!(loan["debit_card_id"], card.as_str());
        // One disbursement posted: principal receivable ← disbursement clearing.
        assert_eq!(s.count("ledger_transfers").await, 1);
        ledger_ok(&s).await;
        let (status, listed) = s.get("/v1/loans", Some(&c.token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(listed.as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn a_loan_lives_through_on_time_repayment_overdue_penalty_and_both_prepayments() {
    for s in servers().await {
        let mut c = s.register("13800000002").await;
        let card = card(&s, &c, CARD_A).await;
        let q = quote(&s, &c, 1_200_000, 12, "equal_installment").await;
        let loan = book(&s, &c, q["id"].as_str().unwrap(), &card, "life-book").await;
        let id = loan["id"].as_str().unwrap().to_owned();
        let path = format!("/v1/loans/{id}");
        let p1 = loan["schedule"][0]["payment"].clone();

        // Due 05-01: interest falls due that day, paid on time.
        days_pass(&s, &mut c, 30).await;
        let (_, l) = s.get(&path, Some(&c.token)).await;
        assert_eq!(l["interest_due"], q["schedule"][0]["interest"], "{l}");
        assert!(l["overdue"].is_null());
        let (status, l) = post_key(
            &s,
            &format!("{path}/repayments"),
            &c.token,
            Some("pay-1"),
            json!({ "amount_fen": fen(&p1), "debit_card_id": card }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{l}");
        assert_eq!(l["interest_due"], "0.00");
        assert_eq!(
            l["schedule"][0]["principal_paid"],
            l["schedule"][0]["principal"]
        );

        // Due 06-01 missed: two days later, two days of penalty on period 2's principal.
        days_pass(&s, &mut c, 33).await;
        let (_, l) = s.get(&path, Some(&c.token)).await;
        assert_eq!(l["overdue"]["since"], "2026-06-01", "{l}");
        assert_eq!(l["overdue"]["days"], 2);
        let p2 = fen(&l["schedule"][1]["principal"]);
        // Penalty rate 4% × 1.5 = 6% a year, actual/360, half-up per day accrued.
        let per_day = (2 * p2 * 6 + 36_000) / 72_000;
        assert_eq!(fen(&l["penalty"]), 2 * per_day, "{l}");
        let due = fen(&l["schedule"][1]["payment"]) + fen(&l["penalty"]);
        let (status, l) = post_key(
            &s,
            &format!("{path}/repayments"),
            &c.token,
            Some("pay-2"),
            json!({ "amount_fen": due, "debit_card_id": card }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{l}");
        assert!(l["overdue"].is_null(), "{l}");
        assert_eq!(l["penalty"], "0.00");

        // Prepay keeping the term: same number of periods, a lower payment.
        let before = l["schedule"][3]["payment"].clone();
        let (status, l) = post_key(
            &s,
            &format!("{path}/prepayments"),
            &c.token,
            Some("pre-1"),
            json!({ "amount_fen": 300_000, "debit_card_id": card, "mode": "keep_term" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{l}");
        assert_eq!(l["schedule"].as_array().unwrap().len(), 12);
        assert!(fen(&l["schedule"][3]["payment"]) < fen(&before), "{l}");
        // Prepay keeping the payment: fewer periods.
        let (status, l) = post_key(
            &s,
            &format!("{path}/prepayments"),
            &c.token,
            Some("pre-2"),
            json!({ "amount_fen": 200_000, "debit_card_id": card, "mode": "keep_payment" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{l}");
        assert!(l["schedule"].as_array().unwrap().len() < 12, "{l}");
        // Pay everything off.
        let payoff = fen(&l["payoff_today"]);
        let (status, l) = post_key(
            &s,
            &format!("{path}/repayments"),
            &c.token,
            Some("pay-off"),
            json!({ "amount_fen": payoff, "debit_card_id": card }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{l}");
        assert_eq!(l["status"], "closed", "{l}");
        assert_eq!(l["principal"], "0.00");
        ledger_ok(&s).await;
        // The loan was replayed from its history: the same view as the one answered.
        let (_, again) = s.get(&path, Some(&c.token)).await;
        assert_eq!(again["status"], "closed");
    }
}

#[tokio::test]
async fn a_credit_line_is_drawn_and_repaid_any_time_with_daily_interest_to_the_fen() {
    for s in servers().await {
        let mut c = s.register("13800000003").await;
        let card = card(&s, &c, CARD_A).await;
        let (status, line) = s
            .post(
                "/v1/credit-lines",
                Some(&c.token),
                json!({ "consent": true }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{line}");
        assert_eq!(line["annual_rate_percent"], "3.65");
        let path = format!("/v1/credit-lines/{}", line["id"].as_str().unwrap());
        let (status, l) = post_key(
            &s,
            &format!("{path}/draws"),
            &c.token,
            Some("draw-1"),
            json!({ "amount_fen": 1_000_000, "debit_card_id": card }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{l}");
        assert_eq!(l["drawn"], "10000.00");
        assert_eq!(l["available"], "40000.00");
        // 10,000.00 × 3.65% / 365 = 1.00 a day; ten days closed one by one.
        days_pass(&s, &mut c, 10).await;
        let (_, l) = s.get(&path, Some(&c.token)).await;
        assert_eq!(l["interest"], "10.00", "{l}");
        let (status, l) = post_key(
            &s,
            &format!("{path}/repayments"),
            &c.token,
            Some("line-pay-1"),
            json!({ "amount_fen": 501_000, "debit_card_id": card }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{l}");
        assert_eq!(l["drawn"], "5000.00");
        assert_eq!(l["interest"], "0.00");
        // Three days without closing: the same daily interest, 0.50 a day.
        s.clock.advance_days(3);
        relogin(&s, &mut c).await;
        let (_, l) = s.get(&path, Some(&c.token)).await;
        assert_eq!(l["interest"], "1.50", "{l}");
        assert_eq!(l["payoff_today"], "5001.50");
        let (status, l) = post_key(
            &s,
            &format!("{path}/repayments"),
            &c.token,
            Some("line-pay-2"),
            json!({ "amount_fen": 500_151, "debit_card_id": card }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert_eq!(l["code"], "REPAYMENT_ABOVE_PAYOFF");
        let (status, l) = post_key(
            &s,
            &format!("{path}/repayments"),
            &c.token,
            Some("line-pay-3"),
            json!({ "amount_fen": 500_150, "debit_card_id": card }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{l}");
        assert_eq!(l["drawn"], "0.00");
        assert_eq!(l["payoff_today"], "0.00");
        ledger_ok(&s).await;
    }
}

/// Sends a refused request and checks its code and that nothing changed.
async fn refused(
    s: &TestServer,
    c: &Customer,
    path: &str,
    key: Option<&str>,
    body: Value,
    status: StatusCode,
    code: &str,
) {
    let before = snapshot(s).await;
    let (got, problem) = post_key(s, path, &c.token, key, body).await;
    assert_eq!(got, status, "{code}: {problem}");
    assert_eq!(problem["code"], code, "{problem}");
    assert_eq!(snapshot(s).await, before, "{code} changed something");
}

#[tokio::test]
async fn bad_loan_requests_get_precise_codes_and_change_nothing() {
    for s in servers().await {
        let mut c = s.register("13800000004").await;
        let other = s.register("13800000005").await;
        let card_a = card(&s, &c, CARD_A).await;
        let card_b = card(&s, &other, CARD_B).await;
        let q = |amount: i64, periods: u32, extra: Value| {
            let mut body =
                json!({ "amount_fen": amount, "periods": periods, "method": "equal_installment" });
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };
        let invalid = StatusCode::UNPROCESSABLE_ENTITY;
        let quotes = "/v1/loans/quotes";
        refused(
            &s,
            &c,
            quotes,
            None,
            q(1_000_000, 61, json!({})),
            invalid,
            "PERIODS_OUT_OF_RANGE",
        )
        .await;
        refused(
            &s,
            &c,
            quotes,
            None,
            q(99_999, 12, json!({})),
            invalid,
            "LOAN_AMOUNT_OUT_OF_RANGE",
        )
        .await;
        refused(
            &s,
            &c,
            quotes,
            None,
            q(1_000_000, 12, json!({ "annual_rate": "-0.04" })),
            invalid,
            "NEGATIVE_RATE",
        )
        .await;
        refused(
            &s,
            &c,
            quotes,
            None,
            q(1_000_000, 12, json!({ "annual_rate": "0.01" })),
            invalid,
            "RATE_NOT_OFFERED",
        )
        .await;
        refused(
            &s,
            &c,
            quotes,
            None,
            q(1_000_000, 13, json!({ "method": "interest_only" })),
            invalid,
            "TERM_TOO_LONG",
        )
        .await;
        refused(
            &s,
            &c,
            quotes,
            None,
            q(1_000_000, 12, json!({ "method": "balloon" })),
            invalid,
            "UNKNOWN_METHOD",
        )
        .await;

        // Consent: missing or false is refused, never defaulted.
        let quoted = quote(&s, &c, 15_000_000, 24, "equal_installment").await;
        let qid = quoted["id"].as_str().unwrap();
        let booking = |consent: Option<bool>, card: &str| {
            let mut b = json!({ "quote_id": qid, "debit_card_id": card });
            if let Some(consent) = consent {
                b["consent"] = json!(consent);
            }
            b
        };
        refused(
            &s,
            &c,
            "/v1/loans",
            Some("c1"),
            booking(None, &card_a),
            StatusCode::FORBIDDEN,
            "CONSENT_REQUIRED",
        )
        .await;
        refused(
            &s,
            &c,
            "/v1/loans",
            Some("c2"),
            booking(Some(false), &card_a),
            StatusCode::FORBIDDEN,
            "CONSENT_REQUIRED",
        )
        .await;
        // Another customer's card, and no idempotency key.
        refused(
            &s,
            &c,
            "/v1/loans",
            Some("c3"),
            booking(Some(true), &card_b),
            StatusCode::NOT_FOUND,
            "DEBIT_CARD_NOT_FOUND",
        )
        .await;
        refused(
            &s,
            &c,
            "/v1/loans",
            None,
            booking(Some(true), &card_a),
            StatusCode::BAD_REQUEST,
            "IDEMPOTENCY_KEY_REQUIRED",
        )
        .await;
        // Another customer cannot book this customer's quote.
        refused(
            &s,
            &other,
            "/v1/loans",
            Some("c4"),
            json!({ "quote_id": qid, "consent": true, "debit_card_id": card_b }),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;

        let loan = book(&s, &c, qid, &card_a, "c5").await;
        let id = loan["id"].as_str().unwrap();
        // The quote is spent; above the per-customer cap (150,000 owed + 60,000 > 200,000).
        refused(
            &s,
            &c,
            "/v1/loans",
            Some("c6"),
            booking(Some(true), &card_a),
            StatusCode::CONFLICT,
            "QUOTE_USED",
        )
        .await;
        refused(
            &s,
            &c,
            quotes,
            None,
            q(6_000_000, 12, json!({})),
            invalid,
            "CUSTOMER_CAP_EXCEEDED",
        )
        .await;

        // Another customer's loan answers 404, to reads and to repayments.
        let (status, _) = s.get(&format!("/v1/loans/{id}"), Some(&other.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let pay = format!("/v1/loans/{id}/repayments");
        refused(
            &s,
            &other,
            &pay,
            Some("o1"),
            json!({ "amount_fen": 100, "debit_card_id": card_b }),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
        // Above the payoff; a foreign card; a zero amount.
        refused(
            &s,
            &c,
            &pay,
            Some("r1"),
            json!({ "amount_fen": 15_000_001, "debit_card_id": card_a }),
            invalid,
            "REPAYMENT_ABOVE_PAYOFF",
        )
        .await;
        refused(
            &s,
            &c,
            &pay,
            Some("r2"),
            json!({ "amount_fen": 100, "debit_card_id": card_b }),
            StatusCode::NOT_FOUND,
            "DEBIT_CARD_NOT_FOUND",
        )
        .await;
        refused(
            &s,
            &c,
            &pay,
            Some("r3"),
            json!({ "amount_fen": 0, "debit_card_id": card_a }),
            invalid,
            "AMOUNT_NOT_POSITIVE",
        )
        .await;
        refused(
            &s,
            &c,
            &format!("/v1/loans/{id}/prepayments"),
            Some("r4"),
            json!({ "amount_fen": 100_000, "debit_card_id": card_a, "mode": "keep_all" }),
            invalid,
            "UNKNOWN_PREPAYMENT_MODE",
        )
        .await;

        // A quote expires after 30 minutes.
        let late = quote(&s, &c, 100_000, 12, "equal_principal").await;
        s.clock.advance(jiff::SignedDuration::from_mins(31));
        relogin(&s, &mut c).await;
        refused(
            &s,
            &c,
            "/v1/loans",
            Some("late"),
            json!({ "quote_id": late["id"], "consent": true, "debit_card_id": card_a }),
            invalid,
            "QUOTE_EXPIRED",
        )
        .await;

        // A card bound by another customer cannot be bound again.
        refused(
            &s,
            &c,
            "/v1/me/debit-cards",
            None,
            json!({ "card_number": CARD_B }),
            StatusCode::CONFLICT,
            "DEBIT_CARD_BOUND_ELSEWHERE",
        )
        .await;
        refused(
            &s,
            &c,
            "/v1/me/debit-cards",
            None,
            json!({ "card_number": "6222020200112231" }),
            invalid,
            "INVALID_CARD_NUMBER",
        )
        .await;
        ledger_ok(&s).await;
    }
}

#[tokio::test]
async fn debit_cards_are_shown_masked_and_never_stored_in_clear() {
    for s in servers().await {
        let c = s.register("13800000006").await;
        let (status, body) = s
            .post(
                "/v1/me/debit-cards",
                Some(&c.token),
                json!({ "card_number": CARD_A, "holder_name": "张三" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["masked"], "622202******2230");
        assert_eq!(body["holder_name"], "张*");
        // Binding again answers the same card.
        let (status, again) = s
            .post(
                "/v1/me/debit-cards",
                Some(&c.token),
                json!({ "card_number": CARD_A }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again["id"], body["id"]);
        let (_, list) = s.get("/v1/me/debit-cards", Some(&c.token)).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert!(!list.to_string().contains(CARD_A));
        let leaked = match &s.db {
            cardlife_store::Db::Sqlite(pool) => sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM debit_cards WHERE masked LIKE '%0200112%' OR CAST(vault_ciphertext AS TEXT) LIKE '%0200112%'",
            )
            .fetch_one(pool)
            .await
            .unwrap(),
            cardlife_store::Db::Postgres(pool) => sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM debit_cards WHERE masked LIKE '%0200112%' OR encode(vault_ciphertext, 'escape') LIKE '%0200112%'",
            )
            .fetch_one(pool)
            .await
            .unwrap(),
        };
        assert_eq!(leaked, 0);
    }
}

#[tokio::test]
async fn the_offer_comes_from_standing_with_reason_codes() {
    for s in servers().await {
        let mut c = s.register("13800000007").await;
        let (status, o) = s.get("/v1/loans/offer", Some(&c.token)).await;
        assert_eq!(status, StatusCode::OK, "{o}");
        // A new customer: 2 × 100,000.00 capped at 200,000.00, halved for a thin file.
        assert_eq!(o["amount"], "100000.00", "{o}");
        assert_eq!(o["reasons"], json!(["THIN_FILE"]));
        // Booking a loan lowers what is left under the cap.
        let card = card(&s, &c, CARD_A).await;
        let q = quote(&s, &c, 15_000_000, 24, "equal_installment").await;
        book(&s, &c, q["id"].as_str().unwrap(), &card, "offer-book").await;
        let (_, o) = s.get("/v1/loans/offer", Some(&c.token)).await;
        assert_eq!(o["outstanding"], "150000.00");
        // 200,000.00 cap − 150,000.00 owed bounds the offer.
        assert_eq!(o["amount"], "50000.00", "{o}");
        assert!(
            o["reasons"]
                .as_array()
                .unwrap()
                .contains(&json!("LOAN_CAP_REACHED"))
        );
        // Overdue: no offer at all.
        days_pass(&s, &mut c, 32).await;
        let (_, o) = s.get("/v1/loans/offer", Some(&c.token)).await;
        assert_eq!(o["amount"], "0.00", "{o}");
        assert!(
            o["reasons"]
                .as_array()
                .unwrap()
                .contains(&json!("DELINQUENT_NOW"))
        );
    }
}

#[tokio::test]
async fn the_same_booking_sent_five_times_makes_one_loan_and_a_reused_key_is_refused() {
    for s in servers().await {
        let c = s.register("13800000008").await;
        let card = card(&s, &c, CARD_A).await;
        let q = quote(&s, &c, 500_000, 6, "equal_principal").await;
        let body = json!({ "quote_id": q["id"], "consent": true, "debit_card_id": card });
        let first = post_key(&s, "/v1/loans", &c.token, Some("same"), body.clone()).await;
        assert_eq!(first.0, StatusCode::CREATED, "{}", first.1);
        let again = post_key(&s, "/v1/loans", &c.token, Some("same"), body.clone()).await;
        assert_eq!(again.0, StatusCode::CREATED);
        assert_eq!(again.1["id"], first.1["id"]);
        let send = || post_key(&s, "/v1/loans", &c.token, Some("same"), body.clone());
        let (a, b, d) = tokio::join!(send(), send(), send());
        for (status, answer) in [a, b, d] {
            assert!(
                status == StatusCode::CREATED || status == StatusCode::CONFLICT,
                "{status} {answer}"
            );
            if status == StatusCode::CREATED {
                assert_eq!(answer["id"], first.1["id"]);
            }
        }
        assert_eq!(s.count("loans").await, 1);
        assert_eq!(s.count("ledger_transfers").await, 1);

        // Fresh key, five concurrent sends of a new quote: exactly one loan more.
        let q2 = quote(&s, &c, 500_000, 6, "equal_principal").await;
        let body2 = json!({ "quote_id": q2["id"], "consent": true, "debit_card_id": card });
        let send = || post_key(&s, "/v1/loans", &c.token, Some("fresh"), body2.clone());
        let (a, b, d, e, f) = tokio::join!(send(), send(), send(), send(), send());
        let answers = [a, b, d, e, f];
        assert!(answers.iter().any(|(st, _)| *st == StatusCode::CREATED));
        assert_eq!(s.count("loans").await, 2);

        // The same key with another body.
        let before = snapshot(&s).await;
        let mut other = body.clone();
        other["debit_card_id"] = json!("00000000-0000-0000-0000-000000000000");
        let (status, problem) = post_key(&s, "/v1/loans", &c.token, Some("same"), other).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["code"], "IDEMPOTENCY_KEY_REUSED");
        assert_eq!(snapshot(&s).await, before);
        ledger_ok(&s).await;
    }
}

#[tokio::test]
async fn an_interest_only_loan_is_booked_over_the_api_and_repaid_with_its_bullet() {
    for s in servers().await {
        let mut c = s.register("13800000091").await;
        let card = card(&s, &c, CARD_B).await;
        let q = quote(&s, &c, 1_000_000, 3, "interest_only").await;
        let rows = q["schedule"].as_array().unwrap().clone();
        assert_eq!(rows.len(), 3, "{q}");
        // Interest every month, the whole principal with the last payment.
        assert_eq!(rows[0]["principal"], "0.00", "{q}");
        assert_eq!(rows[1]["principal"], "0.00", "{q}");
        assert_eq!(rows[2]["principal"], "10000.00", "{q}");
        let loan = book(&s, &c, q["id"].as_str().unwrap(), &card, "bullet-book").await;
        let id = loan["id"].as_str().unwrap().to_owned();
        let path = format!("/v1/loans/{id}");
        assert_eq!(loan["principal"], "10000.00", "{loan}");
        ledger_ok(&s).await;

        // Period 1 falls due: its interest alone is paid; the principal is untouched.
        days_pass(&s, &mut c, 30).await;
        let (_, l) = s.get(&path, Some(&c.token)).await;
        assert_eq!(l["interest_due"], q["schedule"][0]["interest"], "{l}");
        let (status, l) = post_key(
            &s,
            &format!("{path}/repayments"),
            &c.token,
            Some("bullet-pay-1"),
            json!({ "amount_fen": fen(&rows[0]["payment"]), "debit_card_id": card }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{l}");
        assert_eq!(l["interest_due"], "0.00", "{l}");
        assert_eq!(l["principal"], "10000.00", "{l}");
        assert!(l["overdue"].is_null(), "{l}");
        ledger_ok(&s).await;

        // Paid off: the principal and the interest to date, then the loan is closed.
        let payoff = fen(&l["payoff_today"]);
        assert!(payoff >= 1_000_000, "{l}");
        let (status, l) = post_key(
            &s,
            &format!("{path}/repayments"),
            &c.token,
            Some("bullet-pay-off"),
            json!({ "amount_fen": payoff, "debit_card_id": card }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{l}");
        assert_eq!(
            (l["status"].as_str(), l["principal"].as_str()),
            (Some("closed"), Some("0.00")),
            "{l}"
        );
        ledger_ok(&s).await;
    }
}

#[tokio::test]
async fn bookings_racing_past_the_per_customer_cap_book_only_what_fits() {
    for s in servers().await {
        let c = s.register("13800000041").await;
        let card = card(&s, &c, CARD_A).await;
        // Each quote fits under the 200,000.00 cap on its own; three of them fit together.
        let mut quotes = Vec::new();
        for _ in 0..8 {
            quotes.push(quote(&s, &c, 6_000_000, 12, "equal_installment").await);
        }
        let before = s.count("loans").await;
        let answers = futures_util::future::join_all(quotes.iter().enumerate().map(|(i, q)| {
            let body = json!({ "quote_id": q["id"], "consent": true, "debit_card_id": card });
            let key = format!("race-{i}");
            let token = c.token.clone();
            let s = &s;
            async move { post_key(s, "/v1/loans", &token, Some(&key), body).await }
        }))
        .await;
        let booked = answers
            .iter()
            .filter(|(status, _)| *status == StatusCode::CREATED)
            .count();
        assert_eq!(booked, 3, "{answers:?}");
        for (status, body) in answers.iter().filter(|(st, _)| *st != StatusCode::CREATED) {
            assert_eq!(*status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(body["code"], "CUSTOMER_CAP_EXCEEDED", "{body}");
        }
        assert_eq!(s.count("loans").await, before + 3, "{}", s.backend);
        let (_, o) = s.get("/v1/loans/offer", Some(&c.token)).await;
        assert_eq!(o["outstanding"], "180000.00", "{o}");
        ledger_ok(&s).await;
    }
}
