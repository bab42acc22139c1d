//! A browser without JavaScript for the page tests of the portal and the console (a cookie jar
//! and a client that does not follow redirects), and the steps the tests share.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::common::{INTERNAL_TOKEN, TestServer};

pub const CSRF: &str = "__Host-cardlife_csrf";
pub const SESSION: &str = "__Host-cardlife_session";
pub const OPERATOR: &str = "__Host-cardlife_operator";
pub const MERCHANT: &str = "__Host-cardlife_merchant";

/// One answer, with the `Set-Cookie` lines it carried.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .map_or("", |v| v.to_str().unwrap())
    }

    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(String::as_str)
    }
}

/// A cookie jar and a client that does not follow redirects: a browser without JavaScript.
pub struct Browser<'a> {
    server: &'a TestServer,
    client: reqwest::Client,
    pub jar: BTreeMap<String, String>,
}

impl<'a> Browser<'a> {
    pub fn new(server: &'a TestServer) -> Self {
        Self {
            server,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: BTreeMap::new(),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.jar.get(name).map(String::as_str)
    }

    pub async fn send(&mut self, request: reqwest::RequestBuilder) -> Answer {
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

    pub async fn get(&mut self, path: &str) -> Answer {
        let request = self.client.get(format!("{}{path}", self.server.base));
        self.send(request).await
    }

    /// Posts `fields` as a form, adding the jar's CSRF token as `_csrf`.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let token = self.cookie(CSRF).unwrap_or_default().to_owned();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", &token)];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, &[]).await
    }

    /// Posts exactly `fields`, with extra request headers.
    pub async fn post_raw(
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

    /// Posts a `multipart/form-data` form: the jar's CSRF token as `_csrf` when `with_token`,
    /// then `bytes` as the file part `field` — what a browser sends for a file input.
    pub async fn upload(
        &mut self,
        path: &str,
        with_token: bool,
        field: &str,
        bytes: &[u8],
    ) -> Answer {
        const BOUNDARY: &str = "cardlife-test-boundary-7d41";
        let mut body = Vec::new();
        if with_token {
            let token = self.cookie(CSRF).unwrap_or_default().to_owned();
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"code.png\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let request = self
            .client
            .post(format!("{}{path}", self.server.base))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body);
        self.send(request).await
    }

    /// Registers a cardholder through the pages and logs in.
    pub async fn register(&mut self, phone: &str, password: &str) {
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
    }

    /// Logs an operator in on the console.
    pub async fn console_login(&mut self, login: &str) -> Answer {
        self.get("/console/login").await;
        let password = operator_password(login);
        self.post(
            "/console/login",
            &[("login", login), ("password", &password)],
        )
        .await
    }

    /// Applies as a merchant on the portal (and is then logged in as its staff).
    pub async fn apply(&mut self, name: &str, login: &str) -> Answer {
        self.get("/merchant/apply").await;
        self.post("/merchant/apply", &application(name, login))
            .await
    }
}

/// A valid application's fields.
pub fn application<'a>(name: &'a str, login: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("city", "Shanghai"),
        ("address", "1 Nanjing Road"),
        ("mcc", "5812"),
        ("settlement_account", "6222000011113445"),
        ("login", login),
        ("password", "shop-secret-1"),
    ]
}

pub fn operator_password(login: &str) -> String {
    format!("pw-{login}-secret")
}

/// Creates an operator with the internal API.
pub async fn create_operator(s: &TestServer, login: &str, phone: &str, role: &str) {
    let (status, body) = s
        .post(
            "/v1/internal/operators",
            Some(INTERNAL_TOKEN),
            json!({ "login": login, "phone": phone, "password": operator_password(login), "role": role }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// The merchant id in the first approve form of the review page.
pub fn first_pending_id(body: &str) -> String {
    let at = body.find("/approve\"").expect("an approve form");
    let start = body[..at].rfind("/console/merchants/").unwrap() + "/console/merchants/".len();
    body[start..at].to_owned()
}

/// The text of the first `data-test="payload"` element.
pub fn first_payload(body: &str) -> String {
    let at =
        body.find("data-test=\"payload\">").expect("a payload") + "data-test=\"payload\">".len();
    let end = body[at..].find('<').unwrap();
    body[at..at + end].replace("&amp;", "&")
}

/// The value of the first hidden field `name`.
pub fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = body.find(&marker).expect("the field") + marker.len();
    let end = body[at..].find('"').unwrap();
    body[at..at + end].to_owned()
}

/// A PNG picture of `text` as a QR code, 4 pixels a module with its quiet zone: what a phone
/// camera gives of a printed code.
pub fn qr_png(text: &str) -> Vec<u8> {
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let width = code.width() as u32;
    let colors = code.to_colors();
    let side = (width + 8) * 4;
    let picture = image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = ((x / 4).checked_sub(4), (y / 4).checked_sub(4));
        let dark = matches!((mx, my), (Some(mx), Some(my)) if mx < width && my < width
            && colors[(my * width + mx) as usize] == qrcode::Color::Dark);
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}
