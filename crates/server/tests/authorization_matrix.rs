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
}

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

async fn call(s: &TestServer, m: &str, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let body = (m != "get" && m != "delete").then(|| json!({}));
    s.call(method(m), path, token, body).await
}

#[tokio::test]
async fn every_protected_route_refuses_callers_of_another_kind() {
    let s = spawn_sqlite().await;
    for (i, (m, template, access)) in MATRIX.iter().enumerate() {
        // A fresh customer per route: some routes end the session they are called with.
        let customer = s.register(&format!("138{i:08}")).await;
        let path = concrete(template);
        let (anonymous, _) = call(&s, m, &path, None).await;
        let (as_customer, _) = call(&s, m, &path, Some(&customer.token)).await;
        let (as_internal, _) = call(&s, m, &path, Some(INTERNAL_TOKEN)).await;
        let forged = "A".repeat(43);
        let (as_forged, _) = call(&s, m, &path, Some(&forged)).await;
        let refused =
            |st: StatusCode| st == StatusCode::UNAUTHORIZED || st == StatusCode::FORBIDDEN;
        match access {
            Access::Public => {
                assert!(
                    !refused(anonymous),
                    "{m} {template}: public but refused {anonymous}"
                );
            }
            Access::Internal => {
                assert!(
                    refused(anonymous),
                    "{m} {template}: anonymous got {anonymous}"
                );
                assert!(
                    refused(as_customer),
                    "{m} {template}: customer got {as_customer}"
                );
                assert!(refused(as_forged), "{m} {template}: forged got {as_forged}");
                assert!(!refused(as_internal), "{m} {template}: internal refused");
            }
            Access::Customer => {
                assert!(
                    refused(anonymous),
                    "{m} {template}: anonymous got {anonymous}"
                );
                assert!(
                    refused(as_internal),
                    "{m} {template}: internal key got {as_internal}"
                );
                assert!(refused(as_forged), "{m} {template}: forged got {as_forged}");
                assert!(!refused(as_customer), "{m} {template}: customer refused");
            }
        }
    }
}
