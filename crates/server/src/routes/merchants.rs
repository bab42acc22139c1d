//! Merchants, QR payments and operators under `/v1` (docs/merchants.md). Applications and logins
//! are [`Public`]; the bootstrap operator is made with the [`InternalKey`]; the review queue and
//! the audit log take an [`OperatorSession`] with a role; merchant calls take a signed
//! [`MerchantKey`]; cardholders pay with a [`CustomerSession`]. Money-moving POSTs take an
//! `Idempotency-Key` header.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use cardlife_app::merchants::fees::{FeePaymentType, FeeScheduleView};
use cardlife_app::merchants::operators::{NewOperator, Role};
use cardlife_app::merchants::orders::{NewDynamicOrder, OrderView, PayCodeCharge};
use cardlife_app::merchants::vocabulary::PaymentOrderId;
use cardlife_app::merchants::{Application, Decision, IssuedKey, MerchantView, MerchantsError};
use cardlife_kernel::{MerchantId, Money, Secret};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::{CustomerSession, InternalKey, MerchantKey, OperatorSession, Public};
use crate::extract::JsonBody;
use crate::problem::{ApiError, Problem};

fn refused(e: MerchantsError) -> ApiError {
    ApiError::from(cardlife_app::AppError::from(e))
}

fn amount(text: &str) -> Result<Money, ApiError> {
    match Money::parse_cny(text) {
        Ok(m) if m.is_positive() => Ok(m),
        _ => Err(refused(MerchantsError::InvalidAmount)),
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or(refused(MerchantsError::IdempotencyKeyRequired))
}

pub(crate) fn order_id(text: &str) -> Result<PaymentOrderId, ApiError> {
    PaymentOrderId::parse(text).map_err(|e| ApiError::InvalidId {
        detail: format!("an order id is ord_<32 hex>: {e}"),
    })
}

fn merchant_id(text: &str) -> Result<MerchantId, ApiError> {
    MerchantId::parse(text).map_err(|e| ApiError::InvalidId {
        detail: format!("a merchant id is mer_<32 hex>: {e}"),
    })
}

/// A merchant's application.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApplicationIn {
    /// Trading name (1–25 characters; it is printed in the QR payload).
    name: String,
    /// City (1–15 characters).
    city: String,
    /// Street address.
    address: String,
    /// Merchant category code, four digits.
    mcc: String,
    /// Settlement bank account, 12–30 digits; stored encrypted, shown masked.
    settlement_account: String,
    /// MDR rate, e.g. `"0.006"` (the default).
    #[serde(default)]
    mdr_rate: Option<String>,
}

/// A merchant.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MerchantOut {
    id: String,
    name: String,
    city: String,
    address: String,
    mcc: String,
    /// `pending`, `approved`, `rejected`, `suspended`.
    status: String,
    reason: Option<String>,
    /// e.g. `6222****1234`.
    settlement_account_masked: String,
    mdr_rate: String,
    created_at: String,
}

impl From<MerchantView> for MerchantOut {
    fn from(m: MerchantView) -> Self {
        Self {
            id: m.id.to_string(),
            name: m.name,
            city: m.city,
            address: m.address,
            mcc: m.mcc,
            status: m.status,
            reason: m.reason,
            settlement_account_masked: m.settlement_account_masked,
            mdr_rate: m.mdr_rate,
            created_at: m.created_at.to_string(),
        }
    }
}

/// A signing key, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct KeyOut {
    /// `k=` of the `Cardlife-Signature` header.
    key_id: String,
    /// The HMAC key is this string's UTF-8 bytes.
    secret: String,
    /// A key this rotation retired.
    retired: Option<String>,
}

impl From<IssuedKey> for KeyOut {
    fn from(k: IssuedKey) -> Self {
        Self {
            key_id: k.key_id,
            secret: k.secret.expose_secret().clone(),
            retired: k.retired,
        }
    }
}

/// A review decision's answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReviewOut {
    merchant: MerchantOut,
    /// On approval: the merchant's first signing key, shown once.
    key: Option<KeyOut>,
}

/// A reason for a rejection or suspension.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewIn {
    #[serde(default)]
    reason: Option<String>,
}

/// A new operator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OperatorIn {
    login: String,
    phone: String,
    password: String,
    /// `viewer`, `campaign_manager`, `merchant_reviewer`, `risk_officer`, `admin`.
    role: String,
}

/// An operator.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OperatorOut {
    id: String,
    login: String,
    role: String,
}

/// An operator login.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OperatorLoginIn {
    login: String,
    password: String,
}

/// An operator session.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OperatorSessionOut {
    operator: OperatorOut,
    token: String,
    expires_at: String,
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditOut {
    at: String,
    actor_kind: String,
    actor_id: String,
    action: String,
    subject_kind: String,
    subject_id: String,
    /// JSON text.
    detail: String,
}

/// A dynamic order to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrderIn {
    /// e.g. `"36.50"`.
    amount: String,
    #[serde(default)]
    merchant_ref: Option<String>,
    /// 1 to 86,400; 900 by default.
    #[serde(default)]
    ttl_seconds: Option<i64>,
    /// The login of the staff member taking it (one of the merchant's staff): their cashier
    /// incentive (docs/merchants.md, "Cashier incentives").
    #[serde(default)]
    cashier: Option<String>,
}

/// A refund.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefundIn {
    /// In goods terms, e.g. `"10.00"`.
    amount: String,
}

/// A pay code charge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChargeIn {
    /// The 24 digits scanned from the payer's screen.
    pay_code: String,
    amount: String,
    #[serde(default)]
    merchant_ref: Option<String>,
    /// The login of the staff member taking it (one of the merchant's staff): their cashier
    /// incentive (docs/merchants.md, "Cashier incentives").
    #[serde(default)]
    cashier: Option<String>,
}

/// A static code to make; the body is optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StaticCodeIn {
    /// The login of the staff member whose payments the code takes (one of the merchant's
    /// staff): every payment with it counts for their cashier incentive.
    #[serde(default)]
    cashier: Option<String>,
}

/// A QR payload to scan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScanIn {
    payload: String,
}

/// A QR payment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PayIn {
    payload: String,
    /// For a static code: the amount the payer typed. For a dynamic code: omitted or equal.
    #[serde(default)]
    amount: Option<String>,
    /// One of the payer's coupons (`cpn_…`) to take off the price (docs/rewards.md).
    #[serde(default)]
    coupon_id: Option<String>,
}

/// A named thing (store, cashier).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NameIn {
    name: String,
}

/// An id just made.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IdOut {
    id: String,
}

/// What a scanned code is.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScanOut {
    kind: String,
    merchant_id: String,
    merchant_name: String,
    amount: Option<String>,
    order_id: Option<String>,
}

/// A static code.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StaticCodeOut {
    id: String,
    payload: String,
}

/// A pay code.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PayCodeOut {
    code: String,
    expires_at: String,
}

/// One refund.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RefundOut {
    number: u32,
    requested: String,
    cash: String,
    at: String,
}

/// A payment order.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrderOut {
    id: String,
    merchant_id: String,
    merchant_ref: Option<String>,
    channel: String,
    status: String,
    amount: String,
    /// Taken off `amount` by the payer's coupon (`0.00` without one).
    coupon: String,
    captured: String,
    refunded: String,
    fee: String,
    payer_id: Option<String>,
    qr_payload: Option<String>,
    created_at: String,
    expires_at: String,
    captured_at: Option<String>,
    refunds: Vec<RefundOut>,
}

impl From<OrderView> for OrderOut {
    fn from(o: OrderView) -> Self {
        Self {
            id: o.id.to_string(),
            merchant_id: o.merchant.to_string(),
            merchant_ref: o.merchant_ref,
            channel: o.channel,
            status: o.status,
            amount: o.amount.to_string(),
            coupon: o.coupon.to_string(),
            captured: o.captured.to_string(),
            refunded: o.refunded.to_string(),
            fee: o.fee.to_string(),
            payer_id: o.payer.map(|p| p.to_string()),
            qr_payload: o.qr_payload,
            created_at: o.created_at.to_string(),
            expires_at: o.expires_at.to_string(),
            captured_at: o.captured_at.map(|t| t.to_string()),
            refunds: o
                .refunds
                .into_iter()
                .map(|r| RefundOut {
                    number: r.number,
                    requested: r.requested.to_string(),
                    cash: r.cash.to_string(),
                    at: r.at.to_string(),
                })
                .collect(),
        }
    }
}

/// Applies as a merchant; the application waits for a merchant reviewer.
#[utoipa::path(post, path = "/v1/merchant-applications", tag = "merchants", request_body = ApplicationIn,
    responses((status = 201, body = MerchantOut),
        (status = 422, description = "INVALID_FIELD", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn apply(
    _: Public,
    State(state): State<AppState>,
    JsonBody(b): JsonBody<ApplicationIn>,
) -> Result<(StatusCode, Json<MerchantOut>), ApiError> {
    let view = state
        .app
        .apply_merchant(Application {
            name: b.name,
            city: b.city,
            address: b.address,
            mcc: b.mcc,
            settlement_account: Secret::new(b.settlement_account),
            mdr_rate: b.mdr_rate,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// Creates an operator (the bootstrap admin) with the internal token.
#[utoipa::path(post, path = "/v1/internal/operators", tag = "operators", request_body = OperatorIn,
    responses((status = 201, body = OperatorOut),
        (status = 409, description = "LOGIN_TAKEN", body = Problem, content_type = "application/problem+json")),
    security(("internal_token" = [])))]
pub(crate) async fn create_operator(
    _: InternalKey,
    State(state): State<AppState>,
    JsonBody(b): JsonBody<OperatorIn>,
) -> Result<(StatusCode, Json<OperatorOut>), ApiError> {
    let role = Role::parse(&b.role).map_err(refused)?;
    let op = state
        .app
        .create_operator(
            NewOperator {
                login: b.login,
                phone: b.phone,
                password: Secret::new(b.password),
                role,
            },
            None,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(OperatorOut {
            id: op.id.to_string(),
            login: op.login,
            role: op.role.as_str().to_owned(),
        }),
    ))
}

/// Logs an operator in.
#[utoipa::path(post, path = "/v1/operator/sessions", tag = "operators", request_body = OperatorLoginIn,
    responses((status = 201, body = OperatorSessionOut),
        (status = 401, description = "INVALID_CREDENTIALS", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn operator_login(
    _: Public,
    State(state): State<AppState>,
    JsonBody(b): JsonBody<OperatorLoginIn>,
) -> Result<(StatusCode, Json<OperatorSessionOut>), ApiError> {
    let s = state
        .app
        .operator_login(&b.login, &Secret::new(b.password))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(OperatorSessionOut {
            operator: OperatorOut {
                id: s.operator.id.to_string(),
                login: s.operator.login,
                role: s.operator.role.as_str().to_owned(),
            },
            token: s.token.expose_secret().clone(),
            expires_at: s.expires_at.to_string(),
        }),
    ))
}

/// The newest audit entries (admin, risk officer).
#[utoipa::path(get, path = "/v1/operator/audit", tag = "operators",
    responses((status = 200, body = [AuditOut]),
        (status = 403, description = "FORBIDDEN_ROLE", body = Problem, content_type = "application/problem+json")),
    security(("session" = [])))]
pub(crate) async fn audit(
    session: OperatorSession,
    State(state): State<AppState>,
) -> Result<Json<Vec<AuditOut>>, ApiError> {
    let rows = state.app.audit_log(session.operator(), 200).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditOut {
                at: r.at.to_string(),
                actor_kind: r.actor_kind,
                actor_id: r.actor_id,
                action: r.action,
                subject_kind: r.subject_kind,
                subject_id: r.subject_id,
                detail: r.detail,
            })
            .collect(),
    ))
}

/// Pending applications, oldest first.
#[utoipa::path(get, path = "/v1/operator/merchants/review-queue", tag = "operators",
    responses((status = 200, body = [MerchantOut])), security(("session" = [])))]
pub(crate) async fn review_queue(
    session: OperatorSession,
    State(state): State<AppState>,
) -> Result<Json<Vec<MerchantOut>>, ApiError> {
    let rows = state.app.review_queue(session.operator()).await?;
    Ok(Json(rows.into_iter().map(MerchantOut::from).collect()))
}

async fn review(
    session: OperatorSession,
    state: AppState,
    id: &str,
    decision: Decision,
    reason: Option<String>,
) -> Result<Json<ReviewOut>, ApiError> {
    let operator = session.require(Role::MerchantReviewer)?;
    let (merchant, key) = state
        .app
        .review_merchant(operator, merchant_id(id)?, decision, reason)
        .await?;
    Ok(Json(ReviewOut {
        merchant: merchant.into(),
        key: key.map(KeyOut::from),
    }))
}

/// Approves a pending merchant (merchant reviewer); answers its first signing key once.
#[utoipa::path(post, path = "/v1/operator/merchants/{id}/approve", tag = "operators",
    responses((status = 200, body = ReviewOut),
        (status = 403, description = "FORBIDDEN_ROLE", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "REVIEW_NOT_ALLOWED", body = Problem, content_type = "application/problem+json")),
    security(("session" = [])))]
pub(crate) async fn approve(
    session: OperatorSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ReviewOut>, ApiError> {
    review(session, state, &id, Decision::Approve, None).await
}

/// Rejects a pending merchant with a reason (merchant reviewer).
#[utoipa::path(post, path = "/v1/operator/merchants/{id}/reject", tag = "operators", request_body = ReviewIn,
    responses((status = 200, body = ReviewOut)), security(("session" = [])))]
pub(crate) async fn reject(
    session: OperatorSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ReviewIn>,
) -> Result<Json<ReviewOut>, ApiError> {
    review(session, state, &id, Decision::Reject, b.reason).await
}

/// Suspends an approved merchant with a reason (merchant reviewer).
#[utoipa::path(post, path = "/v1/operator/merchants/{id}/suspend", tag = "operators", request_body = ReviewIn,
    responses((status = 200, body = ReviewOut)), security(("session" = [])))]
pub(crate) async fn suspend(
    session: OperatorSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ReviewIn>,
) -> Result<Json<ReviewOut>, ApiError> {
    review(session, state, &id, Decision::Suspend, b.reason).await
}

/// A merchant's fee schedule for one payment type; amounts in yuan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeeScheduleIn {
    /// A decimal rate from 0 to 0.1, e.g. `"0.0038"` (required; optional in the schema only
    /// so that the role is checked before the body).
    #[serde(default)]
    rate: Option<String>,
    /// The least fee per payment, e.g. `"0.00"` (required).
    #[serde(default)]
    minimum: Option<String>,
    /// The most fee per payment; none when absent.
    #[serde(default)]
    cap: Option<String>,
}

/// A fee schedule as set.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FeeScheduleOut {
    /// `merchant_qr` or `pay_code`.
    payment_type: String,
    rate: String,
    minimum: String,
    cap: Option<String>,
}

/// A non-negative amount in yuan (a fee minimum or cap).
fn fee_amount(text: &str, field: &'static str) -> Result<Money, ApiError> {
    match Money::parse_cny(text) {
        Ok(m) if !m.is_negative() => Ok(m),
        _ => Err(refused(MerchantsError::InvalidField {
            field,
            reason: "an amount of at least 0.00",
        })),
    }
}

/// Sets a merchant's MDR for one payment type, `merchant_qr` or `pay_code` (merchant reviewer).
#[utoipa::path(put, path = "/v1/operator/merchants/{id}/fee-schedules/{payment_type}", tag = "operators",
    request_body = FeeScheduleIn,
    responses((status = 200, body = FeeScheduleOut),
        (status = 403, description = "FORBIDDEN_ROLE", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "INVALID_FIELD", body = Problem, content_type = "application/problem+json")),
    security(("session" = [])))]
pub(crate) async fn set_fee_schedule(
    session: OperatorSession,
    State(state): State<AppState>,
    Path((id, payment_type)): Path<(String, String)>,
    JsonBody(b): JsonBody<FeeScheduleIn>,
) -> Result<Json<FeeScheduleOut>, ApiError> {
    let operator = session.require(Role::MerchantReviewer)?;
    let required = |field| {
        refused(MerchantsError::InvalidField {
            field,
            reason: "required",
        })
    };
    let wanted = FeeScheduleView {
        payment_type: FeePaymentType::parse(&payment_type)?,
        rate: b.rate.ok_or_else(|| required("rate"))?,
        minimum: fee_amount(&b.minimum.ok_or_else(|| required("minimum"))?, "minimum")?,
        cap: b.cap.as_deref().map(|c| fee_amount(c, "cap")).transpose()?,
    };
    let set = state
        .app
        .set_fee_schedule(operator, merchant_id(&id)?, wanted)
        .await?;
    Ok(Json(FeeScheduleOut {
        payment_type: set.payment_type.as_str().to_owned(),
        rate: set.rate,
        minimum: set.minimum.to_string(),
        cap: set.cap.map(|c| c.to_string()),
    }))
}

/// The signing merchant's own record.
#[utoipa::path(get, path = "/v1/merchant/me", tag = "merchants",
    responses((status = 200, body = MerchantOut),
        (status = 401, description = "SIGNATURE_INVALID, TIMESTAMP_OUT_OF_WINDOW, UNKNOWN_MERCHANT", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "REQUEST_REPLAYED", body = Problem, content_type = "application/problem+json")),
    security(("merchant_signature" = [])))]
pub(crate) async fn merchant_me(
    State(state): State<AppState>,
    key: MerchantKey,
) -> Result<Json<MerchantOut>, ApiError> {
    Ok(Json(state.app.merchant(key.merchant()).await?.into()))
}

/// Issues a new signing key; with two active, the older is retired.
#[utoipa::path(post, path = "/v1/merchant/keys/rotate", tag = "merchants",
    responses((status = 201, body = KeyOut)), security(("merchant_signature" = [])))]
pub(crate) async fn rotate_key(
    State(state): State<AppState>,
    key: MerchantKey,
) -> Result<(StatusCode, Json<KeyOut>), ApiError> {
    let issued = state.app.rotate_key(key.merchant()).await?;
    Ok((StatusCode::CREATED, Json(issued.into())))
}

/// Adds a store.
#[utoipa::path(post, path = "/v1/merchant/stores", tag = "merchants", request_body = NameIn,
    responses((status = 201, body = IdOut)), security(("merchant_signature" = [])))]
pub(crate) async fn add_store(
    State(state): State<AppState>,
    key: MerchantKey,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    let b: NameIn = key.json()?;
    let id = state.app.add_store(key.merchant(), &b.name).await?;
    Ok((StatusCode::CREATED, Json(IdOut { id })))
}

/// Adds a cashier to one of the merchant's stores.
#[utoipa::path(post, path = "/v1/merchant/stores/{id}/cashiers", tag = "merchants", request_body = NameIn,
    responses((status = 201, body = IdOut)), security(("merchant_signature" = [])))]
pub(crate) async fn add_cashier(
    State(state): State<AppState>,
    Path(store): Path<String>,
    key: MerchantKey,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    let b: NameIn = key.json()?;
    let id = state
        .app
        .add_cashier(key.merchant(), &store, &b.name)
        .await?;
    Ok((StatusCode::CREATED, Json(IdOut { id })))
}

/// The staff member a request names as its cashier by login (another merchant's, or no one,
/// answers 422 `INVALID_FIELD`).
async fn cashier_of(
    state: &AppState,
    key: &MerchantKey,
    login: Option<&str>,
) -> Result<Option<uuid::Uuid>, ApiError> {
    match login {
        Some(login) => Ok(Some(state.app.cashier_named(key.merchant(), login).await?)),
        None => Ok(None),
    }
}

/// Makes a static (printed) code, optionally a cashier's (an empty body makes one for no one).
#[utoipa::path(post, path = "/v1/merchant/qr/static", tag = "merchants", request_body(content = Option<StaticCodeIn>),
    responses((status = 201, body = StaticCodeOut),
        (status = 422, description = "INVALID_FIELD (cashier)", body = Problem, content_type = "application/problem+json")),
    security(("merchant_signature" = [])))]
pub(crate) async fn static_code(
    State(state): State<AppState>,
    key: MerchantKey,
) -> Result<(StatusCode, Json<StaticCodeOut>), ApiError> {
    let b: StaticCodeIn = if key.body_is_empty() {
        StaticCodeIn::default()
    } else {
        key.json()?
    };
    let cashier = cashier_of(&state, &key, b.cashier.as_deref()).await?;
    let c = state
        .app
        .create_static_code_for(key.merchant(), cashier)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(StaticCodeOut {
            id: c.id,
            payload: c.payload,
        }),
    ))
}

/// Creates a dynamic order and its QR payload.
#[utoipa::path(post, path = "/v1/merchant/orders", tag = "merchants", request_body = OrderIn,
    responses((status = 201, body = OrderOut)), security(("merchant_signature" = [])))]
pub(crate) async fn create_order(
    State(state): State<AppState>,
    key: MerchantKey,
) -> Result<(StatusCode, Json<OrderOut>), ApiError> {
    let b: OrderIn = key.json()?;
    let cashier = cashier_of(&state, &key, b.cashier.as_deref()).await?;
    let new = NewDynamicOrder {
        amount: amount(&b.amount)?,
        merchant_ref: b.merchant_ref,
        ttl_seconds: b.ttl_seconds,
        cashier,
    };
    let view = state.app.create_dynamic_order_of(key.record(), new).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// The merchant's newest orders.
#[utoipa::path(get, path = "/v1/merchant/orders", tag = "merchants",
    responses((status = 200, body = [OrderOut])), security(("merchant_signature" = [])))]
pub(crate) async fn list_orders(
    State(state): State<AppState>,
    key: MerchantKey,
) -> Result<Json<Vec<OrderOut>>, ApiError> {
    let rows = state.app.merchant_orders(key.merchant(), 50).await?;
    Ok(Json(rows.into_iter().map(OrderOut::from).collect()))
}

/// One of the merchant's orders (another merchant's answers 404).
#[utoipa::path(get, path = "/v1/merchant/orders/{id}", tag = "merchants",
    responses((status = 200, body = OrderOut)), security(("merchant_signature" = [])))]
pub(crate) async fn get_order(
    State(state): State<AppState>,
    Path(id): Path<String>,
    key: MerchantKey,
) -> Result<Json<OrderOut>, ApiError> {
    let view = state
        .app
        .merchant_order(key.merchant(), order_id(&id)?)
        .await?;
    Ok(Json(view.into()))
}

/// Refunds part or all of a captured order (goods terms), with an `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/merchant/orders/{id}/refunds", tag = "merchants", request_body = RefundIn,
    responses((status = 200, body = OrderOut),
        (status = 422, description = "REFUND_EXCEEDS_CAPTURED, TOO_MANY_REFUNDS, REFUND_WINDOW_CLOSED, IDEMPOTENCY_KEY_REUSED", body = Problem, content_type = "application/problem+json")),
    security(("merchant_signature" = [])))]
pub(crate) async fn refund(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    key: MerchantKey,
) -> Result<Json<OrderOut>, ApiError> {
    let b: RefundIn = key.json()?;
    let idem = idempotency_key(&headers)?;
    let view = state
        .app
        .refund_order(key.merchant(), &idem, order_id(&id)?, amount(&b.amount)?)
        .await?;
    Ok(Json(view.into()))
}

/// Charges a customer's pay code, with an `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/merchant/pay-code-charges", tag = "merchants", request_body = ChargeIn,
    responses((status = 201, body = OrderOut),
        (status = 422, description = "PAY_CODE_INVALID, PAY_CODE_EXPIRED, QR_DAILY_LIMIT", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "PAY_CODE_USED", body = Problem, content_type = "application/problem+json")),
    security(("merchant_signature" = [])))]
pub(crate) async fn charge_pay_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    key: MerchantKey,
) -> Result<(StatusCode, Json<OrderOut>), ApiError> {
    let b: ChargeIn = key.json()?;
    let idem = idempotency_key(&headers)?;
    let charge = PayCodeCharge {
        code: b.pay_code,
        amount: amount(&b.amount)?,
        merchant_ref: b.merchant_ref,
        cashier: cashier_of(&state, &key, b.cashier.as_deref()).await?,
    };
    let view = state
        .app
        .charge_pay_code_by(key.merchant(), &idem, charge)
        .await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// Decodes a scanned merchant code.
#[utoipa::path(post, path = "/v1/qr/scan", tag = "payments", request_body = ScanIn,
    responses((status = 200, body = ScanOut),
        (status = 422, description = "QR_INVALID, QR_CRC_INVALID", body = Problem, content_type = "application/problem+json")),
    security(("session" = [])))]
pub(crate) async fn scan(
    _session: CustomerSession,
    State(state): State<AppState>,
    JsonBody(b): JsonBody<ScanIn>,
) -> Result<Json<ScanOut>, ApiError> {
    let s = state.app.scan(&b.payload).await?;
    Ok(Json(ScanOut {
        kind: s.kind,
        merchant_id: s.merchant.to_string(),
        merchant_name: s.merchant_name,
        amount: s.amount.map(|a| a.to_string()),
        order_id: s.order.map(|o| o.to_string()),
    }))
}

/// Pays a scanned merchant code by card, with an `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/qr/pay", tag = "payments", request_body = PayIn,
    responses((status = 201, body = OrderOut),
        (status = 422, description = "STATIC_CODE_DAILY_LIMIT, ORDER_EXPIRED, AMOUNT_REQUIRED, IDEMPOTENCY_KEY_REUSED", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "ORDER_ALREADY_PAID, IDEMPOTENCY_IN_PROGRESS", body = Problem, content_type = "application/problem+json")),
    security(("session" = [])))]
pub(crate) async fn pay(
    session: CustomerSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<PayIn>,
) -> Result<(StatusCode, Json<OrderOut>), ApiError> {
    let idem = idempotency_key(&headers)?;
    let amount = b.amount.as_deref().map(amount).transpose()?;
    let coupon = b
        .coupon_id
        .as_deref()
        .map(crate::routes::coupons::coupon_id)
        .transpose()?;
    let view = state
        .app
        .pay_qr_with_coupon(session.customer_id(), &idem, &b.payload, amount, coupon)
        .await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// A fresh pay code to show at the till (single use, about 60 s).
#[utoipa::path(get, path = "/v1/me/pay-code", tag = "payments",
    responses((status = 200, body = PayCodeOut)), security(("session" = [])))]
pub(crate) async fn my_pay_code(
    session: CustomerSession,
    State(state): State<AppState>,
) -> Result<Json<PayCodeOut>, ApiError> {
    let c = state.app.show_pay_code(session.customer_id()).await?;
    Ok(Json(PayCodeOut {
        code: c.code.expose_secret().clone(),
        expires_at: c.expires_at.to_string(),
    }))
}

/// The merchants, payments and operators part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(apply, create_operator, operator_login, audit, review_queue, approve, reject, suspend,
        set_fee_schedule, merchant_me, rotate_key, add_store, add_cashier, static_code, create_order, list_orders,
        get_order, refund, charge_pay_code, scan, pay, my_pay_code),
    components(schemas(ApplicationIn, MerchantOut, KeyOut, ReviewOut, ReviewIn, OperatorIn,
        OperatorOut, OperatorLoginIn, OperatorSessionOut, AuditOut, OrderIn, RefundIn, ChargeIn,
        ScanIn, PayIn, NameIn, IdOut, ScanOut, StaticCodeIn, StaticCodeOut, PayCodeOut, RefundOut, OrderOut, FeeScheduleIn,
        FeeScheduleOut)),
    tags(
        (name = "merchants", description = "Merchant onboarding and the signed merchant API (Cardlife-Signature)"),
        (name = "operators", description = "Operator sessions, review and the audit log"),
        (name = "payments", description = "Cardholders scanning and paying QR codes, pay codes"),
    )
)]
pub(crate) struct MerchantsApi;
