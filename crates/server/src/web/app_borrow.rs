//! Borrowing (docs/web.md, "Bills, borrow and my cards"; docs/loans.md): the offer with its
//! reason codes and "my loans"; a quote form whose answer shows the APR first and larger than
//! the monthly rate, with the full schedule; then the consent step — an unticked checkbox the
//! customer must tick, never defaulted — and booking to one of their own debit cards, under an
//! idempotency key made when the consent form is rendered.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cardlife_app::loans::{DebitCardView, LOAN_PRODUCT, LoanOfferView, LoanQuoteOut, LoanView};
use serde::Deserialize;

use super::app_bills::failed;
use super::card_forms;
use super::csrf::CsrfForm;
use super::face_forms;
use super::i18n_cards::CardTexts;
use super::page::Page;
use super::session::PageSession;
use crate::AppState;
use crate::problem::ApiError;

/// The borrow page, where the language and elder switches of the quote and consent pages return.
const BORROW: &str = "/app/borrow";

/// The repayment methods the form offers, with their labels.
pub(crate) fn methods(c: &'static CardTexts) -> [(&'static str, &'static str); 3] {
    [
        ("equal_installment", c.method_equal_installment),
        ("equal_principal", c.method_equal_principal),
        ("interest_only", c.method_interest_only),
    ]
}

/// A method's label.
pub(crate) fn method_label(c: &'static CardTexts, method: &str) -> &'static str {
    methods(c)
        .into_iter()
        .find(|(m, _)| *m == method)
        .map_or(c.method_equal_installment, |(_, l)| l)
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/borrow.html")]
pub(crate) struct BorrowPage {
    page: Page,
    offer: LoanOfferView,
    loans: Vec<LoanView>,
    amount: String,
    periods: String,
    method: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/borrow_quote.html")]
pub(crate) struct QuotePage {
    page: Page,
    quote: LoanQuoteOut,
    cards: Vec<DebitCardView>,
    key: String,
    error: Option<String>,
}

/// The quote form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct QuoteForm {
    amount: String,
    periods: String,
    method: String,
}

/// The consent form: `consent` is present only when the box was ticked.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct BookForm {
    quote_id: String,
    consent: Option<String>,
    debit_card_id: String,
    key: String,
}

#[allow(clippy::too_many_arguments)]
async fn borrow_page(
    state: &AppState,
    session: &PageSession,
    page: Page,
    form: &QuoteForm,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Response {
    let customer = session.customer_id();
    let loaded = async {
        let offer = state.app.loan_offer(customer).await?;
        let loans = state.app.loans_of(customer).await?;
        Ok::<_, ApiError>((offer, loans))
    };
    match loaded.await {
        Ok((offer, loans)) => {
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let method = if form.method.is_empty() {
                "equal_installment".to_owned()
            } else {
                face_forms::echo(&form.method, 20)
            };
            let body = BorrowPage {
                page,
                offer,
                loans,
                amount: face_forms::echo(&form.amount, face_forms::AMOUNT_LEN_MAX),
                periods: face_forms::echo(&form.periods, 2),
                method,
                error,
                notice,
            };
            (status, body).into_response()
        }
        Err(e) => failed(page, e),
    }
}

/// `GET /app/borrow`.
pub(crate) async fn borrow(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
) -> Response {
    let form = QuoteForm {
        periods: "12".to_owned(),
        ..QuoteForm::default()
    };
    borrow_page(&state, &session, page, &form, None, None).await
}

/// `POST /app/borrow/quote`: stores a quote and shows it with the consent step.
pub(crate) async fn quote(
    session: PageSession,
    State(state): State<AppState>,
    mut page: Page,
    CsrfForm(form): CsrfForm<QuoteForm>,
) -> Response {
    // A switch on the answer goes back to /app/borrow, not to this POST-only path.
    BORROW.clone_into(&mut page.path);
    let (f, c) = (page.f, page.c);
    let checked = card_forms::amount(f, &form.amount).and_then(|a| {
        let n = card_forms::periods(f, c, &form.periods)?;
        let m = card_forms::method(c, &form.method)?;
        Ok((a, n, m))
    });
    let (amount, periods, method) = match checked {
        Ok(v) => v,
        Err(e) => {
            return borrow_page(&state, &session, page, &form, Some(e.to_owned()), None).await;
        }
    };
    let customer = session.customer_id();
    let quoted = state
        .app
        .create_loan_quote(customer, LOAN_PRODUCT, amount, periods, method, None)
        .await;
    match quoted {
        Ok(quote) => quote_page(&state, &session, page, quote, None).await,
        Err(e) => match card_forms::refusal(f, c, e) {
            Ok(m) => borrow_page(&state, &session, page, &form, Some(m), None).await,
            Err(e) => failed(page, e),
        },
    }
}

async fn quote_page(
    state: &AppState,
    session: &PageSession,
    page: Page,
    quote: LoanQuoteOut,
    error: Option<String>,
) -> Response {
    match state.app.debit_cards_of(session.customer_id()).await {
        Ok(cards) => {
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let body = QuotePage {
                page,
                quote,
                cards,
                key: face_forms::idempotency_key(),
                error,
            };
            (status, body).into_response()
        }
        Err(e) => failed(page, e.into()),
    }
}

/// `POST /app/borrow/book`: books the quote after explicit consent, once per form.
pub(crate) async fn book(
    session: PageSession,
    State(state): State<AppState>,
    mut page: Page,
    CsrfForm(form): CsrfForm<BookForm>,
) -> Response {
    BORROW.clone_into(&mut page.path);
    let (f, c) = (page.f, page.c);
    let customer = session.customer_id();
    // The quote is read first: an unknown or foreign one is the 404 page, whatever else.
    let quote = match state.app.loan_quote(customer, &form.quote_id).await {
        Ok(q) => q,
        Err(e) => return failed(page, e.into()),
    };
    let again = |page: Page, quote: LoanQuoteOut, m: &str| {
        let state = state.clone();
        let m = m.to_owned();
        let session = &session;
        async move { quote_page(&state, session, page, quote, Some(m)).await }
    };
    if form.consent.as_deref() != Some("yes") {
        return again(page, quote, c.err_consent).await;
    }
    if form.debit_card_id.is_empty() || form.debit_card_id.len() > 64 {
        return again(page, quote, c.err_debit_card).await;
    }
    let Some(key) = card_forms::form_key(&form.key) else {
        return again(page, quote, f.err_refused).await;
    };
    let request = format!("{}:{}", form.quote_id, form.debit_card_id);
    let run = state
        .app
        .book_loan(customer, &form.quote_id, Some(true), &form.debit_card_id);
    match card_forms::once(&state.app, f, c, customer, "book", key, &request, run).await {
        Ok(done) => {
            let notice = if done.is_some() {
                c.booked
            } else {
                c.already_done
            };
            borrow_page(
                &state,
                &session,
                page,
                &QuoteForm {
                    periods: "12".to_owned(),
                    ..QuoteForm::default()
                },
                None,
                Some(notice),
            )
            .await
        }
        Err(Ok(m)) => again(page, quote, &m).await,
        Err(Err(e)) => failed(page, e),
    }
}

/// An RFC 3339 instant as local time (Asia/Shanghai) to the minute, for the templates.
pub(crate) fn local_time(at: &str) -> String {
    at.parse::<jiff::Timestamp>()
        .map(|t| super::console_records::local(&t))
        .unwrap_or_default()
}
