//! Black-box tests of the pages over HTTP, as a browser without JavaScript would use them:
//! cookies and their flags, CSRF refusals that write nothing, security headers on every page,
//! session rotation and logout, every form's bad input, the language and elder switches, the
//! development SMS page and the assets (docs/web.md).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{TestServer, servers, spawn_sqlite_dev};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};

const SESSION: &str = "__Host-cardlife_session";
const CSRF: &str = "__Host-cardlife_csrf";

/// One answer, with the `Set-Cookie` lines it carried.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    set_cookies: Vec<String>,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .map_or("", |v| v.to_str().unwrap())
    }

    fn set_cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(String::as_str)
    }
}

/// A cookie jar and a client that does not follow redirects: a browser without JavaScript.
struct Browser<'a> {
    server: &'a TestServer,
    client: reqwest::Client,
    jar: BTreeMap<String, String>,
}

impl<'a> Browser<'a> {
    fn new(server: &'a TestServer) -> Self {
        Self {
            server,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: BTreeMap::new(),
        }
    }

    fn cookie(&self, name: &str) -> Option<&str> {
        self.jar.get(name).map(String::as_str)
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let cookie_header = self
            .jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if cookie_header.is_empty() {
            request
        } else {
            request.header("cookie", cookie_header)
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let set_cookies: Vec<String> = headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for line in &set_cookies {
            let pair = line.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if line.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = response.text().await.unwrap();
        Answer {
            status,
            headers,
            set_cookies,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        let request = self.client.get(format!("{}{path}", self.server.base));
        self.send(request).await
    }

    /// Posts `fields` as a form, adding the jar's CSRF token as `_csrf`.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let token = self.cookie(CSRF).unwrap_or_default().to_owned();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", &token)];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, &[]).await
    }

    /// Posts exactly `fields`, with extra request headers.
    async fn post_raw(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self
            .client
            .post(format!("{}{path}", self.server.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).unwrap());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }

    /// Registers `phone` through the pages (with `password`), ending on the home page.
    async fn register(&mut self, phone: &str, password: &str) -> Answer {
        self.get("/app/register").await;
        let sent = self.post("/app/register/code", &[("phone", phone)]).await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
        let code = self.server.code_for(phone);
        let done = self
            .post(
                "/app/register",
                &[("phone", phone), ("code", &code), ("password", password)],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert_eq!(done.location(), "/app");
        done
    }

    async fn login(&mut self, phone: &str, password: &str) -> Answer {
        self.get("/app/login").await;
        self.post("/app/login", &[("phone", phone), ("password", password)])
            .await
    }
}

/// A form, its fields, and the message it must answer with.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);

/// Rows that a refused form must not have added to.
async fn rows(server: &TestServer) -> (i64, i64, i64, usize) {
    (
        server.count("customers").await,
        server.count("customer_sessions").await,
        server.count("otp_challenges").await,
        server.outbox.messages().len(),
    )
}

fn assert_security_headers(answer: &Answer, what: &str) {
    let header = |name: &str| {
        answer
            .headers
            .get(name)
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let csp = header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.contains("script-src 'self'"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
    assert!(
        header("strict-transport-security").starts_with("max-age="),
        "{what}"
    );
}

fn assert_host_cookie(line: &str) {
    assert!(line.starts_with("__Host-"), "{line}");
    for flag in ["; Path=/", "; Secure", "; HttpOnly", "; SameSite=Lax"] {
        assert!(line.contains(flag), "{line} lacks {flag}");
    }
    assert!(!line.to_ascii_lowercase().contains("domain="), "{line}");
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    for server in servers().await {
        let mut b = Browser::new(&server);
        let mut answers = vec![
            ("login", b.get("/app/login").await),
            ("login via code", b.get("/app/login?via=code").await),
            ("register", b.get("/app/register").await),
            ("home without a session", b.get("/app").await),
            ("stylesheet", b.get("/assets/app.css").await),
            (
                "csrf refusal",
                b.post_raw("/app/login", &[("phone", "13800000000")], &[])
                    .await,
            ),
            (
                "bad input",
                b.post("/app/login", &[("phone", "<script>")]).await,
            ),
        ];
        b.register("13800000001", "good-password-1").await;
        answers.push(("home", b.get("/app").await));
        answers.push(("me", b.get("/app/me").await));
        for (what, answer) in &answers {
            assert_security_headers(answer, &format!("{} {what}", server.backend));
        }
        let home = &answers[answers.len() - 2].1;
        assert_eq!(home.status, StatusCode::OK);
        assert_eq!(
            home.headers.get("cache-control").unwrap(),
            "no-store",
            "pages with personal data are never cached"
        );
    }
}

#[tokio::test]
async fn the_session_and_csrf_cookies_are_host_only_secure_http_only_and_lax() {
    for server in servers().await {
        let mut b = Browser::new(&server);
        let first = b.get("/app/login").await;
        assert_host_cookie(
            first
                .set_cookie(CSRF)
                .expect("a CSRF cookie on first visit"),
        );
        let again = b.get("/app/login").await;
        assert!(
            again.set_cookie(CSRF).is_none(),
            "a browser that has a token keeps it"
        );
        let done = b.register("13800000002", "good-password-1").await;
        assert_host_cookie(done.set_cookie(SESSION).expect("a session cookie"));
        assert_host_cookie(done.set_cookie(CSRF).expect("a fresh CSRF token at login"));
    }
}

#[tokio::test]
async fn a_form_without_the_right_csrf_token_answers_403_and_changes_nothing() {
    for server in servers().await {
        let mut b = Browser::new(&server);
        b.register("13800000003", "good-password-1").await;
        let token = b.cookie(CSRF).unwrap().to_owned();
        let wrong = "0".repeat(64);
        let before = rows(&server).await;
        let cases: [(&str, Vec<(&str, &str)>); 6] = [
            ("/app/register/code", vec![("phone", "13800000004")]),
            (
                "/app/register",
                vec![("phone", "13800000004"), ("code", "123456")],
            ),
            (
                "/app/login",
                vec![("phone", "13800000003"), ("password", "good-password-1")],
            ),
            ("/app/logout", vec![]),
            ("/app/logout-everywhere", vec![]),
            ("/app/prefs", vec![("lang", "en"), ("elder", "1")]),
        ];
        for (path, fields) in &cases {
            let mut with_wrong = vec![("_csrf", wrong.as_str())];
            with_wrong.extend(fields.iter().copied());
            let mut cross_site = vec![("_csrf", token.as_str())];
            cross_site.extend(fields.iter().copied());
            let attempts = [
                ("missing", b.post_raw(path, fields, &[]).await),
                ("wrong", b.post_raw(path, &with_wrong, &[]).await),
                (
                    "cross-site",
                    b.post_raw(path, &cross_site, &[("sec-fetch-site", "cross-site")])
                        .await,
                ),
            ];
            for (how, answer) in attempts {
                assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path} {how}");
                assert!(answer.set_cookie(SESSION).is_none(), "{path} {how}");
                assert!(
                    answer.set_cookie("__Host-cardlife_lang").is_none(),
                    "{path} {how}"
                );
                assert!(answer.body.contains("页面已过期"), "{path} {how}");
            }
        }
        assert_eq!(rows(&server).await, before, "{}", server.backend);
        // The session survived every refused logout.
        assert_eq!(b.get("/app").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn bad_input_on_every_form_answers_the_form_again_with_a_message_and_writes_nothing() {
    for server in servers().await {
        let mut b = Browser::new(&server);
        b.register("13800000005", "good-password-1").await;
        let mut b = Browser::new(&server);
        b.get("/app/login").await;
        let long = "1".repeat(5000);
        let script = "<script>x</script>";
        let cases: Vec<Case> = vec![
            ("/app/register/code", vec![("phone", "")], "请输入手机号"),
            ("/app/register/code", vec![("phone", &long)], "输入内容过长"),
            (
                "/app/register/code",
                vec![("phone", "12345")],
                "13–19 开头的 11 位数字",
            ),
            (
                "/app/register/code",
                vec![("phone", script)],
                "13–19 开头的 11 位数字",
            ),
            (
                "/app/register",
                vec![("phone", "13800000006"), ("code", "")],
                "请输入验证码",
            ),
            (
                "/app/register",
                vec![("phone", "13800000006"), ("code", &long)],
                "输入内容过长",
            ),
            (
                "/app/register",
                vec![("phone", "13800000006"), ("code", "12ab56")],
                "验证码是 6 位数字",
            ),
            (
                "/app/register",
                vec![("phone", "13800000006"), ("code", script)],
                "输入内容过长",
            ),
            (
                "/app/register",
                vec![("phone", script), ("code", "123456")],
                "13–19 开头的 11 位数字",
            ),
            (
                "/app/register",
                vec![
                    ("phone", "13800000006"),
                    ("code", "123456"),
                    ("password", "12345678"),
                ],
                "密码不能全是数字",
            ),
            (
                "/app/register",
                vec![
                    ("phone", "13800000006"),
                    ("code", "123456"),
                    ("password", &long),
                ],
                "密码最多 64 位",
            ),
            (
                "/app/register",
                vec![("phone", "13800000006"), ("code", "123456")],
                "验证码已失效",
            ),
            (
                "/app/register",
                vec![("phone", "13800000005"), ("code", "123456")],
                "该手机号已注册",
            ),
            (
                "/app/login",
                vec![("phone", ""), ("password", "x")],
                "请输入手机号",
            ),
            (
                "/app/login",
                vec![("phone", script), ("password", "x")],
                "13–19 开头的 11 位数字",
            ),
            (
                "/app/login",
                vec![("phone", "13800000005"), ("password", "")],
                "请输入密码",
            ),
            (
                "/app/login",
                vec![("phone", "13800000005"), ("password", &long)],
                "密码最多 64 位",
            ),
            (
                "/app/login",
                vec![("phone", "13800000005"), ("password", "Wrong-pass-42")],
                "手机号、密码或验证码不正确",
            ),
            (
                "/app/login/code/send",
                vec![("phone", script)],
                "13–19 开头的 11 位数字",
            ),
            (
                "/app/login/code",
                vec![("phone", "13800000005"), ("code", "")],
                "请输入验证码",
            ),
            (
                "/app/login/code",
                vec![("phone", "13800000005"), ("code", script)],
                "输入内容过长",
            ),
            (
                "/app/login/code",
                vec![("phone", "13800000005"), ("code", "654321")],
                "手机号、密码或验证码不正确",
            ),
        ];
        for (path, fields, message) in &cases {
            let before = (
                server.count("customers").await,
                server.count("customer_sessions").await,
                server.outbox.messages().len(),
            );
            let answer = b.post(path, fields).await;
            let what = format!("{} {path} {fields:?}", server.backend);
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}");
            assert!(answer.body.contains(message), "{what}: no «{message}»");
            assert!(answer.body.contains("<form"), "{what}: the form again");
            assert!(!answer.body.contains("<script>x"), "{what}: reflected");
            assert!(
                !answer.body.contains(&long),
                "{what}: a pasted essay echoed"
            );
            assert!(
                !answer.body.contains("Wrong-pass-42"),
                "{what}: password echoed"
            );
            assert!(answer.set_cookie(SESSION).is_none(), "{what}");
            let after = (
                server.count("customers").await,
                server.count("customer_sessions").await,
                server.outbox.messages().len(),
            );
            assert_eq!(after, before, "{what}: something was written");
        }
        // A short bad phone comes back escaped, so the person sees what they typed.
        let answer = b.post("/app/register/code", &[("phone", "<b>x</b>")]).await;
        assert!(
            answer.body.contains("value=\"&#60;b&#62;x&#60;/b&#62;\"")
                || answer.body.contains("&lt;b&gt;"),
            "{}",
            answer.body
        );
    }
}

#[tokio::test]
async fn each_login_gets_a_new_session_and_ends_the_browsers_previous_one() {
    for server in servers().await {
        let mut b = Browser::new(&server);
        b.register("13800000007", "good-password-1").await;
        let first = b.cookie(SESSION).unwrap().to_owned();
        let csrf_first = b.cookie(CSRF).unwrap().to_owned();
        let login = b.login("13800000007", "good-password-1").await;
        assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
        let second = b.cookie(SESSION).unwrap().to_owned();
        assert_ne!(first, second, "a login must not reuse the session token");
        assert_ne!(
            csrf_first,
            b.cookie(CSRF).unwrap(),
            "the CSRF token rotates too"
        );
        let (status, _) = server.get("/v1/me", Some(&first)).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "the replaced session ended"
        );
        let (status, _) = server.get("/v1/me", Some(&second)).await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test]
async fn logout_clears_the_cookie_and_ends_the_session() {
    for server in servers().await {
        let mut b = Browser::new(&server);
        b.register("13800000008", "good-password-1").await;
        let token = b.cookie(SESSION).unwrap().to_owned();
        let out = b.post("/app/logout", &[]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert_eq!(out.location(), "/app/login");
        let cleared = out.set_cookie(SESSION).expect("the cookie is cleared");
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
        assert_host_cookie(cleared);
        let (status, _) = server.get("/v1/me", Some(&token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let home = b.get("/app").await;
        assert_eq!(home.status, StatusCode::SEE_OTHER);
        assert_eq!(home.location(), "/app/login");
    }
}

#[tokio::test]
async fn logout_everywhere_ends_the_sessions_of_every_browser() {
    for server in servers().await {
        let mut phone_browser = Browser::new(&server);
        phone_browser
            .register("13800000009", "good-password-1")
            .await;
        let mut laptop = Browser::new(&server);
        assert_eq!(
            laptop.login("13800000009", "good-password-1").await.status,
            StatusCode::SEE_OTHER
        );
        let out = laptop.post("/app/logout-everywhere", &[]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert!(out.set_cookie(SESSION).unwrap().contains("Max-Age=0"));
        let home = phone_browser.get("/app").await;
        assert_eq!(
            home.location(),
            "/app/login",
            "the other browser is out too"
        );
        assert!(
            home.set_cookie(SESSION).unwrap().contains("Max-Age=0"),
            "a dead session's cookie is cleared"
        );
    }
}

#[tokio::test]
async fn pages_need_a_session_and_show_only_the_masked_phone() {
    for server in servers().await {
        let mut b = Browser::new(&server);
        for path in ["/app", "/app/me"] {
            let answer = b.get(path).await;
            assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
            assert_eq!(answer.location(), "/app/login", "{path}");
        }
        b.register("13812345678", "good-password-1").await;
        let token = b.cookie(SESSION).unwrap().to_owned();
        for path in ["/app", "/app/me"] {
            let answer = b.get(path).await;
            assert_eq!(answer.status, StatusCode::OK, "{path}");
            assert!(answer.body.contains("138****5678"), "{path}");
            assert!(!answer.body.contains("13812345678"), "{path}: full phone");
            assert!(!answer.body.contains(&token), "{path}: session token");
            assert!(!answer.body.contains("good-password-1"), "{path}: password");
        }
        let home = b.get("/app").await;
        assert_eq!(
            home.body.matches("即将上线").count(),
            0,
            "pay, bills, borrow, rewards and cards lead to their pages"
        );
        for href in [
            "/app/pay",
            "/app/bills",
            "/app/borrow",
            "/app/rewards",
            "/app/cards",
        ] {
            assert!(home.body.contains(&format!("href=\"{href}\"")), "{href}");
        }
        assert!(!home.body.contains("¥"), "no made-up amounts");
    }
}

#[tokio::test]
async fn the_language_and_elder_switches_persist_and_never_redirect_elsewhere() {
    for server in servers().await {
        let mut b = Browser::new(&server);
        let login = b.get("/app/login").await;
        assert!(login.body.contains("<html lang=\"zh-CN\">"));
        assert!(login.body.contains("登录"));
        let switched = b
            .post("/app/prefs", &[("lang", "en"), ("back", "/app/login")])
            .await;
        assert_eq!(switched.status, StatusCode::SEE_OTHER);
        assert_eq!(switched.location(), "/app/login");
        assert_host_cookie(switched.set_cookie("__Host-cardlife_lang").unwrap());
        let login = b.get("/app/login").await;
        assert!(login.body.contains("<html lang=\"en\">"));
        assert!(login.body.contains("Log in"));
        assert!(!login.body.contains("登录"));

        b.register("13800000010", "good-password-1").await;
        let home = b.get("/app").await;
        assert_eq!(home.body.matches("Coming soon").count(), 0);
        let elder = b
            .post("/app/prefs", &[("elder", "1"), ("back", "/app")])
            .await;
        assert_eq!(elder.location(), "/app");
        let home = b.get("/app").await;
        assert!(home.body.contains("<body class=\"elder\">"));
        assert_eq!(
            home.body.matches("data-test=\"tile-").count(),
            4,
            "fewer items (pay, bills, cards, my points)"
        );
        assert_eq!(
            home.body.matches("Coming soon").count(),
            0,
            "the essentials are built"
        );

        for back in [
            "//evil.example/",
            "https://evil.example",
            "/app/../../x",
            "/v1/me",
        ] {
            let answer = b
                .post("/app/prefs", &[("lang", "zh-CN"), ("back", back)])
                .await;
            assert_eq!(answer.location(), "/app", "{back}");
        }
        let ignored = b
            .post("/app/prefs", &[("lang", "<script>"), ("elder", "2")])
            .await;
        assert!(ignored.set_cookies.is_empty(), "{:?}", ignored.set_cookies);
    }
}

#[tokio::test]
async fn the_development_sms_page_exists_only_in_development_mode() {
    for server in servers().await {
        let (status, _) = server.get("/dev/sms", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{}", server.backend);
    }
    let server = spawn_sqlite_dev().await;
    let mut b = Browser::new(&server);
    let empty = b.get("/dev/sms").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_security_headers(&empty, "dev sms");
    assert!(empty.body.contains("还没有发送过验证码"));
    b.post("/app/register/code", &[("phone", "13912345678")])
        .await;
    let code = server.code_for("13912345678");
    let page = b.get("/dev/sms").await;
    assert!(page.body.contains("139****5678"));
    assert!(page.body.contains(&code));
    assert!(!page.body.contains("13912345678"), "the phone is masked");
}

#[tokio::test]
async fn assets_are_embedded_with_cache_headers_and_etags() {
    let server = common::spawn_sqlite().await;
    let mut b = Browser::new(&server);
    for (path, kind, immutable) in [
        ("/assets/app.css", "text/css", false),
        ("/assets/vendor/htmx-2.0.11/htmx.min.js", "javascript", true),
        (
            "/assets/vendor/echarts-6.1.0/echarts.min.js",
            "javascript",
            true,
        ),
    ] {
        let answer = b.get(path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        let content_type = answer
            .headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(content_type.contains(kind), "{path}: {content_type}");
        let cache = answer
            .headers
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(cache.contains("immutable"), immutable, "{path}: {cache}");
        assert!(
            answer.set_cookies.is_empty(),
            "{path}: a cacheable answer sets no cookie"
        );
        let etag = answer
            .headers
            .get("etag")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let again = b
            .send(
                b.client
                    .get(format!("{}{path}", server.base))
                    .header("if-none-match", etag),
            )
            .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
    }
    assert_eq!(b.get("/assets/nope.js").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        b.get("/assets/../Cargo.toml").await.status,
        StatusCode::NOT_FOUND
    );
}
