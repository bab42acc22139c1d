//! The cardholder's bills, borrow and my-cards pages over HTTP, as a browser without JavaScript
//! (docs/web.md, "Bills, borrow and my cards"): a cardholder binds a debit card, reads their
//! account, a statement and its lines, repays once per form, gets a loan quote with the APR
//! first, must tick the consent box, and books once per form. Another customer's account,
//! statement and quote answer 404; every form refuses bad input and a missing CSRF token with
//! nothing written; no page holds a full card number.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod pages;

use common::{INTERNAL_TOKEN, TestServer, servers};
use pages::{Browser, hidden};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PAN: &str = "6225880137461233";
const DEBIT: &str = "6222020200112230";
const DEBIT_2: &str = "6222020200112248";
const DEBIT_3: &str = "6222020200112255";
const PASSWORD: &str = "cardholder-pw1";

async fn internal(s: &TestServer, path: &str, key: &str, body: Value) -> Value {
    let response = s
        .client
        .post(format!("{}{path}", s.base))
        .bearer_auth(INTERNAL_TOKEN)
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{status} {body}");
    body
}

/// A cardholder registered through the pages with an account and card; the account id.
async fn holder<'a>(s: &'a TestServer, phone: &str, pan: &str) -> (Browser<'a>, String) {
    let mut b = Browser::new(s);
    b.register(phone, PASSWORD).await;
    let me: Value = serde_json::from_str(&b.get("/v1/me").await.body).unwrap();
    let account = internal(
        s,
        "/v1/internal/credit/accounts",
        &format!("open-{phone}"),
        json!({
            "customer_id": me["id"],
            "product": {"statement_day": 7},
            "credit_limit_fen": 1_000_000,
            "card_number": pan,
            "card_expires": "2030-12",
        }),
    )
    .await;
    (b, account["id"].as_str().unwrap().to_owned())
}

/// Everything a refused form could have written.
async fn written(s: &TestServer) -> Vec<i64> {
    let mut all = cardlife_store::credit::row_counts(&s.db)
        .await
        .unwrap()
        .to_vec();
    for table in [
        "debit_cards",
        "loan_quotes",
        "loans",
        "loan_events",
        "idempotency_keys",
    ] {
        all.push(s.count(table).await);
    }
    all
}

fn no_full_numbers(body: &str) {
    for number in [PAN, DEBIT, DEBIT_2, DEBIT_3] {
        assert!(!body.contains(number), "a full card number on a page");
    }
}

#[tokio::test]
async fn a_cardholder_binds_a_card_reads_bills_repays_and_borrows_once() {
    for s in servers().await {
        let (mut b, id) = holder(&s, "13811110001", PAN).await;

        let home = b.get("/app").await;
        for href in ["/app/bills", "/app/borrow", "/app/cards"] {
            assert!(home.body.contains(&format!("href=\"{href}\"")), "{href}");
        }

        // My cards: the credit card masked; bind a debit card, shown masked only.
        let cards = b.get("/app/cards").await;
        assert_eq!(cards.status, StatusCode::OK, "{}", cards.body);
        assert!(cards.body.contains("622588******1233"), "{}", cards.body);
        let bound = b.post("/app/cards/debit", &[("card_number", DEBIT)]).await;
        assert_eq!(bound.status, StatusCode::OK, "{}", bound.body);
        assert!(bound.body.contains("data-test=\"notice\""));
        assert!(bound.body.contains("622202******2230"), "{}", bound.body);
        no_full_numbers(&bound.body);
        assert_eq!(s.count("debit_cards").await, 1);

        // A purchase, then a week on the statement of 7 April is cut.
        let auth = internal(
            &s,
            "/v1/internal/credit/authorisations",
            "auth-1",
            json!({"card_number": PAN, "amount_fen": 60_000}),
        )
        .await;
        let auth_id = auth["id"].as_str().unwrap();
        internal(
            &s,
            &format!("/v1/internal/credit/authorisations/{auth_id}/capture"),
            "cap-1",
            json!({"amount_fen": 60_000}),
        )
        .await;
        s.clock.advance_days(7);
        internal(&s, "/v1/internal/credit/close-day", "close-1", json!({})).await;
        b.get("/app/login").await;
        let login = b
            .post(
                "/app/login",
                &[("phone", "13811110001"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);

        let bills = b.get("/app/bills").await;
        assert_eq!(bills.status, StatusCode::OK, "{}", bills.body);
        assert!(bills.body.contains("622588******1233"));
        assert!(bills.body.contains("10000.00"), "the limit");
        assert!(bills.body.contains("600.00"), "the balance");
        let account = b.get(&format!("/app/bills/{id}")).await;
        assert_eq!(account.status, StatusCode::OK, "{}", account.body);
        let statement_path = format!("/app/bills/{id}/statements/2026-04-07");
        assert!(account.body.contains(&statement_path), "{}", account.body);
        let statement = b.get(&statement_path).await;
        assert_eq!(statement.status, StatusCode::OK, "{}", statement.body);
        assert!(statement.body.contains("消费"), "{}", statement.body);
        assert!(statement.body.contains("600.00"));

        // Repay 100.00 under the form's key; the same form again repays once.
        let key = hidden(&account.body, "key");
        let before = written(&s).await;
        let fields = [("amount", "100.00"), ("key", key.as_str())];
        let repaid = b.post(&format!("/app/bills/{id}/repay"), &fields).await;
        assert_eq!(repaid.status, StatusCode::OK, "{}", repaid.body);
        assert!(repaid.body.contains("500.00"), "{}", repaid.body);
        let back = format!("name=\"back\" value=\"/app/bills/{id}\"");
        assert!(
            repaid.body.contains(&back),
            "the switches return to a GET page"
        );
        let after = written(&s).await;
        assert_ne!(before, after, "the repayment was written");
        let again = b.post(&format!("/app/bills/{id}/repay"), &fields).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        assert!(again.body.contains("500.00"), "repaid once: {}", again.body);
        assert_eq!(written(&s).await, after);

        // Borrow: the offer with its reason, a quote with the APR before the monthly rate.
        let borrow = b.get("/app/borrow").await;
        assert_eq!(borrow.status, StatusCode::OK, "{}", borrow.body);
        assert!(borrow.body.contains("THIN_FILE"), "{}", borrow.body);
        let quote = b
            .post(
                "/app/borrow/quote",
                &[
                    ("amount", "10000"),
                    ("periods", "12"),
                    ("method", "equal_installment"),
                ],
            )
            .await;
        assert_eq!(quote.status, StatusCode::OK, "{}", quote.body);
        let apr = quote.body.find("data-test=\"apr\"").unwrap();
        let monthly = quote.body.find("data-test=\"monthly-rate\"").unwrap();
        assert!(apr < monthly, "the APR comes first");
        assert!(quote.body.contains("class=\"apr-value\""));
        assert_eq!(quote.body.matches("<tr><td>").count(), 12, "the schedule");
        let consent_box = &quote.body[quote.body.find("name=\"consent\"").unwrap()..];
        let consent_box = &consent_box[..consent_box.find('>').unwrap()];
        assert!(!consent_box.contains("checked"), "never ticked by default");
        no_full_numbers(&quote.body);
        let quote_id = hidden(&quote.body, "quote_id");
        let card_id = {
            let at = quote.body.find("<option value=\"").unwrap() + "<option value=\"".len();
            quote.body[at..at + quote.body[at..].find('"').unwrap()].to_owned()
        };
        let key = hidden(&quote.body, "key");

        // Without the box ticked: refused, nothing booked.
        let before = written(&s).await;
        let unticked = b
            .post(
                "/app/borrow/book",
                &[
                    ("quote_id", quote_id.as_str()),
                    ("debit_card_id", card_id.as_str()),
                    ("key", key.as_str()),
                ],
            )
            .await;
        assert_eq!(unticked.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unticked.body.contains("data-test=\"error\""));
        assert_eq!(written(&s).await, before);
        let fields = [
            ("quote_id", quote_id.as_str()),
            ("debit_card_id", card_id.as_str()),
            ("consent", "yes"),
            ("key", key.as_str()),
        ];
        let booked = b.post("/app/borrow/book", &fields).await;
        assert_eq!(booked.status, StatusCode::OK, "{}", booked.body);
        assert!(
            booked.body.contains("data-test=\"loan\""),
            "{}",
            booked.body
        );
        assert_eq!(s.count("loans").await, 1, "{}", s.backend);
        let again = b.post("/app/borrow/book", &fields).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        assert_eq!(s.count("loans").await, 1, "booked once");

        for page in ["/app", "/app/cards", "/app/bills", "/app/borrow"] {
            no_full_numbers(&b.get(page).await.body);
        }
    }
}

#[tokio::test]
async fn another_customers_account_statement_and_quote_answer_404() {
    for s in servers().await {
        let (mut a, id) = holder(&s, "13811110002", PAN).await;
        a.post("/app/cards/debit", &[("card_number", DEBIT_2)])
            .await;
        let quote = a
            .post(
                "/app/borrow/quote",
                &[
                    ("amount", "5000"),
                    ("periods", "6"),
                    ("method", "equal_principal"),
                ],
            )
            .await;
        let quote_id = hidden(&quote.body, "quote_id");
        let (mut b, _) = holder(&s, "13811110003", "4111111111111111").await;
        b.post("/app/cards/debit", &[("card_number", DEBIT)]).await;
        let before = written(&s).await;
        for path in [
            format!("/app/bills/{id}"),
            format!("/app/bills/{id}/statements/2026-04-07"),
            "/app/bills/not-a-uuid".to_owned(),
        ] {
            let page = b.get(&path).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
            assert!(!page.body.contains("622588******1233"));
        }
        let repay = b
            .post(
                &format!("/app/bills/{id}/repay"),
                &[("amount", "1.00"), ("key", "abc123")],
            )
            .await;
        assert_eq!(repay.status, StatusCode::NOT_FOUND, "{}", repay.body);
        let book = b
            .post(
                "/app/borrow/book",
                &[
                    ("quote_id", quote_id.as_str()),
                    ("debit_card_id", "x"),
                    ("consent", "yes"),
                    ("key", "abc124"),
                ],
            )
            .await;
        assert_eq!(book.status, StatusCode::NOT_FOUND, "{}", book.body);
        assert_eq!(written(&s).await, before);
        let mine = b.get("/app/bills").await;
        assert!(!mine.body.contains(&id), "only the owner's accounts");
    }
}

#[tokio::test]
async fn every_new_form_refuses_a_missing_csrf_token_and_bad_input() {
    for s in servers().await {
        let (mut b, id) = holder(&s, "13811110004", PAN).await;
        b.post("/app/cards/debit", &[("card_number", DEBIT_3)])
            .await;
        let quote = b
            .post(
                "/app/borrow/quote",
                &[
                    ("amount", "5000"),
                    ("periods", "6"),
                    ("method", "equal_principal"),
                ],
            )
            .await;
        let quote_id = hidden(&quote.body, "quote_id");
        let repay = format!("/app/bills/{id}/repay");
        let before = written(&s).await;

        let forms: [(&str, Vec<(&str, &str)>); 4] = [
            (repay.as_str(), vec![("amount", "1.00"), ("key", "k1")]),
            (
                "/app/borrow/quote",
                vec![
                    ("amount", "5000"),
                    ("periods", "6"),
                    ("method", "equal_principal"),
                ],
            ),
            (
                "/app/borrow/book",
                vec![
                    ("quote_id", quote_id.as_str()),
                    ("consent", "yes"),
                    ("key", "k2"),
                ],
            ),
            ("/app/cards/debit", vec![("card_number", DEBIT)]),
        ];
        for (path, fields) in &forms {
            let refused = b.post_raw(path, fields, &[]).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        }
        assert_eq!(written(&s).await, before);

        let long = "9".repeat(40);
        let bad = ["", long.as_str(), "abc", "-5", "<script>alert(1)</script>"];
        for value in bad {
            let pages = [
                b.post(&repay, &[("amount", value), ("key", "k3")]).await,
                b.post(
                    "/app/borrow/quote",
                    &[
                        ("amount", value),
                        ("periods", "6"),
                        ("method", "equal_principal"),
                    ],
                )
                .await,
                b.post(
                    "/app/borrow/quote",
                    &[
                        ("amount", "5000"),
                        ("periods", value),
                        ("method", "equal_principal"),
                    ],
                )
                .await,
                b.post(
                    "/app/borrow/quote",
                    &[("amount", "5000"), ("periods", "6"), ("method", value)],
                )
                .await,
                b.post("/app/cards/debit", &[("card_number", value)]).await,
            ];
            for (i, page) in pages.iter().enumerate() {
                assert_eq!(
                    page.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "form {i} with {value:?}: {}",
                    page.body
                );
                assert!(page.body.contains("data-test=\"error\""), "form {i}");
                assert!(!page.body.contains("<script>alert"), "form {i} escapes");
            }
        }
        // A number that fails Luhn, a bad book form.
        let luhn = b
            .post("/app/cards/debit", &[("card_number", "6222020200112231")])
            .await;
        assert_eq!(
            luhn.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            luhn.body
        );
        let no_card = b
            .post(
                "/app/borrow/book",
                &[
                    ("quote_id", quote_id.as_str()),
                    ("consent", "yes"),
                    ("key", "k4"),
                ],
            )
            .await;
        assert_eq!(no_card.status, StatusCode::UNPROCESSABLE_ENTITY);
        let bad_key = b
            .post(
                "/app/borrow/book",
                &[
                    ("quote_id", quote_id.as_str()),
                    ("consent", "yes"),
                    ("debit_card_id", "x"),
                    ("key", "<script>"),
                ],
            )
            .await;
        assert_eq!(bad_key.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Repaying more than a closed account allows is not the case here; a zero is refused.
        let zero = b.post(&repay, &[("amount", "0"), ("key", "k5")]).await;
        assert_eq!(zero.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(written(&s).await, before, "{}", s.backend);
    }
}

/// A cardholder with a 600.00 purchase on the statement of 7 April, logged in on 8 April: the
/// browser and the account id.
async fn with_statement<'a>(s: &'a TestServer, phone: &str, pan: &str) -> (Browser<'a>, String) {
    let (mut b, id) = holder(s, phone, pan).await;
    let auth = internal(
        s,
        "/v1/internal/credit/authorisations",
        &format!("auth-{phone}"),
        json!({"card_number": pan, "amount_fen": 60_000}),
    )
    .await;
    let auth_id = auth["id"].as_str().unwrap();
    internal(
        s,
        &format!("/v1/internal/credit/authorisations/{auth_id}/capture"),
        &format!("cap-{phone}"),
        json!({"amount_fen": 60_000}),
    )
    .await;
    s.clock.advance_days(7);
    internal(
        s,
        "/v1/internal/credit/close-day",
        &format!("close-{phone}"),
        json!({}),
    )
    .await;
    b.get("/app/login").await;
    let login = b
        .post("/app/login", &[("phone", phone), ("password", PASSWORD)])
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    (b, id)
}

#[tokio::test]
async fn a_cardholder_reads_a_bill_installments_apr_before_consenting_and_books_it_once() {
    for s in servers().await {
        let (mut b, id) = with_statement(&s, "13811110011", PAN).await;
        let account = b.get(&format!("/app/bills/{id}")).await;
        assert_eq!(account.status, StatusCode::OK, "{}", account.body);
        assert!(account.body.contains("data-test=\"installment-section\""));
        assert!(account.body.contains("账单分期"), "zh-CN by default");
        assert_eq!(hidden_value(&account.body, "installment-amount"), "600.00");
        for n in ["3", "6", "12", "24"] {
            assert!(
                account.body.contains(&format!("<option value=\"{n}\"")),
                "the product's {n} periods are offered"
            );
        }

        // The quote page: APR first and in the large style, then EAR, the schedule, the cost.
        let quote_path = format!("/app/bills/{id}/installment/quote");
        let before = written(&s).await;
        let quote = b
            .post(&quote_path, &[("amount", "600.00"), ("periods", "12")])
            .await;
        assert_eq!(quote.status, StatusCode::OK, "{}", quote.body);
        assert_eq!(written(&s).await, before, "a quote writes nothing");
        let apr = quote.body.find("data-test=\"apr\"").unwrap();
        let ear = quote.body.find("data-test=\"ear\"").unwrap();
        let rate = quote.body.find("data-test=\"per-period-rate\"").unwrap();
        assert!(
            apr < ear && ear < rate,
            "the APR comes first, the per-period rate last"
        );
        assert!(
            quote
                .body
                .contains("class=\"apr-value\" data-test=\"apr\">13.03%")
        );
        assert_eq!(quote.body.matches("<tr><td>").count(), 12, "the schedule");
        assert!(quote.body.contains("43.20"), "the total fee: 12 × 3.60");
        assert!(quote.body.contains("643.20"), "the total to repay");
        let consent_box = &quote.body[quote.body.find("name=\"consent\"").unwrap()..];
        let consent_box = &consent_box[..consent_box.find('>').unwrap()];
        assert!(!consent_box.contains("checked"), "never ticked by default");
        let fields: Vec<(String, String)> = ["quote_id", "amount", "periods", "key"]
            .iter()
            .map(|n| ((*n).to_owned(), hidden(&quote.body, n)))
            .collect();
        let form = |consent: bool| {
            let mut f: Vec<(&str, &str)> = fields
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            if consent {
                f.push(("consent", "yes"));
            }
            f
        };

        // Unticked: the quote again with the message, nothing booked.
        let book_path = format!("/app/bills/{id}/installment/book");
        let unticked = b.post(&book_path, &form(false)).await;
        assert_eq!(unticked.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unticked.body.contains("data-test=\"error\""));
        assert!(
            unticked.body.contains("请勾选同意账单分期协议"),
            "{}",
            unticked.body
        );
        assert!(unticked.body.contains("13.03%"), "the quote is shown again");
        assert_eq!(written(&s).await, before);

        // Ticked: booked; the account page lists the plan and what the next statement bills.
        let booked = b.post(&book_path, &form(true)).await;
        assert_eq!(booked.status, StatusCode::OK, "{}", booked.body);
        assert!(
            booked.body.contains("data-test=\"notice\""),
            "{}",
            booked.body
        );
        assert!(booked.body.contains("data-test=\"plan\""));
        assert!(
            booked.body.contains("2026-05-07"),
            "the next statement date"
        );
        assert!(
            booked.body.contains("¥ 53.60"),
            "50.00 principal + 3.60 fee"
        );
        assert!(
            !booked.body.contains("data-test=\"installment-quote\""),
            "the whole statement is converted: nothing left to offer"
        );
        let after = written(&s).await;
        assert_ne!(after, before, "the plan was written");
        let again = b.post(&book_path, &form(true)).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        assert_eq!(written(&s).await, after, "booked once");
        assert_eq!(again.body.matches("data-test=\"plan\"").count(), 1);

        // In English.
        b.post("/app/prefs", &[("lang", "en"), ("back", "/app/bills")])
            .await;
        let en = b.get(&format!("/app/bills/{id}")).await;
        assert!(en.body.contains("My installments"), "{}", en.body);
        for page in [format!("/app/bills/{id}"), "/app/bills".to_owned()] {
            no_full_numbers(&b.get(&page).await.body);
        }
    }
}

/// The `value` of the input with `data-test` `name`.
fn hidden_value(body: &str, name: &str) -> String {
    let at = body.find(&format!("data-test=\"{name}\"")).unwrap();
    let tag_start = body[..at].rfind('<').unwrap();
    let tag = &body[tag_start..at];
    let v = tag.find("value=\"").unwrap() + "value=\"".len();
    tag[v..v + tag[v..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn the_bill_installment_forms_refuse_bad_input_a_missing_csrf_token_and_a_stranger() {
    for s in servers().await {
        let (mut b, id) = with_statement(&s, "13811110012", PAN).await;
        let quote_path = format!("/app/bills/{id}/installment/quote");
        let book_path = format!("/app/bills/{id}/installment/book");
        let quote = b
            .post(&quote_path, &[("amount", "600.00"), ("periods", "6")])
            .await;
        assert_eq!(quote.status, StatusCode::OK, "{}", quote.body);
        let quote_id = hidden(&quote.body, "quote_id");
        let before = written(&s).await;

        for (path, fields) in [
            (&quote_path, vec![("amount", "600.00"), ("periods", "6")]),
            (
                &book_path,
                vec![
                    ("quote_id", quote_id.as_str()),
                    ("amount", "600.00"),
                    ("periods", "6"),
                    ("consent", "yes"),
                    ("key", "k1"),
                ],
            ),
        ] {
            let refused = b.post_raw(path, &fields, &[]).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        }

        let long = "9".repeat(40);
        let script = "<script>alert(1)</script>";
        let bad_amounts = [
            ("", "请填写"),
            (long.as_str(), ""),
            ("abc", ""),
            ("-5", ""),
            (script, ""),
            ("700.00", "超过本期账单可分期的金额"),
            ("100.00", "低于本卡的最低分期金额"),
        ];
        for (value, says) in bad_amounts {
            let page = b
                .post(&quote_path, &[("amount", value), ("periods", "6")])
                .await;
            assert_eq!(
                page.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{value:?}: {}",
                page.body
            );
            assert!(
                page.body.contains("data-test=\"installment-error\""),
                "{value:?}"
            );
            assert!(page.body.contains(says), "{value:?} should say {says:?}");
            assert!(!page.body.contains("<script>alert"), "escaped");
        }
        for value in ["", long.as_str(), "abc", "-5", script, "5", "60"] {
            let page = b
                .post(&quote_path, &[("amount", "600.00"), ("periods", value)])
                .await;
            assert_eq!(
                page.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{value:?}: {}",
                page.body
            );
            assert!(
                page.body.contains("data-test=\"installment-error\""),
                "{value:?}"
            );
            assert!(!page.body.contains("<script>alert"), "escaped");
        }
        assert!(
            b.post(&quote_path, &[("amount", "600.00"), ("periods", "5")])
                .await
                .body
                .contains("请选择本卡提供的分期期数")
        );
        // A booking form with a bad key, or tampered amount, books nothing.
        let bad_key = b
            .post(
                &book_path,
                &[
                    ("quote_id", quote_id.as_str()),
                    ("amount", "600.00"),
                    ("periods", "6"),
                    ("consent", "yes"),
                    ("key", "<script>"),
                ],
            )
            .await;
        assert_eq!(bad_key.status, StatusCode::UNPROCESSABLE_ENTITY);
        let bad_quote = b
            .post(
                &book_path,
                &[
                    ("quote_id", "iq_zz"),
                    ("amount", "600.00"),
                    ("periods", "6"),
                    ("consent", "yes"),
                    ("key", "k2"),
                ],
            )
            .await;
        assert_eq!(bad_quote.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(written(&s).await, before, "{}", s.backend);

        // Another customer's account: the 404 page, whatever the form says.
        let (mut stranger, _) = holder(&s, "13811110013", "4111111111111111").await;
        let before = written(&s).await;
        let quote = stranger
            .post(&quote_path, &[("amount", "600.00"), ("periods", "6")])
            .await;
        assert_eq!(quote.status, StatusCode::NOT_FOUND, "{}", quote.body);
        let book = stranger
            .post(
                &book_path,
                &[
                    ("quote_id", quote_id.as_str()),
                    ("amount", "600.00"),
                    ("periods", "6"),
                    ("consent", "yes"),
                    ("key", "k3"),
                ],
            )
            .await;
        assert_eq!(book.status, StatusCode::NOT_FOUND, "{}", book.body);
        assert!(!book.body.contains("622588******1233"));
        assert_eq!(written(&s).await, before);
    }
}

#[tokio::test]
async fn my_cards_binds_an_own_credit_card_by_number_and_expiry_and_refuses_the_rest() {
    for s in servers().await {
        let (mut b, _) = holder(&s, "13811110061", PAN).await;
        b.get("/app/cards").await;
        let before = s.count("credit_card_bindings").await;
        for (number, expires, message) in [
            (
                PAN,
                "2031-12",
                "没有找到您名下卡号和有效期都一致的本行信用卡",
            ),
            (
                "4111111111111111",
                "2030-12",
                "没有找到您名下卡号和有效期都一致的本行信用卡",
            ),
            (PAN, "", "请按卡面填写有效期"),
            ("abc", "2030-12", "请输入正确的银行卡号"),
            ("<script>alert(1)</script>", "2030-12", "内容过长"),
            ("<b>12</b>", "2030-12", "请输入正确的银行卡号"),
        ] {
            let refused = b
                .post(
                    "/app/cards/credit",
                    &[("card_number", number), ("expires", expires)],
                )
                .await;
            assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{number}");
            assert!(refused.body.contains(message), "{number}: {}", refused.body);
            assert!(!refused.body.contains("<script>alert"), "nothing is echoed");
            no_full_numbers(&refused.body);
        }
        let forged = b
            .post_raw(
                "/app/cards/credit",
                &[("card_number", PAN), ("expires", "2030-12")],
                &[],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "no CSRF token");
        assert_eq!(
            s.count("credit_card_bindings").await,
            before,
            "{}",
            s.backend
        );

        let bound = b
            .post(
                "/app/cards/credit",
                &[("card_number", PAN), ("expires", "2030-12")],
            )
            .await;
        assert_eq!(bound.status, StatusCode::OK, "{}", bound.body);
        assert!(bound.body.contains("信用卡已绑定"), "{}", bound.body);
        assert!(bound.body.contains("data-test=\"bound\""), "{}", bound.body);
        no_full_numbers(&bound.body);
        assert_eq!(s.count("credit_card_bindings").await, before + 1);
    }
}
