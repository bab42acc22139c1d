//! Black-box tests: each spawns the router on a random port over a fresh SQLite store and drives
//! it over HTTP, as a client would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;
use std::time::Duration;

use cardlife_app::App;
use cardlife_app::ledger::BATCH_MAX;
use cardlife_kernel::{FakeClock, Secret};
use cardlife_server::{BODY_LIMIT_BYTES, ServerConfig, router, serve};
use cardlife_store::{Db, LedgerService};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use reqwest::StatusCode;
use serde_json::{Value, json};

const TOKEN: &str = "test-internal-token-0123456789abcdef";
const DEBIT: &str = "0190a0a0-0000-7000-8000-00000000000a";
const CREDIT: &str = "0190a0a0-0000-7000-8000-00000000000b";

/// The recorder is process-global: install it once per test binary.
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .install_recorder()
                .expect("install the recorder")
        })
        .clone()
}

struct TestApp {
    base: String,
    client: reqwest::Client,
    db: Db,
    _dir: tempfile::TempDir,
}

async fn spawn_app() -> TestApp {
    spawn_app_with(|c| c).await
}

async fn spawn_app_with(configure: impl FnOnce(ServerConfig) -> ServerConfig) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/test.db", dir.path().display());
    let db = Db::open(&url).await.unwrap();
    db.migrate().await.unwrap();
    let clock = FakeClock::new("2026-01-01T00:00:00Z".parse().unwrap()).shared();
    let ledger = LedgerService::start(&db, clock.clone()).await.unwrap();
    let config = configure(ServerConfig::new(Secret::new(TOKEN.to_owned())).unwrap());
    let app = router(App::new(db.clone(), ledger, clock), config, metrics_handle());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, app, std::future::pending()));
    TestApp {
        base,
        client: reqwest::Client::new(),
        db,
        _dir: dir,
    }
}

impl TestApp {
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Two accounts on ledger 1: `DEBIT` keeps its balance history.
    async fn with_two_accounts(self) -> Self {
        let (status, body) = self
            .post(
                "/v1/ledger/accounts",
                &json!([
                    {"id": DEBIT, "ledger": 1, "code": 10, "flags": ["history"]},
                    {"id": CREDIT, "ledger": 1, "code": 20},
                ]),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(results(&body), ["ok", "ok"]);
        self
    }

    /// Everything a bad request could have changed: both accounts and the whole-store check.
    async fn ledger_state(&self) -> Value {
        let (_, debit) = self.get(&format!("/v1/ledger/accounts/{DEBIT}")).await;
        let (_, credit) = self.get(&format!("/v1/ledger/accounts/{CREDIT}")).await;
        let (status, check) = self.get("/v1/ledger/check").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(check["ok"], true, "{check}");
        json!({"debit": debit, "credit": credit, "check": check})
    }

    /// Posts `body` to `path`, expects the problem `code` at `status`, and that nothing changed.
    async fn assert_rejected_without_effect(
        &self,
        path: &str,
        body: &Value,
        status: StatusCode,
        code: &str,
    ) {
        let before = self.ledger_state().await;
        let (got, problem) = self.post(path, body).await;
        assert_problem(got, &problem, status, code);
        assert_eq!(self.ledger_state().await, before);
    }
}

fn results(body: &Value) -> Vec<&str> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"].as_str().unwrap())
        .collect()
}

fn assert_problem(got: StatusCode, problem: &Value, status: StatusCode, code: &str) {
    assert_eq!(got, status, "{problem}");
    assert_eq!(problem["code"], code, "{problem}");
    assert_eq!(problem["status"], status.as_u16());
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:cardlife:problem:")
    );
    assert!(problem["title"].is_string() && problem["detail"].is_string());
    assert!(problem["request_id"].is_string(), "{problem}");
}

fn transfer(id: u128, amount: u64) -> Value {
    json!({
        "id": uuid::Uuid::from_u128(id), "debit_account_id": DEBIT, "credit_account_id": CREDIT,
        "amount": amount, "ledger": 1, "code": 1,
    })
}

#[tokio::test]
async fn health_answers_ok_without_a_token() {
    let app = spawn_app().await;
    let response = reqwest::get(format!("{}/health", app.base)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ok"})
    );
}

#[tokio::test]
async fn metrics_count_http_requests_by_route_and_status() {
    let app = spawn_app().await;
    reqwest::get(format!("{}/health", app.base)).await.unwrap();
    let response = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("cardlife_http_requests_total{") && l.contains(r#"route="/health""#)
        })
        .unwrap_or_else(|| panic!("no request counter for /health in:\n{text}"));
    assert!(
        line.contains(r#"status="200""#) && line.contains(r#"method="GET""#),
        "{line}"
    );
    assert!(text.contains("cardlife_http_request_duration_seconds"));
}

#[tokio::test]
async fn openapi_document_lists_every_ledger_route_with_its_security() {
    let app = spawn_app().await;
    let doc: Value = reqwest::get(format!("{}/openapi.json", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/ledger/accounts", "post"),
        ("/v1/ledger/transfers", "post"),
        ("/v1/ledger/accounts/{id}", "get"),
        ("/v1/ledger/transfers/{id}", "get"),
        ("/v1/ledger/accounts/{id}/transfers", "get"),
        ("/v1/ledger/accounts/{id}/balances", "get"),
        ("/v1/ledger/check", "get"),
    ] {
        let op = &paths.get(path).unwrap_or_else(|| panic!("{path} missing"))[method];
        assert_eq!(op["security"], json!([{"internal_token": []}]), "{path}");
    }
    for path in ["/health", "/metrics", "/openapi.json"] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["Problem"].is_object() && schemas["NewTransfer"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["internal_token"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn ledger_routes_answer_401_without_the_right_token() {
    let app = spawn_app().await;
    let url = format!("{}/v1/ledger/check", app.base);
    for request in [
        app.client.get(&url),
        app.client
            .get(&url)
            .bearer_auth("wrong-token-wrong-token-wrong-token!"),
        app.client
            .get(&url)
            .header("authorization", format!("Basic {TOKEN}")),
        app.client
            .post(format!("{}/v1/ledger/transfers", app.base))
            .json(&json!([transfer(1, 1)])),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let status = response.status();
        assert_problem(
            status,
            &response.json().await.unwrap(),
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
        );
    }
}

#[tokio::test]
async fn accounts_and_transfers_created_over_http_read_back_as_balances() {
    let app = spawn_app().await.with_two_accounts().await;
    let (status, body) = app
        .post(
            "/v1/ledger/transfers",
            &json!([transfer(1, 700), transfer(2, 300)]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["results"][1],
        json!({"index": 1, "id": uuid::Uuid::from_u128(2), "result": "ok"})
    );

    let (_, debit) = app.get(&format!("/v1/ledger/accounts/{DEBIT}")).await;
    assert_eq!(
        (
            debit["debits_posted"].as_u64(),
            debit["credits_posted"].as_u64()
        ),
        (Some(1000), Some(0))
    );
    assert_eq!(debit["flags"], json!(["history"]));
    let (_, credit) = app.get(&format!("/v1/ledger/accounts/{CREDIT}")).await;
    assert_eq!(credit["credits_posted"], 1000);

    let (_, history) = app
        .get(&format!("/v1/ledger/accounts/{DEBIT}/balances"))
        .await;
    let posted: Vec<u64> = history["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["debits_posted"].as_u64().unwrap())
        .collect();
    assert_eq!(posted, [700, 1000]);

    let (_, newest) = app
        .get(&format!(
            "/v1/ledger/accounts/{CREDIT}/transfers?reversed=true&limit=1"
        ))
        .await;
    assert_eq!(newest["transfers"].as_array().unwrap().len(), 1);
    assert_eq!(newest["transfers"][0]["amount"], 300);

    let (_, check) = app.get("/v1/ledger/check").await;
    assert_eq!(
        (
            check["ok"].as_bool(),
            check["accounts"].as_u64(),
            check["transfers"].as_u64()
        ),
        (Some(true), Some(2), Some(2))
    );
}

#[tokio::test]
async fn a_pending_transfer_is_held_then_posted_for_part_of_its_amount() {
    let app = spawn_app().await.with_two_accounts().await;
    let mut hold = transfer(1, 500);
    hold["flags"] = json!(["pending"]);
    hold["timeout"] = json!(3600);
    assert_eq!(
        results(&app.post("/v1/ledger/transfers", &json!([hold])).await.1),
        ["ok"]
    );
    let (_, held) = app
        .get(&format!(
            "/v1/ledger/transfers/{}",
            uuid::Uuid::from_u128(1)
        ))
        .await;
    assert_eq!(
        (held["pending_status"].as_str(), held["flags"].clone()),
        (Some("pending"), json!(["pending"]))
    );
    let (_, debit) = app.get(&format!("/v1/ledger/accounts/{DEBIT}")).await;
    assert_eq!(
        (
            debit["debits_pending"].as_u64(),
            debit["debits_posted"].as_u64()
        ),
        (Some(500), Some(0))
    );

    let post = json!({"id": uuid::Uuid::from_u128(2), "pending_id": uuid::Uuid::from_u128(1), "amount": 400, "flags": ["post_pending"]});
    assert_eq!(
        results(&app.post("/v1/ledger/transfers", &json!([post])).await.1),
        ["ok"]
    );
    let (_, held) = app
        .get(&format!(
            "/v1/ledger/transfers/{}",
            uuid::Uuid::from_u128(1)
        ))
        .await;
    assert_eq!(held["pending_status"], "posted");
    let (_, posted) = app
        .get(&format!(
            "/v1/ledger/transfers/{}",
            uuid::Uuid::from_u128(2)
        ))
        .await;
    assert_eq!(
        (
            posted["debit_account_id"].as_str(),
            posted["amount"].as_u64()
        ),
        (Some(DEBIT), Some(400))
    );
    assert!(posted.get("pending_status").is_none());
    let (_, debit) = app.get(&format!("/v1/ledger/accounts/{DEBIT}")).await;
    assert_eq!(
        (
            debit["debits_pending"].as_u64(),
            debit["debits_posted"].as_u64()
        ),
        (Some(0), Some(400))
    );
    assert_eq!(app.get("/v1/ledger/check").await.1["ok"], true);
}

#[tokio::test]
async fn the_same_transfer_id_twice_answers_exists_and_moves_the_money_once() {
    let app = spawn_app().await.with_two_accounts().await;
    assert_eq!(
        results(
            &app.post("/v1/ledger/transfers", &json!([transfer(9, 250)]))
                .await
                .1
        ),
        ["ok"]
    );
    let before = app.ledger_state().await;
    let (status, body) = app
        .post("/v1/ledger/transfers", &json!([transfer(9, 250)]))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(results(&body), ["exists"]);
    assert_eq!(app.ledger_state().await, before);
    let (_, body) = app
        .post("/v1/ledger/transfers", &json!([transfer(9, 251)]))
        .await;
    assert_eq!(results(&body), ["exists_with_different_amount"]);
}

#[tokio::test]
async fn failed_events_answer_200_with_their_precise_result_codes() {
    let app = spawn_app().await.with_two_accounts().await;
    let mut unknown = transfer(2, 5);
    unknown["credit_account_id"] = json!("0190a0a0-0000-7000-8000-0000000000ff");
    let (status, body) = app
        .post(
            "/v1/ledger/transfers",
            &json!([transfer(1, 5), unknown, transfer(3, 0)]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        results(&body),
        ["ok", "credit_account_not_found", "amount_must_not_be_zero"]
    );
}

/// Negative control for every "writes nothing" test: the snapshot they compare does change when
/// something is written.
#[tokio::test]
async fn the_ledger_snapshot_changes_when_a_transfer_is_applied() {
    let app = spawn_app().await.with_two_accounts().await;
    let before = app.ledger_state().await;
    assert_eq!(
        results(
            &app.post("/v1/ledger/transfers", &json!([transfer(1, 1)]))
                .await
                .1
        ),
        ["ok"]
    );
    assert_ne!(app.ledger_state().await, before);
}

#[tokio::test]
async fn a_batch_over_8190_events_answers_batch_too_large_and_writes_nothing() {
    let app = spawn_app().await.with_two_accounts().await;
    let batch: Vec<Value> = (1..=BATCH_MAX as u128 + 1)
        .map(|id| transfer(id, 1))
        .collect();
    app.assert_rejected_without_effect(
        "/v1/ledger/transfers",
        &json!(batch),
        StatusCode::UNPROCESSABLE_ENTITY,
        "BATCH_TOO_LARGE",
    )
    .await;
}

#[tokio::test]
async fn an_empty_batch_answers_empty_batch_and_writes_nothing() {
    let app = spawn_app().await.with_two_accounts().await;
    for path in ["/v1/ledger/transfers", "/v1/ledger/accounts"] {
        app.assert_rejected_without_effect(
            path,
            &json!([]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "EMPTY_BATCH",
        )
        .await;
    }
}

#[tokio::test]
async fn an_unknown_flag_answers_unknown_flag_naming_the_event_and_writes_nothing() {
    let app = spawn_app().await.with_two_accounts().await;
    let mut bad = transfer(2, 5);
    bad["flags"] = json!(["pendng"]);
    let before = app.ledger_state().await;
    let (status, problem) = app
        .post("/v1/ledger/transfers", &json!([transfer(1, 5), bad]))
        .await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "UNKNOWN_FLAG",
    );
    assert_eq!(problem["index"], 1);
    assert!(problem["detail"].as_str().unwrap().contains("pendng"));
    assert_eq!(app.ledger_state().await, before);

    let account = json!([{"id": "0190a0a0-0000-7000-8000-0000000000cc", "ledger": 1, "code": 1, "flags": ["overdraft"]}]);
    app.assert_rejected_without_effect(
        "/v1/ledger/accounts",
        &account,
        StatusCode::UNPROCESSABLE_ENTITY,
        "UNKNOWN_FLAG",
    )
    .await;
}

#[tokio::test]
async fn a_negative_or_too_large_amount_answers_amount_out_of_range_and_writes_nothing() {
    let app = spawn_app().await.with_two_accounts().await;
    for amount in [
        json!(-1),
        json!(9_223_372_036_854_775_808_u64),
        json!(u64::MAX),
        json!(1.5),
    ] {
        let mut bad = transfer(2, 0);
        bad["amount"] = amount;
        let batch = json!([transfer(1, 5), bad]);
        app.assert_rejected_without_effect(
            "/v1/ledger/transfers",
            &batch,
            StatusCode::UNPROCESSABLE_ENTITY,
            "AMOUNT_OUT_OF_RANGE",
        )
        .await;
    }
}

#[tokio::test]
async fn malformed_json_answers_a_problem_not_plain_text_and_writes_nothing() {
    let app = spawn_app().await.with_two_accounts().await;
    let before = app.ledger_state().await;
    let truncated = format!("[{}", transfer(1, 5));
    let response = app
        .post_raw("/v1/ledger/transfers", "application/json", truncated)
        .await;
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let status = response.status();
    assert_problem(
        status,
        &response.json().await.unwrap(),
        StatusCode::BAD_REQUEST,
        "MALFORMED_JSON",
    );

    for wrong_shape in [
        json!({"id": DEBIT}),
        json!([{"amount": 5}]),
        json!([{"id": "not-a-uuid"}]),
        json!([{"id": DEBIT, "amont": 5}]),
    ] {
        let (status, problem) = app.post("/v1/ledger/transfers", &wrong_shape).await;
        assert_problem(
            status,
            &problem,
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_BODY",
        );
    }
    let response = app
        .post_raw(
            "/v1/ledger/transfers",
            "text/plain",
            json!([transfer(1, 5)]).to_string(),
        )
        .await;
    let status = response.status();
    assert_problem(
        status,
        &response.json().await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    assert_eq!(app.ledger_state().await, before);
}

#[tokio::test]
async fn a_body_over_the_limit_answers_payload_too_large_and_writes_nothing() {
    let app = spawn_app_with(|c| c.with_body_limit_bytes(64 * 1024))
        .await
        .with_two_accounts()
        .await;
    let before = app.ledger_state().await;
    let batch: Vec<Value> = (1..=1000).map(|id| transfer(id, 1)).collect();
    let body = json!(batch).to_string();
    assert!(body.len() > 64 * 1024);
    let response = app
        .post_raw("/v1/ledger/transfers", "application/json", body)
        .await;
    let status = response.status();
    assert_problem(
        status,
        &response.json().await.unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
    );
    assert_eq!(app.ledger_state().await, before);
}

#[tokio::test]
async fn a_full_batch_of_the_largest_transfers_fits_the_default_body_limit() {
    let app = spawn_app().await.with_two_accounts().await;
    let max_uuid = "ffffffff-ffff-ffff-ffff-fffffffffffe";
    let batch: Vec<Value> = (1..=BATCH_MAX as u128)
        .map(|id| {
            json!({
                "id": uuid::Uuid::from_u128(u128::MAX - id), "debit_account_id": max_uuid, "credit_account_id": max_uuid,
                "amount": i64::MAX, "pending_id": max_uuid, "user_data_128": max_uuid, "user_data_64": u64::MAX,
                "user_data_32": u32::MAX, "timeout": u32::MAX, "ledger": u32::MAX, "code": u16::MAX,
                "flags": ["linked", "pending", "balancing_debit", "balancing_credit", "closing_debit", "closing_credit"],
            })
        })
        .collect();
    let body = json!(batch).to_string();
    assert!(body.len() <= BODY_LIMIT_BYTES, "{} bytes", body.len());
    let response = app
        .post_raw("/v1/ledger/transfers", "application/json", body)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["results"].as_array().unwrap().len(), BATCH_MAX);
}

#[tokio::test]
async fn reads_answer_not_found_for_unknown_ids_and_invalid_id_for_non_uuids() {
    let app = spawn_app().await;
    let unknown = "0190a0a0-0000-7000-8000-000000000999";
    for path in [
        format!("/v1/ledger/accounts/{unknown}"),
        format!("/v1/ledger/transfers/{unknown}"),
        format!("/v1/ledger/accounts/{unknown}/transfers"),
        format!("/v1/ledger/accounts/{unknown}/balances"),
    ] {
        let (status, problem) = app.get(&path).await;
        assert_problem(status, &problem, StatusCode::NOT_FOUND, "NOT_FOUND");
    }
    let (status, problem) = app.get("/v1/ledger/accounts/42").await;
    assert_problem(status, &problem, StatusCode::BAD_REQUEST, "INVALID_ID");
}

#[tokio::test]
async fn list_queries_outside_their_limits_answer_invalid_query() {
    let app = spawn_app().await.with_two_accounts().await;
    for query in [
        "limit=0",
        "limit=8191",
        "limit=ten",
        "timestamp_min=5&timestamp_max=4",
        "limt=5",
    ] {
        let (status, problem) = app
            .get(&format!("/v1/ledger/accounts/{DEBIT}/transfers?{query}"))
            .await;
        assert_problem(status, &problem, StatusCode::BAD_REQUEST, "INVALID_QUERY");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_problems() {
    let app = spawn_app().await;
    let (status, problem) = app.get("/v1/nowhere").await;
    assert_problem(status, &problem, StatusCode::NOT_FOUND, "NOT_FOUND");
    let response = app
        .client
        .delete(format!("{}/v1/ledger/check", app.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_problem(
        status,
        &response.json().await.unwrap(),
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
    );
}

#[tokio::test]
async fn a_request_over_its_time_limit_answers_timeout_with_the_request_id() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = spawn_app_with(|c| c.with_request_timeout(Duration::from_millis(200))).await;
    // A body that never arrives in full keeps the handler waiting past the limit.
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST /v1/ledger/transfers HTTP/1.1\r\nhost: test\r\nauthorization: Bearer {TOKEN}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\nx-request-id: req-123\r\n\r\n[{{"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server answers, then closes the connection whose body it never finished reading.
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let head = head.to_lowercase();
    assert!(head.starts_with("http/1.1 503"), "{head}");
    assert!(head.contains("x-request-id: req-123"), "{head}");
    let problem: Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        (problem["code"].as_str(), problem["request_id"].as_str()),
        (Some("TIMEOUT"), Some("req-123"))
    );
}

#[tokio::test]
async fn a_storage_failure_answers_a_generic_500_that_quotes_the_request_id() {
    let app = spawn_app().await;
    app.db.close().await;
    let response = app
        .client
        .get(format!("{}/v1/ledger/check", app.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let problem: Value = response.json().await.unwrap();
    assert_problem(
        status,
        &problem,
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
    );
    assert_eq!(problem["request_id"], request_id.as_str());
    let detail = problem["detail"].as_str().unwrap().to_lowercase();
    assert!(
        !detail.contains("pool") && !detail.contains("sql"),
        "{detail}"
    );
}
