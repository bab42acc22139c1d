//! Risk decisions on the payment path over HTTP, on every backend (docs/risk.md): a velocity
//! burst is denied at exactly the limit + 1 with `RISK_DECLINED`, charges nothing and leaves
//! only its decision record; every decision shows in the operator API, the console's risk page
//! and the customer's 360 view; the API and the page refuse callers without a reading role.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod pages;

use cardlife_app::risk::{CUSTOMER_DECISIONS_SHOWN, Policy};
use common::merchant::{Keys, card, code, ledger_ok, onboard, open_card, pay, signed};
use common::{INTERNAL_TOKEN, TestServer, servers, servers_paying_by_card};
use pages::{Browser, OPERATOR, create_operator};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Payments allowed per payer in 10 minutes by the default policy.
fn limit() -> u32 {
    Policy::DEFAULT.velocity_short.max_payments
}

/// Rows of the tables a payment writes.
async fn footprint(s: &TestServer) -> Vec<i64> {
    let mut n = Vec::new();
    for table in [
        "payment_orders",
        "payment_attempts",
        "credit_events",
        "qr_daily_spend",
        "audit_log",
        "risk_profiles",
    ] {
        n.push(s.count(table).await);
    }
    n
}

async fn operator_token(s: &TestServer, login: &str, phone: &str, role: &str) -> String {
    create_operator(s, login, phone, role).await;
    let (status, b) = s
        .post(
            "/v1/operator/sessions",
            None,
            json!({ "login": login, "password": pages::operator_password(login) }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    b["token"].as_str().unwrap().to_owned()
}

/// An approved merchant's static code, and the merchant's keys.
async fn static_code(s: &TestServer) -> (String, Keys) {
    let (_, key) = onboard(s, "Tea Stall", "reviewer-risk").await;
    let (status, qr) = signed(s, &key, Method::POST, "/v1/merchant/qr/static", None, None).await;
    assert_eq!(status, StatusCode::CREATED, "{qr}");
    (qr["payload"].as_str().unwrap().to_owned(), key)
}

/// A cardholder paying a static code `limit()` times; answers their token, the code's payload
/// and the credit account.
async fn pay_up_to_the_limit(s: &TestServer) -> (String, String, String, String) {
    let (payload, _) = static_code(s).await;
    let carol = s.register("13900000031").await;
    let account = open_card(s, &carol.id, "4111111111111111", 100_000, "2030-12").await;
    for i in 0..limit() {
        let body = json!({ "payload": payload, "amount": "1.00" });
        let (status, b) = pay(s, &carol.token, &format!("burst-{i}"), body).await;
        assert_eq!(status, StatusCode::CREATED, "payment {i}: {b}");
    }
    (carol.token, carol.id, payload, account)
}

#[tokio::test]
async fn a_velocity_burst_is_denied_at_the_limit_plus_one_and_charges_nothing() {
    for s in servers_paying_by_card().await {
        let (token, _, payload, account) = pay_up_to_the_limit(&s).await;
        let available = card(&s, &token, &account).await["available_credit_fen"].clone();
        let before = footprint(&s).await;
        let decisions = s.count("risk_decisions").await;
        assert_eq!(decisions, i64::from(limit()));

        let body = json!({ "payload": payload, "amount": "1.00" });
        let (status, b) = pay(&s, &token, "burst-over", body.clone()).await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::FORBIDDEN, "RISK_DECLINED"),
            "{b}"
        );
        // Nothing but the decision: no order, no spend, no card event, no audit, no profile.
        assert_eq!(footprint(&s).await, before);
        assert_eq!(s.count("risk_decisions").await, decisions + 1);
        assert_eq!(
            card(&s, &token, &account).await["available_credit_fen"],
            available
        );
        // The key was freed: the same request is decided again, and denied again.
        let (status, b) = pay(&s, &token, "burst-over", body).await;
        assert_eq!((status, code(&b)), (StatusCode::FORBIDDEN, "RISK_DECLINED"));
        assert_eq!(s.count("risk_decisions").await, decisions + 2);
        ledger_ok(&s).await;
    }
}

async fn charge(s: &TestServer, key: &Keys, token: &str, idem: &str) -> (StatusCode, String) {
    let (_, pc) = s.get("/v1/me/pay-code", Some(token)).await;
    let body = json!({ "pay_code": pc["code"], "amount": "1.00" });
    let path = "/v1/merchant/pay-code-charges";
    let (status, b) = signed(s, key, Method::POST, path, Some(body), Some(idem)).await;
    (status, code(&b).to_owned())
}

#[tokio::test]
async fn a_pay_code_charge_over_the_limit_is_denied_until_the_window_closes() {
    for s in servers_paying_by_card().await {
        let (payload, key) = static_code(&s).await;
        let dave = s.register("13900000051").await;
        open_card(&s, &dave.id, "4111111111111111", 100_000, "2030-12").await;
        for i in 0..limit() {
            let body = json!({ "payload": payload, "amount": "1.00" });
            let (status, b) = pay(&s, &dave.token, &format!("qr-{i}"), body).await;
            assert_eq!(status, StatusCode::CREATED, "payment {i}: {b}");
        }
        let before = footprint(&s).await;
        let (status, c) = charge(&s, &key, &dave.token, "charge-1").await;
        assert_eq!(
            (status, c.as_str()),
            (StatusCode::FORBIDDEN, "RISK_DECLINED")
        );
        assert_eq!(footprint(&s).await, before);
        // Ten minutes on, the short window has closed: the same payer pays again.
        s.clock.advance(Policy::DEFAULT.velocity_short.window);
        let (status, c) = charge(&s, &key, &dave.token, "charge-2").await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        ledger_ok(&s).await;
    }
}

#[tokio::test]
async fn operators_with_a_reading_role_list_decisions_and_others_are_refused() {
    for s in servers_paying_by_card().await {
        let (token, customer, payload, _) = pay_up_to_the_limit(&s).await;
        let body = json!({ "payload": payload, "amount": "1.00" });
        let (status, _) = pay(&s, &token, "burst-over", body).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let officer = operator_token(&s, "risk-1", "13800000031", "risk_officer").await;
        let (status, denied) = s
            .get("/v1/operator/risk-decisions?outcome=deny", Some(&officer))
            .await;
        assert_eq!(status, StatusCode::OK, "{denied}");
        let denied = denied.as_array().unwrap();
        assert_eq!(denied.len(), 1, "{denied:?}");
        assert_eq!(denied[0]["customer_id"], customer.as_str());
        assert_eq!(denied[0]["action"], "payment");
        assert_eq!(denied[0]["reasons"], json!(["VELOCITY_10_MIN"]));
        assert!(
            denied[0]["order_id"]
                .as_str()
                .is_some_and(|o| !o.is_empty())
        );
        let (_, allowed) = s
            .get(
                "/v1/operator/risk-decisions?outcome=allow&limit=200",
                Some(&officer),
            )
            .await;
        assert_eq!(allowed.as_array().unwrap().len(), limit() as usize);
        assert!(
            allowed
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["reasons"] == json!([]))
        );

        let viewer = operator_token(&s, "viewer-1", "13800000032", "viewer").await;
        let (status, all) = s.get("/v1/operator/risk-decisions", Some(&viewer)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(all[0]["outcome"], "deny", "newest first: {all}");

        let (status, b) = s
            .get("/v1/operator/risk-decisions?outcome=maybe", Some(&officer))
            .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_OUTCOME")
        );
        let campaigns = operator_token(&s, "camp-1", "13800000033", "campaign_manager").await;
        let (status, b) = s.get("/v1/operator/risk-decisions", Some(&campaigns)).await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::FORBIDDEN, "FORBIDDEN_ROLE")
        );
        for other in [token.as_str(), INTERNAL_TOKEN] {
            let (status, _) = s.get("/v1/operator/risk-decisions", Some(other)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
    }
}

fn rows(body: &str) -> Vec<&str> {
    body.match_indices("data-test=\"risk-decision\"")
        .map(|(i, _)| &body[i..])
        .collect()
}

#[tokio::test]
async fn the_console_shows_decisions_in_words_on_the_risk_page_and_the_360_view() {
    for s in servers_paying_by_card().await {
        let (token, customer, payload, _) = pay_up_to_the_limit(&s).await;
        let body = json!({ "payload": payload, "amount": "1.00" });
        let (status, _) = pay(&s, &token, "burst-over", body).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        create_operator(&s, "risk-web", "13800000041", "risk_officer").await;
        let mut officer = Browser::new(&s);
        let done = officer.console_login("risk-web").await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);

        let page = officer.get("/console/risk?outcome=deny").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("风控决策"), "{}", page.body);
        let denied = rows(&page.body);
        assert_eq!(denied.len(), 1);
        assert!(denied[0].contains("data-outcome=\"deny\""));
        // The order is named as people see it, not as stored.
        assert!(denied[0].contains("<code>ord_"), "{}", denied[0]);
        assert!(page.body.contains("10 分钟内支付过于频繁"));
        assert!(
            page.body
                .contains(&format!("/console/customers/{customer}"))
        );
        let all = officer.get("/console/risk").await;
        assert_eq!(rows(&all.body).len(), limit() as usize + 1);
        // A bad filter re-renders the page with a message and every decision.
        let bad = officer.get("/console/risk?outcome=maybe").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("data-test=\"error\""));
        assert_eq!(rows(&bad.body).len(), limit() as usize + 1);

        let view = officer.get(&format!("/console/customers/{customer}")).await;
        assert_eq!(view.status, StatusCode::OK);
        assert!(view.body.contains("data-test=\"risk\""), "{}", view.body);
        let shown = rows(&view.body);
        assert_eq!(shown.len(), CUSTOMER_DECISIONS_SHOWN as usize);
        assert!(shown[0].contains("data-outcome=\"deny\""), "newest first");
        assert!(view.body.contains("拒绝") && view.body.contains("放行"));

        // Campaign managers may not read risk decisions.
        create_operator(&s, "camp-web", "13800000042", "campaign_manager").await;
        let mut campaigns = Browser::new(&s);
        campaigns.console_login("camp-web").await;
        assert!(campaigns.cookie(OPERATOR).is_some());
        let refused = campaigns.get("/console/risk").await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn the_pay_page_re_renders_a_denied_payment_with_a_message_and_charges_nothing() {
    for s in servers().await {
        let (payload, _) = static_code(&s).await;
        let mut c = Browser::new(&s);
        c.register("13812345679", "cardholder-pw1").await;
        let pay = |key: String| {
            vec![
                ("payload", payload.clone()),
                ("amount", "1.00".to_owned()),
                ("key", key),
            ]
        };
        for i in 0..limit() {
            let fields = pay(format!("page{i}"));
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let paid = c.post("/app/pay/confirm", &fields).await;
            assert_eq!(paid.status, StatusCode::OK, "payment {i}: {}", paid.body);
        }
        let before = footprint(&s).await;
        let fields = pay("pageover".to_owned());
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let over = c.post("/app/pay/confirm", &fields).await;
        assert_eq!(
            over.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            over.body
        );
        assert!(over.body.contains("为保障您的账户安全"), "{}", over.body);
        assert_eq!(footprint(&s).await, before);
        assert_eq!(s.count("risk_decisions").await, i64::from(limit()) + 1);
        ledger_ok(&s).await;
    }
}
