//! Membership levels over HTTP on both stores (docs/rewards.md, "Membership levels"): a new
//! customer is on the lowest tier; a star value from weighted scores upgrades at once; falling
//! below holds the tier until a checkpoint, then downgrades; the history is effective-dated; the
//! weights are data an operator sets; bad input changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::merchant::code;
use common::{INTERNAL_TOKEN, TestServer, servers};

async fn evaluate(
    s: &TestServer,
    id: &str,
    on: &str,
    f: i64,
    sp: i64,
    a: i64,
) -> (StatusCode, Value) {
    s.post(
        &format!("/v1/internal/customers/{id}/membership/evaluations"),
        Some(INTERNAL_TOKEN),
        json!({ "on": on, "scores": { "financial": f, "spending": sp, "activity": a } }),
    )
    .await
}

#[tokio::test]
async fn tiers_go_up_at_once_and_down_only_at_checkpoints_with_an_effective_dated_history() {
    for s in servers().await {
        let c = s.register("13912347001").await;
        let (status, m) = s.get("/v1/me/membership", Some(&c.token)).await;
        assert_eq!(status, StatusCode::OK, "{m}");
        assert_eq!(
            (m["tier"]["code"].as_str(), m["next"]["code"].as_str()),
            (Some("standard"), Some("silver"))
        );

        // 0.5 × 6,000 + 0.3 × 5,000 + 0.2 × 2,500 = 5,000: gold at once.
        let (status, e) = evaluate(&s, &c.id, "2026-04-10", 6_000, 5_000, 2_500).await;
        assert_eq!(status, StatusCode::OK, "{e}");
        assert_eq!(
            (
                e["change"].as_str(),
                e["membership"]["tier"]["code"].as_str()
            ),
            (Some("upgraded"), Some("gold"))
        );
        assert_eq!(e["membership"]["star"], 5_000);

        // Below gold in May: held until the 1 July checkpoint, then down to what is qualified.
        let (_, e) = evaluate(&s, &c.id, "2026-05-10", 2_000, 1_000, 0).await;
        assert_eq!(
            (
                e["change"].as_str(),
                e["membership"]["tier"]["code"].as_str()
            ),
            (Some("held"), Some("gold")),
            "{e}"
        );
        let (_, e) = evaluate(&s, &c.id, "2026-07-02", 2_000, 1_000, 0).await;
        assert_eq!(
            (
                e["change"].as_str(),
                e["membership"]["tier"]["code"].as_str()
            ),
            (Some("downgraded"), Some("silver")),
            "{e}"
        );
        let history: Vec<(String, String)> = e["membership"]["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["tier"].as_str().unwrap().to_owned(),
                    h["from"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            history,
            vec![
                ("standard".to_owned(), "2026-04-01".to_owned()),
                ("gold".to_owned(), "2026-04-10".to_owned()),
                ("silver".to_owned(), "2026-07-02".to_owned()),
            ]
        );

        // Refused, nothing written: out of date order, negative scores, unknown and bad ids.
        let before = s.get("/v1/me/membership", Some(&c.token)).await.1;
        let (status, b) = evaluate(&s, &c.id, "2026-06-01", 1, 1, 1).await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "EVALUATION_OUT_OF_ORDER"),
            "{b}"
        );
        let (status, b) = evaluate(&s, &c.id, "2026-08-01", -1, 1, 1).await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_TERMS"),
            "{b}"
        );
        let (status, b) = evaluate(&s, "nope", "2026-08-01", 1, 1, 1).await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::BAD_REQUEST, "INVALID_ID"),
            "{b}"
        );
        assert_eq!(s.get("/v1/me/membership", Some(&c.token)).await.1, before);

        // The weights are data: with spending alone counting, 1,000 spending is silver's 1,000.
        let (_, mut programme) = s.get("/v1/membership/programme", None).await;
        programme["weights"] = json!({ "financial": "0", "spending": "1", "activity": "0" });
        let resp = s
            .client
            .put(format!("{}/v1/internal/membership/programme", s.base))
            .bearer_auth(INTERNAL_TOKEN)
            .json(&programme)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let mut broken = programme.clone();
        broken["tiers"][0]["threshold"] = json!(5);
        let resp = s
            .client
            .put(format!("{}/v1/internal/membership/programme", s.base))
            .bearer_auth(INTERNAL_TOKEN)
            .json(&broken)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let (_, now) = s.get("/v1/membership/programme", None).await;
        assert_eq!(now["weights"]["spending"], "1");
        let (_, e) = evaluate(&s, &c.id, "2026-08-01", 0, 1_000, 0).await;
        assert_eq!(
            (e["change"].as_str(), e["membership"]["star"].as_i64()),
            (Some("unchanged"), Some(1_000)),
            "{e}"
        );
    }
}
