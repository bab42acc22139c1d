//! Sessions held in memory (docs/identity.md) answer as a read of the tables would, on every
//! backend: a logout, a rotation or a logout-everywhere written by another process on the same
//! store is refused by this process's next request; activity another process wrote keeps a
//! held session alive; and memory is what answers (with the log's trigger dropped, a held
//! session outlives its end in the tables).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_store::Db;
use common::{TestServer, servers};
use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn login(s: &TestServer, phone: &str, password: &str) -> String {
    let (status, body) = s
        .post(
            "/v1/sessions",
            None,
            json!({ "phone": phone, "password": password }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

async fn me(s: &TestServer, token: &str) -> StatusCode {
    s.get("/v1/me", Some(token)).await.0
}

async fn execute(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(pool) => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(pool)
                .await
                .unwrap();
        }
        Db::Postgres(pool) => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

async fn last_seen_ns(db: &Db) -> Vec<i64> {
    let sql = "SELECT last_seen_at_ns FROM customer_sessions ORDER BY id";
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
    }
}

#[tokio::test]
async fn ends_written_by_another_process_are_seen_by_the_next_request_here() {
    for here in servers().await {
        let c = here.register("13600000021").await;
        let second = login(&here, &c.phone, &c.password).await;
        let third = login(&here, &c.phone, &c.password).await;
        let other = here.register("13600000022").await;
        assert!(
            here.app.hold_live_sessions().await.unwrap() >= 4,
            "{}",
            here.backend
        );
        for token in [&c.token, &second, &third, &other.token] {
            assert_eq!(me(&here, token).await, StatusCode::OK, "{}", here.backend);
        }
        let there = here.restart().await;

        // A logout there.
        let (status, _) = there
            .call(Method::DELETE, "/v1/sessions/current", Some(&third), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(
            me(&here, &third).await,
            StatusCode::UNAUTHORIZED,
            "{}",
            here.backend
        );

        // A rotation there: the old token is refused here, the new one accepted.
        let (status, body) = there
            .post("/v1/sessions/current/rotate", Some(&second), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let rotated = body["token"].as_str().unwrap().to_owned();
        assert_eq!(me(&here, &second).await, StatusCode::UNAUTHORIZED);
        assert_eq!(me(&here, &rotated).await, StatusCode::OK);
        assert_eq!(me(&here, &c.token).await, StatusCode::OK);

        // Logout everywhere there: every session of that customer is refused here, and only
        // theirs.
        let (status, _) = there
            .post("/v1/me/logout-everywhere", Some(&c.token), json!({}))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(me(&here, &c.token).await, StatusCode::UNAUTHORIZED);
        assert_eq!(me(&here, &rotated).await, StatusCode::UNAUTHORIZED);
        assert_eq!(
            me(&here, &other.token).await,
            StatusCode::OK,
            "{}",
            here.backend
        );
    }
}

#[tokio::test]
async fn activity_written_by_another_process_keeps_a_held_session_alive() {
    for here in servers().await {
        let c = here.register("13600000023").await;
        assert_eq!(me(&here, &c.token).await, StatusCode::OK);
        let there = here.restart().await;
        // Here's copy was last seen at the start; there the customer is active 25 minutes on,
        // and that activity is written behind (about a second later).
        let before = last_seen_ns(&here.db).await;
        there.clock.advance(SignedDuration::from_mins(25));
        assert_eq!(me(&there, &c.token).await, StatusCode::OK);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while last_seen_ns(&here.db).await == before {
            assert!(
                std::time::Instant::now() < deadline,
                "activity never written"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        // 40 minutes after the held copy's last activity, 15 after the stored one's.
        here.clock.advance(SignedDuration::from_mins(40));
        assert_eq!(
            me(&here, &c.token).await,
            StatusCode::OK,
            "{}",
            here.backend
        );
        // Idle past the limit by every account: refused.
        here.clock.advance(SignedDuration::from_mins(31));
        assert_eq!(me(&here, &c.token).await, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_held_session_is_answered_from_memory() {
    for here in servers().await {
        let c = here.register("13600000024").await;
        assert_eq!(me(&here, &c.token).await, StatusCode::OK);
        // Without the trigger, an end written to the table is not in the log: memory, which
        // still holds the session, answers. (With it, the first test shows the end seen.)
        execute(
            &here.db,
            match &here.db {
                Db::Sqlite(_) => "DROP TRIGGER customer_sessions_changed",
                Db::Postgres(_) => "DROP TRIGGER customer_sessions_changed ON customer_sessions",
            },
        )
        .await;
        execute(&here.db, "UPDATE customer_sessions SET ended_at_ns = 1").await;
        assert_eq!(
            me(&here, &c.token).await,
            StatusCode::OK,
            "{}",
            here.backend
        );
        // A process that does not hold it reads the table.
        let there = here.restart().await;
        assert_eq!(me(&there, &c.token).await, StatusCode::UNAUTHORIZED);
    }
}
