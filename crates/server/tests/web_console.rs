//! The operator console over HTTP (docs/web.md, "Operator console"): roles on every page, the
//! console's own session cookie, CSRF on every form, bad input re-rendered with nothing written,
//! and no full phone or account number in any page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod pages;

use common::servers;
use pages::{Browser, OPERATOR, create_operator, first_pending_id};
use reqwest::StatusCode;

/// Console pages and the roles that may see them (an admin sees all).
const PAGES: &[(&str, &[&str])] = &[
    (
        "/console",
        &[
            "viewer",
            "campaign_manager",
            "merchant_reviewer",
            "risk_officer",
            "admin",
        ],
    ),
    (
        "/console/dashboard/data",
        &[
            "viewer",
            "campaign_manager",
            "merchant_reviewer",
            "risk_officer",
            "admin",
        ],
    ),
    (
        "/console/merchants",
        &["viewer", "merchant_reviewer", "risk_officer", "admin"],
    ),
    ("/console/audit", &["risk_officer", "admin"]),
    ("/console/customers", &["viewer", "risk_officer", "admin"]),
    ("/console/risk", &["viewer", "risk_officer", "admin"]),
];

#[tokio::test]
async fn every_console_page_checks_the_role() {
    for s in servers().await {
        let roles = [
            "viewer",
            "campaign_manager",
            "merchant_reviewer",
            "risk_officer",
            "admin",
        ];
        for (i, role) in roles.iter().enumerate() {
            let login = format!("op-{}", role.replace('_', "-"));
            create_operator(&s, &login, &format!("1390000001{i}"), role).await;
            let mut b = Browser::new(&s);
            let done = b.console_login(&login).await;
            assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
            let cookie = done.set_cookie(OPERATOR).unwrap().to_owned();
            for flag in ["; Secure", "; HttpOnly", "; SameSite=Lax", "; Path=/"] {
                assert!(cookie.contains(flag), "{cookie}");
            }
            for (path, allowed) in PAGES {
                let a = b.get(path).await;
                let expected = if allowed.contains(role) {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(a.status, expected, "{role} {path}: {}", a.body);
            }
        }
        // Without a console session: to the console's login, whatever other session it has.
        let mut cardholder = Browser::new(&s);
        cardholder.register("13812340000", "cardholder-pw1").await;
        for (path, _) in PAGES {
            let a = cardholder.get(path).await;
            assert_eq!(a.status, StatusCode::SEE_OTHER, "{path}");
            assert_eq!(a.location(), "/console/login", "{path}");
        }
        // The customers list shows masked phones only.
        let mut admin = Browser::new(&s);
        admin.console_login("op-admin").await;
        let list = admin.get("/console/customers").await;
        assert!(list.body.contains("138****0000"), "{}", list.body);
        assert!(!list.body.contains("13812340000"));
        let at = list.body.find("/console/customers/cus_").unwrap() + "/console/customers/".len();
        let id = &list.body[at..at + list.body[at..].find('"').unwrap()];
        let one = admin.get(&format!("/console/customers/{id}")).await;
        assert_eq!(one.status, StatusCode::OK);
        assert!(one.body.contains("138****0000") && !one.body.contains("13812340000"));
        assert_eq!(
            admin.get("/console/customers/cus_nope").await.status,
            StatusCode::NOT_FOUND
        );
        // Logout ends the session.
        assert_eq!(
            admin.post("/console/logout", &[]).await.location(),
            "/console/login"
        );
        assert_eq!(admin.get("/console").await.location(), "/console/login");
    }
}

#[tokio::test]
async fn decisions_need_the_reviewer_role_a_reason_and_the_csrf_token() {
    for s in servers().await {
        let mut m = Browser::new(&s);
        assert_eq!(
            m.apply("Review Me", "reviewme").await.status,
            StatusCode::SEE_OTHER
        );
        create_operator(&s, "rev1", "13900000020", "merchant_reviewer").await;
        create_operator(&s, "view1", "13900000021", "viewer").await;
        let mut viewer = Browser::new(&s);
        viewer.console_login("view1").await;
        let queue = viewer.get("/console/merchants").await;
        let id = {
            let mut r = Browser::new(&s);
            r.console_login("rev1").await;
            first_pending_id(&r.get("/console/merchants").await.body)
        };
        assert!(
            !queue.body.contains("/approve\""),
            "a viewer gets no decision forms"
        );
        let audit = s.count("audit_log").await;
        let pending = || async { s.count("merchants").await };
        let status_of = |body: &str| body.contains("data-name=\"Review Me\"");
        // A viewer may not decide.
        let a = viewer
            .post(&format!("/console/merchants/{id}/approve"), &[])
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        let mut r = Browser::new(&s);
        r.console_login("rev1").await;
        // No token, a wrong token: 403 and nothing written.
        for path in ["approve", "reject", "suspend"] {
            let url = format!("/console/merchants/{id}/{path}");
            assert_eq!(
                r.post_raw(&url, &[("reason", "x")], &[]).await.status,
                StatusCode::FORBIDDEN
            );
        }
        assert_eq!(
            r.post_raw("/console/login", &[("login", "rev1")], &[])
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        // Bad reasons re-render with a message.
        let long = "r".repeat(201);
        for reason in ["", "   ", long.as_str(), "<script>alert(1)</script>"] {
            let a = r
                .post(
                    &format!("/console/merchants/{id}/reject"),
                    &[("reason", reason)],
                )
                .await;
            assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{reason}");
            assert!(a.body.contains("data-test=\"error\""));
            assert!(!a.body.contains("<script>alert"));
        }
        assert_eq!(s.count("audit_log").await, audit, "nothing was audited");
        assert!(
            status_of(&r.get("/console/merchants").await.body),
            "still pending"
        );
        assert_eq!(pending().await, 1);
        // Suspending a pending merchant is refused with a message.
        let a = r
            .post(
                &format!("/console/merchants/{id}/suspend"),
                &[("reason", "fraud")],
            )
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        // A reasoned rejection is recorded and audited; the merchant sees it.
        let a = r
            .post(
                &format!("/console/merchants/{id}/reject"),
                &[("reason", "incomplete papers")],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        assert_eq!(s.count("audit_log").await, audit + 1);
        let status = m.get("/merchant").await;
        assert!(status.body.contains("data-status=\"rejected\""));
        assert!(status.body.contains("incomplete papers"));
    }
}

#[tokio::test]
async fn the_console_login_refuses_bad_input_and_sets_no_session() {
    for s in servers().await {
        create_operator(&s, "admin1", "13900000030", "admin").await;
        let sessions = s.count("operator_sessions").await;
        let mut b = Browser::new(&s);
        b.get("/console/login").await;
        let long = "a".repeat(40);
        for (login, password) in [
            ("", "pw"),
            ("admin1", ""),
            (long.as_str(), "pw"),
            ("<script>", "pw"),
            ("Admin1", "pw"),
            ("admin1", "wrong-password"),
            ("nobody", "pw-nobody-secret"),
        ] {
            let a = b
                .post(
                    "/console/login",
                    &[("login", login), ("password", password)],
                )
                .await;
            assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{login}");
            assert!(a.body.contains("data-test=\"error\""));
            assert!(!a.body.contains("<script>"), "escaped");
            assert!(b.cookie(OPERATOR).is_none());
        }
        assert_eq!(s.count("operator_sessions").await, sessions);
        assert_eq!(b.console_login("admin1").await.location(), "/console");
    }
}

#[tokio::test]
async fn the_360_view_shows_card_accounts_their_statements_and_rewards_held() {
    for s in servers().await {
        let c = s.register("13812340077").await;
        common::credit::open(&s, &c.id, "4111111111111111", 1_000_000).await;
        common::credit::buy(&s, "4111111111111111", 123_400, "c360").await;
        // A week on, the 7 April statement is cut.
        s.clock.advance_days(7);
        let (status, closed, _) = common::credit::post(
            &s,
            "/v1/internal/credit/close-day",
            common::INTERNAL_TOKEN,
            None,
            serde_json::json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{closed}");

        create_operator(&s, "op-360", "13900000099", "viewer").await;
        let mut viewer = Browser::new(&s);
        viewer.console_login("op-360").await;
        let view = viewer.get(&format!("/console/customers/{}", c.id)).await;
        assert_eq!(view.status, StatusCode::OK, "{}", view.body);
        let accounts = &view.body[view.body.find("data-test=\"card-accounts\"").unwrap()..];
        assert!(accounts.contains("411111******1111"), "{}", view.body);
        assert!(accounts.contains("10000.00"), "the limit: {}", view.body);
        assert!(
            accounts.contains("data-test=\"statement\""),
            "{}",
            view.body
        );
        assert!(
            accounts.contains("1,234.00") || accounts.contains("1234.00"),
            "{}",
            view.body
        );
        assert!(
            !view.body.contains("4111111111111111"),
            "never the full number"
        );
        let rewards = &view.body[view.body.find("data-test=\"rewards\"").unwrap()..];
        assert!(rewards.contains("data-test=\"tier\""), "{}", view.body);
    }
}
