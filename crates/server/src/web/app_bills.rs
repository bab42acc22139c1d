//! The cardholder's bills (docs/web.md, "Bills, borrow and my cards"): their credit accounts
//! with the cards masked, the statements, one statement's lines, and a repayment under an
//! idempotency key made when the form is rendered. Every read is scoped to the session's
//! customer by the credit use cases: another customer's account answers the 404 page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cardlife_app::credit::{AccountView, CardView, StatementView};
use cardlife_kernel::{CustomerId, Money};
use jiff::civil::Date;
use serde::Deserialize;
use uuid::Uuid;

use super::app_bill_installments::{self, Section};
use super::card_forms;
use super::csrf::CsrfForm;
use super::errors::ErrorPage;
use super::face_forms;
use super::i18n_cards::CardTexts;
use super::i18n_installments::InstallmentTexts;
use super::page::Page;
use super::session::PageSession;
use crate::AppState;
use crate::problem::ApiError;

/// A card as every page shows it: first six, stars, last four.
pub(crate) fn masked(card: &CardView) -> String {
    format!("{}******{}", card.first6, card.last4)
}

/// An account as the pages show it.
#[derive(Debug)]
pub(crate) struct AccountShown {
    pub(crate) id: Uuid,
    pub(crate) cards: Vec<String>,
    pub(crate) limit: Money,
    pub(crate) available: Money,
    pub(crate) balance: Money,
    pub(crate) status: &'static str,
    pub(crate) status_class: &'static str,
    pub(crate) delinquency: String,
    pub(crate) days_past_due: i64,
}

impl AccountShown {
    fn of(c: &'static CardTexts, a: &AccountView, cards: &[CardView]) -> Self {
        let status = match a.status {
            "active" => c.status_active,
            "frozen" => c.status_frozen,
            _ => c.status_closed,
        };
        let delinquency = if a.delinquency == "current" {
            c.current_label.to_owned()
        } else {
            a.delinquency.clone()
        };
        Self {
            id: a.id,
            cards: cards.iter().map(masked).collect(),
            limit: a.credit_limit,
            available: a.available_credit,
            balance: a.balance,
            status,
            status_class: a.status,
            delinquency,
            days_past_due: a.days_past_due,
        }
    }
}

/// A statement line as the page shows it.
#[derive(Debug)]
pub(crate) struct LineShown {
    date: Date,
    description: &'static str,
    amount: Money,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/bills.html")]
pub(crate) struct BillsPage {
    page: Page,
    accounts: Vec<AccountShown>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/bill_account.html")]
pub(crate) struct AccountPage {
    page: Page,
    account: AccountShown,
    statements: Vec<StatementView>,
    amount: String,
    key: String,
    error: Option<String>,
    notice: Option<&'static str>,
    /// The bill installment strings and section (docs/web.md, "Bill installments").
    i: &'static InstallmentTexts,
    installment: Section,
}

/// What the installment form sent, shown again with its message (`amount: None`: the form was
/// not sent, so it is prefilled with the statement's balance).
#[derive(Debug, Default)]
pub(crate) struct Echo {
    pub(crate) amount: Option<String>,
    pub(crate) periods: String,
    pub(crate) error: Option<String>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/bill_statement.html")]
pub(crate) struct StatementPage {
    page: Page,
    account_id: Uuid,
    statement: StatementView,
    lines: Vec<LineShown>,
}

/// The repayment form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RepayForm {
    amount: String,
    key: String,
}

/// The error page for a failure that is not a form message: 404 page for a not-found.
pub(crate) fn failed(page: Page, e: ApiError) -> Response {
    if e.problem().status == 404 {
        ErrorPage::not_found(page).into_response()
    } else {
        e.into_response()
    }
}

fn kind_label(c: &'static CardTexts, kind: &str) -> &'static str {
    match kind {
        "purchase" => c.kind_purchase,
        "cash_advance" => c.kind_cash_advance,
        "fee" => c.kind_fee,
        "interest" => c.kind_interest,
        "installment" => c.kind_installment,
        "payment" => c.kind_payment,
        _ => c.kind_refund,
    }
}

async fn shown(
    state: &AppState,
    c: &'static CardTexts,
    customer: CustomerId,
    account: &AccountView,
) -> Result<AccountShown, ApiError> {
    let cards = state.app.credit_cards(customer, account.id).await?;
    Ok(AccountShown::of(c, account, &cards))
}

/// The customer's accounts, shown.
pub(crate) async fn accounts_of(
    state: &AppState,
    c: &'static CardTexts,
    customer: CustomerId,
) -> Result<Vec<AccountShown>, ApiError> {
    let mut out = Vec::new();
    for a in state.app.credit_accounts(customer).await? {
        out.push(shown(state, c, customer, &a).await?);
    }
    Ok(out)
}

/// `GET /app/bills`.
pub(crate) async fn bills(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
) -> Response {
    match accounts_of(&state, page.c, session.customer_id()).await {
        Ok(accounts) => BillsPage { page, accounts }.into_response(),
        Err(e) => failed(page, e),
    }
}

/// The account page; `error` is the repayment form's message, `echo` the installment form's.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn account_page(
    state: &AppState,
    session: &PageSession,
    page: Page,
    id: &str,
    amount: &str,
    error: Option<String>,
    notice: Option<&'static str>,
    echo: Echo,
) -> Response {
    let Ok(id) = Uuid::parse_str(id) else {
        return ErrorPage::not_found(page).into_response();
    };
    let customer = session.customer_id();
    let loaded = async {
        let view = state.app.credit_account(customer, id).await?;
        let account = shown(state, page.c, customer, &view).await?;
        let statements = state.app.credit_statements(customer, id).await?;
        let i = page.lang.installment_texts();
        let installment =
            app_bill_installments::section(state, i, customer, &view, &statements, echo).await?;
        Ok::<_, ApiError>((account, statements, installment))
    };
    match loaded.await {
        Ok((account, statements, installment)) => {
            let status = if error.is_some() || installment.error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let i = page.lang.installment_texts();
            let body = AccountPage {
                page,
                account,
                statements,
                amount: face_forms::echo(amount, face_forms::AMOUNT_LEN_MAX),
                key: face_forms::idempotency_key(),
                error,
                notice,
                i,
                installment,
            };
            (status, body).into_response()
        }
        Err(e) => failed(page, e),
    }
}

/// `GET /app/bills/{id}`: one account, its statements and the repayment form.
pub(crate) async fn account(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    account_page(&state, &session, page, &id, "", None, None, Echo::default()).await
}

/// `GET /app/bills/{id}/statements/{date}`: one statement with its lines.
pub(crate) async fn statement(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
    Path((id, date)): Path<(String, String)>,
) -> Response {
    let (Ok(id), Ok(date)) = (Uuid::parse_str(&id), date.parse::<Date>()) else {
        return ErrorPage::not_found(page).into_response();
    };
    match state
        .app
        .credit_statement(session.customer_id(), id, date)
        .await
    {
        Ok(statement) => {
            let lines = statement
                .lines
                .iter()
                .map(|l| LineShown {
                    date: l.transaction_date,
                    description: kind_label(page.c, &l.kind),
                    amount: Money::cny(l.amount_fen),
                })
                .collect();
            StatementPage {
                page,
                account_id: id,
                statement,
                lines,
            }
            .into_response()
        }
        Err(e) => failed(page, e.into()),
    }
}

/// `POST /app/bills/{id}/repay`: a repayment under the form's idempotency key.
pub(crate) async fn repay(
    session: PageSession,
    State(state): State<AppState>,
    mut page: Page,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RepayForm>,
) -> Response {
    // A switch on the answer goes back to the account page, not to this POST-only path.
    page.path = format!("/app/bills/{}", face_forms::echo(&id, 36));
    let (f, c) = (page.f, page.c);
    let again = |page: Page, error: String| {
        let state = state.clone();
        let session = &session;
        let id = id.clone();
        let amount = form.amount.clone();
        async move {
            let echo = Echo::default();
            account_page(&state, session, page, &id, &amount, Some(error), None, echo).await
        }
    };
    let Ok(account_id) = Uuid::parse_str(&id) else {
        return ErrorPage::not_found(page).into_response();
    };
    let amount = match card_forms::amount(f, &form.amount) {
        Ok(a) => a,
        Err(e) => return again(page, e.to_owned()).await,
    };
    let Some(key) = card_forms::form_key(&form.key) else {
        return again(page, f.err_refused.to_owned()).await;
    };
    let customer = session.customer_id();
    let request = format!("{account_id}:{}", amount.fen());
    let run = state.app.credit_repay(customer, account_id, amount.fen());
    match card_forms::once(&state.app, f, c, customer, "repay", key, &request, run).await {
        Ok(done) => {
            let notice = if done.is_some() {
                c.repaid
            } else {
                c.already_done
            };
            account_page(
                &state,
                &session,
                page,
                &id,
                "",
                None,
                Some(notice),
                Echo::default(),
            )
            .await
        }
        Err(Ok(message)) => again(page, message).await,
        Err(Err(e)) => failed(page, e),
    }
}

/// Fen as yuan with two decimals, for the templates.
pub(crate) fn yuan(fen: &i64) -> String {
    Money::cny(*fen).to_string()
}
