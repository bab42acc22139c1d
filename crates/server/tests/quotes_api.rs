//! Quotes over HTTP: the worked figures of docs/domain.md §4 and §5, and every refused term.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::spawn_sqlite;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_installment_table_of_the_domain_rules() {
    let s = spawn_sqlite().await;
    // 12,000.00 at 0.60% a period: APR and EAR by term.
    for (periods, apr, ear, first_payment) in [
        (3, "10.77", "11.32", "4072.00"),
        (12, "13.03", "13.84", "1072.00"),
    ] {
        let (status, q) = s
            .post(
                "/v1/quotes/installment",
                None,
                json!({ "amount_fen": 1_200_000, "periods": periods, "rate": "0.006" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert_eq!(q["apr_percent"], apr);
        assert_eq!(q["ear_percent"], ear);
        assert_eq!(q["schedule"][0]["payment"], first_payment);
        assert_eq!(q["schedule"].as_array().unwrap().len(), periods);
        assert_eq!(q["fee_mode"], "per_period");
    }
}

#[tokio::test]
async fn the_loan_example_of_the_domain_rules() {
    let s = spawn_sqlite().await;
    let (status, q) = s
        .post(
            "/v1/quotes/loan",
            None,
            json!({ "amount_fen": 10_000_000, "periods": 36, "annual_rate": "0.04", "method": "equal_installment" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{q}");
    assert_eq!(q["schedule"][0]["payment"], "2952.40");
    assert_eq!(q["schedule"][0]["interest"], "333.33");
    assert_eq!(q["total_interest"], "6286.35");
    assert_eq!(q["apr_percent"], "4.00");
}

#[tokio::test]
async fn refused_terms_get_precise_codes() {
    let s = spawn_sqlite().await;
    let cases = [
        (
            "/v1/quotes/installment",
            json!({ "amount_fen": 1_200_000, "periods": 61, "rate": "0.006" }),
            "PERIODS_OUT_OF_RANGE",
        ),
        (
            "/v1/quotes/installment",
            json!({ "amount_fen": 1_200_000, "periods": 0, "rate": "0.006" }),
            "PERIODS_OUT_OF_RANGE",
        ),
        (
            "/v1/quotes/installment",
            json!({ "amount_fen": 1_200_000, "periods": 12, "rate": "-0.006" }),
            "NEGATIVE_RATE",
        ),
        (
            "/v1/quotes/installment",
            json!({ "amount_fen": 0, "periods": 12, "rate": "0.006" }),
            "AMOUNT_NOT_POSITIVE",
        ),
        (
            "/v1/quotes/installment",
            json!({ "amount_fen": -5, "periods": 12, "rate": "0.006" }),
            "AMOUNT_NOT_POSITIVE",
        ),
        (
            "/v1/quotes/installment",
            json!({ "amount_fen": 1_200_000, "periods": 12, "rate": "0.006", "fee_mode": "weekly" }),
            "UNKNOWN_FEE_MODE",
        ),
        (
            "/v1/quotes/installment",
            json!({ "amount_fen": 1_200_000, "periods": 12, "rate": "abc" }),
            "INVALID_BODY",
        ),
        (
            "/v1/quotes/installment",
            json!({ "amount_fen": "12000", "periods": 12, "rate": "0.006" }),
            "INVALID_BODY",
        ),
        (
            "/v1/quotes/loan",
            json!({ "amount_fen": 10_000_000, "periods": 36, "annual_rate": "-0.04", "method": "equal_installment" }),
            "NEGATIVE_RATE",
        ),
        (
            "/v1/quotes/loan",
            json!({ "amount_fen": 10_000_000, "periods": 36, "annual_rate": "0.04", "method": "balloon" }),
            "UNKNOWN_METHOD",
        ),
        (
            "/v1/quotes/loan",
            json!({ "amount_fen": 10_000_000, "periods": 61, "annual_rate": "0.04", "method": "equal_principal" }),
            "PERIODS_OUT_OF_RANGE",
        ),
    ];
    for (path, body, code) in cases {
        let (status, answer) = s.post(path, None, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} → {answer}"
        );
        assert_eq!(answer["code"], code, "{body} → {answer}");
    }
}

#[tokio::test]
async fn the_quote_routes_are_in_the_openapi_document() {
    let s = spawn_sqlite().await;
    let (_, doc) = s.get("/openapi.json", None).await;
    for path in [
        "/v1/quotes/installment",
        "/v1/quotes/loan",
        "/v1/customers",
        "/v1/sessions",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
}
