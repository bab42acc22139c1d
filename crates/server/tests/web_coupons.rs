//! The coupon pages over HTTP, on both stores (docs/web.md, "Rewards"): the console's template
//! and campaign forms (roles, CSRF, bad input re-rendered with 422 and nothing written), the
//! cardholder's claim form (once per form, a second claim refused with a sentence) and another
//! customer's coupons never shown.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod pages;

use common::servers;
use pages::{Browser, create_operator, hidden};
use reqwest::StatusCode;

fn template_fields<'a>(name: &'a str, off: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("kind", "fixed_off"),
        ("off", off),
        ("valid_days", "7"),
        ("funding", "bank"),
        ("budget", "50.00"),
        ("stock", "10"),
        ("per_user", "1"),
        ("claimable", "1"),
    ]
}

#[tokio::test]
async fn console_forms_check_roles_csrf_and_input_and_write_nothing_when_refused() {
    for s in servers().await {
        create_operator(&s, "cm-web", "13900000501", "campaign_manager").await;
        create_operator(&s, "vw-web", "13900000502", "viewer").await;
        let mut viewer = Browser::new(&s);
        viewer.console_login("vw-web").await;
        let page = viewer.get("/console/campaigns").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("data-test=\"read-only\""));
        let refused = viewer
            .post(
                "/console/campaigns/templates",
                &template_fields("x", "1.00"),
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);

        let mut m = Browser::new(&s);
        m.console_login("cm-web").await;
        let page = m.get("/console/campaigns").await;
        assert!(page.body.contains("data-test=\"template-form\""));
        // No CSRF token: 403, nothing written.
        let fields = template_fields("五元券", "5.00");
        assert_eq!(
            m.post_raw("/console/campaigns/templates", &fields, &[])
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        // Bad input: re-rendered with 422, one message, what was typed (escaped), nothing written.
        for (name, off) in [
            ("", "5.00"),
            ("<script>alert(1)</script>", "5.00"),
            (
                "超长名称超长名称超长名称超长名称超长名称超长名称超长名称超长名称超长名称超长名称超长",
                "5.00",
            ),
            ("五元券", "abc"),
            ("五元券", "-5"),
            ("五元券", "99999999999"),
        ] {
            let answer = m
                .post("/console/campaigns/templates", &template_fields(name, off))
                .await;
            assert_eq!(
                answer.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name} {off}"
            );
            assert!(
                answer.body.contains("data-test=\"template-error\""),
                "{name}"
            );
            assert!(
                !answer.body.contains("<script>alert(1)</script>"),
                "escaped"
            );
        }
        assert_eq!(s.count("coupon_templates").await, 0);
        let done = m
            .post(
                "/console/campaigns/templates",
                &template_fields("五元券", "5.00"),
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert_eq!(s.count("coupon_templates").await, 1);
        let page = m.get("/console/campaigns").await;
        let template = hidden_option(&page.body);
        // Campaign form: a bad weekday and a bad window are refused, nothing written.
        for (weekdays, starts, ends) in [
            ("8", "2026-03-01", "2026-05-01"),
            ("3", "2026-05-01", "2026-03-01"),
            ("3", "tomorrow", "2026-05-01"),
        ] {
            let answer = m
                .post(
                    "/console/campaigns/new",
                    &[
                        ("name", "周三"),
                        ("trigger", "payment"),
                        ("min_amount", "50.00"),
                        ("weekdays", weekdays),
                        ("template_a", &template),
                        ("budget", "20.00"),
                        ("starts_at", starts),
                        ("ends_at", ends),
                        ("per_customer", "1"),
                    ],
                )
                .await;
            assert_eq!(
                answer.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{weekdays} {starts}"
            );
            assert!(answer.body.contains("data-test=\"campaign-error\""));
        }
        assert_eq!(s.count("campaigns").await, 0);
        let done = m
            .post(
                "/console/campaigns/new",
                &[
                    ("name", "新客礼"),
                    ("trigger", "first_card_binding"),
                    ("template_a", &template),
                    ("budget", "20.00"),
                    ("starts_at", "2026-03-01"),
                    ("ends_at", "2026-05-01"),
                    ("per_customer", "1"),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert_eq!(s.count("campaigns").await, 1);
        let audit = s.count("audit_log WHERE action LIKE 'c%'").await;
        assert!(audit >= 2, "template and campaign audited");

        // A cardholder claims once per form; a second claim is refused with a sentence.
        let mut holder = Browser::new(&s);
        holder.register("13812340001", "good-password-1").await;
        let page = holder.get("/app/rewards").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("五元券"));
        let key = hidden(&page.body, "key");
        let form = [("template", template.as_str()), ("key", key.as_str())];
        assert_eq!(
            holder
                .post_raw("/app/rewards/claim", &form, &[])
                .await
                .status,
            StatusCode::FORBIDDEN,
            "no CSRF token"
        );
        assert_eq!(s.count("coupons").await, 0);
        let first = holder.post("/app/rewards/claim", &form).await;
        assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
        let again = holder.post("/app/rewards/claim", &form).await;
        assert_eq!(
            again.status,
            StatusCode::SEE_OTHER,
            "the same form twice claims once"
        );
        assert_eq!(s.count("coupons").await, 1);
        let other_key = [("template", template.as_str()), ("key", "anotherform1")];
        let refused = holder.post("/app/rewards/claim", &other_key).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.body.contains("您已领取过这张优惠券"),
            "{}",
            refused.body
        );
        assert_eq!(s.count("coupons").await, 1);
        for bad in ["", "cpt_zz", "<script>"] {
            let answer = holder
                .post("/app/rewards/claim", &[("template", bad), ("key", "k1")])
                .await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        }
        assert_eq!(s.count("coupons").await, 1);

        // Another cardholder sees no coupon of the first.
        let mut other = Browser::new(&s);
        other.register("13812340002", "good-password-2").await;
        let page = other.get("/app/rewards").await;
        assert!(page.body.contains("data-test=\"mine-empty\""));
    }
}

/// The first template id offered in the campaign form.
fn hidden_option(body: &str) -> String {
    let start = body.find("option value=\"cpt_").unwrap() + "option value=\"".len();
    body[start..start + 36].to_owned()
}
