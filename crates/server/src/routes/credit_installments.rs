//! Card installments, the holder's routes (docs/api.md, "Card installments"): quote (APR
//! first), book with explicit consent, list, settle early. Owner-scoped: another customer's
//! account answers 404. Booking and settlement take an `Idempotency-Key`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use cardlife_app::installments::{
    ConvertiblePurchaseView, InstallmentOffer, OfferedTermView, PlanView, QuoteRequest,
};
use cardlife_app::quotes::{InstallmentQuoteView, InstallmentRowView};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::auth::CustomerSession;
use crate::extract::PathId;
use crate::idempotent::{Idempotent, once};
use crate::problem::{ApiError, Problem};

fn scope(session: &CustomerSession) -> String {
    format!("customer:{}", session.customer_id())
}

/// What to quote.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InstallmentQuoteRequest {
    /// `bill`: part or all of the latest statement, between its statement and due dates;
    /// `purchase`: one posted, unbilled purchase, whole; `cash`: `amount_fen` paid out to one
    /// of your bound debit cards; `hardship`: `amount_fen` of the billed principal of an
    /// account past due, restructured; `special`: a special-purpose plan (专项分期) of
    /// `amount_fen` paid to the approved merchant `merchant_id`, under the account's special
    /// limit for `purpose`.
    kind: String,
    /// Positive fen within the product's installment amounts (default 500.00 to 500,000.00):
    /// required for `bill`; for `purchase`, if given, the purchase's amount.
    amount_fen: Option<i64>,
    /// `purchase`: the purchase's id, from `GET …/installments/purchases`.
    /// `merchant`: the same, a purchase paid at a merchant paying the fee of plans with these
    /// periods (贴息: free to you).
    purchase_id: Option<String>,
    /// `cash`: the id of one of your bound debit cards (`GET /v1/me/debit-cards`), paid the
    /// amount.
    debit_card_id: Option<String>,
    /// 1–60; for `bill`, `purchase` and `cash`, one of the terms the card's product offers
    /// (default 3, 6, 12 or 24).
    periods: u32,
    /// Optional for `bill`, `purchase` and `cash`, which the card's product prices for the
    /// periods asked (`INSTALLMENT_TERM_NOT_OFFERED` if given and not that price); required
    /// for `hardship` (a decimal string, `"0.003"`); left out for `merchant`.
    rate: Option<String>,
    /// `per_period` or `upfront`: like `rate`, only a repetition of the product's price for
    /// `bill`, `purchase` and `cash`; `per_period` by default for `hardship`.
    fee_mode: Option<String>,
    /// `special`: what the plan finances — `auto`, `travel`, `education` or
    /// `home_improvement`; it takes that purpose's special limit, not the credit limit.
    purpose: Option<String>,
    /// `special`: the approved merchant paid the amount, `mer_…`.
    merchant_id: Option<String>,
}

/// Booking a quote.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BookInstallmentRequest {
    /// From the quote.
    quote_id: String,
    /// Must be `true`: the holder agreed to the quote's terms.
    consent: Option<bool>,
}

/// Early settlement (no fields).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettleRequest {}

/// The purchases a purchase installment may convert.
#[derive(Debug, serde::Serialize, ToSchema)]
pub(crate) struct PurchaseList {
    /// Posted, unbilled, not repaid and not converted, in posting order.
    purchases: Vec<ConvertiblePurchaseView>,
}

/// The account's plans.
#[derive(Debug, serde::Serialize, ToSchema)]
pub(crate) struct PlanList {
    /// In booking order.
    installments: Vec<PlanView>,
}

/// The purchases of the account a purchase installment may convert today, each with the id
/// a quote names it by (its authorisation's id, whether it arrived as a purchase, an
/// authorisation and its capture, or a QR payment).
#[utoipa::path(get, path = "/v1/credit/accounts/{id}/installments/purchases", tag = "credit",
    params(("id" = Uuid, Path, description = "The account id")),
    responses(
        (status = 200, description = "The convertible purchases", body = PurchaseList),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn purchases(
    session: CustomerSession,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> Result<Json<PurchaseList>, ApiError> {
    let purchases = state
        .app
        .installment_purchases(session.customer_id(), Uuid::from_u128(id))
        .await?;
    Ok(Json(PurchaseList { purchases }))
}

/// The installment terms the card's product offers today, by kind.
#[derive(Debug, serde::Serialize, ToSchema)]
pub(crate) struct OfferedTerms {
    /// 账单分期: periods, fee rate per period and fee mode.
    bill: Vec<OfferedTermView>,
    /// 消费分期.
    purchase: Vec<OfferedTermView>,
    /// 现金分期.
    cash: Vec<OfferedTermView>,
}

/// The terms a bill, purchase or cash quote may ask for on this account today (the product
/// version in force prices them; a quote names only the periods).
#[utoipa::path(get, path = "/v1/credit/accounts/{id}/installments/terms", tag = "credit",
    params(("id" = Uuid, Path, description = "The account id")),
    responses(
        (status = 200, description = "The offered terms", body = OfferedTerms),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn terms(
    session: CustomerSession,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> Result<Json<OfferedTerms>, ApiError> {
    let (customer, id) = (session.customer_id(), Uuid::from_u128(id));
    let of = |kind| state.app.installment_offered_terms(customer, id, kind);
    Ok(Json(OfferedTerms {
        bill: of("bill").await?,
        purchase: of("purchase").await?,
        cash: of("cash").await?,
    }))
}

/// An installment quote (bill or purchase): the APR first. Writes nothing; the booking's
/// rules are checked on a copy of the account.
#[utoipa::path(post, path = "/v1/credit/accounts/{id}/installments/quotes", tag = "credit",
    params(("id" = Uuid, Path, description = "The account id")),
    request_body = InstallmentQuoteRequest,
    responses(
        (status = 200, description = "The quote", body = InstallmentOffer),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "PERIODS_OUT_OF_RANGE, NEGATIVE_RATE, INVALID_RATE, UNKNOWN_FEE_MODE, \
            UNKNOWN_INSTALLMENT_KIND, INVALID_AMOUNT, AMOUNT_BELOW_MINIMUM, AMOUNT_ABOVE_MAXIMUM, \
            INSTALLMENT_WINDOW_CLOSED, INSTALLMENT_EXCEEDS_UNCONVERTED, INSTALLMENT_OVER_PERMANENT_LIMIT, \
            INSTALLMENT_NOT_CONVERTIBLE, INVALID_PURCHASE_ID, PURCHASE_UNKNOWN, PURCHASE_NOT_POSTED, \
            PURCHASE_ALREADY_BILLED, PURCHASE_REPAID, PURCHASE_ALREADY_CONVERTED, DEBIT_CARD_REQUIRED, \
            MERCHANT_INSTALLMENT_NOT_OFFERED, INSTALLMENT_TERM_NOT_OFFERED, \
            INSUFFICIENT_CREDIT, ACCOUNT_FROZEN, ACCOUNT_CLOSED, HARDSHIP_REQUIRES_DELINQUENCY, \
            UNKNOWN_PURPOSE, NO_SPECIAL_LIMIT, SPECIAL_LIMIT_EXCEEDED, MERCHANT_REQUIRED, MERCHANT_UNKNOWN, \
            MERCHANT_NOT_APPROVED, INVALID_BODY",
            body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn quote(
    session: CustomerSession,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(body): Json<InstallmentQuoteRequest>,
) -> Result<Json<InstallmentOffer>, ApiError> {
    let req = QuoteRequest {
        kind: body.kind,
        amount_fen: body.amount_fen,
        purchase_id: body.purchase_id,
        debit_card_id: body.debit_card_id,
        periods: body.periods,
        rate: body.rate,
        fee_mode: body.fee_mode,
        purpose: body.purpose,
        merchant_id: body.merchant_id,
    };
    Ok(Json(
        state
            .app
            .installment_quote(session.customer_id(), Uuid::from_u128(id), req)
            .await?,
    ))
}

/// Books a quoted installment with the holder's explicit consent.
#[utoipa::path(post, path = "/v1/credit/accounts/{id}/installments", tag = "credit",
    params(
        ("id" = Uuid, Path, description = "The account id"),
        ("Idempotency-Key" = String, Header, description = "1 to 255 visible ASCII characters"),
    ),
    request_body = BookInstallmentRequest,
    responses(
        (status = 201, description = "The plan booked", body = PlanView),
        (status = 400, description = "IDEMPOTENCY_KEY_REQUIRED, MALFORMED_JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND, DEBIT_CARD_NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "IDEMPOTENCY_IN_FLIGHT", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "CONSENT_REQUIRED, QUOTE_UNKNOWN, INSTALLMENT_WINDOW_CLOSED, \
            INSTALLMENT_EXCEEDS_UNCONVERTED, INSTALLMENT_OVER_PERMANENT_LIMIT, INSTALLMENT_NOT_CONVERTIBLE, \
            AMOUNT_BELOW_MINIMUM, AMOUNT_ABOVE_MAXIMUM, PURCHASE_UNKNOWN, PURCHASE_NOT_POSTED, \
            PURCHASE_ALREADY_BILLED, PURCHASE_REPAID, PURCHASE_ALREADY_CONVERTED, \
            MERCHANT_INSTALLMENT_NOT_OFFERED, INSUFFICIENT_CREDIT, ACCOUNT_FROZEN, ACCOUNT_CLOSED, HARDSHIP_REQUIRES_DELINQUENCY, \
            NO_SPECIAL_LIMIT, SPECIAL_LIMIT_EXCEEDED, MERCHANT_UNKNOWN, MERCHANT_NOT_APPROVED, \
            IDEMPOTENCY_KEY_REUSED, INVALID_BODY; nothing was done", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn book(
    session: CustomerSession,
    State(state): State<AppState>,
    PathId(id): PathId,
    req: Idempotent<BookInstallmentRequest>,
) -> Result<Response, ApiError> {
    let run = async {
        let plan = state
            .app
            .installment_book(
                session.customer_id(),
                Uuid::from_u128(id),
                &req.body.quote_id,
                req.body.consent,
            )
            .await?;
        Ok((StatusCode::CREATED, plan))
    };
    once(
        &state.app,
        &scope(&session),
        Some(&req.key),
        &req.request,
        run,
    )
    .await
}

/// The account's installment plans.
#[utoipa::path(get, path = "/v1/credit/accounts/{id}/installments", tag = "credit",
    params(("id" = Uuid, Path, description = "The account id")),
    responses(
        (status = 200, description = "The plans", body = PlanList),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn list(
    session: CustomerSession,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> Result<Json<PlanList>, ApiError> {
    let installments = state
        .app
        .installments(session.customer_id(), Uuid::from_u128(id))
        .await?;
    Ok(Json(PlanList { installments }))
}

/// Early settlement of a plan under the product's policy (docs/domain.md §4): the remaining
/// principal and its cost are billed on the next statement.
#[utoipa::path(post, path = "/v1/credit/accounts/{id}/installments/{plan}/settlement", tag = "credit",
    params(
        ("id" = Uuid, Path, description = "The account id"),
        ("plan" = usize, Path, description = "The plan's number"),
        ("Idempotency-Key" = String, Header, description = "1 to 255 visible ASCII characters"),
    ),
    request_body = SettleRequest,
    responses(
        (status = 200, description = "The plan, settled", body = PlanView),
        (status = 400, description = "IDEMPOTENCY_KEY_REQUIRED, MALFORMED_JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "PLAN_ALREADY_SETTLED, PLAN_CLOSED, IDEMPOTENCY_KEY_REUSED; nothing was done", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])))]
pub(crate) async fn settle(
    session: CustomerSession,
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
    req: Idempotent<SettleRequest>,
) -> Result<Response, ApiError> {
    let Path((id, plan)) = path.map_err(|r| ApiError::InvalidId {
        detail: r.body_text(),
    })?;
    let id = Uuid::try_parse(&id).map_err(|_| ApiError::InvalidId {
        detail: format!("{id:?} is not a UUID"),
    })?;
    let plan: usize = plan.parse().map_err(|_| ApiError::InvalidId {
        detail: format!("{plan:?} is not a plan number"),
    })?;
    let run = async {
        let p = state
            .app
            .installment_settle(session.customer_id(), id, plan)
            .await?;
        Ok((StatusCode::OK, p))
    };
    once(
        &state.app,
        &scope(&session),
        Some(&req.key),
        &req.request,
        run,
    )
    .await
}

/// The card installment routes in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(purchases, terms, quote, book, list, settle),
    components(schemas(
        InstallmentQuoteRequest,
        BookInstallmentRequest,
        SettleRequest,
        PlanList,
        PurchaseList,
        OfferedTerms,
        OfferedTermView,
        ConvertiblePurchaseView,
        PlanView,
        InstallmentOffer,
        InstallmentQuoteView,
        InstallmentRowView,
    ))
)]
pub(crate) struct InstallmentsApi;
