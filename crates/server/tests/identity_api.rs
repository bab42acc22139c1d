//! Real-name details and devices over HTTP, on every backend (docs/identity.md): masked on every
//! answer, sealed at rest, one ID per customer, corrected and erased by the customer; devices
//! named at login, listed, and signed out one by one. Every refusal writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{INTERNAL_TOKEN, TestServer, servers};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const NAME: &str = "张三";
const ID: &str = "11010519491231002X";

async fn put_real_name(s: &TestServer, token: &str, name: &str, id: &str) -> (StatusCode, Value) {
    s.call(
        Method::PUT,
        "/v1/me/real-name",
        Some(token),
        Some(json!({ "name": name, "resident_id": id })),
    )
    .await
}

/// A real-name row's columns that could hold the details.
type Stored = (Vec<u8>, String, String, Vec<u8>, Vec<u8>);

/// Every stored byte of the real-name rows, to show no clear name or ID is among them.
async fn stored_bytes(s: &TestServer) -> Vec<u8> {
    let sql =
        "SELECT id_lookup, name_masked, id_masked, seal_nonce, sealed FROM customer_real_names";
    let rows: Vec<Stored> = match &s.db {
        cardlife_store::db::Db::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
        cardlife_store::db::Db::Postgres(pool) => {
            sqlx::query_as(sql).fetch_all(pool).await.unwrap()
        }
    };
    rows.into_iter()
        .flat_map(|(a, b, c, d, e)| [a, b.into_bytes(), c.into_bytes(), d, e].concat())
        .collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn real_name_details_are_masked_sealed_and_verified() {
    for s in servers().await {
        let c = s.register("13700002001").await;
        let (status, body) = s.get("/v1/me/real-name", Some(&c.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

        let (status, body) = put_real_name(&s, &c.token, NAME, ID).await;
        assert_eq!(status, StatusCode::OK, "{} {body}", s.backend);
        assert_eq!(body["name_masked"], "张*");
        assert_eq!(body["resident_id_masked"], "110***********002X");
        assert_eq!(body["verified"], true);
        assert!(body["verified_at"].is_string());
        let (status, read) = s.get("/v1/me/real-name", Some(&c.token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(read, body);
        assert!(!read.to_string().contains(ID) && !read.to_string().contains(NAME));

        let stored = stored_bytes(&s).await;
        assert!(!stored.is_empty());
        assert!(
            !contains(&stored, ID),
            "the ID number is not stored in clear"
        );
        assert!(!contains(&stored, NAME), "the name is not stored in clear");

        // Another customer sees none of it, and cannot take the same ID.
        let other = s.register("13700002002").await;
        let (status, _) = s.get("/v1/me/real-name", Some(&other.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, body) = put_real_name(&s, &other.token, "李四", ID).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["code"], "RESIDENT_ID_IN_USE");
        assert_eq!(s.count("customer_real_names").await, 1);
    }
}

#[tokio::test]
async fn bad_details_are_refused_precisely_and_change_nothing() {
    for s in servers().await {
        let c = s.register("13700002003").await;
        let (status, _) = put_real_name(&s, &c.token, NAME, ID).await;
        assert_eq!(status, StatusCode::OK);
        let (_, before) = s.get("/v1/me/real-name", Some(&c.token)).await;
        let cases = [
            (NAME, "11010519491231002", "INVALID_RESIDENT_ID"),
            (NAME, "110105194912310021", "INVALID_RESIDENT_ID"),
            (NAME, "110105194913310027", "INVALID_RESIDENT_ID"),
            ("", ID, "INVALID_NAME"),
            ("张3", ID, "INVALID_NAME"),
            ("<script>alert(1)</script>", ID, "INVALID_NAME"),
            (NAME, "<script>", "INVALID_RESIDENT_ID"),
        ];
        for (name, id, code) in cases {
            let (status, body) = put_real_name(&s, &c.token, name, id).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name:?} {id:?}: {body}"
            );
            assert_eq!(body["code"], code, "{name:?} {id:?}");
        }
        let (status, body) = s
            .call(
                Method::PUT,
                "/v1/me/real-name",
                Some(&c.token),
                Some(json!({ "name": NAME })),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (_, after) = s.get("/v1/me/real-name", Some(&c.token)).await;
        assert_eq!(after, before, "{}", s.backend);
        let (status, _) = s.get("/v1/me/real-name", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_minor_is_stored_unverified_and_details_can_be_corrected_and_erased() {
    for s in servers().await {
        let c = s.register("13700002004").await;
        // Born 2015-06-01: a minor on the test clock's date.
        let (status, body) = put_real_name(&s, &c.token, "王小明", "110105201506010016").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["verified"], false);
        assert_eq!(body["rejected"], "under_18");

        // A correction replaces the details and their verification.
        let (status, body) = put_real_name(&s, &c.token, NAME, ID).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["verified"], true);
        assert_eq!(body["rejected"], Value::Null);
        assert_eq!(s.count("customer_real_names").await, 1);

        let (status, _) = s
            .call(Method::DELETE, "/v1/me/real-name", Some(&c.token), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = s.get("/v1/me/real-name", Some(&c.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, body) = s
            .call(Method::DELETE, "/v1/me/real-name", Some(&c.token), None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        // Once erased, the ID is free for its rightful holder's new account.
        let again = s.register("13700002005").await;
        let (status, _) = put_real_name(&s, &again.token, NAME, ID).await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test]
async fn details_are_kept_while_a_credit_account_is_held() {
    for s in servers().await {
        let c = s.register("13700002006").await;
        let (status, _) = put_real_name(&s, &c.token, NAME, ID).await;
        assert_eq!(status, StatusCode::OK);
        let response = s
            .client
            .post(format!("{}/v1/internal/credit/accounts", s.base))
            .bearer_auth(INTERNAL_TOKEN)
            .header("Idempotency-Key", "open-identity-1")
            .json(&json!({
                "customer_id": c.id,
                "credit_limit_fen": 1_000_000,
                "card_number": "6225880137461233",
                "card_expires": "2030-12",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "{}", s.backend);
        let (status, body) = s
            .call(Method::DELETE, "/v1/me/real-name", Some(&c.token), None)
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["code"], "REAL_NAME_KEPT");
        assert_eq!(s.count("customer_real_names").await, 1);
    }
}

async fn login(s: &TestServer, phone: &str, device: Value) -> (StatusCode, Value) {
    let password = format!("pw-{phone}-secret");
    s.post(
        "/v1/sessions",
        None,
        json!({ "phone": phone, "password": password, "device": device }),
    )
    .await
}

#[tokio::test]
async fn devices_are_named_at_login_listed_and_signed_out_one_by_one() {
    for s in servers().await {
        let c = s.register("13700002007").await;
        let phone = json!({ "id": "phone-0123456789abcdef", "name": "华为 Mate 60" });
        let laptop = json!({ "id": "laptop-0123456789abcdef", "name": "MacBook" });

        let (status, first) = login(&s, &c.phone, phone.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        assert_eq!(first["new_device"], true);
        s.clock.advance(jiff::SignedDuration::from_mins(2));
        let (_, again) = login(&s, &c.phone, phone.clone()).await;
        assert_eq!(again["new_device"], false);
        assert_eq!(again["device_id"], first["device_id"]);
        s.clock.advance(jiff::SignedDuration::from_mins(2));
        let (_, on_laptop) = login(&s, &c.phone, laptop).await;
        assert_eq!(on_laptop["new_device"], true);

        let (status, list) = s.get("/v1/me/devices", Some(&c.token)).await;
        assert_eq!(status, StatusCode::OK);
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["MacBook", "华为 Mate 60"], "most recent first");
        let raw = list.to_string();
        assert!(
            !raw.contains("phone-0123456789abcdef"),
            "the client's id is not shown"
        );

        // Another customer cannot sign my device out.
        let other = s.register("13700002008").await;
        let phone_id = first["device_id"].as_str().unwrap();
        let path = format!("/v1/me/devices/{phone_id}");
        let (status, _) = s
            .call(Method::DELETE, &path, Some(&other.token), None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Signing the phone out ends both its sessions; the laptop's and the first one stay.
        let (status, _) = s
            .call(Method::DELETE, &path, on_laptop["token"].as_str(), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        for gone in [&first, &again] {
            let (status, _) = s.get("/v1/me", gone["token"].as_str()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{}", s.backend);
        }
        for kept in [on_laptop["token"].as_str().unwrap(), c.token.as_str()] {
            let (status, _) = s.get("/v1/me", Some(kept)).await;
            assert_eq!(status, StatusCode::OK);
        }
        let (_, list) = s.get("/v1/me/devices", Some(&c.token)).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        let (status, _) = s.call(Method::DELETE, &path, Some(&c.token), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn a_malformed_device_refuses_the_login_and_starts_no_session() {
    for s in servers().await {
        let c = s.register("13700002009").await;
        let sessions = s.count("customer_sessions").await;
        for device in [
            json!({ "id": "short", "name": "phone" }),
            json!({ "id": "phone-0123456789abcdef", "name": "" }),
            json!({ "id": "phone 0123456789abcdef", "name": "phone" }),
        ] {
            let (status, body) = login(&s, &c.phone, device.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{device}: {body}");
            assert_eq!(body["code"], "INVALID_DEVICE");
        }
        assert_eq!(s.count("customer_sessions").await, sessions);
        assert_eq!(s.count("customer_devices").await, 0);
    }
}
