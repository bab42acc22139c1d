//! The lottery pages over HTTP, on both stores (docs/web.md): the console's lottery form
//! (roles, CSRF, bad input re-rendered with 422 and nothing written) and list, and the
//! cardholder's page (the stated odds shown before drawing, a draw form that draws once
//! however often it is submitted, no draw form without a chance).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod pages;

use common::merchant::{onboard, pay, signed};
use common::servers;
use pages::{Browser, create_operator, hidden};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn lottery_fields<'a>(name: &'a str, prizes: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("tiers", "10.00:1, 30.00:3"),
        ("prizes", prizes),
        ("budget", "0"),
        ("points_budget", "1000"),
        ("starts_at", "2026-03-01"),
        ("ends_at", "2026-05-01"),
    ]
}

const PRIZES: &str = "100 积分 | 4000 | points:100 | 5\n谢谢参与 | 6000 | none";

#[tokio::test]
async fn lottery_pages_check_roles_csrf_and_input_and_draw_once_per_form() {
    for s in servers().await {
        create_operator(&s, "lcm-web", "13900000601", "campaign_manager").await;
        create_operator(&s, "lvw-web", "13900000602", "viewer").await;
        let mut viewer = Browser::new(&s);
        viewer.console_login("lvw-web").await;
        let page = viewer.get("/console/lotteries").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("data-test=\"read-only\""));
        let refused = viewer
            .post("/console/lotteries", &lottery_fields("x", PRIZES))
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);

        let mut m = Browser::new(&s);
        m.console_login("lcm-web").await;
        assert!(
            m.get("/console/campaigns")
                .await
                .body
                .contains("/console/lotteries")
        );
        let fields = lottery_fields("月度抽奖", PRIZES);
        assert_eq!(
            m.post_raw("/console/lotteries", &fields, &[]).await.status,
            StatusCode::FORBIDDEN,
            "no CSRF token"
        );
        for (name, prizes) in [
            (
                "月度抽奖",
                "100 积分 | 4000 | points:100 | 5\n谢谢参与 | 5000 | none",
            ),
            ("<script>alert(1)</script>", PRIZES),
            (
                "月度抽奖",
                "100 积分 | 4000 | cash:100 | 5\n谢谢参与 | 6000 | none",
            ),
            ("月度抽奖", "just one field"),
        ] {
            let answer = m
                .post("/console/lotteries", &lottery_fields(name, prizes))
                .await;
            assert_eq!(
                answer.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name} {prizes}"
            );
            assert!(
                answer.body.contains("data-test=\"lottery-error\""),
                "{}",
                answer.body
            );
            assert!(
                !answer.body.contains("<script>alert(1)</script>"),
                "escaped"
            );
        }
        assert_eq!(s.count("lotteries").await, 0);
        let done = m.post("/console/lotteries", &fields).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert_eq!(s.count("lotteries").await, 1);
        let page = m.get("/console/lotteries").await;
        assert!(page.body.contains("40.00%"), "{}", page.body);
        assert!(s.count("audit_log WHERE action = 'lottery.create'").await == 1);

        // The cardholder sees the odds before any chance, and no draw form.
        let c = s.register("13812350001").await;
        let mut holder = Browser::new(&s);
        holder.get("/app/login").await;
        let login = holder
            .post(
                "/app/login",
                &[("phone", &c.phone), ("password", &c.password)],
            )
            .await;
        assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
        let page = holder.get("/app/lotteries").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("40.00%") && page.body.contains("60.00%"),
            "{}",
            page.body
        );
        assert!(!page.body.contains("data-test=\"draw\""));

        // 10.00 paid: one chance, one draw form; submitting it twice draws once.
        let (_, keys) = onboard(&s, "Dumpling House", "lrev-web").await;
        let (status, o) = signed(
            &s,
            &keys,
            Method::POST,
            "/v1/merchant/orders",
            Some(json!({ "amount": "10.00" })),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{o}");
        let (status, paid) = pay(&s, &c.token, "wp-1", json!({ "payload": o["qr_payload"] })).await;
        assert_eq!(status, StatusCode::CREATED, "{paid}");
        let page = holder.get("/app/lotteries").await;
        assert!(page.body.contains("data-test=\"draw\""), "{}", page.body);
        let form = [
            ("lottery", hidden(&page.body, "lottery")),
            ("key", hidden(&page.body, "key")),
        ];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let first = holder.post("/app/lotteries/draw", &form).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert!(
            first.body.contains("data-test=\"result\""),
            "{}",
            first.body
        );
        let again = holder.post("/app/lotteries/draw", &form).await;
        assert_eq!(
            again.status,
            StatusCode::OK,
            "the same form again answers the same draw"
        );
        assert_eq!(s.count("lottery_draws").await, 1);
        let other = [form[0], ("key", "anotherform1")];
        let refused = holder.post("/app/lotteries/draw", &other).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.body.contains("没有可用的抽奖次数"),
            "{}",
            refused.body
        );
        assert_eq!(s.count("lottery_draws").await, 1);
    }
}
