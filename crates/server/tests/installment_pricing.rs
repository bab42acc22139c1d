//! Installment prices are product data (docs/api.md, "Card installments"; docs/domain.md §4,
//! "Pricing"), on every backend and the fake clock: a bill quote takes its rate and fee mode
//! from the card's product for the periods asked; periods the product does not offer, a rate or
//! fee mode other than its price, and a booking of a quote id whose price was altered are
//! refused with `INSTALLMENT_TERM_NOT_OFFERED` and change nothing; a bad price list is refused
//! when the account is opened.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::credit::{buy, login, post};
use common::merchant::ledger_ok;
use common::{INTERNAL_TOKEN, TestServer, servers};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PAN: &str = "4111111111111111";

/// 12 periods at 0.60 % per period, 6 at 0.75 % charged upfront; no cash installments.
fn priced_product() -> Value {
    json!({
        "statement_day": 7,
        "installment_pricing": {
            "bill": [
                { "periods": 12, "rate": "0.006" },
                { "periods": 6, "rate": "0.0075", "fee_mode": "upfront" }
            ],
            "cash": []
        }
    })
}

async fn open_with(s: &TestServer, customer: &str, product: Value) -> (StatusCode, Value) {
    let (status, b, _) = post(
        s,
        "/v1/internal/credit/accounts",
        INTERNAL_TOKEN,
        Some(&format!("open-{customer}")),
        json!({ "customer_id": customer, "product": product, "credit_limit_fen": 1_000_000,
                "card_number": PAN, "card_expires": "2030-12" }),
    )
    .await;
    (status, b)
}

/// `body` to `path` answers 422 `INSTALLMENT_TERM_NOT_OFFERED` with `detail` containing
/// `says`, and writes no credit event and no ledger transfer.
async fn not_offered(s: &TestServer, path: &str, token: &str, body: Value, says: &str) {
    let before = (
        s.count("credit_events").await,
        s.count("ledger_transfers").await,
    );
    let (status, b, _) = post(s, path, token, Some("not-offered"), body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["code"], "INSTALLMENT_TERM_NOT_OFFERED", "{b}");
    let detail = b["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(says), "{detail:?} should say {says:?}");
    let after = (
        s.count("credit_events").await,
        s.count("ledger_transfers").await,
    );
    assert_eq!(before, after, "a refusal wrote something");
}

/// The quote id with its rate (`r`, in 10⁻⁸) replaced: what a caller could forge, since the
/// id is readable.
fn forged(quote_id: &str, rate_e8: i64) -> String {
    let hex = quote_id.strip_prefix("iq_").unwrap();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let mut token: Value = serde_json::from_slice(&bytes).unwrap();
    token["r"] = json!(rate_e8);
    let json = serde_json::to_vec(&token).unwrap();
    format!(
        "iq_{}",
        json.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

#[tokio::test]
async fn a_bill_installment_is_priced_by_the_cards_product_and_other_terms_are_refused() {
    for s in servers().await {
        let alice = s.register("13900000071").await;
        let (status, account) = open_with(&s, &alice.id, priced_product()).await;
        assert_eq!(status, StatusCode::CREATED, "{account}");
        let account = account["id"].as_str().unwrap().to_owned();
        buy(&s, PAN, 600_000, "alice-buy").await;
        s.clock.advance_days(7);
        let (status, c, _) = post(
            &s,
            "/v1/internal/credit/close-day",
            INTERNAL_TOKEN,
            Some("close-1"),
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{c}");
        let token = login(&s, &alice.phone).await;
        let quotes = format!("/v1/credit/accounts/{account}/installments/quotes");

        // The offered terms, readable before asking: the product's list, the default where it
        // names none, nothing where it offers nothing.
        let terms_path = format!("/v1/credit/accounts/{account}/installments/terms");
        let (status, terms) = s.get(&terms_path, Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "{terms}");
        let periods = |kind: &str| -> Vec<u64> {
            terms[kind]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["periods"].as_u64().unwrap())
                .collect()
        };
        assert_eq!(periods("bill"), vec![12, 6]);
        assert_eq!(periods("purchase"), vec![3, 6, 12, 24], "the default");
        assert_eq!(periods("cash"), Vec::<u64>::new());
        assert_eq!(terms["bill"][1]["fee_mode"], "upfront");
        assert_eq!(terms["purchase"][0]["rate"], "0.006");
        let bob = s.register("13900000073").await;
        let (status, _) = s.get(&terms_path, Some(&bob.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another customer's account");

        // 6 periods: the product's 0.75 % upfront, though the request names no price.
        let bill =
            |periods: u32| json!({ "kind": "bill", "amount_fen": 600_000, "periods": periods });
        let (status, q, _) = post(&s, &quotes, &token, None, bill(6)).await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert_eq!(q["quote"]["rate"], "0.00750000", "{q}");
        assert_eq!(q["quote"]["fee_mode"], "upfront");
        assert_eq!(q["quote"]["upfront_fee"], "270.00", "6,000.00 × 0.75 % × 6");
        let six = q["quote_id"].as_str().unwrap().to_owned();

        // Periods not offered, and prices other than the product's.
        not_offered(&s, &quotes, &token, bill(3), "offered periods: 12, 6").await;
        not_offered(&s, &quotes, &token, bill(24), "24-period bill").await;
        let mut cheaper = bill(12);
        cheaper["rate"] = json!("0.005");
        not_offered(&s, &quotes, &token, cheaper, "at 0.006 per period").await;
        let mut upfront = bill(12);
        upfront["fee_mode"] = json!("upfront");
        not_offered(&s, &quotes, &token, upfront, "per_period").await;
        let cash = json!({ "kind": "cash", "amount_fen": 100_000, "periods": 12 });
        not_offered(&s, &quotes, &token, cash, "offered periods: none").await;
        // Repeating the product's price is accepted.
        let mut same = bill(12);
        same["rate"] = json!("0.0060");
        same["fee_mode"] = json!("per_period");
        let (status, q12, _) = post(&s, &quotes, &token, None, same).await;
        assert_eq!(status, StatusCode::OK, "{q12}");
        assert_eq!(q12["apr_percent"], "13.03", "docs/domain.md §4's example");

        // A quote id whose price was altered is not booked.
        let book = format!("/v1/credit/accounts/{account}/installments");
        let altered = forged(q12["quote_id"].as_str().unwrap(), 1);
        not_offered(
            &s,
            &book,
            &token,
            json!({ "quote_id": altered, "consent": true }),
            "not this card's price",
        )
        .await;

        // The product's quote is booked at its price.
        let (status, plan, _) = post(
            &s,
            &book,
            &token,
            Some("book-6"),
            json!({ "quote_id": six, "consent": true }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        assert_eq!(
            (plan["periods"].as_u64(), plan["kind"].as_str()),
            (Some(6), Some("bill"))
        );
        assert_eq!(plan["apr_percent"], q["apr_percent"]);
        ledger_ok(&s).await;
    }
}

#[tokio::test]
async fn a_price_list_with_a_term_out_of_range_or_named_twice_is_refused_at_opening() {
    for s in servers().await {
        let bob = s.register("13900000072").await;
        let accounts = s.count("credit_accounts").await;
        for bill in [
            json!([{ "periods": 61, "rate": "0.006" }]),
            json!([{ "periods": 3, "rate": "0.006" }, { "periods": 3, "rate": "0.007" }]),
            json!([{ "periods": 3, "rate": "-0.006" }]),
            json!([{ "periods": 3, "rate": "0.006", "fee_mode": "weekly" }]),
        ] {
            let product = json!({ "installment_pricing": { "bill": bill } });
            let (status, b) = open_with(&s, &bob.id, product).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bill}: {b}");
            assert_eq!(b["code"], "INVALID_PRODUCT", "{b}");
        }
        assert_eq!(s.count("credit_accounts").await, accounts);
    }
}
