//! Binding own-bank credit cards (docs/identity.md, "Binding cards"): the holder of a card the
//! bank issued binds it by number and expiry month; an unknown number, another holder's card
//! and a wrong expiry answer the same 404 with nothing written; the first binding is the
//! new-customer campaigns' trigger.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::credit::{open, post};
use common::{TestServer, servers};
use reqwest::StatusCode;
use serde_json::json;

const PAN: &str = "4111111111111111";
const OTHER_PAN: &str = "5500005555555559";

async fn bind(
    s: &TestServer,
    token: &str,
    number: &str,
    expires: &str,
) -> (StatusCode, serde_json::Value) {
    let (status, body, _) = post(
        s,
        "/v1/me/credit-cards",
        token,
        None,
        json!({ "card_number": number, "expires": expires }),
    )
    .await;
    (status, body)
}

#[tokio::test]
async fn a_holder_binds_their_own_card_by_number_and_expiry_and_nobody_elses() {
    for s in servers().await {
        let holder = s.register("13800000051").await;
        let other = s.register("13800000052").await;
        let account = open(&s, &holder.id, PAN, 1_000_000).await;
        open(&s, &other.id, OTHER_PAN, 1_000_000).await;
        let (_, none) = s.get("/v1/me/credit-cards", Some(&holder.token)).await;
        assert_eq!(none, json!([]));

        // What cannot be bound answers the same, and writes nothing.
        let before = s.count("credit_card_bindings").await;
        for (number, expires) in [
            (OTHER_PAN, "2030-12"),          // another holder's card
            ("4000000000000002", "2030-12"), // a valid number nobody holds
            (PAN, "2031-12"),                // the wrong expiry
        ] {
            let (status, b) = bind(&s, &holder.token, number, expires).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{number} {expires}: {b}");
        }
        for (number, expires) in [
            ("4111111111111112", "2030-12"),
            (PAN, "12/30"),
            ("<script>", "2030-12"),
        ] {
            let (status, b) = bind(&s, &holder.token, number, expires).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{number} {expires}: {b}"
            );
        }
        assert_eq!(
            s.count("credit_card_bindings").await,
            before,
            "{}",
            s.backend
        );

        let (status, card) = bind(&s, &holder.token, PAN, "2030-12").await;
        assert_eq!(status, StatusCode::CREATED, "{card}");
        assert_eq!(card["account_id"], account.as_str());
        assert_eq!(
            (card["first6"].as_str(), card["last4"].as_str()),
            (Some("411111"), Some("1111"))
        );
        assert!(!card.to_string().contains(PAN), "never the full number");
        let (status, again) = bind(&s, &holder.token, PAN, "2030-12").await;
        assert_eq!(status, StatusCode::OK, "binding again is harmless: {again}");
        assert_eq!(s.count("credit_card_bindings").await, before + 1);

        let (_, list) = s.get("/v1/me/credit-cards", Some(&holder.token)).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        let (_, theirs) = s.get("/v1/me/credit-cards", Some(&other.token)).await;
        assert_eq!(theirs, json!([]), "the other holder sees none of it");
        let (status, _) = s.get("/v1/me/credit-cards", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}
