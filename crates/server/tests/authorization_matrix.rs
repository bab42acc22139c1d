//! The authorization matrix: every route of the OpenAPI document must have an entry here saying
//! who may call it, and every entry is checked against every kind of caller. A route added
//! without an entry fails `every_route_has_an_entry`; an entry whose route is gone fails too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::{INTERNAL_TOKEN, TestServer, spawn_sqlite};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// Anyone (health, the document, registration, login, quotes).
    Public,
    /// The internal bearer token only.
    Internal,
    /// A customer's session only.
    Customer,
    /// A merchant's signed request only.
    Merchant,
    /// An operator session holding one of these roles (an admin holds every role).
    Operator(&'static [&'static str]),
}

/// Every operator role.
const ROLES: [&str; 5] = [
    "viewer",
    "campaign_manager",
    "merchant_reviewer",
    "risk_officer",
    "admin",
];
const QUEUE_READERS: &[&str] = &["viewer", "merchant_reviewer", "risk_officer", "admin"];
const REVIEWERS: &[&str] = &["merchant_reviewer", "admin"];
const AUDITORS: &[&str] = &["risk_officer", "admin"];
const CAMPAIGN_MANAGERS: &[&str] = &["campaign_manager", "admin"];
const CAMPAIGN_READERS: &[&str] = &["viewer", "campaign_manager", "risk_officer", "admin"];
/// Risk decisions: like the customers pages.
const RISK_READERS: &[&str] = &["viewer", "risk_officer", "admin"];

/// Every route: method, path template, who may call it.
const MATRIX: &[(&str, &str, Access)] = &[
    ("get", "/health", Access::Public),
    ("get", "/metrics", Access::Public),
    ("get", "/openapi.json", Access::Public),
    ("post", "/v1/ledger/accounts", Access::Internal),
    ("post", "/v1/ledger/transfers", Access::Internal),
    ("get", "/v1/ledger/accounts/{id}", Access::Internal),
    ("get", "/v1/ledger/transfers/{id}", Access::Internal),
    (
        "get",
        "/v1/ledger/accounts/{id}/transfers",
        Access::Internal,
    ),
    ("get", "/v1/ledger/accounts/{id}/balances", Access::Internal),
    ("get", "/v1/ledger/check", Access::Internal),
    ("post", "/v1/otp", Access::Public),
    ("post", "/v1/customers", Access::Public),
    ("post", "/v1/sessions", Access::Public),
    ("delete", "/v1/sessions/current", Access::Customer),
    ("post", "/v1/sessions/current/rotate", Access::Customer),
    ("post", "/v1/me/logout-everywhere", Access::Customer),
    ("get", "/v1/me", Access::Customer),
    ("get", "/v1/me/consents", Access::Customer),
    ("post", "/v1/me/consents", Access::Customer),
    ("delete", "/v1/me/consents/{kind}", Access::Customer),
    ("get", "/v1/me/real-name", Access::Customer),
    ("put", "/v1/me/real-name", Access::Customer),
    ("delete", "/v1/me/real-name", Access::Customer),
    ("get", "/v1/me/devices", Access::Customer),
    ("get", "/v1/me/credit-cards", Access::Customer),
    ("post", "/v1/me/credit-cards", Access::Customer),
    ("delete", "/v1/me/devices/{id}", Access::Customer),
    ("post", "/v1/quotes/installment", Access::Public),
    ("post", "/v1/quotes/loan", Access::Public),
    ("get", "/v1/credit/accounts", Access::Customer),
    ("get", "/v1/credit/accounts/{id}", Access::Customer),
    ("get", "/v1/credit/accounts/{id}/cards", Access::Customer),
    (
        "get",
        "/v1/credit/accounts/{id}/statements",
        Access::Customer,
    ),
    (
        "get",
        "/v1/credit/accounts/{id}/statements/{date}",
        Access::Customer,
    ),
    (
        "post",
        "/v1/credit/accounts/{id}/repayments",
        Access::Customer,
    ),
    (
        "post",
        "/v1/credit/accounts/{id}/cash-advances",
        Access::Customer,
    ),
    (
        "get",
        "/v1/credit/accounts/{id}/installments/purchases",
        Access::Customer,
    ),
    (
        "get",
        "/v1/credit/accounts/{id}/installments/terms",
        Access::Customer,
    ),
    (
        "post",
        "/v1/credit/accounts/{id}/installments/quotes",
        Access::Customer,
    ),
    (
        "post",
        "/v1/credit/accounts/{id}/installments",
        Access::Customer,
    ),
    (
        "get",
        "/v1/credit/accounts/{id}/installments",
        Access::Customer,
    ),
    (
        "post",
        "/v1/credit/accounts/{id}/installments/{plan}/settlement",
        Access::Customer,
    ),
    ("post", "/v1/internal/credit/accounts", Access::Internal),
    ("get", "/v1/internal/credit/accounts/{id}", Access::Internal),
    (
        "post",
        "/v1/internal/credit/accounts/{id}/refunds",
        Access::Internal,
    ),
    (
        "post",
        "/v1/internal/credit/accounts/{id}/status",
        Access::Internal,
    ),
    (
        "post",
        "/v1/internal/credit/accounts/{id}/temp-limit",
        Access::Internal,
    ),
    (
        "post",
        "/v1/internal/credit/authorisations",
        Access::Internal,
    ),
    (
        "get",
        "/v1/internal/credit/authorisations/{id}",
        Access::Internal,
    ),
    (
        "post",
        "/v1/internal/credit/authorisations/{id}/capture",
        Access::Internal,
    ),
    (
        "post",
        "/v1/internal/credit/authorisations/{id}/reversal",
        Access::Internal,
    ),
    ("post", "/v1/internal/credit/close-day", Access::Internal),
    ("post", "/v1/merchant-applications", Access::Public),
    ("post", "/v1/internal/operators", Access::Internal),
    ("post", "/v1/operator/sessions", Access::Public),
    ("get", "/v1/operator/audit", Access::Operator(AUDITORS)),
    (
        "get",
        "/v1/operator/risk-decisions",
        Access::Operator(RISK_READERS),
    ),
    (
        "get",
        "/v1/operator/merchants/review-queue",
        Access::Operator(QUEUE_READERS),
    ),
    (
        "post",
        "/v1/operator/merchants/{id}/approve",
        Access::Operator(REVIEWERS),
    ),
    (
        "post",
        "/v1/operator/merchants/{id}/reject",
        Access::Operator(REVIEWERS),
    ),
    (
        "post",
        "/v1/operator/merchants/{id}/suspend",
        Access::Operator(REVIEWERS),
    ),
    (
        "put",
        "/v1/operator/merchants/{id}/fee-schedules/{payment_type}",
        Access::Operator(REVIEWERS),
    ),
    ("get", "/v1/merchant/me", Access::Merchant),
    ("post", "/v1/merchant/keys/rotate", Access::Merchant),
    ("post", "/v1/merchant/stores", Access::Merchant),
    (
        "post",
        "/v1/merchant/stores/{id}/cashiers",
        Access::Merchant,
    ),
    ("post", "/v1/merchant/qr/static", Access::Merchant),
    ("post", "/v1/merchant/orders", Access::Merchant),
    ("get", "/v1/merchant/orders", Access::Merchant),
    ("get", "/v1/merchant/orders/{id}", Access::Merchant),
    ("post", "/v1/merchant/orders/{id}/refunds", Access::Merchant),
    ("post", "/v1/merchant/pay-code-charges", Access::Merchant),
    ("post", "/v1/qr/scan", Access::Customer),
    ("post", "/v1/qr/pay", Access::Customer),
    ("get", "/v1/me/pay-code", Access::Customer),
    ("post", "/v1/me/debit-cards", Access::Customer),
    ("get", "/v1/me/debit-cards", Access::Customer),
    ("get", "/v1/loans/offer", Access::Customer),
    ("get", "/v1/me/offers", Access::Customer),
    ("post", "/v1/loans/quotes", Access::Customer),
    ("post", "/v1/loans", Access::Customer),
    ("get", "/v1/loans", Access::Customer),
    ("get", "/v1/loans/{id}", Access::Customer),
    ("post", "/v1/loans/{id}/repayments", Access::Customer),
    ("post", "/v1/loans/{id}/prepayments", Access::Customer),
    ("post", "/v1/credit-lines", Access::Customer),
    ("get", "/v1/credit-lines", Access::Customer),
    ("get", "/v1/credit-lines/{id}", Access::Customer),
    ("post", "/v1/credit-lines/{id}/draws", Access::Customer),
    ("post", "/v1/credit-lines/{id}/repayments", Access::Customer),
    ("post", "/v1/internal/loans/close-day", Access::Internal),
    ("post", "/v1/flash-sales", Access::Internal),
    ("get", "/v1/flash-sales", Access::Public),
    ("get", "/v1/flash-sales/{id}", Access::Public),
    ("post", "/v1/flash-sales/{id}/claims", Access::Customer),
    (
        "post",
        "/v1/operator/coupon-templates",
        Access::Operator(CAMPAIGN_MANAGERS),
    ),
    (
        "get",
        "/v1/operator/coupon-templates",
        Access::Operator(CAMPAIGN_READERS),
    ),
    (
        "post",
        "/v1/operator/campaigns",
        Access::Operator(CAMPAIGN_MANAGERS),
    ),
    (
        "get",
        "/v1/operator/campaigns",
        Access::Operator(CAMPAIGN_READERS),
    ),
    ("get", "/v1/coupons/claimable", Access::Customer),
    (
        "post",
        "/v1/coupons/claimable/{id}/claims",
        Access::Customer,
    ),
    ("get", "/v1/me/coupons", Access::Customer),
    (
        "post",
        "/v1/operator/lotteries",
        Access::Operator(CAMPAIGN_MANAGERS),
    ),
    (
        "get",
        "/v1/operator/lotteries",
        Access::Operator(CAMPAIGN_READERS),
    ),
    (
        "get",
        "/v1/operator/lotteries/{id}/draws",
        Access::Operator(CAMPAIGN_READERS),
    ),
    ("get", "/v1/me/lotteries", Access::Customer),
    ("post", "/v1/me/lotteries/{id}/draws", Access::Customer),
    ("get", "/v1/me/points", Access::Customer),
    ("post", "/v1/internal/points/expiry-runs", Access::Internal),
    (
        "post",
        "/v1/operator/group-buys",
        Access::Operator(CAMPAIGN_MANAGERS),
    ),
    ("get", "/v1/group-buys", Access::Public),
    ("post", "/v1/group-buys/{id}/groups", Access::Customer),
    (
        "post",
        "/v1/group-buy-groups/{id}/members",
        Access::Customer,
    ),
    ("get", "/v1/me/group-buys", Access::Customer),
    ("get", "/v1/me/group-buys/{id}", Access::Customer),
    ("post", "/v1/internal/group-buys/settle", Access::Internal),
    ("post", "/v1/mall/items", Access::Internal),
    ("get", "/v1/mall/items", Access::Public),
    ("get", "/v1/mall/items/{id}", Access::Public),
    ("post", "/v1/mall/orders", Access::Customer),
    ("get", "/v1/me/mall/orders", Access::Customer),
    ("get", "/v1/me/mall/orders/{id}", Access::Customer),
    ("post", "/v1/me/mall/orders/{id}/refunds", Access::Customer),
    ("get", "/v1/me/membership", Access::Customer),
    ("get", "/v1/me/referral", Access::Customer),
    ("post", "/v1/me/referral/binding", Access::Customer),
    ("get", "/v1/membership/programme", Access::Public),
    ("put", "/v1/internal/membership/programme", Access::Internal),
    (
        "post",
        "/v1/internal/customers/{id}/membership/evaluations",
        Access::Internal,
    ),
    ("post", "/v1/merchant/orders/{id}/cancel", Access::Merchant),
    ("get", "/v1/merchant/settlements", Access::Merchant),
    (
        "get",
        "/v1/merchant/settlements/{date}/reconciliation.csv",
        Access::Merchant,
    ),
    ("post", "/v1/internal/settlement/run", Access::Internal),
    ("post", "/v1/internal/payments/recover", Access::Internal),
    ("put", "/v1/merchant/webhook", Access::Merchant),
    ("get", "/v1/merchant/webhook", Access::Merchant),
    ("get", "/v1/merchant/webhook-events", Access::Merchant),
    ("get", "/v1/merchant/cashier-rewards", Access::Merchant),
    (
        "post",
        "/v1/operator/cashier-incentives",
        Access::Operator(CAMPAIGN_MANAGERS),
    ),
    (
        "get",
        "/v1/operator/cashier-incentives",
        Access::Operator(EVERY_ROLE),
    ),
    ("put", "/v1/merchant/installment-terms", Access::Merchant),
    ("get", "/v1/merchant/installment-terms", Access::Merchant),
    ("post", "/v1/internal/webhooks/deliver", Access::Internal),
    (
        "get",
        "/v1/credit/accounts/{id}/special-limits",
        Access::Customer,
    ),
    (
        "put",
        "/v1/operator/credit/accounts/{id}/special-limits/{purpose}",
        Access::Operator(AUDITORS),
    ),
    (
        "put",
        "/v1/internal/credit/accounts/{id}/special-limits/{purpose}",
        Access::Internal,
    ),
];

/// Every (method, path) the OpenAPI document lists.
async fn documented_routes(s: &TestServer) -> BTreeSet<(String, String)> {
    let (_, doc) = s.get("/openapi.json", None).await;
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.insert((method.clone(), path.clone()));
            }
        }
    }
    routes
}

#[tokio::test]
async fn every_route_has_an_entry() {
    let s = spawn_sqlite().await;
    let documented = documented_routes(&s).await;
    let listed: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let missing: Vec<_> = documented.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&documented).collect();
    assert!(missing.is_empty(), "routes without an entry: {missing:?}");
    assert!(stale.is_empty(), "entries without a route: {stale:?}");
}

/// A concrete path for a template: every `{param}` becomes a fresh UUID (an object nobody owns).
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|part| {
            if part.starts_with('{') {
                uuid::Uuid::now_v7().to_string()
            } else {
                part.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn method(name: &str) -> Method {
    name.to_uppercase().parse().unwrap()
}

/// Calls a route and says whether authentication or authorisation refused it: 401, or 403 with
/// `FORBIDDEN_ROLE` (a 403 for a business reason, such as a missing consent, is not a refusal
/// of the caller).
async fn call(s: &TestServer, m: &str, path: &str, token: Option<&str>) -> (StatusCode, bool) {
    let body = (m != "get" && m != "delete").then(|| json!({}));
    let (status, answer): (StatusCode, Value) = s.call(method(m), path, token, body).await;
    let refused = status == StatusCode::UNAUTHORIZED
        || (status == StatusCode::FORBIDDEN && answer["code"] == "FORBIDDEN_ROLE");
    (status, refused)
}

/// Makes an operator of each role and returns (role, session token).
async fn operators(s: &TestServer) -> Vec<(&'static str, String)> {
    let mut tokens = Vec::new();
    for (i, role) in ROLES.iter().enumerate() {
        let login = format!("op_{role}");
        let password = format!("operator-{role}-pass");
        let (status, body) = s
            .post(
                "/v1/internal/operators",
                Some(INTERNAL_TOKEN),
                json!({ "login": login, "phone": format!("1390000{i:04}"), "password": password, "role": role }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = s
            .post(
                "/v1/operator/sessions",
                None,
                json!({ "login": login, "password": password }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        tokens.push((*role, body["token"].as_str().unwrap().to_owned()));
    }
    tokens
}

#[tokio::test]
async fn every_protected_route_refuses_callers_of_another_kind() {
    let s = spawn_sqlite().await;
    let operators = operators(&s).await;
    for (i, (m, template, access)) in MATRIX.iter().enumerate() {
        // A fresh customer per route: some routes end the session they are called with.
        let customer = s.register(&format!("138{i:08}")).await;
        let path = concrete(template);
        let anonymous = call(&s, m, &path, None).await;
        let as_customer = call(&s, m, &path, Some(&customer.token)).await;
        let as_internal = call(&s, m, &path, Some(INTERNAL_TOKEN)).await;
        let mut as_operator = Vec::new();
        for (role, token) in &operators {
            as_operator.push((*role, call(&s, m, &path, Some(token)).await));
        }
        let forged = "A".repeat(43);
        let as_forged = call(&s, m, &path, Some(&forged)).await;
        let refused = |answer: (StatusCode, bool)| answer.1;
        let others_refused = |kinds: &[(&str, (StatusCode, bool))]| {
            for (who, answer) in kinds {
                assert!(refused(*answer), "{m} {template}: {who} got {}", answer.0);
            }
        };
        let operators_refused = || {
            for (role, answer) in &as_operator {
                assert!(
                    refused(*answer),
                    "{m} {template}: operator {role} got {}",
                    answer.0
                );
            }
        };
        match access {
            Access::Public => {
                assert!(
                    !refused(anonymous),
                    "{m} {template}: public but refused {anonymous:?}"
                );
            }
            Access::Internal => {
                others_refused(&[
                    ("anonymous", anonymous),
                    ("customer", as_customer),
                    ("forged", as_forged),
                ]);
                operators_refused();
                assert!(!refused(as_internal), "{m} {template}: internal refused");
            }
            Access::Customer => {
                others_refused(&[
                    ("anonymous", anonymous),
                    ("internal", as_internal),
                    ("forged", as_forged),
                ]);
                operators_refused();
                assert!(!refused(as_customer), "{m} {template}: customer refused");
            }
            Access::Merchant => {
                // Only a signed request gets through; signing is exercised in merchants_api.rs.
                others_refused(&[
                    ("anonymous", anonymous),
                    ("customer", as_customer),
                    ("internal", as_internal),
                    ("forged", as_forged),
                ]);
                operators_refused();
            }
            Access::Operator(allowed) => {
                others_refused(&[
                    ("anonymous", anonymous),
                    ("customer", as_customer),
                    ("internal", as_internal),
                    ("forged", as_forged),
                ]);
                for (role, st) in &as_operator {
                    if allowed.contains(role) {
                        assert!(!refused(*st), "{m} {template}: {role} refused ({st:?})");
                    } else {
                        assert_eq!(st.0, StatusCode::FORBIDDEN, "{m} {template}: {role}");
                        assert!(refused(*st), "{m} {template}: {role} not refused by role");
                    }
                }
            }
        }
    }
}

/// Who may see a page (docs/web.md).
#[derive(Clone, Copy, Debug)]
enum PageAccess {
    /// Anyone.
    Anonymous,
    /// A cardholder's page session; otherwise `303 /app/login`.
    Cardholder,
    /// A merchant staff session; otherwise `303 /merchant/login`.
    MerchantStaff,
    /// An operator session holding one of these roles; no session `303 /console/login`, a
    /// wrong role 403.
    Operator(&'static [&'static str]),
}

const EVERY_ROLE: &[&str] = &ROLES;
const CUSTOMER_READERS: &[&str] = &["viewer", "risk_officer", "admin"];

/// Every GET page route (POST forms behind them take the same session extractor and the CSRF
/// check; `web_console.rs` and `web_merchant.rs` test those).
const PAGE_MATRIX: &[(&str, PageAccess)] = &[
    ("/app/login", PageAccess::Anonymous),
    ("/app/register", PageAccess::Anonymous),
    ("/merchant/apply", PageAccess::Anonymous),
    ("/merchant/login", PageAccess::Anonymous),
    ("/console/login", PageAccess::Anonymous),
    ("/app", PageAccess::Cardholder),
    ("/app/me", PageAccess::Cardholder),
    ("/app/pay", PageAccess::Cardholder),
    ("/app/paycode", PageAccess::Cardholder),
    ("/app/paycode/qr", PageAccess::Cardholder),
    ("/app/bills", PageAccess::Cardholder),
    ("/app/borrow", PageAccess::Cardholder),
    ("/app/cards", PageAccess::Cardholder),
    ("/app/rewards", PageAccess::Cardholder),
    ("/app/lotteries", PageAccess::Cardholder),
    ("/app/group-buys", PageAccess::Cardholder),
    ("/app/flash-sales", PageAccess::Cardholder),
    ("/app/points", PageAccess::Cardholder),
    ("/app/mall", PageAccess::Cardholder),
    ("/app/membership", PageAccess::Cardholder),
    ("/app/invite", PageAccess::Cardholder),
    ("/merchant", PageAccess::MerchantStaff),
    ("/merchant/qr", PageAccess::MerchantStaff),
    ("/merchant/orders", PageAccess::MerchantStaff),
    ("/merchant/developer", PageAccess::MerchantStaff),
    ("/merchant/cashier-rewards", PageAccess::MerchantStaff),
    ("/merchant/settlements", PageAccess::MerchantStaff),
    ("/console", PageAccess::Operator(EVERY_ROLE)),
    ("/console/dashboard/data", PageAccess::Operator(EVERY_ROLE)),
    ("/console/merchants", PageAccess::Operator(QUEUE_READERS)),
    ("/console/audit", PageAccess::Operator(AUDITORS)),
    ("/console/customers", PageAccess::Operator(CUSTOMER_READERS)),
    ("/console/risk", PageAccess::Operator(RISK_READERS)),
    ("/console/campaigns", PageAccess::Operator(CAMPAIGN_READERS)),
    ("/console/lotteries", PageAccess::Operator(CAMPAIGN_READERS)),
];

async fn page_get(s: &TestServer, path: &str, cookie: Option<&str>) -> (StatusCode, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client.get(format!("{}{path}", s.base));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status(), location)
}

/// A merchant staff session cookie, from the portal's application form.
async fn merchant_cookie(s: &TestServer) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let csrf = "ab".repeat(32);
    let form = [
        ("_csrf", csrf.as_str()),
        ("name", "Matrix Shop"),
        ("city", "Beijing"),
        ("address", "1 Chang'an Avenue"),
        ("mcc", "5411"),
        ("settlement_account", "6222000011112222"),
        ("login", "matrixshop"),
        ("password", "matrix-secret-1"),
    ];
    let response = client
        .post(format!("{}/merchant/apply", s.base))
        .header("cookie", format!("__Host-cardlife_csrf={csrf}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("__Host-cardlife_merchant="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// An operator page session cookie for `role`.
async fn operator_cookie(s: &TestServer, role: &str, n: usize) -> String {
    let login = format!("page-{}", role.replace('_', "-"));
    let password = format!("pw-{login}-secret");
    let (status, _) = s
        .post(
            "/v1/internal/operators",
            Some(INTERNAL_TOKEN),
            json!({ "login": login, "phone": format!("1370000000{n}"), "password": password, "role": role }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = s
        .post(
            "/v1/operator/sessions",
            None,
            json!({ "login": login, "password": password }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    format!(
        "__Host-cardlife_operator={}",
        body["token"].as_str().unwrap()
    )
}

#[tokio::test]
async fn every_page_route_answers_only_its_own_face() {
    let s = spawn_sqlite().await;
    let cardholder = format!(
        "__Host-cardlife_session={}",
        s.register("13812349999").await.token
    );
    let merchant = merchant_cookie(&s).await;
    let mut operators = Vec::new();
    for (n, role) in ROLES.iter().enumerate() {
        operators.push((*role, operator_cookie(&s, role, n).await));
    }
    for (path, access) in PAGE_MATRIX {
        let anonymous = page_get(&s, path, None).await;
        let as_cardholder = page_get(&s, path, Some(&cardholder)).await;
        let as_merchant = page_get(&s, path, Some(&merchant)).await;
        let login_of = match access {
            PageAccess::Anonymous => None,
            PageAccess::Cardholder => Some("/app/login"),
            PageAccess::MerchantStaff => Some("/merchant/login"),
            PageAccess::Operator(_) => Some("/console/login"),
        };
        match login_of {
            None => {
                assert_eq!(anonymous.0, StatusCode::OK, "{path}");
            }
            Some(login) => {
                let redirected = (StatusCode::SEE_OTHER, login.to_owned());
                assert_eq!(anonymous, redirected, "{path} anonymous");
                if !matches!(access, PageAccess::Cardholder) {
                    assert_eq!(as_cardholder, redirected, "{path} as a cardholder");
                } else {
                    assert_eq!(as_cardholder.0, StatusCode::OK, "{path} as a cardholder");
                }
                if !matches!(access, PageAccess::MerchantStaff) {
                    assert_eq!(as_merchant, redirected, "{path} as merchant staff");
                } else {
                    assert_eq!(as_merchant.0, StatusCode::OK, "{path} as merchant staff");
                }
            }
        }
        for (role, cookie) in &operators {
            let got = page_get(&s, path, Some(cookie)).await;
            let expected = match access {
                PageAccess::Anonymous => StatusCode::OK,
                PageAccess::Operator(roles) if roles.contains(role) => StatusCode::OK,
                PageAccess::Operator(_) => StatusCode::FORBIDDEN,
                PageAccess::Cardholder | PageAccess::MerchantStaff => StatusCode::SEE_OTHER,
            };
            assert_eq!(got.0, expected, "{path} as {role}");
        }
    }
}
