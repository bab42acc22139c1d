//! My cards (docs/web.md, "Bills, borrow and my cards"): the customer's credit cards and bound
//! debit cards, both masked (first 6 + last 4), and the bind form. The number typed is
//! tokenised by the loans use case at once and never echoed back or shown in full.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cardlife_app::loans::DebitCardView;
use cardlife_app::{AppError, Missing};
use serde::Deserialize;

use super::app_bills::{AccountShown, accounts_of, failed};
use super::card_forms;
use super::csrf::CsrfForm;
use super::page::Page;
use super::session::PageSession;
use crate::AppState;
use crate::problem::ApiError;

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/cards.html")]
pub(crate) struct CardsPage {
    page: Page,
    accounts: Vec<AccountShown>,
    debit_cards: Vec<DebitCardView>,
    /// The bound own-bank credit cards, masked as the accounts show them.
    bound: Vec<String>,
    error: Option<String>,
    notice: Option<&'static str>,
}

/// The bind form (the number only; it is never echoed back).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct BindForm {
    card_number: String,
}

async fn cards_page(
    state: &AppState,
    session: &PageSession,
    page: Page,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Response {
    let customer = session.customer_id();
    let loaded = async {
        let accounts = accounts_of(state, page.c, customer).await?;
        let debit_cards = state.app.debit_cards_of(customer).await?;
        let bound = match state.app.bound_credit_cards(customer).await {
            Ok(cards) => cards
                .into_iter()
                .map(|c| format!("{}******{}", c.first6, c.last4))
                .collect(),
            // A server without the credit context has no credit cards to bind.
            Err(AppError::Unavailable) => Vec::new(),
            Err(e) => return Err(ApiError::from(e)),
        };
        Ok::<_, ApiError>((accounts, debit_cards, bound))
    };
    match loaded.await {
        Ok((accounts, debit_cards, bound)) => {
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let body = CardsPage {
                page,
                accounts,
                debit_cards,
                bound,
                error,
                notice,
            };
            (status, body).into_response()
        }
        Err(e) => failed(page, e),
    }
}

/// `GET /app/cards`.
pub(crate) async fn cards(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
) -> Response {
    cards_page(&state, &session, page, None, None).await
}

/// The credit bind form (never echoed back).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct BindCreditForm {
    card_number: String,
    expires: String,
}

/// `POST /app/cards/credit`: binds one of the customer's own credit cards by its number and
/// expiry month (binding it again is harmless).
pub(crate) async fn bind_credit(
    session: PageSession,
    State(state): State<AppState>,
    mut page: Page,
    CsrfForm(form): CsrfForm<BindCreditForm>,
) -> Response {
    "/app/cards".clone_into(&mut page.path);
    let (f, c) = (page.f, page.c);
    let number = match card_forms::card_number(f, c, &form.card_number) {
        Ok(n) => n,
        Err(e) => return cards_page(&state, &session, page, Some(e.to_owned()), None).await,
    };
    match state
        .app
        .bind_credit_card(session.customer_id(), &number, &form.expires)
        .await
    {
        Ok((_, fresh)) => {
            let notice = if fresh { c.credit_bound } else { c.bound_again };
            cards_page(&state, &session, page, None, Some(notice)).await
        }
        Err(AppError::NotFound(Missing::Card)) => {
            let e = c.err_not_your_card.to_owned();
            cards_page(&state, &session, page, Some(e), None).await
        }
        Err(AppError::InvalidCard(m)) if m.contains("expiry") => {
            let e = c.err_expiry.to_owned();
            cards_page(&state, &session, page, Some(e), None).await
        }
        Err(e) => match card_forms::refusal(f, c, e) {
            Ok(m) => cards_page(&state, &session, page, Some(m), None).await,
            Err(e) => failed(page, e),
        },
    }
}

/// `POST /app/cards/debit`: binds a debit card (binding the same number again is harmless).
pub(crate) async fn bind_debit(
    session: PageSession,
    State(state): State<AppState>,
    mut page: Page,
    CsrfForm(form): CsrfForm<BindForm>,
) -> Response {
    // A switch on the answer goes back to /app/cards, not to this POST-only path.
    "/app/cards".clone_into(&mut page.path);
    let (f, c) = (page.f, page.c);
    let number = match card_forms::card_number(f, c, &form.card_number) {
        Ok(n) => n,
        Err(e) => return cards_page(&state, &session, page, Some(e.to_owned()), None).await,
    };
    match state
        .app
        .bind_debit_card(session.customer_id(), &number, None)
        .await
    {
        Ok((_, fresh)) => {
            let notice = if fresh { c.bound } else { c.bound_again };
            cards_page(&state, &session, page, None, Some(notice)).await
        }
        Err(e) => match card_forms::refusal(f, c, e) {
            Ok(m) => cards_page(&state, &session, page, Some(m), None).await,
            Err(e) => failed(page, e),
        },
    }
}
