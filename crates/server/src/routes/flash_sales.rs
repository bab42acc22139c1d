//! Flash sales under `/v1/flash-sales` (docs/rewards.md): operators schedule a sale
//! ([`InternalKey`] until operator roles exist), anyone reads its terms or the list of sales not
//! yet ended, and a logged-in customer claims a unit ([`CustomerSession`] + `Idempotency-Key`).
//! A claim is answered once its decision is durable: 201 with the reservation, or 409 `SOLD_OUT` / `ALREADY_CLAIMED`, 422
//! `SALE_NOT_OPEN`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cardlife_app::flash_sales::{
    ClaimView, FlashSaleId, FlashSaleView, IDEMPOTENCY_KEY_LEN_MAX, NewFlashSale,
};
use cardlife_kernel::Money;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::{CustomerSession, InternalKey, Public};
use crate::extract::JsonBody;
use crate::problem::{ApiError, Problem};

/// The header a replayed answer carries.
pub(crate) const REPLAYED_HEADER: &str = "idempotent-replayed";

/// A sale to schedule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewSale {
    /// What is sold: an item or voucher reference (1–200 bytes).
    item: String,
    /// Units for sale (1–10,000,000).
    stock: u32,
    /// Most units one customer may win (≥ 1).
    per_user_limit: u32,
    /// What a winner pays, in fen (CNY), ≥ 0.
    price_fen: i64,
    /// RFC 3339: the first instant claims are accepted.
    #[schema(value_type = String)]
    starts_at: Timestamp,
    /// RFC 3339: the first instant claims are refused again (after `starts_at`).
    #[schema(value_type = String)]
    ends_at: Timestamp,
}

/// A flash sale.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Sale {
    /// `fls_…`.
    id: String,
    /// What is sold.
    item: String,
    /// Units for sale.
    stock: u32,
    /// Units not yet won (durable).
    remaining: u32,
    /// Most units one customer may win.
    per_user_limit: u32,
    /// What a winner pays, in fen.
    price_fen: i64,
    /// The currency of the price.
    currency: String,
    /// RFC 3339.
    starts_at: String,
    /// RFC 3339.
    ends_at: String,
}

impl From<FlashSaleView> for Sale {
    fn from(v: FlashSaleView) -> Self {
        Self {
            id: v.id.to_string(),
            item: v.item,
            stock: v.stock,
            remaining: v.remaining,
            per_user_limit: v.per_user_limit,
            price_fen: v.price.fen(),
            currency: v.price.currency().code().to_owned(),
            starts_at: v.starts_at.to_string(),
            ends_at: v.ends_at.to_string(),
        }
    }
}

/// The sales a cardholder can see.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SaleList {
    /// On sale now or upcoming (not ended), most recently scheduled first; at most 50.
    sales: Vec<Sale>,
}

/// A won claim: one unit reserved for the customer, to be paid at `price_fen`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Claim {
    /// The sale, `fls_…`.
    sale_id: String,
    /// Position among all winners, from 1.
    seq: u32,
    /// The customer's own count of wins, from 1.
    nth: u32,
    /// What the customer pays for the unit, in fen.
    price_fen: i64,
    /// The currency of the price.
    currency: String,
    /// RFC 3339: when the claim was decided.
    claimed_at: String,
}

impl From<&ClaimView> for Claim {
    fn from(c: &ClaimView) -> Self {
        Self {
            sale_id: c.sale.to_string(),
            seq: c.seq,
            nth: c.nth,
            price_fen: c.price.fen(),
            currency: c.price.currency().code().to_owned(),
            claimed_at: c.claimed_at.to_string(),
        }
    }
}

fn sale_id(text: &str) -> Result<FlashSaleId, ApiError> {
    FlashSaleId::parse(text).map_err(|e| ApiError::InvalidId {
        detail: format!("a flash sale id is `fls_` and 32 lowercase hex digits: {e}"),
    })
}

/// The `Idempotency-Key` header: 1–200 visible ASCII characters.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty() && k.len() <= IDEMPOTENCY_KEY_LEN_MAX)
        .filter(|k| k.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .ok_or_else(|| ApiError::IdempotencyKeyRequired {
            detail: "send an `Idempotency-Key` header of 1 to 200 visible ASCII characters"
                .to_owned(),
        })
}

/// Schedules a flash sale (operators; the internal token until operator roles exist).
#[utoipa::path(post, path = "/v1/flash-sales", tag = "rewards",
    request_body = NewSale,
    responses(
        (status = 201, description = "Scheduled", body = Sale),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_TERMS, INVALID_BODY; nothing was written", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn schedule(
    _: InternalKey,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<NewSale>,
) -> Result<(StatusCode, Json<Sale>), ApiError> {
    let sale = state
        .app
        .schedule_flash_sale(NewFlashSale {
            item: body.item,
            stock: body.stock,
            per_user_limit: body.per_user_limit,
            price: Money::cny(body.price_fen),
            starts_at: body.starts_at,
            ends_at: body.ends_at,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(sale.into())))
}

/// The sales on sale now or upcoming, with their durable remaining stock.
#[utoipa::path(get, path = "/v1/flash-sales", tag = "rewards",
    responses((status = 200, description = "Not-ended sales, most recently scheduled first (at most 50)", body = SaleList)))]
pub(crate) async fn sales(
    _: Public,
    State(state): State<AppState>,
) -> Result<Json<SaleList>, ApiError> {
    let sales = state.app.visible_flash_sales().await?;
    Ok(Json(SaleList {
        sales: sales.into_iter().map(Sale::from).collect(),
    }))
}

/// A flash sale's terms and its durable remaining stock.
#[utoipa::path(get, path = "/v1/flash-sales/{id}", tag = "rewards",
    params(("id" = String, Path, description = "`fls_…`")),
    responses(
        (status = 200, description = "The sale", body = Sale),
        (status = 400, description = "INVALID_ID", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn sale(
    _: Public,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Sale>, ApiError> {
    Ok(Json(state.app.flash_sale(sale_id(&id)?).await?.into()))
}

/// Claims one unit for the logged-in customer. Answered once the decision is durable. The same
/// `Idempotency-Key` again answers the same 201 (with `idempotent-replayed: true`); refusals
/// change nothing and are not remembered.
#[utoipa::path(post, path = "/v1/flash-sales/{id}/claims", tag = "rewards",
    params(
        ("id" = String, Path, description = "`fls_…`"),
        ("Idempotency-Key" = String, Header, description = "1–200 visible ASCII characters, scoped to this sale and customer"),
    ),
    responses(
        (status = 201, description = "Won: one unit reserved, to be paid at the sale price", body = Claim),
        (status = 400, description = "INVALID_ID, IDEMPOTENCY_KEY_REQUIRED", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "SOLD_OUT, ALREADY_CLAIMED; nothing changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "SALE_NOT_OPEN; nothing changed", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "UNAVAILABLE, TIMEOUT: retry with the same key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn claim(
    session: CustomerSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let sale = sale_id(&id)?;
    let key = idempotency_key(&headers)?;
    let won = state
        .app
        .claim_flash_sale(sale, session.customer_id(), Some(key))
        .await?;
    let mut response = (StatusCode::CREATED, Json(Claim::from(&won))).into_response();
    if won.replayed {
        response
            .headers_mut()
            .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// The flash-sale part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(schedule, sales, sale, claim),
    components(schemas(NewSale, Sale, SaleList, Claim)),
    tags((name = "rewards", description = "Flash sales, coupons and points"))
)]
pub(crate) struct FlashSalesApi;
