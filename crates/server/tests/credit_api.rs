//! Black-box tests of the credit API over the shared harness (a fresh store per test, SQLite
//! always and PostgreSQL when configured, a fake clock at 2026-04-01, real customer sessions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{INTERNAL_TOKEN as TOKEN, TestServer, servers};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PAN: &str = "6225880137461233";
const OTHER_PAN: &str = "4111111111111111";

/// A server with a registered customer, driven over HTTP.
struct TestApp {
    s: TestServer,
}

async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn each_backend() -> Vec<TestApp> {
    servers().await.into_iter().map(|s| TestApp { s }).collect()
}

impl TestApp {
    async fn get(&self, bearer: &str, path: &str) -> (StatusCode, Value) {
        let r = self
            .s
            .client
            .get(format!("{}{path}", self.s.base))
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap();
        answer(r).await
    }

    async fn post(
        &self,
        bearer: &str,
        path: &str,
        key: Option<&str>,
        body: &Value,
    ) -> (StatusCode, Value) {
        let mut request = self
            .s
            .client
            .post(format!("{}{path}", self.s.base))
            .bearer_auth(bearer)
            .json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        answer(request.send().await.unwrap()).await
    }

    async fn internal(&self, path: &str, key: &str, body: &Value) -> (StatusCode, Value) {
        self.post(TOKEN, path, Some(key), body).await
    }

    /// Registers a customer; returns (customer id, session token).
    async fn customer(&self, phone: &str) -> (String, String) {
        let c = self.s.register(phone).await;
        (c.id, c.token)
    }

    /// Logs `phone` in again (a session ends after 30 idle minutes); returns the new token.
    async fn login(&self, phone: &str) -> String {
        let password = format!("pw-{phone}-secret");
        let (status, body) = self
            .s
            .post(
                "/v1/sessions",
                None,
                json!({"phone": phone, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// Opens an account for `customer` with card `pan`; returns its id.
    async fn open(&self, customer: &str, pan: &str, key: &str) -> String {
        let (status, body) = self
            .internal(
                "/v1/internal/credit/accounts",
                key,
                &json!({
                    "customer_id": customer,
                    "product": {"statement_day": 7},
                    "credit_limit_fen": 1_000_000,
                    "card_number": pan,
                    "card_expires": "2030-12",
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    async fn account(&self, id: &str) -> Value {
        let (status, body) = self
            .get(TOKEN, &format!("/v1/internal/credit/accounts/{id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// The ledger's invariant check passes; returns its transfer count.
    async fn ledger_clean(&self) -> u64 {
        let (status, check) = self.get(TOKEN, "/v1/ledger/check").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(check["ok"], true, "{check}");
        check["transfers"].as_u64().unwrap()
    }

    /// Everything a refused request could have changed.
    async fn state(&self, id: &str) -> Value {
        let rows = cardlife_store::credit::row_counts(&self.s.db)
            .await
            .unwrap();
        json!({"account": self.account(id).await, "transfers": self.ledger_clean().await, "rows": rows.to_vec()})
    }
}

fn assert_problem(got: (StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["code"], code, "{}", got.1);
    assert!(got.1["request_id"].is_string());
}

#[tokio::test]
async fn an_account_goes_from_authorisation_to_statement_to_an_overpayment() {
    for app in each_backend().await {
        an_account_goes_from_authorisation_to_statement_to_an_overpayment_on(&app).await;
    }
}

async fn an_account_goes_from_authorisation_to_statement_to_an_overpayment_on(app: &TestApp) {
    let (holder, bearer) = app.customer("13800000001").await;
    let id = app.open(&holder, PAN, "open-1").await;

    let (status, auth) = app
        .internal(
            "/v1/internal/credit/authorisations",
            "auth-1",
            &json!({"card_number": PAN, "amount_fen": 100_000}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{auth}");
    let auth_id = auth["id"].as_str().unwrap();
    // The authorisation is a pending transfer on the ledger, with the same id.
    let (status, hold) = app
        .get(TOKEN, &format!("/v1/ledger/transfers/{auth_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{hold}");
    assert_eq!(hold["pending_status"], "pending", "{hold}");
    let (_, a) = app.get(&bearer, &format!("/v1/credit/accounts/{id}")).await;
    assert_eq!(
        (
            a["pending_fen"].as_i64(),
            a["available_credit_fen"].as_i64()
        ),
        (Some(100_000), Some(900_000))
    );
    app.ledger_clean().await;

    let (status, captured) = app
        .internal(
            &format!("/v1/internal/credit/authorisations/{auth_id}/capture"),
            "cap-1",
            &json!({"amount_fen": 60_000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{captured}");
    assert_eq!(
        (
            captured["status"].as_str(),
            captured["captured_fen"].as_i64()
        ),
        (Some("captured"), Some(60_000))
    );
    app.ledger_clean().await;

    let (_, second) = app
        .internal(
            "/v1/internal/credit/authorisations",
            "auth-2",
            &json!({"card_number": PAN, "amount_fen": 5_000}),
        )
        .await;
    let second_id = second["id"].as_str().unwrap();
    let (status, reversed) = app
        .internal(
            &format!("/v1/internal/credit/authorisations/{second_id}/reversal"),
            "rev-1",
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, reversed["status"].as_str()),
        (StatusCode::OK, Some("reversed"))
    );
    let (_, hold) = app
        .get(TOKEN, &format!("/v1/ledger/transfers/{second_id}"))
        .await;
    assert_eq!(hold["pending_status"], "voided", "{hold}");
    app.ledger_clean().await;

    // A week on, the days are closed by the clock: the 7 Apr statement is cut.
    app.s.clock.advance_days(7);
    let bearer = app.login("13800000001").await;
    let (status, closed) = app
        .post(TOKEN, "/v1/internal/credit/close-day", None, &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["days_closed"], 7);
    let (_, again) = app
        .post(TOKEN, "/v1/internal/credit/close-day", None, &json!({}))
        .await;
    assert_eq!(again["days_closed"], 0, "closing is idempotent");
    let (status, list) = app
        .get(&bearer, &format!("/v1/credit/accounts/{id}/statements"))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["statements"].as_array().unwrap().len(), 1);
    let (status, s) = app
        .get(
            &bearer,
            &format!("/v1/credit/accounts/{id}/statements/2026-04-07"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(
        (s["balance_fen"].as_i64(), s["minimum_payment_fen"].as_i64()),
        (Some(60_000), Some(6_000))
    );
    assert_eq!(s["due_date"], "2026-04-25");
    assert_eq!(
        s["lines"],
        json!([{"kind": "purchase", "transaction_date": "2026-04-01", "posting_date": "2026-04-01", "amount_fen": 60_000}])
    );
    app.ledger_clean().await;

    let (status, paid) = app
        .post(
            &bearer,
            &format!("/v1/credit/accounts/{id}/repayments"),
            Some("pay-1"),
            &json!({"amount_fen": 70_000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(
        paid["balance_fen"], -10_000,
        "an overpayment is a negative balance"
    );
    assert_eq!(paid["available_credit_fen"], 1_010_000);
    app.ledger_clean().await;

    let (_, cards) = app
        .get(&bearer, &format!("/v1/credit/accounts/{id}/cards"))
        .await;
    assert_eq!(cards["cards"][0]["masked"], "622588******1233");
    assert!(!cards.to_string().contains(PAN));
    let (_, mine) = app.get(&bearer, "/v1/credit/accounts").await;
    assert_eq!(mine["accounts"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_repayment_sent_five_times_at_once_moves_money_once() {
    for app in each_backend().await {
        a_repayment_sent_five_times_at_once_moves_money_once_on(&app).await;
    }
}

async fn a_repayment_sent_five_times_at_once_moves_money_once_on(app: &TestApp) {
    let (holder, bearer) = app.customer("13800000001").await;
    let id = app.open(&holder, PAN, "open-1").await;
    let path = format!("/v1/credit/accounts/{id}/repayments");
    let body = json!({"amount_fen": 12_345});
    let sends = (0..5).map(|_| app.post(&bearer, &path, Some("same-key"), &body));
    let answers = futures_util::future::join_all(sends).await;
    for (status, body) in &answers {
        assert!(
            *status == StatusCode::OK
                || (*status == StatusCode::CONFLICT && body["code"] == "IDEMPOTENCY_IN_FLIGHT"),
            "{status} {body}"
        );
    }
    // Retried once more after they all finished: the stored answer.
    let (status, replay) = app.post(&bearer, &path, Some("same-key"), &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replay["balance_fen"], -12_345);
    assert_eq!(
        app.account(&id).await["balance_fen"],
        -12_345,
        "one effect only"
    );

    let before = app.state(&id).await;
    assert_problem(
        app.post(&bearer, &path, Some("same-key"), &json!({"amount_fen": 1}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "IDEMPOTENCY_KEY_REUSED",
    );
    assert_problem(
        app.post(&bearer, &path, None, &body).await,
        StatusCode::BAD_REQUEST,
        "IDEMPOTENCY_KEY_REQUIRED",
    );
    assert_eq!(app.state(&id).await, before);
}

#[tokio::test]
async fn every_bad_input_gets_its_own_code_and_changes_nothing() {
    for app in each_backend().await {
        every_bad_input_gets_its_own_code_and_changes_nothing_on(&app).await;
    }
}

async fn every_bad_input_gets_its_own_code_and_changes_nothing_on(app: &TestApp) {
    let (holder, bearer) = app.customer("13800000001").await;
    let id = app.open(&holder, PAN, "open-1").await;
    let before = app.state(&id).await;
    let repay = format!("/v1/credit/accounts/{id}/repayments");
    let cash = format!("/v1/credit/accounts/{id}/cash-advances");
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;

    assert_problem(
        app.post(&bearer, &repay, Some("k1"), &json!({"amount_fen": -100}))
            .await,
        unprocessable,
        "INVALID_AMOUNT",
    );
    assert_problem(
        app.post(&bearer, &repay, Some("k2"), &json!({"amount_fen": 0}))
            .await,
        unprocessable,
        "INVALID_AMOUNT",
    );
    assert_problem(
        app.post(&bearer, &repay, Some("k3"), &json!({"amount_fen": 1.5}))
            .await,
        unprocessable,
        "INVALID_BODY",
    );
    let unknown = "/v1/credit/accounts/0190a0a0-0000-7000-8000-00000000000a/repayments";
    assert_problem(
        app.post(&bearer, unknown, Some("k4"), &json!({"amount_fen": 100}))
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    assert_problem(
        app.internal(
            "/v1/internal/credit/authorisations",
            "k5",
            &json!({"card_number": PAN, "amount_fen": 1_000_001}),
        )
        .await,
        unprocessable,
        "INSUFFICIENT_CREDIT",
    );
    assert_problem(
        app.post(&bearer, &cash, Some("k6"), &json!({"amount_fen": 500_001}))
            .await,
        unprocessable,
        "CASH_LIMIT_EXCEEDED",
    );
    assert_problem(
        app.internal(
            "/v1/internal/credit/authorisations",
            "k7",
            &json!({"card_number": OTHER_PAN, "amount_fen": 100}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    assert_problem(
        app.internal(
            "/v1/internal/credit/accounts",
            "k8",
            &json!({"customer_id": holder, "product": {"statement_day": 31}, "credit_limit_fen": 100, "card_number": OTHER_PAN, "card_expires": "2030-12"}),
        )
        .await,
        unprocessable,
        "INVALID_PRODUCT",
    );
    assert_problem(
        app.internal(
            "/v1/internal/credit/accounts",
            "k9",
            &json!({"customer_id": holder, "credit_limit_fen": 100, "card_number": PAN, "card_expires": "2030-12"}),
        )
        .await,
        StatusCode::CONFLICT,
        "CARD_ALREADY_ISSUED",
    );
    assert_problem(
        app.internal(
            "/v1/internal/credit/authorisations/0190a0a0-0000-7000-8000-00000000000a/capture",
            "k10",
            &json!({"amount_fen": 1}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    assert_eq!(app.state(&id).await, before);

    // A capture above the hold, a frozen account, then a closed one.
    let (_, auth) = app
        .internal(
            "/v1/internal/credit/authorisations",
            "a1",
            &json!({"card_number": PAN, "amount_fen": 1_000}),
        )
        .await;
    let capture = format!(
        "/v1/internal/credit/authorisations/{}/capture",
        auth["id"].as_str().unwrap()
    );
    let before = app.state(&id).await;
    assert_problem(
        app.internal(&capture, "k11", &json!({"amount_fen": 1_001}))
            .await,
        unprocessable,
        "CAPTURE_EXCEEDS_AUTHORISATION",
    );
    assert_eq!(app.state(&id).await, before);
    app.internal(
        &format!(
            "/v1/internal/credit/authorisations/{}/reversal",
            auth["id"].as_str().unwrap()
        ),
        "r1",
        &json!({}),
    )
    .await;

    let status = format!("/v1/internal/credit/accounts/{id}/status");
    assert_eq!(
        app.post(TOKEN, &status, None, &json!({"action": "freeze"}))
            .await
            .0,
        StatusCode::OK
    );
    let before = app.state(&id).await;
    assert_problem(
        app.internal(
            "/v1/internal/credit/authorisations",
            "k12",
            &json!({"card_number": PAN, "amount_fen": 100}),
        )
        .await,
        unprocessable,
        "ACCOUNT_FROZEN",
    );
    assert_problem(
        app.post(TOKEN, &status, None, &json!({"action": "freeze"}))
            .await,
        unprocessable,
        "COMMAND_REFUSED",
    );
    assert_eq!(app.state(&id).await, before);
    assert_eq!(
        app.post(TOKEN, &status, None, &json!({"action": "close"}))
            .await
            .0,
        StatusCode::OK
    );
    let before = app.state(&id).await;
    assert_problem(
        app.post(&bearer, &repay, Some("k13"), &json!({"amount_fen": 100}))
            .await,
        unprocessable,
        "PAYMENT_ON_CLOSED_ACCOUNT",
    );
    assert_problem(
        app.post(&bearer, &cash, Some("k14"), &json!({"amount_fen": 100}))
            .await,
        unprocessable,
        "ACCOUNT_CLOSED",
    );
    assert_eq!(app.state(&id).await, before);
}

#[tokio::test]
async fn an_expired_card_is_declined() {
    for app in each_backend().await {
        an_expired_card_is_declined_on(&app).await;
    }
}

async fn an_expired_card_is_declined_on(app: &TestApp) {
    let (holder, _) = app.customer("13800000001").await;
    let (status, body) = app
        .internal(
            "/v1/internal/credit/accounts",
            "open",
            &json!({"customer_id": holder, "credit_limit_fen": 100_000, "card_number": PAN, "card_expires": "2025-12"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let before = app.state(&id).await;
    assert_problem(
        app.internal(
            "/v1/internal/credit/authorisations",
            "k",
            &json!({"card_number": PAN, "amount_fen": 100}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "CARD_EXPIRED",
    );
    assert_eq!(app.state(&id).await, before);
}

#[tokio::test]
async fn another_customers_account_answers_404_like_a_missing_one() {
    for app in each_backend().await {
        another_customers_account_answers_404_like_a_missing_one_on(&app).await;
    }
}

async fn another_customers_account_answers_404_like_a_missing_one_on(app: &TestApp) {
    let (owner, _) = app.customer("13800000001").await;
    let (_, stranger) = app.customer("13800000002").await;
    let id = app.open(&owner, PAN, "open-1").await;
    let before = app.state(&id).await;
    for path in [
        format!("/v1/credit/accounts/{id}"),
        format!("/v1/credit/accounts/{id}/cards"),
        format!("/v1/credit/accounts/{id}/statements"),
        format!("/v1/credit/accounts/{id}/statements/2026-04-07"),
    ] {
        assert_problem(
            app.get(&stranger, &path).await,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        );
    }
    let repay = format!("/v1/credit/accounts/{id}/repayments");
    assert_problem(
        app.post(&stranger, &repay, Some("k"), &json!({"amount_fen": 100}))
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    let (_, mine) = app.get(&stranger, "/v1/credit/accounts").await;
    assert_eq!(mine["accounts"], json!([]));
    // No session, or the internal token, is not a cardholder.
    assert_problem(
        app.get("nobody", &format!("/v1/credit/accounts/{id}"))
            .await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
    );
    assert_problem(
        app.get(TOKEN, &format!("/v1/credit/accounts/{id}")).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
    );
    assert_eq!(app.state(&id).await, before);
}

#[tokio::test]
async fn the_openapi_document_lists_every_credit_route() {
    for app in each_backend().await {
        the_openapi_document_lists_every_credit_route_on(&app).await;
    }
}

async fn the_openapi_document_lists_every_credit_route_on(app: &TestApp) {
    let (_, doc) = app.get(TOKEN, "/openapi.json").await;
    for path in [
        "/v1/credit/accounts",
        "/v1/credit/accounts/{id}",
        "/v1/credit/accounts/{id}/cards",
        "/v1/credit/accounts/{id}/statements",
        "/v1/credit/accounts/{id}/statements/{date}",
        "/v1/credit/accounts/{id}/repayments",
        "/v1/credit/accounts/{id}/cash-advances",
        "/v1/internal/credit/accounts",
        "/v1/internal/credit/authorisations",
        "/v1/internal/credit/authorisations/{id}/capture",
        "/v1/internal/credit/authorisations/{id}/reversal",
        "/v1/internal/credit/close-day",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not documented");
    }
}

#[tokio::test]
async fn an_authorisation_under_one_key_is_placed_once_and_then_read_as_expired() {
    for app in each_backend().await {
        an_authorisation_under_one_key_is_placed_once_and_then_read_as_expired_on(&app).await;
    }
}

async fn an_authorisation_under_one_key_is_placed_once_and_then_read_as_expired_on(app: &TestApp) {
    let (holder, _) = app.customer("13800000001").await;
    let id = app.open(&holder, PAN, "open-1").await;
    let path = "/v1/internal/credit/authorisations";
    let body = json!({"card_number": PAN, "amount_fen": 2_500});

    // Sent eight times at once: placed once; the others wait (409) or get the stored answer.
    let sends = (0..8).map(|_| app.internal(path, "same-key", &body));
    let answers = futures_util::future::join_all(sends).await;
    let mut placed = None;
    for (status, answer) in &answers {
        match *status {
            StatusCode::CREATED => {
                let auth = answer["id"].as_str().unwrap().to_owned();
                assert_eq!(
                    placed.get_or_insert(auth.clone()),
                    &auth,
                    "one authorisation"
                );
            }
            StatusCode::CONFLICT => assert_eq!(answer["code"], "IDEMPOTENCY_IN_FLIGHT"),
            other => panic!("{other} {answer}"),
        }
    }
    let auth = placed.expect("one 201");
    assert_eq!(
        app.account(&id).await["pending_fen"],
        2_500,
        "one hold only"
    );

    // A retry afterwards: the stored answer, marked replayed.
    let replay = app
        .s
        .client
        .post(format!("{}{path}", app.s.base))
        .bearer_auth(TOKEN)
        .header("Idempotency-Key", "same-key")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replayed: Value = replay.json().await.unwrap();
    assert_eq!(replayed["id"], auth.as_str());
    assert_eq!(replayed["status"], "pending");

    // The same key with another body, a negative or zero amount, a decline: refused, nothing changes.
    let before = app.state(&id).await;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    assert_problem(
        app.internal(
            path,
            "same-key",
            &json!({"card_number": PAN, "amount_fen": 2_501}),
        )
        .await,
        unprocessable,
        "IDEMPOTENCY_KEY_REUSED",
    );
    assert_problem(
        app.internal(path, "neg", &json!({"card_number": PAN, "amount_fen": -1}))
            .await,
        unprocessable,
        "INVALID_AMOUNT",
    );
    assert_problem(
        app.internal(path, "zero", &json!({"card_number": PAN, "amount_fen": 0}))
            .await,
        unprocessable,
        "INVALID_AMOUNT",
    );
    assert_problem(
        app.internal(
            path,
            "over",
            &json!({"card_number": PAN, "amount_fen": 997_501}),
        )
        .await,
        unprocessable,
        "INSUFFICIENT_CREDIT",
    );
    assert_problem(
        app.post(TOKEN, path, None, &body).await,
        StatusCode::BAD_REQUEST,
        "IDEMPOTENCY_KEY_REQUIRED",
    );
    assert_eq!(app.state(&id).await, before);
    // A declined key is free again: the same key with an amount that fits runs.
    let (status, fits) = app
        .internal(
            path,
            "over",
            &json!({"card_number": PAN, "amount_fen": 997_500}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{fits}");
    assert_eq!(app.account(&id).await["available_credit_fen"], 0);

    // Seven days on, the product's expiry releases both holds: they read as expired.
    app.s.clock.advance_days(8);
    let (status, _) = app
        .post(TOKEN, "/v1/internal/credit/close-day", None, &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, expired) = app
        .get(TOKEN, &format!("/v1/internal/credit/authorisations/{auth}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{expired}");
    assert_eq!(
        (
            expired["status"].as_str(),
            expired["amount_fen"].as_i64(),
            expired["captured_fen"].as_i64()
        ),
        (Some("expired"), Some(2_500), Some(0))
    );
    let a = app.account(&id).await;
    assert_eq!(
        (
            a["pending_fen"].as_i64(),
            a["available_credit_fen"].as_i64()
        ),
        (Some(0), Some(1_000_000))
    );
    // An expired authorisation cannot be captured.
    assert_problem(
        app.internal(
            &format!("{path}/{auth}/capture"),
            "late",
            &json!({"amount_fen": 1}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    app.ledger_clean().await;
}

#[tokio::test]
async fn a_negative_amount_or_a_foreign_account_is_refused_on_every_money_route() {
    for app in each_backend().await {
        a_negative_amount_or_a_foreign_account_is_refused_on_every_money_route_on(&app).await;
    }
}

async fn a_negative_amount_or_a_foreign_account_is_refused_on_every_money_route_on(app: &TestApp) {
    let (holder, bearer) = app.customer("13800000001").await;
    let (_, stranger) = app.customer("13800000002").await;
    let id = app.open(&holder, PAN, "open-1").await;
    let (_, auth) = app
        .internal(
            "/v1/internal/credit/authorisations",
            "a1",
            &json!({"card_number": PAN, "amount_fen": 1_000}),
        )
        .await;
    let auth = auth["id"].as_str().unwrap().to_owned();
    let before = app.state(&id).await;
    let negative = json!({"amount_fen": -100});
    for (i, path) in [
        format!("/v1/internal/credit/authorisations/{auth}/capture"),
        format!("/v1/internal/credit/accounts/{id}/refunds"),
    ]
    .iter()
    .enumerate()
    {
        assert_problem(
            app.internal(path, &format!("n{i}"), &negative).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_AMOUNT",
        );
    }
    assert_problem(
        app.internal(
            &format!("/v1/internal/credit/accounts/{id}/temp-limit"),
            "t1",
            &json!({"amount_fen": -100, "until": "2026-04-30"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "INVALID_AMOUNT",
    );
    assert_problem(
        app.post(
            &bearer,
            &format!("/v1/credit/accounts/{id}/cash-advances"),
            Some("c1"),
            &negative,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "INVALID_AMOUNT",
    );
    assert_problem(
        app.internal(
            "/v1/internal/credit/accounts",
            "o1",
            &json!({"customer_id": holder, "credit_limit_fen": -1, "card_number": OTHER_PAN, "card_expires": "2030-12"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "INVALID_AMOUNT",
    );
    // Another customer's account, for a cash advance: the same 404 as a missing one.
    assert_problem(
        app.post(
            &stranger,
            &format!("/v1/credit/accounts/{id}/cash-advances"),
            Some("c2"),
            &json!({"amount_fen": 100}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    assert_eq!(app.state(&id).await, before);
}
