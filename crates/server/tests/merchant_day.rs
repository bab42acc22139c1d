//! A merchant's whole day over HTTP, on every backend, on the fake clock (docs/merchants.md):
//! onboarding → approval → static and dynamic codes → pay-code payments → partial refunds → a
//! cancelled order → an expired order → next-day settlement → the reconciliation file ties out to
//! the ledger to the fen → the ledger check holds. And the recovery sweep: a payment interrupted
//! between its two transactions is finished (hold placed) or voided (no hold), its key answered
//! or freed, the payer's daily spend given back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::merchant::{Keys, code, ledger_ok, onboard, pay, signed, signed_raw};
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

async fn account(s: &TestServer, id: &str) -> Value {
    let (status, a) = s
        .get(&format!("/v1/ledger/accounts/{id}"), Some(INTERNAL_TOKEN))
        .await;
    assert_eq!(status, StatusCode::OK, "{id}: {a}");
    a
}

fn posted(a: &Value) -> (i64, i64) {
    (
        a["debits_posted"].as_i64().unwrap(),
        a["credits_posted"].as_i64().unwrap(),
    )
}

async fn refund(s: &TestServer, key: &Keys, order: &str, amount: &str, idem: &str) -> Value {
    let (status, b) = signed(
        s,
        key,
        Method::POST,
        &format!("/v1/merchant/orders/{order}/refunds"),
        Some(json!({ "amount": amount })),
        Some(idem),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    b
}

#[tokio::test]
async fn a_merchant_day_settles_next_day_and_the_reconciliation_file_ties_out_to_the_ledger() {
    for s in servers().await {
        // 10:00 Shanghai on 1 April. Onboarding and approval.
        let (merchant, key) = onboard(&s, "Day Noodles", "day-reviewer").await;
        let alice = s.register("13911110001").await;
        let bob = s.register("13911110002").await;

        // A static code, paid by Alice with the amount she types.
        let (status, code_out) =
            signed(&s, &key, Method::POST, "/v1/merchant/qr/static", None, None).await;
        assert_eq!(status, StatusCode::CREATED, "{code_out}");
        let (status, static_paid) = pay(
            &s,
            &alice.token,
            "alice-static-1",
            json!({ "payload": code_out["payload"], "amount": "88.88" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{static_paid}");
        assert_eq!(static_paid["fee"], "0.53");

        // A dynamic order, paid by Bob.
        let (status, order) = signed(
            &s,
            &key,
            Method::POST,
            "/v1/merchant/orders",
            Some(json!({ "amount": "300.00", "merchant_ref": "table-7" })),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        let dynamic_id = order["id"].as_str().unwrap().to_owned();
        let (status, b) = pay(
            &s,
            &bob.token,
            "bob-dyn-1",
            json!({ "payload": order["qr_payload"] }),
        )
        .await;
        assert_eq!(
            (status, b["status"].as_str()),
            (StatusCode::CREATED, Some("captured"))
        );

        // Alice shows a pay code; the cashier charges it.
        let (status, shown) = s.get("/v1/me/pay-code", Some(&alice.token)).await;
        assert_eq!(status, StatusCode::OK, "{shown}");
        let (status, charged) = signed(
            &s,
            &key,
            Method::POST,
            "/v1/merchant/pay-code-charges",
            Some(json!({ "pay_code": shown["code"], "amount": "150.00" })),
            Some("till-1"),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{charged}");
        let paycode_id = charged["id"].as_str().unwrap().to_owned();

        // Partial refunds: two on the dynamic order, one on the pay-code charge.
        s.clock.advance(jiff::SignedDuration::from_mins(20));
        refund(&s, &key, &dynamic_id, "20.00", "refund-1").await;
        refund(&s, &key, &dynamic_id, "5.00", "refund-2").await;
        let after = refund(&s, &key, &paycode_id, "10.55", "refund-3").await;
        assert_eq!(after["status"], "partially_refunded");

        // A cancelled order: its code no longer pays.
        let (_, cancelled) = signed(
            &s,
            &key,
            Method::POST,
            "/v1/merchant/orders",
            Some(json!({ "amount": "42.00" })),
            None,
        )
        .await;
        let cancelled_id = cancelled["id"].as_str().unwrap().to_owned();
        let (status, b) = signed(
            &s,
            &key,
            Method::POST,
            &format!("/v1/merchant/orders/{cancelled_id}/cancel"),
            Some(json!({})),
            None,
        )
        .await;
        assert_eq!(
            (status, b["status"].as_str()),
            (StatusCode::OK, Some("cancelled"))
        );
        let (status, b) = pay(
            &s,
            &bob.token,
            "bob-cancelled",
            json!({ "payload": cancelled["qr_payload"] }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::CONFLICT, "ORDER_CANCELLED")
        );
        let (status, b) = signed(
            &s,
            &key,
            Method::POST,
            &format!("/v1/merchant/orders/{cancelled_id}/cancel"),
            Some(json!({})),
            None,
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::CONFLICT, "ORDER_CANCELLED")
        );

        // An order that expires unpaid: the sweep marks it, paying it is refused.
        let (_, expiring) = signed(
            &s,
            &key,
            Method::POST,
            "/v1/merchant/orders",
            Some(json!({ "amount": "66.00", "ttl_seconds": 60 })),
            None,
        )
        .await;
        let expiring_id = expiring["id"].as_str().unwrap().to_owned();
        s.clock.advance(jiff::SignedDuration::from_mins(2));
        let (status, sweep) = s
            .post(
                "/v1/internal/payments/recover",
                Some(INTERNAL_TOKEN),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{sweep}");
        assert_eq!(sweep, json!({ "finished": 0, "voided": 0, "expired": 1 }));
        let (_, b) = signed(
            &s,
            &key,
            Method::GET,
            &format!("/v1/merchant/orders/{expiring_id}"),
            None,
            None,
        )
        .await;
        assert_eq!(b["status"], "expired");
        let (status, b) = pay(
            &s,
            &alice.token,
            "alice-expired",
            json!({ "payload": expiring["qr_payload"] }),
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "ORDER_EXPIRED")
        );
        ledger_ok(&s).await;

        // The day is still open: settling it is refused and changes nothing.
        let (status, b) = s
            .post(
                "/v1/internal/settlement/run",
                Some(INTERNAL_TOKEN),
                json!({ "through": "2026-04-01" }),
            )
            .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::CONFLICT, "SETTLEMENT_DAY_OPEN")
        );
        assert_eq!(s.count("merchant_settlements").await, 0);

        // Next morning: T+1 settlement of 1 April.
        s.clock.advance(jiff::SignedDuration::from_hours(24));
        let (status, run) = s
            .post(
                "/v1/internal/settlement/run",
                Some(INTERNAL_TOKEN),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        let settled = run["settled"].as_array().unwrap();
        assert_eq!(settled.len(), 1, "{run}");
        let day = &settled[0];
        assert_eq!(day["merchant_id"], json!(merchant));
        assert_eq!(day["business_date"], "2026-04-01");
        assert_eq!(day["settlement_date"], "2026-04-02");
        // 88.88 + 300.00 + 150.00; 20.00 + 5.00 + 10.55; 0.53 + 1.80 + 0.90 (0.6%, half-up).
        assert_eq!(day["captures"], "538.88");
        assert_eq!(day["refunds"], "35.55");
        assert_eq!(day["fees"], "3.23");
        assert_eq!(day["net"], "500.10");
        assert_eq!(day["payout"], "500.10");
        assert_eq!(day["carried_out"], "0.00");
        let shares = fen(day["issuer_fees"].as_str().unwrap())
            + fen(day["network_fees"].as_str().unwrap())
            + fen(day["acquirer_fees"].as_str().unwrap());
        assert_eq!(shares, 323);

        // The reconciliation file.
        let (status, csv) = signed_raw(
            &s,
            &key,
            Method::GET,
            "/v1/merchant/settlements/2026-04-01/reconciliation.csv",
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{csv}");
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some("business_date,merchant_id,kind,reference,amount,currency")
        );
        let mut by_kind: BTreeMap<String, (usize, i64)> = BTreeMap::new();
        let mut total = None;
        for line in lines {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), 6, "{line}");
            assert_eq!(
                (cells[0], cells[1], cells[5]),
                ("2026-04-01", merchant.as_str(), "CNY")
            );
            if cells[2] == "total" {
                assert_eq!(cells[3], "2026-04-02");
                total = Some(fen(cells[4]));
                continue;
            }
            let e = by_kind.entry(cells[2].to_owned()).or_default();
            e.0 += 1;
            e.1 += fen(cells[4]);
        }
        let captures = by_kind["capture"];
        let refunds = by_kind["refund"];
        let fees = by_kind["fee"];
        assert_eq!((captures.0, refunds.0, fees.0), (3, 3, 3), "{csv}");
        let net = captures.1 + refunds.1 + fees.1;
        assert_eq!((captures.1, refunds.1, fees.1), (53_888, -3_555, -323));
        assert_eq!(total, Some(net));
        assert_eq!(net, 50_010);

        // Tie-out to the ledger, to the fen. The payable account was credited the captures and
        // debited the refunds, the fee shares and the payout: it ends at zero.
        let payable = account(&s, day["payable_account"].as_str().unwrap()).await;
        assert_eq!(posted(&payable), (-refunds.1 - fees.1 + net, captures.1));
        let settlement = account(&s, day["settlement_account"].as_str().unwrap()).await;
        assert_eq!(posted(&settlement), (0, net));
        let mut fee_income = 0;
        for field in [
            "issuer_fee_account",
            "network_fee_account",
            "acquirer_fee_account",
        ] {
            let a = account(&s, run[field].as_str().unwrap()).await;
            fee_income += posted(&a).1;
        }
        assert_eq!(fee_income, -fees.1);

        // Idempotent per merchant and day: a second run settles nothing and moves nothing.
        let (status, again) = s
            .post(
                "/v1/internal/settlement/run",
                Some(INTERNAL_TOKEN),
                json!({ "through": "2026-04-01" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["settled"], json!([]));
        assert_eq!(
            posted(&account(&s, day["settlement_account"].as_str().unwrap()).await),
            (0, net)
        );
        let (status, list) = signed(
            &s,
            &key,
            Method::GET,
            "/v1/merchant/settlements",
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["net"], "500.10");

        // Another merchant sees none of it; an unsettled day is not found.
        let (_, other) = onboard(&s, "Other Shop", "day-reviewer-2").await;
        let (status, b) = signed(
            &s,
            &other,
            Method::GET,
            "/v1/merchant/settlements/2026-04-01/reconciliation.csv",
            None,
            None,
        )
        .await;
        assert_eq!((status, code(&b)), (StatusCode::NOT_FOUND, "NOT_FOUND"));
        let (status, b) = signed(
            &s,
            &key,
            Method::GET,
            "/v1/merchant/settlements/2026-04-02/reconciliation.csv",
            None,
            None,
        )
        .await;
        assert_eq!((status, code(&b)), (StatusCode::NOT_FOUND, "NOT_FOUND"));
        ledger_ok(&s).await;
    }
}

/// Runs one statement with its binds on whichever backend `db` is.
macro_rules! exec {
    ($db:expr, $sql:expr $(, $b:expr)* $(,)?) => {
        match $db {
            cardlife_store::Db::Sqlite(p) => {
                sqlx::query($sql)$(.bind($b))*.execute(p).await.unwrap();
            }
            cardlife_store::Db::Postgres(p) => {
                sqlx::query($sql)$(.bind($b))*.execute(p).await.unwrap();
            }
        }
    };
}

async fn static_spent(s: &TestServer, customer: &str) -> i64 {
    let sql = "SELECT static_fen FROM qr_daily_spend WHERE customer_id = $1";
    match &s.db {
        cardlife_store::Db::Sqlite(p) => sqlx::query_scalar(sql)
            .bind(customer)
            .fetch_one(p)
            .await
            .unwrap(),
        cardlife_store::Db::Postgres(p) => sqlx::query_scalar(sql)
            .bind(customer)
            .fetch_one(p)
            .await
            .unwrap(),
    }
}

/// Writes what a static-code payment leaves behind when its process stops after the
/// authorisation's transaction: the order `authorised`, the spend booked, the attempt noted, the
/// key held; with `hold`, the ledger hold placed too.
#[allow(clippy::too_many_arguments)]
async fn interrupted_payment(
    s: &TestServer,
    merchant: cardlife_kernel::MerchantId,
    payer: cardlife_kernel::CustomerId,
    payload: &str,
    amount: &str,
    key: &str,
    hold: bool,
) -> uuid::Uuid {
    use cardlife_app::merchants::funding;
    use cardlife_app::merchants::orders::{pay_qr_request_hash, pay_scope};
    let order = uuid::Uuid::now_v7();
    let amount_fen = fen(amount);
    let now = cardlife_kernel::Clock::now(&s.clock);
    let now_ns = i64::try_from(now.as_nanosecond()).unwrap();
    let hash = pay_qr_request_hash(payload, Some(cardlife_kernel::Money::cny(amount_fen)));
    let payer_text = payer.as_uuid().to_string();
    exec!(
        &s.db,
        "INSERT INTO payment_orders (id, merchant_id, channel, payer_id, status, currency, \
         goods_fen, authorised_fen, funding_auth_id, created_at_ns, expires_at_ns, version) \
         VALUES ($1, $2, 'static_qr', $3, 'authorised', 'CNY', $4, $4, $5, $6, $7, 1)",
        order.to_string(),
        merchant.as_uuid().to_string(),
        payer_text.clone(),
        amount_fen,
        uuid::Uuid::from_u128(funding::hold_id(order)).to_string(),
        now_ns,
        now_ns + 900_000_000_000,
    );
    exec!(
        &s.db,
        "INSERT INTO payment_idempotency (scope, idem_key, request_hash, created_at_ns) \
         VALUES ($1, $2, $3, $4)",
        pay_scope(payer),
        key.to_owned(),
        hash.to_vec(),
        now_ns,
    );
    exec!(
        &s.db,
        "INSERT INTO payment_attempts (order_id, scope, idem_key, payer_id, spent_on, code_kind, \
         amount_fen, started_at_ns) VALUES ($1, $2, $3, $4, '2026-04-01', 'static', $5, $6)",
        order.to_string(),
        pay_scope(payer),
        key.to_owned(),
        payer_text.clone(),
        amount_fen,
        now_ns,
    );
    exec!(
        &s.db,
        "UPDATE qr_daily_spend SET static_fen = static_fen + $2 WHERE customer_id = $1",
        payer_text,
        amount_fen,
    );
    if hold {
        let (status, b) = s
            .post(
                "/v1/ledger/transfers",
                Some(INTERNAL_TOKEN),
                json!([{
                    "id": uuid::Uuid::from_u128(funding::hold_id(order)),
                    "debit_account_id": uuid::Uuid::from_u128(funding::card_funding_account(payer)),
                    "credit_account_id":
                        uuid::Uuid::from_u128(funding::merchant_payable_account(merchant)),
                    "amount": amount_fen, "ledger": 156, "code": 301, "flags": ["pending"]
                }]),
            )
            .await;
        assert!(status.is_success(), "{b}");
        assert_eq!(b["results"][0]["result"], "ok", "{b}");
    }
    order
}

#[tokio::test]
async fn an_interrupted_payment_is_finished_or_voided_by_the_sweep_and_its_key_answered_or_freed() {
    for s in servers().await {
        let (merchant, key) = onboard(&s, "Crash Cafe", "crash-reviewer").await;
        let merchant_id = cardlife_kernel::MerchantId::parse(&merchant).unwrap();
        let carol = s.register("13911110003").await;
        let carol_id = cardlife_kernel::CustomerId::parse(&carol.id).unwrap();
        let carol_text = carol_id.as_uuid().to_string();
        let (_, code_out) =
            signed(&s, &key, Method::POST, "/v1/merchant/qr/static", None, None).await;
        let payload = code_out["payload"].as_str().unwrap().to_owned();
        // A normal payment first (it opens Carol's card account on the ledger).
        let (status, b) = pay(
            &s,
            &carol.token,
            "carol-1",
            json!({ "payload": payload, "amount": "10.00" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");

        // Two payments stop half-way: one after placing its hold, one before.
        let held = interrupted_payment(
            &s,
            merchant_id,
            carol_id,
            &payload,
            "50.00",
            "crash-1",
            true,
        )
        .await;
        let unheld = interrupted_payment(
            &s,
            merchant_id,
            carol_id,
            &payload,
            "30.00",
            "crash-2",
            false,
        )
        .await;
        assert_eq!(static_spent(&s, &carol_text).await, 9_000);
        // Their keys are held: retries answer 409, again and again.
        for (idem, amount) in [("crash-1", "50.00"), ("crash-2", "30.00")] {
            let (status, b) = pay(
                &s,
                &carol.token,
                idem,
                json!({ "payload": payload, "amount": amount }),
            )
            .await;
            assert_eq!(
                (status, code(&b)),
                (StatusCode::CONFLICT, "IDEMPOTENCY_IN_PROGRESS"),
                "{b}"
            );
        }
        // Within the grace period the sweep leaves them alone (they may still be running).
        let (_, sweep) = s
            .post(
                "/v1/internal/payments/recover",
                Some(INTERNAL_TOKEN),
                json!({}),
            )
            .await;
        assert_eq!(sweep, json!({ "finished": 0, "voided": 0, "expired": 0 }));

        s.clock.advance(jiff::SignedDuration::from_mins(2));
        let (status, sweep) = s
            .post(
                "/v1/internal/payments/recover",
                Some(INTERNAL_TOKEN),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{sweep}");
        assert_eq!(sweep, json!({ "finished": 1, "voided": 1, "expired": 0 }));
        assert_eq!(s.count("payment_attempts").await, 0);
        // The voided payment's 30.00 is given back to Carol's daily static allowance.
        assert_eq!(static_spent(&s, &carol_text).await, 6_000);

        // The held one was captured: its key now answers that order, captured.
        let (status, b) = pay(
            &s,
            &carol.token,
            "crash-1",
            json!({ "payload": payload, "amount": "50.00" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        let held_id = cardlife_app::merchants::vocabulary::PaymentOrderId::from_uuid(held);
        assert_eq!(b["id"], json!(held_id.to_string()));
        assert_eq!(
            (b["status"].as_str(), b["fee"].as_str()),
            (Some("captured"), Some("0.30"))
        );
        let (status, hold) = s
            .get(
                &format!(
                    "/v1/ledger/transfers/{}",
                    uuid::Uuid::from_u128(cardlife_app::merchants::funding::hold_id(held))
                ),
                Some(INTERNAL_TOKEN),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(hold["pending_status"], "posted", "{hold}");

        // The other was cancelled and its key freed: the same request now pays afresh.
        let unheld_id = cardlife_app::merchants::vocabulary::PaymentOrderId::from_uuid(unheld);
        let (_, b) = signed(
            &s,
            &key,
            Method::GET,
            &format!("/v1/merchant/orders/{unheld_id}"),
            None,
            None,
        )
        .await;
        assert_eq!(b["status"], "cancelled", "{b}");
        let (status, b) = pay(
            &s,
            &carol.token,
            "crash-2",
            json!({ "payload": payload, "amount": "30.00" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        assert_ne!(b["id"], json!(unheld_id.to_string()));
        assert_eq!(b["status"], "captured");
        assert_eq!(static_spent(&s, &carol_text).await, 9_000);

        // A second sweep finds nothing; the ledger holds.
        let (_, sweep) = s
            .post(
                "/v1/internal/payments/recover",
                Some(INTERNAL_TOKEN),
                json!({}),
            )
            .await;
        assert_eq!(sweep, json!({ "finished": 0, "voided": 0, "expired": 0 }));
        ledger_ok(&s).await;
    }
}
