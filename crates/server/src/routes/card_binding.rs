//! Own-bank credit cards bound by their holder under `/v1/me/credit-cards` (docs/identity.md,
//! "Binding cards"): the number and expiry month of a card the bank issued to the caller; an
//! unknown number, another holder's card and a wrong expiry answer the same 404.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use cardlife_app::card_binding::BoundCardView;
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::CustomerSession;
use crate::extract::JsonBody;
use crate::problem::{ApiError, Problem};

/// A card to bind.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BindCreditCard {
    /// The full card number (13–19 digits, Luhn-checked); never stored by the binding.
    card_number: String,
    /// The expiry month printed on the card, `YYYY-MM`.
    expires: String,
}

/// Binds one of the caller's own credit cards: 201 when new, 200 when it was bound already.
#[utoipa::path(post, path = "/v1/me/credit-cards", tag = "identity", request_body = BindCreditCard,
    responses(
        (status = 201, description = "Bound", body = BoundCardView),
        (status = 200, description = "Bound already", body = BoundCardView),
        (status = 404, description = "NOT_FOUND: no card of yours with this number and expiry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_CARD: not a card number, or not a YYYY-MM expiry", body = Problem, content_type = "application/problem+json")),
    security(("session" = [])))]
pub(crate) async fn bind(
    session: CustomerSession,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<BindCreditCard>,
) -> Result<(StatusCode, Json<BoundCardView>), ApiError> {
    let (card, new) = state
        .app
        .bind_credit_card(session.customer_id(), &body.card_number, &body.expires)
        .await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(card)))
}

/// The caller's bound own-bank credit cards, masked.
#[utoipa::path(get, path = "/v1/me/credit-cards", tag = "identity",
    responses((status = 200, body = [BoundCardView])), security(("session" = [])))]
pub(crate) async fn list(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<Vec<BoundCardView>>, ApiError> {
    Ok(Json(
        state.app.bound_credit_cards(session.customer_id()).await?,
    ))
}

/// This part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(bind, list), components(schemas(BindCreditCard, BoundCardView)))]
pub(crate) struct CardBindingApi;
