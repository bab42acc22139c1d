//! My cards (docs/web.md, "Bills, borrow and my cards"): the customer's credit cards and bound
//! debit cards, both masked (first 6 + last 4), and the bind form. The number typed is
//! tokenised by the loans use case at once and never echoed back or shown in full.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cardlife_app::loans::DebitCardView;
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
        Ok::<_, ApiError>((accounts, debit_cards))
    };
    match loaded.await {
        Ok((accounts, debit_cards)) => {
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let body = CardsPage {
                page,
                accounts,
                debit_cards,
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
