//! Group buying over the API, on both stores, paying by credit card on the fake clock
//! (docs/rewards.md, "Group buying"): a full group pays the merchant k × price (and T+1
//! settlement pays it out); a group that fails at its deadline refunds every member exactly and
//! once; virtual completion; refusals (second join, full or closed group, no card, bad terms,
//! unknown or foreign ids) charge nothing and write nothing; concurrent joins never make k + 1
//! members; replays answer the same group. The ledger check holds after every money step.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use cardlife_app::AppError;
use cardlife_app::merchants::CardFunding;
use cardlife_app::merchants::funding::{self, AuthId, FundingFuture, FundingRequest};
use cardlife_app::rewards::group_buy_money::holding_account;
use cardlife_kernel::MerchantId;
use common::merchant::{card, code, ledger_account, ledger_ok, onboard, open_card};
use common::{
    Customer, INTERNAL_TOKEN, TestServer, servers_paying_by_card, servers_paying_by_card_wrapped,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PRICE: i64 = 990;
const LIMIT: i64 = 100_000;

/// An operator of `role`, logged in: its session token.
async fn operator(s: &TestServer, login: &str, role: &str, phone: &str) -> String {
    let password = format!("{login}-password-1");
    let (status, b) = s
        .post(
            "/v1/internal/operators",
            Some(INTERNAL_TOKEN),
            json!({ "login": login, "phone": phone, "password": password, "role": role }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let (status, b) = s
        .post(
            "/v1/operator/sessions",
            None,
            json!({ "login": login, "password": password }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    b["token"].as_str().unwrap().to_owned()
}

/// A Luhn-valid card number for the n-th test cardholder.
fn pan(n: u64) -> String {
    let body = format!("400000{n:09}");
    let digits: Vec<u32> = body.chars().map(|c| c.to_digit(10).unwrap()).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                *d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// A registered cardholder with one credit card: the customer and its account id.
async fn cardholder(s: &TestServer, n: u64) -> (Customer, String) {
    let c = s.register(&format!("139{n:08}")).await;
    let account = open_card(s, &c.id, &pan(n), LIMIT, "2030-12").await;
    (c, account)
}

/// Logs the customers in again (sessions lapse while the clock jumps a window).
async fn relogin(s: &TestServer, who: &mut [&mut Customer]) {
    for c in who.iter_mut() {
        c.token = common::credit::login(s, &c.phone).await;
    }
}

async fn available(s: &TestServer, c: &Customer, account: &str) -> i64 {
    card(s, &c.token, account).await["available_credit_fen"]
        .as_i64()
        .unwrap()
}

/// The offer's terms: k members, 9.90 each, a one-hour window.
fn terms(merchant: &str, size: u32, virtual_completion: bool) -> Value {
    json!({ "merchant_id": merchant, "title": "火锅双人餐", "size": size, "price_fen": PRICE,
            "window_secs": 3600, "starts_at": "2026-03-01T00:00:00Z",
            "ends_at": "2026-06-01T00:00:00Z", "virtual_completion": virtual_completion,
            "per_customer_limit": 2 })
}

/// A merchant, a campaign manager and an offer of `size`: (merchant id, offer id).
async fn offer(s: &TestServer, size: u32, virtual_completion: bool) -> (String, String) {
    let (merchant, _) = onboard(s, "Hotpot House", "gb-reviewer").await;
    let manager = operator(s, "gb-manager", "campaign_manager", "13800000701").await;
    let (status, o) = s
        .post(
            "/v1/operator/group-buys",
            Some(&manager),
            terms(&merchant, size, virtual_completion),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    (merchant, o["id"].as_str().unwrap().to_owned())
}

async fn send(s: &TestServer, path: &str, token: &str, key: Option<&str>) -> (StatusCode, Value) {
    let mut req = s
        .client
        .post(format!("{}{path}", s.base))
        .bearer_auth(token)
        .json(&json!({}));
    if let Some(key) = key {
        req = req.header("idempotency-key", key);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn start(s: &TestServer, offer: &str, c: &Customer, key: &str) -> (StatusCode, Value) {
    send(
        s,
        &format!("/v1/group-buys/{offer}/groups"),
        &c.token,
        Some(key),
    )
    .await
}

async fn join(s: &TestServer, group: &str, c: &Customer, key: &str) -> (StatusCode, Value) {
    send(
        s,
        &format!("/v1/group-buy-groups/{group}/members"),
        &c.token,
        Some(key),
    )
    .await
}

async fn sweep(s: &TestServer) -> Value {
    let (status, b) = s
        .post(
            "/v1/internal/group-buys/settle",
            Some(INTERNAL_TOKEN),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    b
}

fn payable(merchant: &str) -> u128 {
    funding::merchant_payable_account(merchant.parse::<MerchantId>().unwrap())
}

#[tokio::test]
async fn a_full_group_completes_at_the_kth_join_and_the_merchant_is_paid_k_times_the_price() {
    for s in servers_paying_by_card().await {
        let (merchant, offer) = offer(&s, 3, false).await;
        let (a, acc_a) = cardholder(&s, 1).await;
        let (b, acc_b) = cardholder(&s, 2).await;
        let (c, acc_c) = cardholder(&s, 3).await;
        let (d, acc_d) = cardholder(&s, 4).await;

        let (status, started) = start(&s, &offer, &a, "a-start").await;
        assert_eq!(status, StatusCode::CREATED, "{started}");
        assert_eq!(started["group"]["state"], "forming");
        assert_eq!(started["group"]["missing"], 2);
        assert_eq!(started["paid_fen"], PRICE);
        let group = started["group"]["id"].as_str().unwrap().to_owned();
        // The same key answers the same group and charges once.
        let (status, again) = start(&s, &offer, &a, "a-start").await;
        assert_eq!(status, StatusCode::CREATED, "{again}");
        assert_eq!(again["group"]["id"], json!(group));
        assert_eq!(available(&s, &a, &acc_a).await, LIMIT - PRICE);
        assert_eq!(s.count("group_buy_groups").await, 1);
        // Money waits on the holding account, not yet the merchant's.
        assert_eq!(ledger_account(&s, holding_account()).await, (0, PRICE));
        ledger_ok(&s).await;

        // A second join by a member is refused and charges nothing.
        let (status, b2) = join(&s, &group, &a, "a-again").await;
        assert_eq!(
            (status, code(&b2)),
            (StatusCode::CONFLICT, "ALREADY_IN_GROUP"),
            "{b2}"
        );
        assert_eq!(available(&s, &a, &acc_a).await, LIMIT - PRICE);

        let (status, jb) = join(&s, &group, &b, "b-join").await;
        assert_eq!(status, StatusCode::CREATED, "{jb}");
        assert_eq!(jb["group"]["missing"], 1);
        let (status, jc) = join(&s, &group, &c, "c-join").await;
        assert_eq!(status, StatusCode::CREATED, "{jc}");
        assert_eq!(jc["group"]["state"], "completed");
        assert_eq!(jc["group"]["settled"], true);
        for (who, acc) in [(&b, &acc_b), (&c, &acc_c)] {
            assert_eq!(available(&s, who, acc).await, LIMIT - PRICE);
        }
        assert_eq!(ledger_account(&s, payable(&merchant)).await, (0, 3 * PRICE));
        assert_eq!(
            ledger_account(&s, holding_account()).await,
            (3 * PRICE, 3 * PRICE)
        );

        // A full group refuses and charges nothing.
        let (status, full) = join(&s, &group, &d, "d-join").await;
        assert_eq!(
            (status, code(&full)),
            (StatusCode::CONFLICT, "GROUP_FULL"),
            "{full}"
        );
        assert_eq!(available(&s, &d, &acc_d).await, LIMIT);
        assert_eq!(s.count("group_buy_members").await, 3);
        ledger_ok(&s).await;

        // The member sees it completed; the board no longer shows it forming.
        let (status, mine) = s.get("/v1/me/group-buys", Some(&b.token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(mine["groups"][0]["group"]["state"], "completed", "{mine}");
        let (_, board) = s.get("/v1/group-buys", None).await;
        assert_eq!(board["offers"][0]["id"], json!(offer), "{board}");
        assert_eq!(board["groups"], json!([]), "{board}");
        // The sweep has nothing to do with a settled group.
        assert_eq!(sweep(&s).await["settled"], 0);

        // T+1 settlement pays the merchant what the group paid.
        s.clock.advance_days(1);
        let (status, run) = s
            .post(
                "/v1/internal/settlement/run",
                Some(INTERNAL_TOKEN),
                json!({ "through": "2026-04-01" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        let day = &run["settled"][0];
        assert_eq!(day["captures"], "29.70", "{run}");
        assert_eq!(day["payout"], "29.70", "{run}");
        assert_eq!(
            ledger_account(&s, payable(&merchant)).await,
            (3 * PRICE, 3 * PRICE)
        );
        ledger_ok(&s).await;
    }
}

#[tokio::test]
async fn a_group_that_does_not_form_by_its_deadline_refunds_every_member_exactly_once() {
    for s in servers_paying_by_card().await {
        let (merchant, offer) = offer(&s, 3, false).await;
        let (mut a, acc_a) = cardholder(&s, 11).await;
        let (mut b, acc_b) = cardholder(&s, 12).await;
        let (mut c, acc_c) = cardholder(&s, 13).await;
        let (status, started) = start(&s, &offer, &a, "a-start").await;
        assert_eq!(status, StatusCode::CREATED, "{started}");
        let group = started["group"]["id"].as_str().unwrap().to_owned();
        let (status, jb) = join(&s, &group, &b, "b-join").await;
        assert_eq!(status, StatusCode::CREATED, "{jb}");

        // Before the deadline the sweep leaves it forming.
        assert_eq!(sweep(&s).await["failed"], 0);
        s.clock.advance(jiff::SignedDuration::from_secs(3600));
        relogin(&s, &mut [&mut a, &mut b, &mut c]).await;
        // At the deadline joins are refused and charge nothing.
        let (status, late) = join(&s, &group, &c, "c-late").await;
        assert_eq!(
            (status, code(&late)),
            (StatusCode::CONFLICT, "GROUP_CLOSED"),
            "{late}"
        );
        assert_eq!(available(&s, &c, &acc_c).await, LIMIT);

        let first = sweep(&s).await;
        assert_eq!(
            (&first["failed"], &first["refunded"], &first["settled"]),
            (&json!(1), &json!(2), &json!(1)),
            "{first}"
        );
        let second = sweep(&s).await;
        assert_eq!(
            (&second["failed"], &second["refunded"]),
            (&json!(0), &json!(0)),
            "{second}"
        );
        // The refund is a credit on each card once the credit engine posts it (its lag).
        s.clock.advance_days(2);
        relogin(&s, &mut [&mut a, &mut b]).await;
        let (status, closed) =
            common::merchant::internal(&s, "/v1/internal/credit/close-day", "close-1", json!({}))
                .await;
        assert_eq!(status, StatusCode::OK, "{closed}");
        for (who, acc) in [(&a, &acc_a), (&b, &acc_b)] {
            assert_eq!(available(&s, who, acc).await, LIMIT);
        }
        // Holding took 2 × price and gave 2 × price back; the merchant got nothing.
        assert_eq!(
            ledger_account(&s, holding_account()).await,
            (2 * PRICE, 2 * PRICE)
        );
        assert_eq!(ledger_account(&s, payable(&merchant)).await, (0, 0));
        let (_, mine) = s
            .get(&format!("/v1/me/group-buys/{group}"), Some(&a.token))
            .await;
        assert_eq!(mine["group"]["state"], "failed", "{mine}");
        assert_eq!(mine["refunded"], true, "{mine}");
        ledger_ok(&s).await;

        // The failed group gave the places back: a new group may be started.
        let (status, again) = start(&s, &offer, &a, "a-start-2").await;
        assert_eq!(status, StatusCode::CREATED, "{again}");
        ledger_ok(&s).await;
    }
}

#[tokio::test]
async fn virtual_completion_completes_a_group_with_one_member_at_its_deadline() {
    for s in servers_paying_by_card().await {
        let (merchant, offer) = offer(&s, 5, true).await;
        let (mut a, acc_a) = cardholder(&s, 21).await;
        let (status, started) = start(&s, &offer, &a, "a-start").await;
        assert_eq!(status, StatusCode::CREATED, "{started}");
        let group = started["group"]["id"].as_str().unwrap().to_owned();
        s.clock.advance(jiff::SignedDuration::from_secs(3601));
        relogin(&s, &mut [&mut a]).await;
        let run = sweep(&s).await;
        assert_eq!(
            (&run["completed"], &run["settled"]),
            (&json!(1), &json!(1)),
            "{run}"
        );
        let (_, mine) = s
            .get(&format!("/v1/me/group-buys/{group}"), Some(&a.token))
            .await;
        assert_eq!(mine["group"]["state"], "completed", "{mine}");
        assert_eq!(mine["group"]["virtual_fill"], true, "{mine}");
        // The platform fills four places with no money: the merchant gets one price.
        assert_eq!(ledger_account(&s, payable(&merchant)).await, (0, PRICE));
        assert_eq!(available(&s, &a, &acc_a).await, LIMIT - PRICE);
        assert_eq!(sweep(&s).await["settled"], 0);
        ledger_ok(&s).await;
    }
}

#[tokio::test]
async fn concurrent_joins_never_make_more_than_k_members_nor_charge_a_refused_join() {
    for s in servers_paying_by_card().await {
        let (merchant, offer) = offer(&s, 3, false).await;
        let (a, _) = cardholder(&s, 31).await;
        let (status, started) = start(&s, &offer, &a, "a-start").await;
        assert_eq!(status, StatusCode::CREATED, "{started}");
        let group = started["group"]["id"].as_str().unwrap().to_owned();
        let mut racers = Vec::new();
        for n in 0..6 {
            racers.push(cardholder(&s, 40 + n).await);
        }
        let answers =
            futures_util::future::join_all(racers.iter().map(|(c, _)| join(&s, &group, c, "race")))
                .await;
        let won = answers
            .iter()
            .filter(|(st, _)| *st == StatusCode::CREATED)
            .count();
        assert_eq!(won, 2, "{answers:?}");
        for (st, b) in &answers {
            assert!(
                *st == StatusCode::CREATED || code(b) == "GROUP_FULL",
                "{st} {b}"
            );
        }
        // Winners paid once; everyone refused has the whole limit.
        for ((st, _), (c, acc)) in answers.iter().zip(&racers) {
            let expected = if *st == StatusCode::CREATED {
                LIMIT - PRICE
            } else {
                LIMIT
            };
            assert_eq!(available(&s, c, acc).await, expected);
        }
        assert_eq!(s.count("group_buy_members").await, 3);
        assert_eq!(ledger_account(&s, payable(&merchant)).await, (0, 3 * PRICE));
        ledger_ok(&s).await;
    }
}

#[tokio::test]
async fn bad_terms_bad_ids_and_cardless_customers_change_nothing() {
    for s in servers_paying_by_card().await {
        let (merchant, offer) = offer(&s, 2, false).await;
        let manager = operator(&s, "gb-manager-2", "campaign_manager", "13800000702").await;
        let viewer = operator(&s, "gb-viewer", "viewer", "13800000703").await;
        let offers = s.count("group_buy_offers").await;
        let audits = s.count("audit_log").await;
        let mut bad = Vec::new();
        for (field, value) in [
            ("size", json!(1)),
            ("size", json!(51)),
            ("price_fen", json!(0)),
            ("window_secs", json!(10)),
            ("ends_at", json!("2026-02-01T00:00:00Z")),
            ("per_customer_limit", json!(0)),
            ("title", json!("")),
            ("merchant_id", json!("mer_nope")),
        ] {
            let mut t = terms(&merchant, 2, false);
            t[field] = value;
            bad.push(t);
        }
        let (unknown, _) = (format!("mer_{}", uuid::Uuid::now_v7().simple()), ());
        let mut t = terms(&merchant, 2, false);
        t["merchant_id"] = json!(unknown);
        bad.push(t);
        for t in bad {
            let (status, b) = s
                .post("/v1/operator/group-buys", Some(&manager), t.clone())
                .await;
            assert_eq!(
                (status, code(&b)),
                (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_TERMS"),
                "{t} {b}"
            );
        }
        let (status, b) = s
            .post(
                "/v1/operator/group-buys",
                Some(&viewer),
                terms(&merchant, 2, false),
            )
            .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::FORBIDDEN, "FORBIDDEN_ROLE")
        );
        assert_eq!(s.count("group_buy_offers").await, offers);
        assert_eq!(s.count("audit_log").await, audits);

        let (a, acc_a) = cardholder(&s, 51).await;
        let nocard = s.register("13955555555").await;
        let groups = s.count("group_buy_groups").await;
        // No card: refused, nothing written.
        let (status, b) = start(&s, &offer, &nocard, "n-start").await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "NO_CARD"),
            "{b}"
        );
        // Unknown, malformed ids and a missing key.
        let ghost_offer = format!("gbo_{}", uuid::Uuid::now_v7().simple());
        let ghost_group = format!("grp_{}", uuid::Uuid::now_v7().simple());
        let (status, b) = start(&s, &ghost_offer, &a, "a-ghost").await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::NOT_FOUND, "NOT_FOUND"),
            "{b}"
        );
        let (status, b) = join(&s, &ghost_group, &a, "a-ghost-2").await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::NOT_FOUND, "NOT_FOUND"),
            "{b}"
        );
        let (status, b) = join(&s, "grp_nope", &a, "a-bad").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
        let (status, b) = send(
            &s,
            &format!("/v1/group-buys/{offer}/groups"),
            &a.token,
            None,
        )
        .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::BAD_REQUEST, "IDEMPOTENCY_KEY_REQUIRED"),
            "{b}"
        );
        assert_eq!(s.count("group_buy_groups").await, groups);
        assert_eq!(available(&s, &a, &acc_a).await, LIMIT);

        // Another customer's group answers 404 to a customer not in it.
        let (status, started) = start(&s, &offer, &a, "a-start").await;
        assert_eq!(status, StatusCode::CREATED, "{started}");
        let group = started["group"]["id"].as_str().unwrap();
        let (status, b) = s
            .get(&format!("/v1/me/group-buys/{group}"), Some(&nocard.token))
            .await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::NOT_FOUND, "NOT_FOUND"),
            "{b}"
        );
        let (_, mine) = s.get("/v1/me/group-buys", Some(&nocard.token)).await;
        assert_eq!(mine["groups"], json!([]));
        // The per-customer limit (2 places): a third start is refused and charges nothing.
        let (status, _) = start(&s, &offer, &a, "a-start-2").await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, b) = start(&s, &offer, &a, "a-start-3").await;
        assert_eq!(
            (status, code(&b)),
            (StatusCode::CONFLICT, "OVER_CUSTOMER_LIMIT"),
            "{b}"
        );
        assert_eq!(available(&s, &a, &acc_a).await, LIMIT - 2 * PRICE);
        ledger_ok(&s).await;
    }
}

/// Set to make the next card capture fail after the card was charged (a process stopping right
/// after the capture, before it is recorded).
static FAIL_NEXT_CAPTURE: AtomicBool = AtomicBool::new(false);

#[derive(Debug)]
struct StopsAfterCapture(Arc<dyn CardFunding>);

fn stopping(inner: Arc<dyn CardFunding>) -> Arc<dyn CardFunding> {
    Arc::new(StopsAfterCapture(inner))
}

impl CardFunding for StopsAfterCapture {
    fn authorise(&self, r: FundingRequest) -> FundingFuture<'_, AuthId> {
        self.0.authorise(r)
    }

    fn capture(&self, auth: AuthId, r: FundingRequest) -> FundingFuture<'_, ()> {
        Box::pin(async move {
            self.0.capture(auth, r).await?;
            if FAIL_NEXT_CAPTURE.swap(false, Ordering::SeqCst) {
                return Err(AppError::Unavailable);
            }
            Ok(())
        })
    }

    fn void(&self, auth: AuthId, r: FundingRequest) -> FundingFuture<'_, ()> {
        self.0.void(auth, r)
    }

    fn refund(&self, r: FundingRequest) -> FundingFuture<'_, ()> {
        self.0.refund(r)
    }
}

#[tokio::test]
async fn a_completing_join_stopped_after_its_capture_is_finished_by_the_sweep_and_charged_once() {
    for s in servers_paying_by_card_wrapped(stopping).await {
        let (merchant, offer) = offer(&s, 2, false).await;
        let (a, _) = cardholder(&s, 61).await;
        let (b, acc_b) = cardholder(&s, 62).await;
        let (status, started) = start(&s, &offer, &a, "a-start").await;
        assert_eq!(status, StatusCode::CREATED, "{started}");
        let group = started["group"]["id"].as_str().unwrap().to_owned();

        // B's join completes the group, but the process "stops" after charging the card.
        FAIL_NEXT_CAPTURE.store(true, Ordering::SeqCst);
        let (status, failed) = join(&s, &group, &b, "b-join").await;
        assert!(status.is_server_error(), "{status} {failed}");
        assert_eq!(s.count("group_buy_members").await, 2);
        // Nothing reached the merchant yet; the money waits on holding.
        assert_eq!(ledger_account(&s, payable(&merchant)).await, (0, 0));
        ledger_ok(&s).await;

        // The sweep finishes it: B's capture recorded, both places paid to the merchant, once.
        let run = sweep(&s).await;
        assert_eq!(run["settled"], 1, "{run}");
        assert_eq!(sweep(&s).await["settled"], 0);
        assert_eq!(ledger_account(&s, payable(&merchant)).await, (0, 2 * PRICE));
        assert_eq!(available(&s, &b, &acc_b).await, LIMIT - PRICE);
        let (_, mine) = s
            .get(&format!("/v1/me/group-buys/{group}"), Some(&b.token))
            .await;
        assert_eq!(
            (&mine["group"]["state"], &mine["group"]["settled"]),
            (&json!("completed"), &json!(true)),
            "{mine}"
        );
        ledger_ok(&s).await;
    }
}
