//! The merchant portal and the cardholder's pay pages over HTTP, as a browser without
//! JavaScript (docs/web.md): a merchant applies, an operator approves on the console, the
//! merchant prints a static code, a cardholder pays it by pasting its text, the merchant sees
//! the order and refunds part of it, the dashboard counts the payment. Every new form refuses
//! bad input and a missing CSRF token with nothing written; no page shows a full account number.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod pages;

use common::{TestServer, servers};
use pages::{
    Browser, MERCHANT, application, create_operator, first_payload, first_pending_id, hidden,
    qr_png,
};
use reqwest::StatusCode;

const ACCOUNT: &str = "6222000011113445";

async fn written(s: &TestServer) -> [i64; 7] {
    [
        s.count("merchants").await,
        s.count("merchant_staff").await,
        s.count("audit_log").await,
        s.count("qr_codes").await,
        s.count("payment_orders").await,
        s.count("merchant_keys").await,
        s.count("merchant_webhooks").await,
    ]
}

/// An approved merchant whose staff browser is returned, with its static code's payload.
async fn approved_with_code<'a>(
    s: &'a TestServer,
    name: &str,
    login: &str,
) -> (Browser<'a>, String) {
    let mut m = Browser::new(s);
    let applied = m.apply(name, login).await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);
    assert_eq!(applied.location(), "/merchant");
    assert!(m.cookie(MERCHANT).is_some());
    let status = m.get("/merchant").await;
    assert!(
        status.body.contains("data-status=\"pending\""),
        "{}",
        status.body
    );

    let reviewer = format!("rev-{login}");
    create_operator(s, &reviewer, "13900000001", "merchant_reviewer").await;
    let mut o = Browser::new(s);
    assert_eq!(o.console_login(&reviewer).await.location(), "/console");
    let queue = o.get("/console/merchants").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    let id = first_pending_id(&queue.body);
    let approved = o
        .post(&format!("/console/merchants/{id}/approve"), &[])
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);

    let status = m.get("/merchant").await;
    assert!(
        status.body.contains("data-status=\"approved\""),
        "{}",
        status.body
    );
    assert_eq!(
        m.post("/merchant/qr", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let qr = m.get("/merchant/qr").await;
    assert!(qr.body.contains("<svg"), "the code is drawn");
    (m, first_payload(&qr.body))
}

#[tokio::test]
async fn the_portal_lists_settled_days_and_downloads_their_reconciliation_file() {
    for s in servers().await {
        let (mut m, payload) = approved_with_code(&s, "Dumpling Bar", "dumpling").await;
        let empty = m.get("/merchant/settlements").await;
        assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
        assert!(empty.body.contains("data-test=\"no-settlements\""));

        let mut c = Browser::new(&s);
        c.register("13812345680", "cardholder-pw1").await;
        let confirm = c.post("/app/pay/scan", &[("payload", &payload)]).await;
        let key = hidden(&confirm.body, "key");
        let paid = c
            .post(
                "/app/pay/confirm",
                &[("payload", &payload), ("amount", "100.00"), ("key", &key)],
            )
            .await;
        assert!(paid.body.contains("data-test=\"paid\""), "{}", paid.body);

        // Next morning the day is settled T+1.
        s.clock.advance(jiff::SignedDuration::from_hours(24));
        let (status, run) = s
            .post(
                "/v1/internal/settlement/run",
                Some(common::INTERNAL_TOKEN),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        let day = run["settled"][0]["business_date"]
            .as_str()
            .unwrap()
            .to_owned();
        let payout = run["settled"][0]["payout"].as_str().unwrap().to_owned();

        // A day on, the staff session has idled out: log in again.
        let relogin = m
            .post(
                "/merchant/login",
                &[("login", "dumpling"), ("password", "shop-secret-1")],
            )
            .await;
        assert_eq!(relogin.status, StatusCode::SEE_OTHER, "{}", relogin.body);
        let list = m.get("/merchant/settlements").await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert!(
            list.body.contains(&format!("data-date=\"{day}\"")),
            "{}",
            list.body
        );
        assert!(list.body.contains("100.00"), "the captures: {}", list.body);
        assert!(
            list.body.contains(&payout),
            "the payout {payout}: {}",
            list.body
        );

        let csv = m
            .get(&format!("/merchant/settlements/{day}/reconciliation.csv"))
            .await;
        assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
        assert!(
            csv.headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains("attachment"),
        );
        assert!(
            csv.body
                .starts_with("business_date,merchant_id,kind,reference,amount,currency")
        );
        let total = csv.body.lines().find(|l| l.contains(",total,")).unwrap();
        assert!(total.contains(&payout), "{total} pays {payout}");

        // Another merchant's staff does not see this merchant's day; a malformed day is not
        // found; nobody logged out reads either.
        let (mut other, _) = approved_with_code(&s, "Other Shop", "othershop").await;
        let foreign = other
            .get(&format!("/merchant/settlements/{day}/reconciliation.csv"))
            .await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{}", foreign.body);
        let odd = m
            .get("/merchant/settlements/2026-4-1/reconciliation.csv")
            .await;
        assert_eq!(odd.status, StatusCode::NOT_FOUND);
        let anonymous = Browser::new(&s)
            .get(&format!("/merchant/settlements/{day}/reconciliation.csv"))
            .await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn a_cardholder_pays_by_uploading_a_picture_of_the_printed_code() {
    for s in servers().await {
        let (_m, payload) = approved_with_code(&s, "Tea House", "teahouse").await;
        let mut c = Browser::new(&s);
        c.register("13812345679", "cardholder-pw1").await;
        c.get("/app/pay").await;

        let confirm = c
            .upload("/app/pay/scan-image", true, "picture", &qr_png(&payload))
            .await;
        assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
        assert!(confirm.body.contains("Tea House"), "{}", confirm.body);
        // The confirm form carries the code's text, read from the picture.
        assert_eq!(hidden(&confirm.body, "payload"), payload);
        let key = hidden(&confirm.body, "key");
        let paid = c
            .post(
                "/app/pay/confirm",
                &[("payload", &payload), ("amount", "8.80"), ("key", &key)],
            )
            .await;
        assert!(paid.body.contains("data-test=\"paid\""), "{}", paid.body);
        assert_eq!(s.count("payment_orders").await, 1, "{}", s.backend);

        // What is not a readable code re-renders the pay page with why, and writes nothing.
        let before = written(&s).await;
        let cases: [(&[u8], &str); 4] = [
            (b"", "请选择一张二维码图片"),
            (b"<script>alert(1)</script>", "请上传 PNG 或 JPEG"),
            (&qr_png("not a payment code"), "无法识别此二维码"),
            (&vec![0x89; 5 * 1024 * 1024], "图片太大"),
        ];
        for (bytes, message) in cases {
            let again = c
                .upload("/app/pay/scan-image", true, "picture", bytes)
                .await;
            assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
            assert!(again.body.contains(message), "{message}: {}", again.body);
            assert!(!again.body.contains("<script>alert"), "nothing is echoed");
        }
        // Without the CSRF token the upload is refused before it is read.
        let forged = c
            .upload("/app/pay/scan-image", false, "picture", &qr_png(&payload))
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(written(&s).await, before, "{}", s.backend);
    }
}

#[tokio::test]
async fn a_merchant_applies_is_approved_prints_a_code_is_paid_and_refunds() {
    for s in servers().await {
        let (mut m, payload) = approved_with_code(&s, "Noodle Bar", "noodle").await;

        let mut c = Browser::new(&s);
        c.register("13812345678", "cardholder-pw1").await;
        assert_eq!(c.get("/app/pay").await.status, StatusCode::OK);
        let confirm = c.post("/app/pay/scan", &[("payload", &payload)]).await;
        assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
        assert!(confirm.body.contains("Noodle Bar"));
        let key = hidden(&confirm.body, "key");
        let fields = [
            ("payload", payload.as_str()),
            ("amount", "12.50"),
            ("key", key.as_str()),
        ];
        let paid = c.post("/app/pay/confirm", &fields).await;
        assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
        assert!(paid.body.contains("data-test=\"paid\""), "{}", paid.body);
        assert!(paid.body.contains("12.50"));
        // The same form submitted again pays once.
        let again = c.post("/app/pay/confirm", &fields).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        assert_eq!(s.count("payment_orders").await, 1, "{}", s.backend);

        let orders = m.get("/merchant/orders").await;
        assert!(
            orders.body.contains("data-status=\"captured\""),
            "{}",
            orders.body
        );
        assert!(orders.body.contains("12.50"));
        let at = orders.body.find("/merchant/orders/ord_").unwrap() + "/merchant/orders/".len();
        let order_id = &orders.body[at..at + orders.body[at..].find('"').unwrap()];
        let page = m.get(&format!("/merchant/orders/{order_id}")).await;
        let key = hidden(&page.body, "key");
        let refund = m
            .post(
                &format!("/merchant/orders/{order_id}/refund"),
                &[("amount", "2.00"), ("key", &key)],
            )
            .await;
        assert_eq!(refund.status, StatusCode::SEE_OTHER, "{}", refund.body);
        let page = m.get(refund.location()).await;
        assert!(page.body.contains("partially_refunded"), "{}", page.body);
        let too_much = m
            .post(
                &format!("/merchant/orders/{order_id}/refund"),
                &[("amount", "100.00"), ("key", "another-key")],
            )
            .await;
        assert_eq!(
            too_much.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            too_much.body
        );

        // The dashboard counts the payment.
        create_operator(&s, "viewer1", "13900000002", "viewer").await;
        let mut v = Browser::new(&s);
        v.console_login("viewer1").await;
        let data = v.get("/console/dashboard/data").await;
        let data: serde_json::Value = serde_json::from_str(&data.body).unwrap();
        let total: i64 = data["payments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_i64().unwrap())
            .sum();
        assert_eq!(total, 1, "{data}");
        let dashboard = v.get("/console").await;
        assert!(
            dashboard.body.contains("<strong>1</strong>"),
            "{}",
            dashboard.body
        );

        // No page shows the settlement account in clear.
        for path in ["/merchant", "/merchant/qr", "/merchant/orders"] {
            let a = m.get(path).await;
            assert!(!a.body.contains(ACCOUNT), "{path}");
            assert!(
                a.body.contains("6222****3445") || path != "/merchant",
                "{path}"
            );
        }
        let review = v.get("/console/merchants").await;
        assert!(!review.body.contains(ACCOUNT));
    }
}

#[tokio::test]
async fn the_application_form_refuses_bad_input_and_writes_nothing() {
    for s in servers().await {
        let mut b = Browser::new(&s);
        b.get("/merchant/apply").await;
        let long_name = "x".repeat(26);
        let cases: Vec<(&str, &str)> = vec![
            ("name", ""),
            ("name", &long_name),
            ("name", "<script>alert(1)</script>"),
            ("city", ""),
            ("address", "<b>"),
            ("mcc", "58"),
            ("mcc", "abcd"),
            ("settlement_account", "1234"),
            ("settlement_account", ""),
            ("login", "A"),
            ("login", ""),
            ("password", ""),
            ("password", "short"),
            ("password", "12345678"),
        ];
        let before = written(&s).await;
        for (field, value) in cases {
            let mut fields = application("Tea House", "teahouse");
            for f in &mut fields {
                if f.0 == field {
                    f.1 = value;
                }
            }
            let a = b.post("/merchant/apply", &fields).await;
            assert_eq!(
                a.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field}={value}: {}",
                a.body
            );
            assert!(a.body.contains("data-test=\"error\""), "{field}={value}");
            assert!(
                !a.body.contains("<script>alert"),
                "{field}: echoed unescaped"
            );
            assert!(
                !a.body.contains(ACCOUNT),
                "{field}: the account is never echoed"
            );
            assert_eq!(written(&s).await, before, "{field}={value} wrote something");
        }
        // A taken login: the second application writes nothing.
        assert_eq!(
            b.apply("Tea House", "teahouse").await.status,
            StatusCode::SEE_OTHER
        );
        let before = written(&s).await;
        let mut other = Browser::new(&s);
        let taken = other.apply("Other Shop", "teahouse").await;
        assert_eq!(
            taken.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            taken.body
        );
        assert_eq!(written(&s).await, before);
    }
}

#[tokio::test]
async fn every_portal_and_pay_form_needs_the_csrf_token() {
    for s in servers().await {
        let (mut m, payload) = approved_with_code(&s, "Csrf Cafe", "csrfcafe").await;
        let mut c = Browser::new(&s);
        c.register("13812345679", "cardholder-pw1").await;
        let before = written(&s).await;
        for (path, fields) in [
            ("/merchant/apply", application("Forged", "forged")),
            (
                "/merchant/login",
                vec![("login", "csrfcafe"), ("password", "shop-secret-1")],
            ),
            ("/merchant/qr", vec![]),
            ("/merchant/orders", vec![("amount", "5.00")]),
            ("/merchant/developer/keys", vec![]),
            (
                "/merchant/developer/webhook",
                vec![("url", "http://127.0.0.1:9/hooks")],
            ),
            ("/merchant/logout", vec![]),
        ] {
            let a = m.post_raw(path, &fields, &[]).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
            let zeros = "0".repeat(64);
            let wrong: Vec<(&str, &str)> = std::iter::once(("_csrf", zeros.as_str()))
                .chain(fields.iter().copied())
                .collect();
            assert_eq!(
                m.post_raw(path, &wrong, &[]).await.status,
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
        for (path, fields) in [
            ("/app/pay/scan", vec![("payload", payload.as_str())]),
            (
                "/app/pay/confirm",
                vec![
                    ("payload", payload.as_str()),
                    ("amount", "1.00"),
                    ("key", "k1"),
                ],
            ),
        ] {
            assert_eq!(
                c.post_raw(path, &fields, &[]).await.status,
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
        assert_eq!(written(&s).await, before);
        assert!(
            m.cookie(MERCHANT).is_some(),
            "a forged logout ended nothing"
        );
        assert_eq!(m.get("/merchant").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn pay_and_order_forms_refuse_bad_input_and_write_nothing() {
    for s in servers().await {
        let (mut m, payload) = approved_with_code(&s, "Bad Input Deli", "badinput").await;
        let mut c = Browser::new(&s);
        c.register("13812345670", "cardholder-pw1").await;
        let before = written(&s).await;
        let long = "9".repeat(600);
        for bad in ["", "<script>x</script>", long.as_str(), "000201010211"] {
            let a = c.post("/app/pay/scan", &[("payload", bad)]).await;
            assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
            assert!(a.body.contains("data-test=\"error\""));
            assert!(!a.body.contains("<script>x"));
        }
        let confirm = c.post("/app/pay/scan", &[("payload", &payload)]).await;
        let key = hidden(&confirm.body, "key");
        for bad in [
            "",
            "0",
            "-5",
            "abc",
            "1.234",
            "<script>",
            "1234567890123",
            "600.00",
        ] {
            let a = c
                .post(
                    "/app/pay/confirm",
                    &[("payload", &payload), ("amount", bad), ("key", &key)],
                )
                .await;
            assert_eq!(
                a.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{bad}: {}",
                a.body
            );
            assert!(a.body.contains("data-test=\"error\""), "{bad}");
        }
        for (amount, reference) in [
            ("", ""),
            ("0", ""),
            ("x", ""),
            ("5.00", "<script>"),
            ("5.00", "has space"),
        ] {
            let a = m
                .post(
                    "/merchant/orders",
                    &[("amount", amount), ("merchant_ref", reference)],
                )
                .await;
            assert_eq!(
                a.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{amount} {reference}"
            );
            assert!(!a.body.contains("<script>"), "escaped");
        }
        for (login, password) in [
            ("", "x"),
            ("badinput", ""),
            ("<script>", "x"),
            ("badinput", "wrong-password"),
        ] {
            let mut other = Browser::new(&s);
            other.get("/merchant/login").await;
            let a = other
                .post(
                    "/merchant/login",
                    &[("login", login), ("password", password)],
                )
                .await;
            assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{login}");
            assert!(other.cookie(MERCHANT).is_none());
        }
        assert_eq!(written(&s).await, before, "{}", s.backend);
        // A valid dynamic order, with its code drawn.
        let made = m
            .post(
                "/merchant/orders",
                &[("amount", "8.80"), ("merchant_ref", "A-1")],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let order = m.get(made.location()).await;
        assert!(order.body.contains("data-test=\"order-code\""));
        // Another merchant's order answers 404.
        let (mut other, _) = approved_with_code(&s, "Other Deli", "otherdeli").await;
        assert_eq!(
            other.get(made.location()).await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn the_pay_code_page_draws_the_code_and_never_shows_it_in_full() {
    for s in servers().await {
        let mut c = Browser::new(&s);
        c.register("13812345671", "cardholder-pw1").await;
        let page = c.get("/app/paycode").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("<svg"));
        assert!(page.body.contains("hx-get=\"/app/paycode/qr\""));
        // No run of 24 digits in the page: only the last four are written out.
        let digits_run = page
            .body
            .split(|ch: char| !ch.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(digits_run < 24, "{digits_run}");
        let fragment = c.get("/app/paycode/qr").await;
        assert!(
            fragment.body.starts_with("<div class=\"paycode\""),
            "{}",
            fragment.body
        );
        let mut anonymous = Browser::new(&s);
        assert_eq!(anonymous.get("/app/paycode").await.location(), "/app/login");
    }
}

/// The text of the first element marked `data-test="{name}"` (its inner text up to the next tag).
fn marked<'b>(body: &'b str, name: &str) -> Option<&'b str> {
    let at = body.find(&format!("data-test=\"{name}\""))?;
    let rest = &body[at..];
    let start = rest.find('>')? + 1;
    let end = rest[start..].find('<')?;
    Some(&rest[start..start + end])
}

#[tokio::test]
async fn the_developer_page_shows_each_secret_once_and_the_webhook_attempts() {
    for s in servers().await {
        let (mut m, _) = approved_with_code(&s, "Dev Cafe", "devcafe").await;
        let page = m.get("/merchant/developer").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(
            page.body.matches("data-test=\"key\"").count(),
            1,
            "the approval's key"
        );
        assert!(!page.body.contains("data-test=\"secret\""));

        // A rotation shows the new secret on its answer, and never again.
        let rotated = m.post("/merchant/developer/keys", &[]).await;
        assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
        let secret = marked(&rotated.body, "secret").unwrap().to_owned();
        assert_eq!(secret.len(), 64, "{secret}");
        assert!(rotated.body.contains("data-kind=\"api_key\""));
        let again = m.get("/merchant/developer").await;
        assert!(!again.body.contains(&secret), "shown once");
        assert_eq!(again.body.matches("data-test=\"key\"").count(), 2);

        // A bad endpoint is refused with the form kept and nothing written.
        let before = written(&s).await;
        let bad = m
            .post(
                "/merchant/developer/webhook",
                &[("url", "ftp://example.com/x")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        assert!(bad.body.contains("data-test=\"error\""));
        assert!(bad.body.contains("ftp://example.com/x"));
        assert_eq!(written(&s).await, before);

        // A good one: its secret once, then only the fingerprint.
        let set = m
            .post(
                "/merchant/developer/webhook",
                &[("url", "http://127.0.0.1:9/hooks")],
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.body);
        let hook_secret = marked(&set.body, "secret").unwrap().to_owned();
        assert!(hook_secret.starts_with("whsec_"), "{hook_secret}");
        let fingerprint = marked(&set.body, "secret-label").unwrap().to_owned();
        let shown = m.get("/merchant/developer").await;
        assert!(!shown.body.contains(&hook_secret), "shown once");
        assert_eq!(
            marked(&shown.body, "fingerprint"),
            Some(fingerprint.as_str())
        );
        assert_eq!(
            marked(&shown.body, "webhook-url"),
            Some("http://127.0.0.1:9/hooks")
        );
        assert_eq!(s.count("merchant_webhooks").await, 1);
    }
}

#[tokio::test]
async fn an_order_made_on_the_portal_earns_its_staff_member_a_reward_shown_on_the_rewards_page() {
    for s in servers().await {
        let (mut m, _) = approved_with_code(&s, "Dumpling Hall", "dumpling").await;
        let empty = m.get("/merchant/cashier-rewards").await;
        assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
        assert!(
            empty.body.contains("data-login=\"dumpling\""),
            "{}",
            empty.body
        );
        assert!(empty.body.contains("0 / 0.00"), "{}", empty.body);

        pages::create_operator(&s, "incent-mgr", "13900000002", "campaign_manager").await;
        let (_, session) = s
            .post(
                "/v1/operator/sessions",
                None,
                serde_json::json!({ "login": "incent-mgr",
                                    "password": pages::operator_password("incent-mgr") }),
            )
            .await;
        let plan = s
            .client
            .post(format!("{}/v1/operator/cashier-incentives", s.base))
            .bearer_auth(session["token"].as_str().unwrap())
            .header("idempotency-key", "till-1")
            .json(
                &serde_json::json!({ "name": "Till", "reward": "0.88", "min_payment": "1.00",
                                       "daily_cap": "8.80", "budget": "100.00" }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(plan.status(), StatusCode::CREATED);

        let made = m.post("/merchant/orders", &[("amount", "18.00")]).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let order = m.get(made.location()).await;
        let payload = first_payload(&order.body);
        let mut c = Browser::new(&s);
        c.register("13812345600", "cardholder-pw1").await;
        let confirm = c.post("/app/pay/scan", &[("payload", &payload)]).await;
        let key = hidden(&confirm.body, "key");
        let paid = c
            .post(
                "/app/pay/confirm",
                &[("payload", payload.as_str()), ("key", key.as_str())],
            )
            .await;
        assert!(paid.body.contains("data-test=\"paid\""), "{}", paid.body);

        let shown = m.get("/merchant/cashier-rewards").await;
        assert!(shown.body.contains("1 / 0.88"), "{}", shown.body);
        assert!(shown.body.contains("收银员奖励"), "{}", shown.body);
    }
}
