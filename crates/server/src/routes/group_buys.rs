//! Group buying under `/v1` (docs/rewards.md, "Group buying"): operators (campaign manager,
//! admin) set up offers; anyone reads the offers on sale and the groups forming; a logged-in
//! customer starts or joins a group, paying the group price by card ([`CustomerSession`] +
//! `Idempotency-Key`), and lists its own groups. The deadline sweep has an internal route.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cardlife_app::merchants::operators::Role;
use cardlife_app::rewards::group_buy::{
    GroupBuyId, GroupBuyOfferId, GroupBuyOfferView, GroupView, MyGroupView, NewGroupBuyOffer,
};
use cardlife_app::rewards::group_buy_money::GroupBuySweep;
use cardlife_kernel::{MerchantId, Money};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::idempotent::once;
use crate::AppState;
use crate::auth::{CustomerSession, InternalKey, OperatorSession, Public};
use crate::extract::JsonBody;
use crate::idempotent::key_text;
use crate::problem::{ApiError, Problem};

/// An offer to set up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OfferIn {
    /// The approved merchant paid for completed groups (`mch_…`).
    merchant_id: String,
    /// What is sold (1–60 characters, no markup).
    title: String,
    /// Members a group needs (2–50).
    size: u32,
    /// What each member pays, fen (> 0).
    price_fen: i64,
    /// How long a group stays open once started, seconds (60 to 30 days).
    window_secs: i64,
    /// RFC 3339: groups may be started from.
    #[schema(value_type = String)]
    starts_at: Timestamp,
    /// RFC 3339: groups may be started until (exclusive).
    #[schema(value_type = String)]
    ends_at: Timestamp,
    /// Whether a group with at least one member completes at its deadline.
    #[serde(default)]
    virtual_completion: bool,
    /// Most places one customer may hold in the offer's groups (1–100).
    per_customer_limit: u32,
}

/// An offer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OfferOut {
    /// `gbo_…`.
    id: String,
    /// `mch_…`.
    merchant_id: String,
    /// What is sold.
    title: String,
    /// Members a group needs.
    size: u32,
    /// What each member pays, fen.
    price_fen: i64,
    /// How long a group stays open, seconds.
    window_secs: i64,
    /// RFC 3339.
    starts_at: String,
    /// RFC 3339.
    ends_at: String,
    /// Virtual completion at the deadline.
    virtual_completion: bool,
    /// Places per customer.
    per_customer_limit: u32,
}

impl From<GroupBuyOfferView> for OfferOut {
    fn from(v: GroupBuyOfferView) -> Self {
        Self {
            id: v.id.to_string(),
            merchant_id: v.merchant.to_string(),
            title: v.title,
            size: v.size,
            price_fen: v.price.fen(),
            window_secs: v.window_secs,
            starts_at: v.starts_at.to_string(),
            ends_at: v.ends_at.to_string(),
            virtual_completion: v.virtual_completion,
            per_customer_limit: v.per_customer_limit,
        }
    }
}

/// A group.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GroupOut {
    /// `grp_…`.
    id: String,
    /// `gbo_…`.
    offer_id: String,
    /// The offer's title.
    title: String,
    /// What each member pays, fen.
    price_fen: i64,
    /// `forming`, `completed` or `failed`.
    state: &'static str,
    /// Members needed.
    size: u32,
    /// Members so far.
    members: u32,
    /// Places still empty.
    missing: u32,
    /// Completed with places filled by the platform.
    virtual_fill: bool,
    /// RFC 3339: first instant it refuses joins.
    deadline: String,
    /// RFC 3339, when it completed or failed.
    closed_at: Option<String>,
    /// Every member's money reached the merchant or went back to the card.
    settled: bool,
}

impl From<GroupView> for GroupOut {
    fn from(v: GroupView) -> Self {
        Self {
            missing: v.missing(),
            id: v.id.to_string(),
            offer_id: v.offer.to_string(),
            title: v.title,
            price_fen: v.price.fen(),
            state: v.status.as_str(),
            size: v.size,
            members: v.members,
            virtual_fill: v.virtual_fill,
            deadline: v.deadline.to_string(),
            closed_at: v.closed_at.map(|t| t.to_string()),
            settled: v.settled,
        }
    }
}

/// Offers on sale and the groups forming.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BoardOut {
    /// Offers on sale now, newest first.
    offers: Vec<OfferOut>,
    /// Groups forming now, oldest first.
    groups: Vec<GroupOut>,
}

/// The customer's place in a group.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MyGroupOut {
    /// The group.
    group: GroupOut,
    /// What the customer paid, fen.
    paid_fen: i64,
    /// The payment went back to the card (the group failed).
    refunded: bool,
    /// RFC 3339.
    joined_at: String,
}

impl From<MyGroupView> for MyGroupOut {
    fn from(v: MyGroupView) -> Self {
        Self {
            group: v.group.into(),
            paid_fen: v.paid.fen(),
            refunded: v.refunded,
            joined_at: v.joined_at.to_string(),
        }
    }
}

/// The customer's groups.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MineOut {
    /// Newest first.
    groups: Vec<MyGroupOut>,
}

/// What a sweep run did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SweepOut {
    /// Groups completed virtually at their deadline.
    completed: u32,
    /// Groups failed at their deadline.
    failed: u32,
    /// Members refunded (or their authorisation voided).
    refunded: u32,
    /// Groups whose money was settled.
    settled: u32,
}

impl From<GroupBuySweep> for SweepOut {
    fn from(s: GroupBuySweep) -> Self {
        Self {
            completed: s.completed,
            failed: s.failed,
            refunded: s.refunded,
            settled: s.settled,
        }
    }
}

/// An empty body (start and join take everything from the path).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Empty {}

fn offer_id(text: &str) -> Result<GroupBuyOfferId, ApiError> {
    GroupBuyOfferId::parse(text).map_err(|e| ApiError::InvalidId {
        detail: format!("a group-buy offer id is `gbo_` and 32 lowercase hex digits: {e}"),
    })
}

fn group_id(text: &str) -> Result<GroupBuyId, ApiError> {
    GroupBuyId::parse(text).map_err(|e| ApiError::InvalidId {
        detail: format!("a group id is `grp_` and 32 lowercase hex digits: {e}"),
    })
}

impl OfferIn {
    /// The use case's terms; an unreadable merchant id is a bad term like any other.
    pub(crate) fn terms(self) -> Result<NewGroupBuyOffer, ApiError> {
        let merchant: MerchantId = self.merchant_id.parse().map_err(|_| {
            ApiError::from(cardlife_app::AppError::Rewards(
                cardlife_app::flash_sales::RewardsError::InvalidConfig {
                    reason: "the merchant is not an approved merchant",
                },
            ))
        })?;
        Ok(NewGroupBuyOffer {
            merchant,
            title: self.title,
            size: self.size,
            price: Money::cny(self.price_fen),
            window_secs: self.window_secs,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            virtual_completion: self.virtual_completion,
            per_customer_limit: self.per_customer_limit,
        })
    }
}

/// Sets up a group-buy offer (campaign manager, admin).
#[utoipa::path(post, path = "/v1/operator/group-buys", tag = "rewards",
    request_body = OfferIn,
    responses(
        (status = 201, description = "Set up", body = OfferOut),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "FORBIDDEN_ROLE", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_TERMS (the reason in `detail`), INVALID_BODY; nothing written", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn create_offer(
    session: OperatorSession,
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<OfferOut>), ApiError> {
    // The role first: a caller without it learns nothing about the body's shape.
    let by = session.require(Role::CampaignManager)?;
    let JsonBody(body) = JsonBody::<OfferIn>::parse(&body)?;
    let offer = state.app.create_group_buy_offer(by, body.terms()?).await?;
    Ok((StatusCode::CREATED, Json(offer.into())))
}

/// Offers on sale and the groups forming now.
#[utoipa::path(get, path = "/v1/group-buys", tag = "rewards",
    responses((status = 200, description = "The board", body = BoardOut)))]
pub(crate) async fn board(
    _: Public,
    State(state): State<AppState>,
) -> Result<Json<BoardOut>, ApiError> {
    let offers = state.app.group_buy_offers_on_sale().await?;
    let groups = state.app.forming_group_buys().await?;
    Ok(Json(BoardOut {
        offers: offers.into_iter().map(Into::into).collect(),
        groups: groups.into_iter().map(Into::into).collect(),
    }))
}

/// Starts a group of an offer with the customer as its first member, paying the group price
/// by card. Refusals change nothing and charge nothing.
#[utoipa::path(post, path = "/v1/group-buys/{id}/groups", tag = "rewards", security(("session" = [])),
    request_body = Empty,
    params(("id" = String, Path, description = "`gbo_…`"),
        ("Idempotency-Key" = String, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "Started", body = MyGroupOut),
        (status = 400, description = "INVALID_ID, IDEMPOTENCY_KEY_REQUIRED", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "OVER_CUSTOMER_LIMIT; nothing changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "NOT_ON_SALE, NO_CARD or a card decline; nothing changed", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn start(
    session: CustomerSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Empty>,
) -> Result<Response, ApiError> {
    let customer = session.customer_id();
    let attempt = key_text(&headers);
    let run = async {
        let offer = offer_id(&id)?;
        let mine = state.app.start_group_buy(customer, offer, &attempt).await?;
        Ok(MyGroupOut::from(mine))
    };
    once(
        &state.app,
        customer,
        "group_buy.start",
        uri.path(),
        &headers,
        &body,
        StatusCode::CREATED,
        run,
    )
    .await
}

/// Joins a forming group, paying the group price by card; the k-th join completes it.
/// Refusals change nothing and charge nothing.
#[utoipa::path(post, path = "/v1/group-buy-groups/{id}/members", tag = "rewards", security(("session" = [])),
    request_body = Empty,
    params(("id" = String, Path, description = "`grp_…`"),
        ("Idempotency-Key" = String, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "Joined", body = MyGroupOut),
        (status = 400, description = "INVALID_ID, IDEMPOTENCY_KEY_REQUIRED", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "GROUP_FULL, GROUP_CLOSED, ALREADY_IN_GROUP, OVER_CUSTOMER_LIMIT; nothing changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "NO_CARD or a card decline; nothing changed", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn join(
    session: CustomerSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Empty>,
) -> Result<Response, ApiError> {
    let customer = session.customer_id();
    let attempt = key_text(&headers);
    let run = async {
        let group = group_id(&id)?;
        let mine = state.app.join_group_buy(customer, group, &attempt).await?;
        Ok(MyGroupOut::from(mine))
    };
    once(
        &state.app,
        customer,
        "group_buy.join",
        uri.path(),
        &headers,
        &body,
        StatusCode::CREATED,
        run,
    )
    .await
}

/// The customer's groups, newest first.
#[utoipa::path(get, path = "/v1/me/group-buys", tag = "rewards", security(("session" = [])),
    responses(
        (status = 200, description = "The groups", body = MineOut),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn mine(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<MineOut>, ApiError> {
    let groups = state.app.my_group_buys(session.customer_id()).await?;
    Ok(Json(MineOut {
        groups: groups.into_iter().map(Into::into).collect(),
    }))
}

/// The customer's place in one group (a group it is not in answers 404).
#[utoipa::path(get, path = "/v1/me/group-buys/{id}", tag = "rewards", security(("session" = [])),
    params(("id" = String, Path, description = "`grp_…`")),
    responses(
        (status = 200, description = "The group", body = MyGroupOut),
        (status = 400, description = "INVALID_ID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHENTICATED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND (also a group the customer is not in)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn my_group(
    session: CustomerSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<MyGroupOut>, ApiError> {
    let mine = state
        .app
        .my_group_buy(session.customer_id(), group_id(&id)?)
        .await?;
    Ok(Json(mine.into()))
}

/// The deadline sweep by the server's clock (also run periodically): closes groups whose
/// window has ended and finishes their money. Idempotent.
#[utoipa::path(post, path = "/v1/internal/group-buys/settle", tag = "rewards",
    security(("internal_token" = [])),
    responses((status = 200, description = "What the sweep did", body = SweepOut)))]
pub(crate) async fn settle(
    _: InternalKey,
    State(state): State<AppState>,
) -> Result<Json<SweepOut>, ApiError> {
    let now = state.app.clock().now();
    Ok(Json(state.app.settle_due_group_buys(now).await?.into()))
}

/// The group-buying part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(create_offer, board, start, join, mine, my_group, settle),
    components(schemas(
        OfferIn, OfferOut, GroupOut, BoardOut, MyGroupOut, MineOut, SweepOut, Empty
    ))
)]
pub(crate) struct GroupBuysApi;
