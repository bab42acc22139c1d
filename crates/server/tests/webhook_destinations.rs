//! Where webhooks may go (docs/merchants.md, "Webhook destinations"), on every backend: with
//! the production rules an endpoint over plain http, or on a host that is or resolves to a
//! loopback, private, link-local, CGNAT, unspecified, multicast or broadcast address (in any
//! spelling), is refused with a precise code and nothing is written; a delivery re-checks the
//! address it is about to connect to, so an endpoint that was accepted under looser rules is
//! not called; and deliveries go over TLS with the receiver's certificate checked.
//!
//! The harness's servers allow local receivers; `with_webhook_rules` starts a second server on
//! the same store with stricter rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use cardlife_app::merchants::WebhookDestinations;
use cardlife_app::merchants::vocabulary::webhook::{self, ReceiverPolicy, WebhookSecret};
use cardlife_kernel::{Clock, FakeClock, Secret};
use common::merchant::{Keys, code, onboard, pay, signed};
use common::{INTERNAL_TOKEN, TEST_WEBHOOK_ROOTS, TestServer, servers};
use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};

const CERT_PEM: &[u8] = include_bytes!("fixtures/webhook-receiver.cert.pem");
const KEY_PEM: &[u8] = include_bytes!("fixtures/webhook-receiver.key.pem");

/// Plain http allowed, private addresses not: the address rule alone.
const PUBLIC_ONLY: WebhookDestinations = WebhookDestinations {
    allow_http: true,
    allow_private_destinations: false,
};

/// Deliveries a receiver took: each body, and whether its signature verified.
#[derive(Default)]
struct Inbox {
    secret: Option<WebhookSecret>,
    clock: Option<FakeClock>,
    bodies: Vec<Value>,
    verified: u32,
}

type Shared = Arc<Mutex<Inbox>>;

async fn receive(State(inbox): State<Shared>, headers: HeaderMap, body: Bytes) -> AxumStatus {
    let mut inbox = inbox.lock().unwrap();
    let header = headers
        .get(webhook::SIGNATURE_HEADER)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if let (Some(secret), Some(clock)) = (inbox.secret.clone(), inbox.clock.clone()) {
        let mut seen = std::collections::HashSet::new();
        let policy = ReceiverPolicy::default();
        if webhook::verify(&header, &body, &secret, &policy, clock.now(), &mut seen).is_ok() {
            inbox.verified += 1;
        }
    }
    inbox
        .bodies
        .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
    AxumStatus::OK
}

fn receiver_app(inbox: &Shared) -> axum::Router {
    axum::Router::new()
        .route("/hooks", axum::routing::post(receive))
        .with_state(inbox.clone())
}

/// A plain-http receiver on 127.0.0.1; its port.
async fn start_plain(inbox: &Shared) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = receiver_app(inbox);
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

/// Accepts TCP connections and completes the TLS handshake with the fixture certificate
/// (`localhost` and 127.0.0.1); a failed handshake is dropped.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// An https receiver bound to `ip`; its port.
async fn start_tls(inbox: &Shared, ip: &str) -> u16 {
    let certs = vec![CertificateDer::from_pem_slice(CERT_PEM).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(KEY_PEM).unwrap();
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let tcp = tokio::net::TcpListener::bind(format!("{ip}:0"))
        .await
        .unwrap();
    let port = tcp.local_addr().unwrap().port();
    let listener = TlsListener {
        tcp,
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    };
    let app = receiver_app(inbox);
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

fn trust_the_fixture_certificate() {
    let der = CertificateDer::from_pem_slice(CERT_PEM).unwrap();
    let _ = TEST_WEBHOOK_ROOTS.set(vec![der.as_ref().to_vec()]);
}

async fn set_webhook(s: &TestServer, key: &Keys, url: &str) -> (StatusCode, Value) {
    let body = Some(json!({ "url": url }));
    signed(s, key, Method::PUT, "/v1/merchant/webhook", body, None).await
}

async fn deliver(s: &TestServer) -> (u64, u64, u64) {
    let (status, r) = s
        .post(
            "/v1/internal/webhooks/deliver",
            Some(INTERNAL_TOKEN),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let n = |k: &str| r[k].as_u64().unwrap();
    (n("delivered"), n("retrying"), n("dead"))
}

async fn events(s: &TestServer, key: &Keys) -> Vec<Value> {
    let path = "/v1/merchant/webhook-events";
    let (status, list) = signed(s, key, Method::GET, path, None, None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

async fn paid_order(s: &TestServer, key: &Keys, token: &str, idem: &str) -> String {
    let body = Some(json!({ "amount": "25.00" }));
    let (status, o) = signed(s, key, Method::POST, "/v1/merchant/orders", body, None).await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    let (status, b) = pay(s, token, idem, json!({ "payload": o["qr_payload"] })).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    o["id"].as_str().unwrap().to_owned()
}

async fn written(s: &TestServer) -> (i64, i64) {
    (
        s.count("merchant_webhooks").await,
        s.count("audit_log").await,
    )
}

#[tokio::test]
async fn production_rules_refuse_plain_http_and_every_private_destination_writing_nothing() {
    for s in servers().await {
        let (_, key) = onboard(&s, "Noodle Stall", "reviewer-ssrf").await;
        let strict = s.with_webhook_rules(WebhookDestinations::PRODUCTION).await;
        let before = written(&strict).await;

        let (status, b) = set_webhook(&strict, &key, "http://93.184.215.14/hooks").await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "WEBHOOK_HTTPS_REQUIRED"),
            "{b}"
        );
        for url in [
            "https://127.0.0.1/hooks",
            "https://localhost:8443/hooks",
            "https://2130706433/hooks",
            "https://[::1]/hooks",
            "https://[::ffff:127.0.0.1]/hooks",
            "https://[::ffff:a9fe:a9fe]/latest",
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.8/hooks",
            "https://172.16.5.4/hooks",
            "https://192.168.1.1/hooks",
            "https://100.64.1.1/hooks",
            "https://0.0.0.0/hooks",
            "https://224.0.0.1/hooks",
            "https://255.255.255.255/hooks",
            "https://[fc00::1]/hooks",
            "https://[fe80::1]/hooks",
            "https://[::]/hooks",
        ] {
            let (status, b) = set_webhook(&strict, &key, url).await;
            assert_eq!(
                (status, code(&b)),
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "WEBHOOK_DESTINATION_PRIVATE"
                ),
                "{url}: {b}"
            );
        }
        assert_eq!(written(&strict).await, before, "a refusal writes nothing");
        let path = "/v1/merchant/webhook";
        let (status, _) = signed(&strict, &key, Method::GET, path, None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A public address over https is accepted (an IP literal: no lookup needed).
        let (status, b) = set_webhook(&strict, &key, "https://93.184.215.14/hooks").await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(written(&strict).await.0, before.0 + 1);
    }
}

#[tokio::test]
async fn a_delivery_to_an_address_the_rules_now_refuse_is_not_sent_but_recorded_and_retried() {
    for s in servers().await {
        let inbox = Shared::default();
        let port = start_plain(&inbox).await;
        let (_, key) = onboard(&s, "Tea House", "reviewer-rebind").await;
        let payer = s.register("13900000041").await;
        // Accepted under the harness's local rules, by name.
        let by_name = format!("http://localhost:{port}/hooks");
        assert_eq!(set_webhook(&s, &key, &by_name).await.0, StatusCode::OK);
        paid_order(&s, &key, &payer.token, "rebind-1").await;

        // A server with the address rule: the name resolves to loopback at delivery time.
        let strict = s.with_webhook_rules(PUBLIC_ONLY).await;
        assert_eq!(deliver(&strict).await, (0, 1, 0));
        let e = &events(&strict, &key).await[0];
        let first = &e["attempts"][0];
        assert_eq!(first["status"], Value::Null, "{e}");
        assert_eq!(
            first["error"].as_str(),
            Some("destination refused: loopback address"),
            "{e}"
        );
        assert!(inbox.lock().unwrap().bodies.is_empty(), "nothing was sent");

        // An IP literal is refused before any connection, with the same schedule.
        let literal = format!("http://127.0.0.1:{port}/hooks");
        assert_eq!(set_webhook(&s, &key, &literal).await.0, StatusCode::OK);
        strict.clock.advance(SignedDuration::from_secs(15));
        assert_eq!(deliver(&strict).await, (0, 1, 0));
        let e = &events(&strict, &key).await[0];
        let second = &e["attempts"][1];
        let error = second["error"].as_str().unwrap_or("");
        assert!(error.contains("loopback"), "{e}");
        assert!(inbox.lock().unwrap().bodies.is_empty(), "nothing was sent");

        // The same event still reaches the receiver where the rules allow it.
        s.clock.advance(SignedDuration::from_mins(2));
        assert_eq!(deliver(&s).await, (1, 0, 0));
        assert_eq!(inbox.lock().unwrap().bodies.len(), 1);
    }
}

#[tokio::test]
async fn deliveries_go_over_tls_and_a_certificate_that_does_not_match_the_host_fails() {
    trust_the_fixture_certificate();
    for s in servers().await {
        let inbox = Shared::default();
        let port = start_tls(&inbox, "127.0.0.1").await;
        let (_, key) = onboard(&s, "Bakery", "reviewer-tls").await;
        let payer = s.register("13900000042").await;
        let (status, issued) =
            set_webhook(&s, &key, &format!("https://localhost:{port}/hooks")).await;
        assert_eq!(status, StatusCode::OK, "{issued}");
        let secret = issued["secret"].as_str().unwrap().as_bytes().to_vec();
        {
            let mut i = inbox.lock().unwrap();
            i.secret = Some(WebhookSecret::new(Secret::new(secret)).unwrap());
            i.clock = Some(s.clock.clone());
        }
        let order = paid_order(&s, &key, &payer.token, "tls-1").await;
        assert_eq!(deliver(&s).await, (1, 0, 0));
        {
            let i = inbox.lock().unwrap();
            assert_eq!((i.bodies.len(), i.verified), (1, 1));
            assert_eq!(
                i.bodies[0]["data"]["order_id"].as_str(),
                Some(order.as_str())
            );
        }

        // The same certificate on an address it does not name: the handshake is refused.
        let wrong = Shared::default();
        let other_port = start_tls(&wrong, "127.0.0.2").await;
        let url = format!("https://127.0.0.2:{other_port}/hooks");
        assert_eq!(set_webhook(&s, &key, &url).await.0, StatusCode::OK);
        let second = paid_order(&s, &key, &payer.token, "tls-2").await;
        assert_eq!(deliver(&s).await, (0, 1, 0));
        let list = events(&s, &key).await;
        let e = list
            .iter()
            .find(|e| e["payload"].as_str().unwrap().contains(&second))
            .unwrap();
        assert_eq!(e["state"], "pending", "{e}");
        assert_eq!(e["attempts"][0]["status"], Value::Null, "{e}");
        assert!(wrong.lock().unwrap().bodies.is_empty());
    }
}
