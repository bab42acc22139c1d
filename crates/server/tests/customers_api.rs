//! Registration, logins and sessions over HTTP, on every backend: the one-time-code limits
//! (docs/domain.md §8), lockout, logout, logout everywhere, rotation, and bad input that writes
//! nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, servers};
use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn send_code(s: &TestServer, phone: &str) -> StatusCode {
    s.post("/v1/otp", None, json!({ "phone": phone })).await.0
}

#[tokio::test]
async fn register_then_log_in_with_a_password_and_with_a_code() {
    for s in servers().await {
        let c = s.register("13800000001").await;
        let (status, me) = s.get("/v1/me", Some(&c.token)).await;
        assert_eq!(status, StatusCode::OK, "{}", s.backend);
        assert_eq!(me["phone_masked"], "138****0001");
        assert_eq!(me["id"], c.id.as_str());
        assert_eq!(me["has_password"], true);

        let (status, body) = s
            .post(
                "/v1/sessions",
                None,
                json!({ "phone": c.phone, "password": c.password }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["customer_id"], c.id.as_str());
        assert_ne!(body["token"], c.token.as_str());

        s.clock.advance(SignedDuration::from_secs(61));
        assert_eq!(send_code(&s, &c.phone).await, StatusCode::ACCEPTED);
        let code = s.code_for(&c.phone);
        let (status, body) = s
            .post(
                "/v1/sessions",
                None,
                json!({ "phone": c.phone, "code": code }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        // A code works once.
        let (status, body) = s
            .post(
                "/v1/sessions",
                None,
                json!({ "phone": c.phone, "code": code }),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["code"], "INVALID_CREDENTIALS");
    }
}

#[tokio::test]
async fn a_code_expires_after_five_minutes_and_resends_wait_sixty_seconds() {
    for s in servers().await {
        let phone = "13900000002";
        assert_eq!(send_code(&s, phone).await, StatusCode::ACCEPTED);
        let (status, body) = s.post("/v1/otp", None, json!({ "phone": phone })).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(body["code"], "CODE_RESEND_TOO_SOON");
        s.clock.advance(SignedDuration::from_secs(59));
        assert_eq!(send_code(&s, phone).await, StatusCode::TOO_MANY_REQUESTS);
        s.clock.advance(SignedDuration::from_secs(1));
        assert_eq!(send_code(&s, phone).await, StatusCode::ACCEPTED);
        let code = s.code_for(phone);
        s.clock.advance(SignedDuration::from_mins(5));
        let (status, body) = s
            .post(
                "/v1/customers",
                None,
                json!({ "phone": phone, "code": code }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["code"], "CODE_EXPIRED");
        assert_eq!(s.count("customers").await, 0);
    }
}

#[tokio::test]
async fn five_wrong_codes_use_up_the_code() {
    for s in servers().await {
        let phone = "13700000003";
        send_code(&s, phone).await;
        let right = s.code_for(phone);
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        for left in (0..5).rev() {
            let (status, body) = s
                .post(
                    "/v1/customers",
                    None,
                    json!({ "phone": phone, "code": wrong }),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(body["code"], "CODE_MISMATCH");
            assert!(
                body["detail"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("{left} attempts left"))
            );
        }
        let (_, body) = s
            .post(
                "/v1/customers",
                None,
                json!({ "phone": phone, "code": right }),
            )
            .await;
        assert_eq!(body["code"], "CODE_ATTEMPTS_EXHAUSTED");
        assert_eq!(s.count("customers").await, 0);
    }
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_login() {
    for s in servers().await {
        let c = s.register("13600000004").await;
        let wrong = json!({ "phone": c.phone, "password": "not-the-password-1" });
        for _ in 0..4 {
            let (status, body) = s.post("/v1/sessions", None, wrong.clone()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert_eq!(body["code"], "INVALID_CREDENTIALS");
        }
        let (status, body) = s.post("/v1/sessions", None, wrong.clone()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["code"], "LOGIN_LOCKED");
        // Locked: even the right password is refused until the lock lifts.
        let right = json!({ "phone": c.phone, "password": c.password });
        let (_, body) = s.post("/v1/sessions", None, right.clone()).await;
        assert_eq!(body["code"], "LOGIN_LOCKED");
        s.clock.advance(SignedDuration::from_mins(31));
        let (status, _) = s.post("/v1/sessions", None, right).await;
        assert_eq!(status, StatusCode::CREATED);
        // An unknown phone answers exactly like a wrong password.
        let (status, body) = s
            .post(
                "/v1/sessions",
                None,
                json!({ "phone": "13600000099", "password": "whatever-it-is-1" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "INVALID_CREDENTIALS");
    }
}

#[tokio::test]
async fn logout_rotation_and_logout_everywhere_end_sessions() {
    for s in servers().await {
        let c = s.register("13500000005").await;
        let (_, second) = s
            .post(
                "/v1/sessions",
                None,
                json!({ "phone": c.phone, "password": c.password }),
            )
            .await;
        let second = second["token"].as_str().unwrap().to_owned();

        let (status, body) = s
            .post("/v1/sessions/current/rotate", Some(&second), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);
        let rotated = body["token"].as_str().unwrap().to_owned();
        assert_eq!(
            s.get("/v1/me", Some(&second)).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(s.get("/v1/me", Some(&rotated)).await.0, StatusCode::OK);

        let (status, _) = s
            .call(Method::DELETE, "/v1/sessions/current", Some(&rotated), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(
            s.get("/v1/me", Some(&rotated)).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(s.get("/v1/me", Some(&c.token)).await.0, StatusCode::OK);

        let (status, _) = s
            .post("/v1/me/logout-everywhere", Some(&c.token), json!({}))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body) = s.get("/v1/me", Some(&c.token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn a_session_ends_after_thirty_idle_minutes() {
    for s in servers().await {
        let c = s.register("13400000006").await;
        s.clock.advance(SignedDuration::from_mins(29));
        assert_eq!(s.get("/v1/me", Some(&c.token)).await.0, StatusCode::OK);
        s.clock.advance(SignedDuration::from_mins(30));
        assert_eq!(
            s.get("/v1/me", Some(&c.token)).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn customer_routes_refuse_missing_forged_and_internal_tokens() {
    for s in servers().await {
        assert_eq!(s.get("/v1/me", None).await.0, StatusCode::UNAUTHORIZED);
        let forged = "A".repeat(43);
        assert_eq!(
            s.get("/v1/me", Some(&forged)).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            s.get("/v1/me", Some("short")).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (status, body) = s.get("/v1/me", Some(common::INTERNAL_TOKEN)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "UNAUTHENTICATED");
        // And a customer token is no internal key.
        let c = s.register("13300000007").await;
        let (status, _) = s.get("/v1/ledger/check", Some(&c.token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn bad_registrations_are_refused_precisely_and_write_nothing() {
    for s in servers().await {
        let phone = "13200000008";
        send_code(&s, phone).await;
        let code = s.code_for(phone);
        let cases = [
            (
                json!({ "phone": "1320000000", "code": code }),
                "INVALID_PHONE",
            ),
            (
                json!({ "phone": "12200000008", "code": code }),
                "INVALID_PHONE",
            ),
            (
                json!({ "phone": "<script>", "code": code }),
                "INVALID_PHONE",
            ),
            (
                json!({ "phone": phone, "code": code, "password": "short" }),
                "WEAK_PASSWORD",
            ),
            (
                json!({ "phone": phone, "code": code, "password": "12345678901" }),
                "WEAK_PASSWORD",
            ),
            (
                json!({ "phone": phone, "code": code, "password": "x".repeat(200) }),
                "WEAK_PASSWORD",
            ),
            (
                json!({ "phone": phone, "code": code, "admin": true }),
                "INVALID_BODY",
            ),
            (json!({ "phone": phone }), "INVALID_BODY"),
        ];
        for (body, expected) in cases {
            let (status, answer) = s.post("/v1/customers", None, body.clone()).await;
            assert_eq!(answer["code"], expected, "{body} → {answer}");
            assert!(status.is_client_error());
        }
        assert_eq!(s.count("customers").await, 0);
        assert_eq!(s.count("customer_sessions").await, 0);
        // The code was not spent by the refusals above: it still registers.
        let (status, _) = s
            .post(
                "/v1/customers",
                None,
                json!({ "phone": phone, "code": code }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        // A second registration of the same phone is a conflict.
        s.clock.advance(SignedDuration::from_secs(60));
        send_code(&s, phone).await;
        let (status, body) = s
            .post(
                "/v1/customers",
                None,
                json!({ "phone": phone, "code": s.code_for(phone) }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["code"], "PHONE_TAKEN");
        assert_eq!(s.count("customers").await, 1);
    }
}

#[tokio::test]
async fn the_store_keeps_no_phone_code_password_or_token_in_clear() {
    for s in servers().await {
        let c = s.register("13100000009").await;
        let code = s.code_for(&c.phone);
        let dump = match &s.db {
            cardlife_store::Db::Sqlite(pool) => {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT COALESCE(phone_masked,'') || '|' || COALESCE(password_phc,'') FROM customers",
                )
                .fetch_all(pool)
                .await
                .unwrap();
                rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("\n")
            }
            cardlife_store::Db::Postgres(pool) => {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT COALESCE(phone_masked,'') || '|' || COALESCE(password_phc,'') FROM customers",
                )
                .fetch_all(pool)
                .await
                .unwrap();
                rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("\n")
            }
        };
        assert!(!dump.contains(&c.phone));
        assert!(!dump.contains(&c.password));
        assert!(!dump.contains(&code));
        assert!(dump.contains("$argon2id$"));
        assert!(!dump.contains(&c.token));
    }
}
