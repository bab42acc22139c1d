//! PIPL consents over HTTP, on every backend: nothing by default, an explicit grant for the
//! published text, withdrawal, the history kept as evidence, and refusals that write nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::servers;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn nothing_is_granted_by_default_and_a_grant_can_be_withdrawn() {
    for s in servers().await {
        let c = s.register("13700001111").await;
        let (status, body) = s.get("/v1/me/consents", Some(&c.token)).await;
        assert_eq!(status, StatusCode::OK, "{}", s.backend);
        assert_eq!(body["in_force"], json!([]));
        assert_eq!(body["history"], json!([]));

        let (status, body) = s
            .post(
                "/v1/me/consents",
                Some(&c.token),
                json!({ "kind": "marketing", "text_version": 1 }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["in_force"], json!(["marketing"]));

        s.clock.advance(jiff::SignedDuration::from_mins(5));
        let (status, body) = s
            .call(
                Method::DELETE,
                "/v1/me/consents/marketing",
                Some(&c.token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["in_force"], json!([]));
        let history = body["history"].as_array().unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0]["ended"], "withdrawn");
        assert_eq!(history[0]["text_version"], 1);

        // Withdrawing what is not in force is refused and writes nothing.
        let before = s.count("consent_events").await;
        let (status, body) = s
            .call(
                Method::DELETE,
                "/v1/me/consents/marketing",
                Some(&c.token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["code"], "CONSENT_REQUIRED");
        assert_eq!(s.count("consent_events").await, before);

        // Another customer's consents are their own.
        let other = s.register("13700002222").await;
        let (_, body) = s.get("/v1/me/consents", Some(&other.token)).await;
        assert_eq!(body["history"], json!([]));
    }
}

#[tokio::test]
async fn a_new_grant_supersedes_the_one_in_force() {
    for s in servers().await {
        let c = s.register("13700003333").await;
        let grant = json!({ "kind": "sensitive_personal_information", "text_version": 1 });
        s.post("/v1/me/consents", Some(&c.token), grant.clone())
            .await;
        s.clock.advance(jiff::SignedDuration::from_secs(1));
        let (status, body) = s.post("/v1/me/consents", Some(&c.token), grant).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(body["in_force"], json!(["sensitive_personal_information"]));
        let history = body["history"].as_array().unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0]["ended"], "superseded");
        assert!(history[1]["ended"].is_null());
    }
}

#[tokio::test]
async fn bad_consent_requests_are_refused_and_write_nothing() {
    for s in servers().await {
        let c = s.register("13700004444").await;
        let cases = [
            json!({ "kind": "everything", "text_version": 1 }),
            json!({ "kind": "marketing", "text_version": 2 }),
            json!({ "kind": "marketing" }),
            json!({ "kind": "<script>alert(1)</script>", "text_version": 1 }),
            json!({ "kind": "marketing", "text_version": 1, "default": true }),
        ];
        for body in cases {
            let (status, answer) = s
                .post("/v1/me/consents", Some(&c.token), body.clone())
                .await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body} → {answer}"
            );
            assert_eq!(answer["code"], "INVALID_BODY");
        }
        let (status, _) = s
            .call(
                Method::DELETE,
                "/v1/me/consents/everything",
                Some(&c.token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(s.count("consent_events").await, 0);
        let (status, _) = s.get("/v1/me/consents", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}
