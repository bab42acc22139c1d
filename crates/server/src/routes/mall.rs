//! The points mall under `/v1` (docs/rewards.md, "Points mall"): operators list items
//! ([`InternalKey`] until operator roles exist), anyone reads them, and a logged-in customer
//! orders and refunds ([`CustomerSession`] + `Idempotency-Key`; own orders only — another
//! customer's order answers 404).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cardlife_app::rewards::mall::{
    MallItemId, MallItemView, MallOrderId, MallOrderView, NewMallItem,
};
use cardlife_kernel::Money;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::idempotent::once;
use crate::AppState;
use crate::auth::{CustomerSession, InternalKey, Public};
use crate::extract::JsonBody;
use crate::idempotent::key_text;
use crate::problem::{ApiError, Problem};

/// An item to list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewItem {
    /// Name in Chinese (1–100 characters).
    name_zh: String,
    /// Name in English (1–100 characters).
    name_en: String,
    /// Points per unit (≥ 1).
    points: i64,
    /// Cash per unit in fen (CNY); 0 or absent for points only.
    #[serde(default)]
    cash_fen: i64,
    /// Units for sale.
    stock: u32,
    /// Most units one customer may hold (≥ 1).
    per_customer_limit: u32,
    /// RFC 3339: on sale from.
    #[schema(value_type = String)]
    starts_at: Timestamp,
    /// RFC 3339: on sale until (exclusive; after `starts_at`).
    #[schema(value_type = String)]
    ends_at: Timestamp,
}

/// An item of the mall.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ItemOut {
    /// `mli_…`.
    id: String,
    /// Name in Chinese.
    name_zh: String,
    /// Name in English.
    name_en: String,
    /// Points per unit.
    points: i64,
    /// Cash per unit in fen (0 = points only).
    cash_fen: i64,
    /// Units listed.
    stock: u32,
    /// Units left.
    remaining: u32,
    /// Most units one customer may hold.
    per_customer_limit: u32,
    /// RFC 3339.
    starts_at: String,
    /// RFC 3339.
    ends_at: String,
}

impl From<MallItemView> for ItemOut {
    fn from(v: MallItemView) -> Self {
        Self {
            id: v.id.to_string(),
            name_zh: v.name_zh,
            name_en: v.name_en,
            points: v.points.value(),
            cash_fen: v.cash.fen(),
            stock: v.stock,
            remaining: v.remaining,
            per_customer_limit: v.per_customer_limit,
            starts_at: v.starts_at.to_string(),
            ends_at: v.ends_at.to_string(),
        }
    }
}

/// The items of the mall.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ItemsOut {
    /// Oldest listing first.
    items: Vec<ItemOut>,
}

/// An order to place.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewOrder {
    /// `mli_…`.
    item_id: String,
    /// Units (≥ 1).
    quantity: u32,
}

/// Units of an order to refund.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRefund {
    /// Units (≥ 1, at most those not yet refunded).
    quantity: u32,
}

/// An order of the mall.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrderOut {
    /// `mlo_…`.
    id: String,
    /// `mli_…`.
    item_id: String,
    /// Units ordered.
    quantity: u32,
    /// Units refunded.
    refunded: u32,
    /// Points paid for the whole order.
    points: i64,
    /// Cash paid for the whole order, fen.
    cash_fen: i64,
    /// Points given back by refunds.
    points_refunded: i64,
    /// Cash given back by refunds, fen.
    cash_refunded_fen: i64,
    /// RFC 3339.
    created_at: String,
}

impl From<MallOrderView> for OrderOut {
    fn from(v: MallOrderView) -> Self {
        Self {
            id: v.id.to_string(),
            item_id: v.item.to_string(),
            quantity: v.quantity,
            refunded: v.refunded,
            points: v.points.value(),
            cash_fen: v.cash.fen(),
            points_refunded: v.points_refunded.value(),
            cash_refunded_fen: v.cash_refunded.fen(),
            created_at: v.created_at.to_string(),
        }
    }
}

/// The customer's orders.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrdersOut {
    /// Newest first.
    orders: Vec<OrderOut>,
}

fn item_id(text: &str) -> Result<MallItemId, ApiError> {
    MallItemId::parse(text).map_err(|e| ApiError::InvalidId {
        detail: format!("a mall item id is `mli_` and 32 lowercase hex digits: {e}"),
    })
}

fn order_id(text: &str) -> Result<MallOrderId, ApiError> {
    MallOrderId::parse(text).map_err(|e| ApiError::InvalidId {
        detail: format!("a mall order id is `mlo_` and 32 lowercase hex digits: {e}"),
    })
}

/// Lists an item (operators; the internal token until operator roles exist).
#[utoipa::path(post, path = "/v1/mall/items", tag = "rewards",
    request_body = NewItem,
    responses(
        (status = 201, description = "Listed", body = ItemOut),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_TERMS, INVALID_BODY; nothing was written", body = Problem, content_type = "application/problem+json"),
    ),
    security(("internal_token" = [])))]
pub(crate) async fn list_item(
    _: InternalKey,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<NewItem>,
) -> Result<(StatusCode, Json<ItemOut>), ApiError> {
    let item = state
        .app
        .list_mall_item(NewMallItem {
            name_zh: body.name_zh,
            name_en: body.name_en,
            points: body.points,
            cash: Money::cny(body.cash_fen),
            stock: body.stock,
            per_customer_limit: body.per_customer_limit,
            starts_at: body.starts_at,
            ends_at: body.ends_at,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(item.into())))
}

/// Every item of the mall with its remaining stock.
#[utoipa::path(get, path = "/v1/mall/items", tag = "rewards",
    responses((status = 200, description = "The items", body = ItemsOut)))]
pub(crate) async fn items(
    _: Public,
    State(state): State<AppState>,
) -> Result<Json<ItemsOut>, ApiError> {
    let items = state.app.mall_items().await?;
    Ok(Json(ItemsOut {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// One item of the mall.
#[utoipa::path(get, path = "/v1/mall/items/{id}", tag = "rewards",
    params(("id" = String, Path, description = "`mli_…`")),
    responses(
        (status = 200, description = "The item", body = ItemOut),
        (status = 400, description = "INVALID_ID", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn item(
    _: Public,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ItemOut>, ApiError> {
    Ok(Json(state.app.mall_item(item_id(&id)?).await?.into()))
}

/// Orders units of an item: the points are taken FIFO by expiry and the cash part is charged
/// to the customer's card. Refused orders change nothing.
#[utoipa::path(post, path = "/v1/mall/orders", tag = "rewards", security(("session" = [])),
    request_body = NewOrder,
    params(("Idempotency-Key" = String, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "Placed", body = OrderOut),
        (status = 400, description = "INVALID_ID, IDEMPOTENCY_KEY_REQUIRED", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "SOLD_OUT, OVER_CUSTOMER_LIMIT; nothing changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INSUFFICIENT_POINTS, NOT_ON_SALE, INVALID_AMOUNT, or a card decline; nothing changed", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn order(
    session: CustomerSession,
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewOrder>,
) -> Result<Response, ApiError> {
    let customer = session.customer_id();
    let attempt = key_text(&headers);
    let run = async {
        let item = item_id(&body.item_id)?;
        let placed = state
            .app
            .order_mall_item(customer, item, body.quantity, &attempt)
            .await?;
        Ok(OrderOut::from(placed))
    };
    once(
        &state.app,
        customer,
        "mall.order",
        uri.path(),
        &headers,
        &body,
        StatusCode::CREATED,
        run,
    )
    .await
}

/// The customer's mall orders, newest first.
#[utoipa::path(get, path = "/v1/me/mall/orders", tag = "rewards", security(("session" = [])),
    responses(
        (status = 200, description = "The orders", body = OrdersOut),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn my_orders(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<OrdersOut>, ApiError> {
    let orders = state.app.my_mall_orders(session.customer_id()).await?;
    Ok(Json(OrdersOut {
        orders: orders.into_iter().map(Into::into).collect(),
    }))
}

/// One of the customer's mall orders.
#[utoipa::path(get, path = "/v1/me/mall/orders/{id}", tag = "rewards", security(("session" = [])),
    params(("id" = String, Path, description = "`mlo_…`")),
    responses(
        (status = 200, description = "The order", body = OrderOut),
        (status = 400, description = "INVALID_ID", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND (also another customer's order)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn my_order(
    session: CustomerSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<OrderOut>, ApiError> {
    let order = state
        .app
        .my_mall_order(session.customer_id(), order_id(&id)?)
        .await?;
    Ok(Json(order.into()))
}

/// Refunds units of the customer's order: the points come back (with their original expiry),
/// the stock is restored and the cash part goes back to the card.
#[utoipa::path(post, path = "/v1/me/mall/orders/{id}/refunds", tag = "rewards", security(("session" = [])),
    request_body = NewRefund,
    params(("id" = String, Path, description = "`mlo_…`"),
        ("Idempotency-Key" = String, Header, description = "Makes retries safe")),
    responses(
        (status = 200, description = "The order after the refund", body = OrderOut),
        (status = 400, description = "INVALID_ID, IDEMPOTENCY_KEY_REQUIRED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND (also another customer's order)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "REFUND_EXCEEDS_ORDER, INVALID_AMOUNT; nothing changed", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn refund(
    session: CustomerSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewRefund>,
) -> Result<Response, ApiError> {
    let customer = session.customer_id();
    let run = async {
        let order = order_id(&id)?;
        let after = state
            .app
            .refund_mall_order(customer, order, body.quantity)
            .await?;
        Ok(OrderOut::from(after))
    };
    once(
        &state.app,
        customer,
        "mall.refund",
        uri.path(),
        &headers,
        &body,
        StatusCode::OK,
        run,
    )
    .await
}

/// The points-mall part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list_item, items, item, order, my_orders, my_order, refund),
    components(schemas(NewItem, ItemOut, ItemsOut, NewOrder, NewRefund, OrderOut, OrdersOut))
)]
pub(crate) struct MallApi;
