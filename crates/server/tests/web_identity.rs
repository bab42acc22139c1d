//! The real-name and devices sections of the cardholder's "me" page over HTTP, as a browser
//! without JavaScript (docs/identity.md, docs/web.md): bad input answers the page again with 422
//! and a message, echoing the name but never the ID number, and writes nothing; good details
//! show masked and verified; a login names the browser as a device, and one browser signs
//! another out.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod pages;

use common::servers;
use pages::Browser;
use reqwest::StatusCode;

const PASSWORD: &str = "cardholder-pw1";
const ID: &str = "11010519491231002X";
const DEVICE: &str = "__Host-cardlife_device";

#[tokio::test]
async fn real_name_form_refuses_bad_input_then_shows_the_details_masked() {
    for s in servers().await {
        let mut b = Browser::new(&s);
        b.register("13600003001", PASSWORD).await;
        let page = b.get("/app/me").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("action=\"/app/me/real-name\""));

        let cases: [(&str, &str, &str); 4] = [
            ("张三", "110105194912310021", "身份证号格式不正确"),
            ("张三", "", "身份证号格式不正确"),
            ("", ID, "请填写真实姓名"),
            ("<script>x</script>2", ID, "请填写真实姓名"),
        ];
        for (name, id, message) in cases {
            let answer = b
                .post("/app/me/real-name", &[("name", name), ("resident_id", id)])
                .await;
            assert_eq!(
                answer.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name:?} {id:?}"
            );
            assert!(answer.body.contains(message), "{name:?} {id:?}");
            assert!(
                !answer.body.contains("<script>x"),
                "script tags are escaped"
            );
            if !id.is_empty() {
                assert!(!answer.body.contains(id), "the ID number is never echoed");
            }
        }
        // Without the CSRF token nothing is written either.
        let forged = b
            .post_raw(
                "/app/me/real-name",
                &[("name", "张三"), ("resident_id", ID)],
                &[],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(s.count("customer_real_names").await, 0, "{}", s.backend);

        let done = b
            .post(
                "/app/me/real-name",
                &[("name", "张三"), ("resident_id", ID)],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let page = b.get("/app/me").await;
        assert!(page.body.contains("张*") && page.body.contains("110***********002X"));
        assert!(page.body.contains("已认证"));
        assert!(!page.body.contains(ID) && !page.body.contains("张三"));
    }
}

#[tokio::test]
async fn a_browser_login_is_a_device_and_one_browser_signs_another_out() {
    for s in servers().await {
        let mut phone = Browser::new(&s);
        phone.register("13600003002", PASSWORD).await;
        phone.get("/app/login").await;
        let login = phone
            .post(
                "/app/login",
                &[("phone", "13600003002"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(login.status, StatusCode::SEE_OTHER);
        let cookie = login.set_cookie(DEVICE).expect("the device cookie is set");
        assert!(cookie.contains("HttpOnly") && cookie.contains("Secure"));

        let mut laptop = Browser::new(&s);
        laptop.get("/app/login").await;
        let login = laptop
            .post(
                "/app/login",
                &[("phone", "13600003002"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(login.status, StatusCode::SEE_OTHER);

        let page = phone.get("/app/me").await;
        assert_eq!(page.body.matches("data-test=\"device\"").count(), 2);
        assert_eq!(
            page.body.matches("本机").count(),
            1,
            "the asking browser is marked"
        );
        let action = page
            .body
            .split("action=\"/app/me/devices/")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let signed_out = phone.post(&format!("/app/me/devices/{action}"), &[]).await;
        assert_eq!(signed_out.status, StatusCode::SEE_OTHER);

        let home = laptop.get("/app").await;
        assert_eq!(home.status, StatusCode::SEE_OTHER, "{}", s.backend);
        assert_eq!(home.location(), "/app/login");
        let page = phone.get("/app/me").await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.body.matches("data-test=\"device\"").count(), 1);
    }
}
