//! The box's own ceiling for a case over HTTP: a server that does nothing, driven by the same
//! generator with the same requests, in the same run (docs/benchmarks.md, "The ceiling").
//!
//! Its handler reads nothing and writes nothing: every request is answered `409` with a fixed
//! problem body about the size of ours. What it can carry at p99 within the objective is what
//! the machine, its loopback and the generator leave to any server on this HTTP stack, so a
//! target above it cannot be met on this machine by anything the server does.

use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;

/// The answer to every request: about the size of ours' `SOLD_OUT` problem.
const BODY: &str = r#"{"type":"urn:cardlife:problem:sold_out","title":"Sold out","status":409,"detail":"stock exhausted","code":"SOLD_OUT","request_id":"00000000-0000-0000-0000-000000000000"}"#;

/// The do-nothing server, listening on loopback.
pub struct Ceiling {
    /// `host:port` it listens on.
    pub addr: String,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Ceiling {
    /// Starts it on a free port; claims go to [`Ceiling::PATH`].
    pub async fn start() -> std::io::Result<Self> {
        let router = axum::Router::new().route(Self::PATH, post(refuse));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?.to_string();
        let server = tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(Self { addr, server })
    }

    /// The one path it answers.
    pub const PATH: &'static str = "/claims";

    /// Stops it.
    pub fn stop(self) {
        self.server.abort();
    }
}

async fn refuse() -> impl IntoResponse {
    (
        StatusCode::CONFLICT,
        [(header::CONTENT_TYPE, "application/problem+json")],
        BODY,
    )
}
