//! Bill installment (账单分期) from the bills page (docs/web.md, "Bill installments"): while
//! the latest statement is between its statement date and its due date, the account page offers
//! an amount (prefilled with the statement's balance) and the periods the card's product offers;
//! the quote page shows the APR first and largest, then the EAR, the full schedule and the total
//! cost, with an unticked consent box and a confirm button; booking runs once per form under an
//! idempotency key made when the quote page is rendered, then the account page lists the plan
//! and what the next statement bills of it. Bad input re-renders the form with one message and
//! books nothing.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cardlife_app::AppError;
use cardlife_app::credit::{AccountView, StatementView};
use cardlife_app::installments::{InstallmentError as I, InstallmentOffer, PlanView, QuoteRequest};
use cardlife_kernel::{CustomerId, Money};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::Deserialize;
use uuid::Uuid;

use super::app_bills::{self, Echo, failed};
use super::card_forms;
use super::csrf::CsrfForm;
use super::errors::ErrorPage;
use super::face_forms;
use super::i18n_cards::CardTexts;
use super::i18n_faces::FaceTexts;
use super::i18n_installments::InstallmentTexts;
use super::page::Page;
use super::session::PageSession;
use crate::AppState;
use crate::problem::ApiError;

/// The statement a bill installment may convert today.
#[derive(Debug)]
pub(crate) struct OpenStatement {
    pub(crate) date: Date,
    pub(crate) due: Date,
    pub(crate) balance: Money,
}

/// A plan as the account page lists it.
#[derive(Debug)]
pub(crate) struct PlanShown {
    pub(crate) kind: &'static str,
    pub(crate) amount: Money,
    pub(crate) periods: u32,
    pub(crate) billed: usize,
    pub(crate) apr: String,
    pub(crate) next: Option<(Date, Money)>,
}

/// The installment part of the account page.
#[derive(Debug)]
pub(crate) struct Section {
    pub(crate) open: Option<OpenStatement>,
    pub(crate) terms: Vec<u32>,
    pub(crate) plans: Vec<PlanShown>,
    pub(crate) amount: String,
    pub(crate) periods: String,
    pub(crate) error: Option<String>,
}

/// The quote form of the account page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct QuoteForm {
    amount: String,
    periods: String,
}

/// The consent form of the quote page: `consent` is present only when the box was ticked;
/// `amount` and `periods` let a refused confirmation show the same quote again.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct BookForm {
    quote_id: String,
    amount: String,
    periods: String,
    consent: Option<String>,
    key: String,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/bill_installment_quote.html")]
pub(crate) struct QuotePage {
    page: Page,
    i: &'static InstallmentTexts,
    account_id: Uuid,
    offer: InstallmentOffer,
    total: Money,
    amount: String,
    periods: u32,
    key: String,
    error: Option<String>,
}

/// A rate per period in percent, without trailing zeros (`0.00600000` → `0.6%`).
pub(crate) fn percent(rate: &cardlife_kernel::Rate) -> String {
    rate.percent()
        .map(|pct| format!("{}%", pct.normalize()))
        .unwrap_or_default()
}

/// The first statement date after `today` on `day` of a month.
fn next_statement(today: Date, day: i8) -> Option<Date> {
    let this_month = today.with().day(day).build().ok()?;
    if this_month > today {
        Some(this_month)
    } else {
        this_month.checked_add(1.month()).ok()
    }
}

fn shown(i: &'static InstallmentTexts, p: &PlanView, next_date: Option<Date>) -> PlanShown {
    PlanShown {
        kind: if p.kind == "bill" {
            i.plan_kind_bill
        } else {
            i.plan_kind_other
        },
        amount: Money::cny(p.amount_fen),
        periods: p.periods,
        billed: p.billed,
        apr: p.apr_percent.clone(),
        next: next_date.zip(p.next_payment_fen.map(Money::cny)),
    }
}

/// The installment section of `account`'s page, with what the form sent echoed back.
pub(crate) async fn section(
    state: &AppState,
    i: &'static InstallmentTexts,
    customer: CustomerId,
    account: &AccountView,
    statements: &[StatementView],
    echo: Echo,
) -> Result<Section, ApiError> {
    let today = state.app.today();
    let booked = state.app.installments(customer, account.id).await?;
    let open = statements
        .first()
        .filter(|s| s.statement_date < today && today <= s.due_date)
        .and_then(|s| {
            // Bill plans booked since this statement converted part of it: what is left.
            let converted: i64 = booked
                .iter()
                .filter(|p| p.kind == "bill" && p.booked > s.statement_date)
                .try_fold(0_i64, |sum, p| sum.checked_add(p.amount_fen))?;
            let left = s.balance_fen.checked_sub(converted)?;
            (left > 0).then(|| OpenStatement {
                date: s.statement_date,
                due: s.due_date,
                balance: Money::cny(left),
            })
        });
    let terms = state
        .app
        .installment_offered_terms(customer, account.id, "bill")
        .await?
        .into_iter()
        .map(|t| t.periods)
        .collect();
    let next_date = next_statement(today, account.statement_day);
    let plans = booked.iter().map(|p| shown(i, p, next_date)).collect();
    let amount = match (&echo.amount, &open) {
        (Some(a), _) => face_forms::echo(a, face_forms::AMOUNT_LEN_MAX),
        (None, Some(o)) => o.balance.to_string(),
        (None, None) => String::new(),
    };
    Ok(Section {
        open,
        terms,
        plans,
        amount,
        periods: face_forms::echo(&echo.periods, 2),
        error: echo.error,
    })
}

/// The periods chosen: one of the terms the card offers.
fn periods(
    f: &'static FaceTexts,
    i: &'static InstallmentTexts,
    raw: &str,
    offered: &[u32],
) -> Result<u32, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(f.err_required.to_owned());
    }
    v.parse::<u32>()
        .ok()
        .filter(|n| v.bytes().all(|b| b.is_ascii_digit()) && offered.contains(n))
        .ok_or_else(|| i.err_periods.to_owned())
}

/// The message for a refused quote or booking: a sentence for what a person can fix, else the
/// cards pages' refusal (a not-found or a server failure is the error page).
fn refusal(
    (f, c): (&'static FaceTexts, &'static CardTexts),
    i: &'static InstallmentTexts,
    e: AppError,
) -> Result<String, ApiError> {
    let message = match &e {
        AppError::Installment(r) => match r {
            I::ExceedsUnconverted(_)
            | I::NotConvertible(_)
            | I::AboveMaximum(_)
            | I::OverPermanentLimit(_) => i.err_above,
            I::BelowMinimum(_) => i.err_below,
            I::WindowClosed(_) => i.err_window,
            I::TermNotOffered(_) => i.err_changed,
            I::ConsentRequired => i.err_consent,
            _ => return card_forms::refusal(f, c, e),
        },
        _ => return card_forms::refusal(f, c, e),
    };
    Ok(message.to_owned())
}

fn account_path(id: &str) -> String {
    format!("/app/bills/{}", face_forms::echo(id, 36))
}

/// The account page again with the installment form's message.
async fn form_again(
    state: &AppState,
    session: &PageSession,
    page: Page,
    id: &str,
    form: (&str, &str),
    error: String,
) -> Response {
    let echo = Echo {
        amount: Some(form.0.to_owned()),
        periods: form.1.to_owned(),
        error: Some(error),
    };
    app_bills::account_page(state, session, page, id, "", None, None, echo).await
}

/// Quotes a bill installment of the latest statement: the offer, or the refusal's message.
async fn quoted(
    state: &AppState,
    page: &Page,
    i: &'static InstallmentTexts,
    customer: CustomerId,
    account_id: Uuid,
    (amount, periods): (&str, &str),
) -> Result<(Money, u32, InstallmentOffer), Result<String, ApiError>> {
    let amount = card_forms::amount(page.f, amount).map_err(|m| Ok(m.to_owned()))?;
    let offered: Vec<u32> = state
        .app
        .installment_offered_terms(customer, account_id, "bill")
        .await
        .map_err(|e| Err(ApiError::from(e)))?
        .into_iter()
        .map(|t| t.periods)
        .collect();
    let periods = self::periods(page.f, i, periods, &offered).map_err(Ok)?;
    let request = QuoteRequest {
        kind: "bill".to_owned(),
        amount_fen: Some(amount.fen()),
        purchase_id: None,
        debit_card_id: None,
        periods,
        rate: None,
        fee_mode: None,
        purpose: None,
        merchant_id: None,
    };
    match state
        .app
        .installment_quote(customer, account_id, request)
        .await
    {
        Ok(offer) => Ok((amount, periods, offer)),
        Err(e) => Err(refusal((page.f, page.c), i, e)),
    }
}

fn quote_page(
    page: Page,
    account_id: Uuid,
    (amount, periods, offer): (Money, u32, InstallmentOffer),
    error: Option<String>,
) -> Response {
    let i = page.lang.installment_texts();
    let total = amount.checked_add(offer.quote.total_fee).unwrap_or(amount);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = QuotePage {
        page,
        i,
        account_id,
        offer,
        total,
        amount: amount.to_string(),
        periods,
        key: face_forms::idempotency_key(),
        error,
    };
    (status, body).into_response()
}

/// `POST /app/bills/{id}/installment/quote`: the quote page, or the form again with a message.
pub(crate) async fn quote(
    session: PageSession,
    State(state): State<AppState>,
    mut page: Page,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<QuoteForm>,
) -> Response {
    // A switch on the answer goes back to the account page, not to this POST-only path.
    page.path = account_path(&id);
    let i = page.lang.installment_texts();
    let Ok(account_id) = Uuid::parse_str(&id) else {
        return ErrorPage::not_found(page).into_response();
    };
    let customer = session.customer_id();
    if let Err(e) = state.app.credit_account(customer, account_id).await {
        return failed(page, e.into());
    }
    let sent = (form.amount.as_str(), form.periods.as_str());
    match quoted(&state, &page, i, customer, account_id, sent).await {
        Ok(q) => quote_page(page, account_id, q, None),
        Err(Ok(m)) => form_again(&state, &session, page, &id, sent, m).await,
        Err(Err(e)) => failed(page, e),
    }
}

/// `POST /app/bills/{id}/installment/book`: books the quote after explicit consent, once per
/// form; a refusal shows the quote again with its message.
pub(crate) async fn book(
    session: PageSession,
    State(state): State<AppState>,
    mut page: Page,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<BookForm>,
) -> Response {
    page.path = account_path(&id);
    let i = page.lang.installment_texts();
    let Ok(account_id) = Uuid::parse_str(&id) else {
        return ErrorPage::not_found(page).into_response();
    };
    let customer = session.customer_id();
    // Ownership first: another customer's account is the 404 page, whatever the form says.
    if let Err(e) = state.app.credit_account(customer, account_id).await {
        return failed(page, e.into());
    }
    let sent = (form.amount.as_str(), form.periods.as_str());
    let again = |page: Page, message: String| {
        let state = state.clone();
        let session = &session;
        let id = id.clone();
        async move {
            match quoted(&state, &page, i, customer, account_id, sent).await {
                Ok(q) => quote_page(page, account_id, q, Some(message)),
                Err(Ok(m)) => form_again(&state, session, page, &id, sent, m).await,
                Err(Err(e)) => failed(page, e),
            }
        }
    };
    if form.consent.as_deref() != Some("yes") {
        return again(page, i.err_consent.to_owned()).await;
    }
    let Some(key) = card_forms::form_key(&form.key) else {
        let message = page.f.err_refused.to_owned();
        return again(page, message).await;
    };
    let request = format!("{account_id}:{}", form.quote_id);
    let run = state
        .app
        .installment_book(customer, account_id, &form.quote_id, Some(true));
    let texts = (page.f, page.c);
    let explain = |e| refusal(texts, i, e);
    let done = card_forms::once_with(
        &state.app,
        customer,
        "bill-installment",
        (key, &request),
        explain,
        run,
    )
    .await;
    match done {
        Ok(done) => {
            let notice = if done.is_some() {
                i.booked
            } else {
                page.c.already_done
            };
            let echo = Echo::default();
            app_bills::account_page(&state, &session, page, &id, "", None, Some(notice), echo).await
        }
        Err(Ok(m)) => again(page, m).await,
        Err(Err(e)) => failed(page, e),
    }
}
