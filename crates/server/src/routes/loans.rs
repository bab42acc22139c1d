//! Consumer loans and revolving credit lines under `/v1` (docs/loans.md): quotes stored before
//! every confirmation, booking with an explicit `consent: true`, repayments and prepayments,
//! draws, the pre-approved offer, the holder's debit cards, and the internal daily job. Every
//! customer route takes a [`CustomerSession`] and sees only the customer's own records
//! (another's answer 404); every money-moving POST takes an `Idempotency-Key`.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cardlife_app::loans::{
    CloseDayReport, DebitCardView, InstallmentView, LineView, LoanOfferView, LoanQuoteOut,
    LoanView, OverdueView, PreApprovedView, QuoteRowView,
};
use cardlife_kernel::{Money, Rate};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::idempotent::once;
use crate::AppState;
use crate::auth::{CustomerSession, InternalKey};
use crate::extract::JsonBody;
use crate::problem::{ApiError, Problem};

/// Binds a debit card of another bank for disbursement and repayment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewDebitCard {
    /// 12–19 digits with a valid check digit; stored only tokenised.
    card_number: String,
    /// The name on the card (stored masked).
    #[serde(default)]
    holder_name: Option<String>,
}

/// Asks for a loan quote.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuoteRequest {
    /// The product (`consumer`, the default).
    #[serde(default = "consumer")]
    product: String,
    /// The principal in fen.
    amount_fen: i64,
    /// Months, 1 to 60 (interest-only: 1 to 12).
    periods: u32,
    /// `equal_installment`, `equal_principal` or `interest_only`.
    method: String,
    /// Optional: the rate the customer was shown; must be the product's rate.
    #[serde(default)]
    annual_rate: Option<String>,
}

fn consumer() -> String {
    "consumer".to_owned()
}

/// Books and disburses a stored quote.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Booking {
    /// The id of a quote from `POST /v1/loans/quotes`, not expired.
    quote_id: String,
    /// Must be exactly `true`: the customer's explicit, separate consent to the quote.
    #[serde(default)]
    consent: Option<bool>,
    /// The customer's own debit card to pay out to.
    debit_card_id: String,
}

/// A repayment (or a draw) of an amount from (to) the customer's own debit card.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Movement {
    /// The amount in fen.
    amount_fen: i64,
    /// The customer's own debit card.
    debit_card_id: String,
}

/// A prepayment.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Prepayment {
    /// The amount in fen: pays what is due first, then accrued interest, the rest principal.
    amount_fen: i64,
    /// The customer's own debit card.
    debit_card_id: String,
    /// `keep_term` (lower payments) or `keep_payment` (fewer months).
    mode: String,
}

/// Opens a revolving credit line.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewLine {
    /// Must be exactly `true`.
    #[serde(default)]
    consent: Option<bool>,
    /// The limit in fen (the product's largest when absent).
    #[serde(default)]
    limit_fen: Option<i64>,
}

/// Closes a business day.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CloseDay {
    /// `YYYY-MM-DD`; today's business date when absent.
    #[serde(default)]
    date: Option<String>,
}

fn rate(text: &str) -> Result<Rate, ApiError> {
    Rate::parse(text).map_err(|e| ApiError::InvalidBody {
        detail: format!("annual_rate {text:?}: {e}"),
    })
}

/// Binds the customer's own other-bank debit card (201; 200 when they had bound it before).
#[utoipa::path(post, path = "/v1/me/debit-cards", tag = "loans", security(("session" = [])),
    request_body = NewDebitCard,
    responses(
        (status = 201, description = "Bound", body = DebitCardView),
        (status = 200, description = "Already bound by you", body = DebitCardView),
        (status = 409, description = "DEBIT_CARD_BOUND_ELSEWHERE", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_CARD_NUMBER, INVALID_NAME", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn bind_debit_card(
    session: CustomerSession,
    State(state): State<AppState>,
    JsonBody(b): JsonBody<NewDebitCard>,
) -> Result<(StatusCode, Json<DebitCardView>), ApiError> {
    let (view, new) = state
        .app
        .bind_debit_card(
            session.customer_id(),
            &b.card_number,
            b.holder_name.as_deref(),
        )
        .await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}

/// The customer's bound debit cards (masked).
#[utoipa::path(get, path = "/v1/me/debit-cards", tag = "loans", security(("session" = [])),
    responses((status = 200, description = "The cards", body = [DebitCardView])))]
pub(crate) async fn debit_cards(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<Vec<DebitCardView>>, ApiError> {
    Ok(Json(state.app.debit_cards_of(session.customer_id()).await?))
}

/// The loan amount pre-approved for the customer now, with reason codes.
#[utoipa::path(get, path = "/v1/loans/offer", tag = "loans", security(("session" = [])),
    responses((status = 200, description = "The offer", body = LoanOfferView)))]
pub(crate) async fn offer(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<LoanOfferView>, ApiError> {
    Ok(Json(state.app.loan_offer(session.customer_id()).await?))
}

/// What the customer is pre-approved for now — installment and loan — weighed on their card
/// account's standing, with the reason codes of every refusal or cut.
#[utoipa::path(get, path = "/v1/me/offers", tag = "loans", security(("session" = [])),
    responses((status = 200, description = "The pre-approved amounts", body = PreApprovedView)))]
pub(crate) async fn pre_approved(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<PreApprovedView>, ApiError> {
    Ok(Json(state.app.pre_approved(session.customer_id()).await?))
}

/// Quotes a loan and stores the quote (the APR first, then the full cost and schedule); book
/// it with `POST /v1/loans` before it expires.
#[utoipa::path(post, path = "/v1/loans/quotes", tag = "loans", security(("session" = [])),
    request_body = QuoteRequest,
    responses(
        (status = 201, description = "The stored quote", body = LoanQuoteOut),
        (status = 422, description = "PERIODS_OUT_OF_RANGE, TERM_TOO_LONG, LOAN_AMOUNT_OUT_OF_RANGE, \
            CUSTOMER_CAP_EXCEEDED, NEGATIVE_RATE, RATE_NOT_OFFERED, UNKNOWN_METHOD, UNKNOWN_PRODUCT, \
            AMOUNT_NOT_POSITIVE, INVALID_BODY", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn quote(
    session: CustomerSession,
    State(state): State<AppState>,
    JsonBody(q): JsonBody<QuoteRequest>,
) -> Result<(StatusCode, Json<LoanQuoteOut>), ApiError> {
    let annual_rate = q.annual_rate.as_deref().map(rate).transpose()?;
    let out = state
        .app
        .create_loan_quote(
            session.customer_id(),
            &q.product,
            Money::cny(q.amount_fen),
            q.periods,
            &q.method,
            annual_rate,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Books a stored quote and pays it out to the customer's own debit card. Needs
/// `consent: true` and an `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/loans", tag = "loans", security(("session" = [])),
    request_body = Booking,
    params(("Idempotency-Key" = String, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "The loan, disbursed", body = LoanView),
        (status = 403, description = "CONSENT_REQUIRED", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "NOT_FOUND (quote), DEBIT_CARD_NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "QUOTE_USED, IDEMPOTENCY_IN_FLIGHT", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "QUOTE_EXPIRED, CUSTOMER_CAP_EXCEEDED, IDEMPOTENCY_KEY_REUSED", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn book(
    session: CustomerSession,
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    JsonBody(b): JsonBody<Booking>,
) -> Result<Response, ApiError> {
    let customer = session.customer_id();
    let run = async {
        Ok(state
            .app
            .book_loan(customer, &b.quote_id, b.consent, &b.debit_card_id)
            .await?)
    };
    once(
        &state.app,
        customer,
        "loans.book",
        uri.path(),
        &headers,
        &b,
        StatusCode::CREATED,
        run,
    )
    .await
}

/// The customer's loans.
#[utoipa::path(get, path = "/v1/loans", tag = "loans", security(("session" = [])),
    responses((status = 200, description = "The loans", body = [LoanView])))]
pub(crate) async fn list(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<Vec<LoanView>>, ApiError> {
    Ok(Json(state.app.loans_of(session.customer_id()).await?))
}

/// One of the customer's loans: schedule, balance, status and what is overdue, as of today.
#[utoipa::path(get, path = "/v1/loans/{id}", tag = "loans", security(("session" = [])),
    params(("id" = String, Path, description = "The loan")),
    responses(
        (status = 200, description = "The loan", body = LoanView),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get(
    session: CustomerSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<LoanView>, ApiError> {
    Ok(Json(state.app.loan(session.customer_id(), &id).await?))
}

/// Repays today: penalty, interest due, principal due; anything beyond prepays keeping the term.
#[utoipa::path(post, path = "/v1/loans/{id}/repayments", tag = "loans", security(("session" = [])),
    request_body = Movement,
    params(("id" = String, Path, description = "The loan"),
        ("Idempotency-Key" = String, Header, description = "Makes retries safe")),
    responses(
        (status = 200, description = "The loan after the repayment", body = LoanView),
        (status = 404, description = "NOT_FOUND, DEBIT_CARD_NOT_FOUND", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "REPAYMENT_ABOVE_PAYOFF, PREPAYMENT_TOO_SMALL, AMOUNT_NOT_POSITIVE", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn repay(
    session: CustomerSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    JsonBody(m): JsonBody<Movement>,
) -> Result<Response, ApiError> {
    let customer = session.customer_id();
    let run = async {
        Ok(state
            .app
            .repay_loan(
                customer,
                &id,
                Money::cny(m.amount_fen),
                &m.debit_card_id,
                None,
            )
            .await?)
    };
    once(
        &state.app,
        customer,
        "loans.repay",
        uri.path(),
        &headers,
        &m,
        StatusCode::OK,
        run,
    )
    .await
}

/// Prepays today, keeping the term or the payment.
#[utoipa::path(post, path = "/v1/loans/{id}/prepayments", tag = "loans", security(("session" = [])),
    request_body = Prepayment,
    params(("id" = String, Path, description = "The loan"),
        ("Idempotency-Key" = String, Header, description = "Makes retries safe")),
    responses(
        (status = 200, description = "The loan after the prepayment", body = LoanView),
        (status = 422, description = "UNKNOWN_PREPAYMENT_MODE, REPAYMENT_ABOVE_PAYOFF, PREPAYMENT_TOO_SMALL", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn prepay(
    session: CustomerSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    JsonBody(p): JsonBody<Prepayment>,
) -> Result<Response, ApiError> {
    let customer = session.customer_id();
    let run = async {
        let mode = cardlife_app::loans::parse_mode(&p.mode)?;
        Ok(state
            .app
            .repay_loan(
                customer,
                &id,
                Money::cny(p.amount_fen),
                &p.debit_card_id,
                Some(mode),
            )
            .await?)
    };
    once(
        &state.app,
        customer,
        "loans.prepay",
        uri.path(),
        &headers,
        &p,
        StatusCode::OK,
        run,
    )
    .await
}

/// Opens a revolving credit line (draw and repay any time, daily interest).
#[utoipa::path(post, path = "/v1/credit-lines", tag = "loans", security(("session" = [])),
    request_body = NewLine,
    responses(
        (status = 201, description = "The line", body = LineView),
        (status = 403, description = "CONSENT_REQUIRED", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "LOAN_AMOUNT_OUT_OF_RANGE", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn open_line(
    session: CustomerSession,
    State(state): State<AppState>,
    JsonBody(l): JsonBody<NewLine>,
) -> Result<(StatusCode, Json<LineView>), ApiError> {
    let view = state
        .app
        .open_credit_line(
            session.customer_id(),
            l.consent,
            l.limit_fen.map(Money::cny),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The customer's credit lines.
#[utoipa::path(get, path = "/v1/credit-lines", tag = "loans", security(("session" = [])),
    responses((status = 200, description = "The lines", body = [LineView])))]
pub(crate) async fn lines(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<Vec<LineView>>, ApiError> {
    Ok(Json(
        state.app.credit_lines_of(session.customer_id()).await?,
    ))
}

/// One of the customer's credit lines as of today.
#[utoipa::path(get, path = "/v1/credit-lines/{id}", tag = "loans", security(("session" = [])),
    params(("id" = String, Path, description = "The line")),
    responses(
        (status = 200, description = "The line", body = LineView),
        (status = 404, description = "NOT_FOUND", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn line(
    session: CustomerSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<LineView>, ApiError> {
    Ok(Json(
        state.app.credit_line(session.customer_id(), &id).await?,
    ))
}

/// Draws on a line to the customer's own debit card.
#[utoipa::path(post, path = "/v1/credit-lines/{id}/draws", tag = "loans", security(("session" = [])),
    request_body = Movement,
    params(("id" = String, Path, description = "The line"),
        ("Idempotency-Key" = String, Header, description = "Makes retries safe")),
    responses(
        (status = 200, description = "The line after the draw", body = LineView),
        (status = 422, description = "LINE_EXCEEDED, CUSTOMER_CAP_EXCEEDED, AMOUNT_NOT_POSITIVE", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn draw(
    session: CustomerSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    JsonBody(m): JsonBody<Movement>,
) -> Result<Response, ApiError> {
    let customer = session.customer_id();
    let run = async {
        Ok(state
            .app
            .draw_credit_line(customer, &id, Money::cny(m.amount_fen), &m.debit_card_id)
            .await?)
    };
    once(
        &state.app,
        customer,
        "lines.draw",
        uri.path(),
        &headers,
        &m,
        StatusCode::OK,
        run,
    )
    .await
}

/// Repays a line: accrued interest first, then principal.
#[utoipa::path(post, path = "/v1/credit-lines/{id}/repayments", tag = "loans", security(("session" = [])),
    request_body = Movement,
    params(("id" = String, Path, description = "The line"),
        ("Idempotency-Key" = String, Header, description = "Makes retries safe")),
    responses(
        (status = 200, description = "The line after the repayment", body = LineView),
        (status = 422, description = "REPAYMENT_ABOVE_PAYOFF, AMOUNT_NOT_POSITIVE", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn repay_line(
    session: CustomerSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    JsonBody(m): JsonBody<Movement>,
) -> Result<Response, ApiError> {
    let customer = session.customer_id();
    let run = async {
        Ok(state
            .app
            .repay_credit_line(customer, &id, Money::cny(m.amount_fen), &m.debit_card_id)
            .await?)
    };
    once(
        &state.app,
        customer,
        "lines.repay",
        uri.path(),
        &headers,
        &m,
        StatusCode::OK,
        run,
    )
    .await
}

/// Closes a business day for lending: interest falling due, penalty interest on overdue
/// principal, lines' daily interest — each posted to the ledger. Safe to repeat.
#[utoipa::path(post, path = "/v1/internal/loans/close-day", tag = "loans", security(("internal_token" = [])),
    request_body = CloseDay,
    responses(
        (status = 200, description = "What was done", body = CloseDayReport),
        (status = 401, description = "UNAUTHORIZED", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn close_day(
    _: InternalKey,
    State(state): State<AppState>,
    JsonBody(c): JsonBody<CloseDay>,
) -> Result<Json<CloseDayReport>, ApiError> {
    let date = match c.date {
        Some(d) => d.parse().map_err(|_| ApiError::InvalidBody {
            detail: format!("date {d:?} is not YYYY-MM-DD"),
        })?,
        None => state.app.business_date(),
    };
    Ok(Json(state.app.loans_close_day(date).await?))
}

/// The lending part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(bind_debit_card, debit_cards, offer, pre_approved, quote, book, list, get, repay, prepay, open_line,
        lines, line, draw, repay_line, close_day),
    components(schemas(
        NewDebitCard, QuoteRequest, Booking, Movement, Prepayment, NewLine, CloseDay,
        DebitCardView, LoanOfferView, PreApprovedView, LoanQuoteOut, QuoteRowView, LoanView, OverdueView,
        InstallmentView, LineView, CloseDayReport
    )),
    tags((name = "loans", description = "Consumer loans and credit lines: quotes with the APR, \
        consent, disbursement to the holder's own debit card, repayment, prepayment"))
)]
pub(crate) struct LoansApi;
