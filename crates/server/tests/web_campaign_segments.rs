//! The console's campaign form with its target segment, on both stores (docs/web.md, "Operator
//! console"; docs/rewards.md, "Target segments"): the lifecycle stage, value tier and card BIN
//! fields are stored as the campaign's segment and shown on the calendar; a code that is not a
//! stage, a tier or a BIN re-renders the form with 422, the precise reason and what was typed,
//! and writes nothing; and the segment targets — a payer whose card is outside it gets nothing,
//! one inside gets the campaign's coupon.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod pages;

use common::merchant::{ledger_ok, onboard, open_card, order, pay};
use common::{Customer, TestServer, servers};
use pages::{Browser, create_operator, operator_password};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The campaign form's fields: a payment of 10.00 or more grants `template`, for `segment`
/// (stages, value tiers, card BINs as typed).
fn campaign_fields<'a>(
    name: &'a str,
    template: &'a str,
    (stages, value_tiers, card_bins): (&'a str, &'a str, &'a str),
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("trigger", "payment"),
        ("min_amount", "10.00"),
        ("template_a", template),
        ("budget", "20.00"),
        ("starts_at", "2026-03-01"),
        ("ends_at", "2026-05-01"),
        ("per_customer", "1"),
        ("stages", stages),
        ("value_tiers", value_tiers),
        ("card_bins", card_bins),
    ]
}

/// The first template id offered in the campaign form.
fn first_template(body: &str) -> String {
    let start = body.find("option value=\"cpt_").unwrap() + "option value=\"".len();
    body[start..start + 36].to_owned()
}

/// The segment cell of the calendar row of campaign `name`.
fn segment_cell<'a>(body: &'a str, name: &str) -> &'a str {
    let row = body
        .find(&format!("data-test=\"campaign\" data-name=\"{name}\""))
        .unwrap_or_else(|| panic!("no calendar row {name}: {body}"));
    let cell = "data-test=\"c-segment\">";
    let start = row + body[row..].find(cell).unwrap() + cell.len();
    let end = start + body[start..].find('<').unwrap();
    &body[start..end]
}

/// The operator's API token (the same login as the console's).
async fn api_token(s: &TestServer, login: &str) -> String {
    let (status, b) = s
        .post(
            "/v1/operator/sessions",
            None,
            json!({ "login": login, "password": operator_password(login) }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    b["token"].as_str().unwrap().to_owned()
}

async fn my_coupons(s: &TestServer, c: &Customer) -> Vec<Value> {
    let (status, list) = s.get("/v1/me/coupons", Some(&c.token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

#[tokio::test]
async fn campaign_form_segment_fields_are_stored_shown_checked_and_target_the_grant() {
    for s in servers().await {
        create_operator(&s, "seg-cm", "13900000701", "campaign_manager").await;
        let mut m = Browser::new(&s);
        m.console_login("seg-cm").await;
        m.get("/console/campaigns").await;
        // A campaign-only template: nobody can claim it, only a campaign grants it.
        let done = m
            .post(
                "/console/campaigns/templates",
                &[
                    ("name", "定向三元券"),
                    ("kind", "fixed_off"),
                    ("off", "3.00"),
                    ("valid_days", "7"),
                    ("funding", "bank"),
                    ("budget", "50.00"),
                    ("stock", "10"),
                    ("per_user", "1"),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let template = first_template(&m.get("/console/campaigns").await.body);

        // Bad segment input: 422, the precise reason, what was typed, nothing written.
        for (segment, reason, typed) in [
            (
                ("vip", "", ""),
                "a lifecycle stage is delinquent, financing, active, dormant, unactivated or \
                 prospect",
                "value=\"vip\"",
            ),
            (
                ("active", "gold", ""),
                "a value tier is high, medium, low or none",
                "value=\"gold\"",
            ),
            (
                ("", "", "622848, 12ab56"),
                "a card BIN is 6 to 8 digits",
                "value=\"622848, 12ab56\"",
            ),
            (
                ("", "", "55555"),
                "a card BIN is 6 to 8 digits",
                "value=\"55555\"",
            ),
        ] {
            let answer = m
                .post(
                    "/console/campaigns/new",
                    &campaign_fields("坏分群", &template, segment),
                )
                .await;
            assert_eq!(
                answer.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{segment:?}: {}",
                answer.body
            );
            let error = answer
                .body
                .split("data-test=\"campaign-error\">")
                .nth(1)
                .and_then(|rest| rest.split('<').next())
                .unwrap_or_else(|| panic!("no campaign error: {}", answer.body));
            assert!(error.ends_with(reason), "{segment:?}: {error}");
            assert!(answer.body.contains(typed), "{segment:?}: echoed");
        }
        assert_eq!(s.count("campaigns").await, 0);
        assert_eq!(s.count("audit_log WHERE action LIKE 'campaign%'").await, 0);

        // Good input: stored with its segment, shown on the calendar.
        for (name, segment) in [
            ("BIN 专享", ("", "", " 555555 ")),
            ("沉睡唤醒", ("dormant", "", "")),
            ("高价值活跃", ("active", "high", "62284801")),
        ] {
            let done = m
                .post(
                    "/console/campaigns/new",
                    &campaign_fields(name, &template, segment),
                )
                .await;
            assert_eq!(done.status, StatusCode::SEE_OTHER, "{name}: {}", done.body);
        }
        assert_eq!(s.count("campaigns").await, 3);
        let page = m.get("/console/campaigns").await;
        assert_eq!(segment_cell(&page.body, "BIN 专享"), "555555");
        assert_eq!(segment_cell(&page.body, "沉睡唤醒"), "dormant");
        assert_eq!(
            segment_cell(&page.body, "高价值活跃"),
            "active, high, 62284801"
        );
        let token = api_token(&s, "seg-cm").await;
        let (status, calendar) = s.get("/v1/operator/campaigns", Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "{calendar}");
        let stored = |name: &str| {
            calendar
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == name)
                .unwrap()["segment"]
                .clone()
        };
        assert_eq!(
            stored("BIN 专享"),
            json!({ "stages": [], "value_tiers": [], "card_bins": ["555555"] })
        );
        assert_eq!(
            stored("沉睡唤醒"),
            json!({ "stages": ["dormant"], "value_tiers": [], "card_bins": [] })
        );
        assert_eq!(
            stored("高价值活跃"),
            json!({ "stages": ["active"], "value_tiers": ["high"], "card_bins": ["62284801"] })
        );

        // The segment targets: a payer with a 555555 card is granted by the BIN campaign; a
        // payer whose card is outside it, and every payer outside the other two, gets nothing.
        let (_, keys) = onboard(&s, "Segment Tea House", "seg-rev").await;
        let inside = s.register("13920017001").await;
        let outside = s.register("13920017002").await;
        open_card(&s, &inside.id, "5555555555554444", 100_000, "2030-12").await;
        open_card(&s, &outside.id, "4111111111111111", 100_000, "2030-12").await;
        for (c, key) in [(&outside, "seg-pay-out"), (&inside, "seg-pay-in")] {
            let o = order(&s, &keys, "30.00").await;
            let (status, paid) =
                pay(&s, &c.token, key, json!({ "payload": o["qr_payload"] })).await;
            assert_eq!(status, StatusCode::CREATED, "{paid}");
        }
        assert!(
            my_coupons(&s, &outside).await.is_empty(),
            "outside the segment: nothing"
        );
        let mine = my_coupons(&s, &inside).await;
        assert_eq!(mine.len(), 1, "{mine:?}");
        assert_eq!(s.count("campaign_grants").await, 1);
        let (_, calendar) = s.get("/v1/operator/campaigns", Some(&token)).await;
        for c in calendar.as_array().unwrap() {
            let expected = if c["name"] == "BIN 专享" {
                "3.00"
            } else {
                "0.00"
            };
            assert_eq!(c["granted"], expected, "{c}");
        }
        // The campaign-only template is not offered to claim, inside the segment or not.
        let mut holder = Browser::new(&s);
        holder.get("/app/login").await;
        let login = holder
            .post(
                "/app/login",
                &[("phone", &inside.phone), ("password", &inside.password)],
            )
            .await;
        assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
        let rewards = holder.get("/app/rewards").await;
        assert!(
            !rewards.body.contains(&format!("value=\"{template}\"")),
            "no claim form for a campaign-only template"
        );
        ledger_ok(&s).await;
    }
}
