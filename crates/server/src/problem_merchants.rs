//! Status, code and title of every merchants, QR payments and operator refusal
//! (docs/merchants.md), by one exhaustive `match`. Codes are stable.

use axum::http::StatusCode;
use cardlife_app::merchants::MerchantsError as M;
use cardlife_app::merchants::vocabulary::{LimitError, OrderError, PayCodeError, SigningError};
use cardlife_app::merchants::webhook_destination::DestinationRefusal;

/// Status, code and title of a merchants-context refusal.
pub(crate) fn merchants_refusal(e: &M) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    let invalid = S::UNPROCESSABLE_ENTITY;
    match e {
        M::ForbiddenRole { .. } => (
            S::FORBIDDEN,
            "FORBIDDEN_ROLE",
            "Your role does not allow this",
        ),
        M::LoginTaken => (S::CONFLICT, "LOGIN_TAKEN", "Login taken"),
        M::UnknownRole(_) => (invalid, "UNKNOWN_ROLE", "Unknown role"),
        M::InvalidField { .. } => (invalid, "INVALID_FIELD", "Invalid field"),
        M::InvalidAmount => (invalid, "INVALID_AMOUNT", "Invalid amount"),
        M::NotFound(_) => (S::NOT_FOUND, "NOT_FOUND", "Not found"),
        M::ReviewNotAllowed { .. } => (
            S::CONFLICT,
            "REVIEW_NOT_ALLOWED",
            "Not in a reviewable state",
        ),
        M::MerchantNotApproved => (
            S::FORBIDDEN,
            "MERCHANT_NOT_APPROVED",
            "Merchant not approved",
        ),
        M::MerchantSuspended => (S::FORBIDDEN, "MERCHANT_SUSPENDED", "Merchant suspended"),
        M::SignatureMissing => (S::UNAUTHORIZED, "SIGNATURE_REQUIRED", "Signature required"),
        M::UnknownMerchant => (S::UNAUTHORIZED, "UNKNOWN_MERCHANT", "Unknown merchant key"),
        M::Signing(s) => signing_refusal(s),
        M::QrInvalid(_) => (invalid, "QR_INVALID", "Not a valid QR payload"),
        M::QrCrcInvalid => (invalid, "QR_CRC_INVALID", "QR checksum mismatch"),
        M::QrUnknown => (S::NOT_FOUND, "QR_UNKNOWN", "Unknown QR code"),
        M::AmountRequired => (invalid, "AMOUNT_REQUIRED", "Amount required"),
        M::AmountMismatch => (
            invalid,
            "AMOUNT_MISMATCH",
            "The code carries its own amount",
        ),
        M::Order(o) => order_refusal(o),
        M::Limit(l) => limit_refusal(l),
        M::PayCode(p) => paycode_refusal(p),
        M::IdempotencyKeyRequired => (
            S::BAD_REQUEST,
            "IDEMPOTENCY_KEY_REQUIRED",
            "Idempotency-Key required",
        ),
        M::IdempotencyKeyReused => (
            invalid,
            "IDEMPOTENCY_KEY_REUSED",
            "Idempotency-Key reused with another request",
        ),
        M::IdempotencyInProgress => (
            S::CONFLICT,
            "IDEMPOTENCY_IN_PROGRESS",
            "The first request with this key is still running",
        ),
        M::Conflict => (S::CONFLICT, "CONCURRENT_UPDATE", "Changed meanwhile; retry"),
        M::MerchantRefTaken => (
            S::CONFLICT,
            "MERCHANT_REF_TAKEN",
            "merchant_ref already used",
        ),
        M::SettlementDayOpen => (
            S::CONFLICT,
            "SETTLEMENT_DAY_OPEN",
            "That business day has not closed yet",
        ),
        M::NoCard => (invalid, "NO_CARD", "No credit card to pay with"),
        M::WebhookDestination(d) => destination_refusal(d),
        M::Funding(_) | M::Seal => (S::INTERNAL_SERVER_ERROR, "INTERNAL", "Internal error"),
    }
}

fn destination_refusal(e: &DestinationRefusal) -> (StatusCode, &'static str, &'static str) {
    let invalid = StatusCode::UNPROCESSABLE_ENTITY;
    match e {
        DestinationRefusal::HttpsRequired => (
            invalid,
            "WEBHOOK_HTTPS_REQUIRED",
            "Webhook endpoints use https",
        ),
        DestinationRefusal::NotPublic { .. } => (
            invalid,
            "WEBHOOK_DESTINATION_PRIVATE",
            "Webhook endpoint is not a public address",
        ),
        DestinationRefusal::Unresolved { .. } => (
            invalid,
            "WEBHOOK_HOST_UNRESOLVED",
            "Webhook endpoint host does not resolve",
        ),
    }
}

fn signing_refusal(e: &SigningError) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    match e {
        SigningError::MalformedHeader { .. }
        | SigningError::MalformedRequest
        | SigningError::MalformedToken => (
            S::UNAUTHORIZED,
            "SIGNATURE_MALFORMED",
            "Malformed signature header",
        ),
        SigningError::UnknownKey | SigningError::BadSignature => {
            (S::UNAUTHORIZED, "SIGNATURE_INVALID", "Invalid signature")
        }
        SigningError::StaleTimestamp { .. } => (
            S::UNAUTHORIZED,
            "TIMESTAMP_OUT_OF_WINDOW",
            "Timestamp outside the replay window",
        ),
        SigningError::Replayed => (S::CONFLICT, "REQUEST_REPLAYED", "Request replayed"),
        SigningError::TooManyKeys { .. }
        | SigningError::DuplicateKeyId
        | SigningError::SecretTooShort { .. } => {
            (S::INTERNAL_SERVER_ERROR, "INTERNAL", "Internal error")
        }
    }
}

fn order_refusal(e: &OrderError) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    let invalid = S::UNPROCESSABLE_ENTITY;
    match e {
        OrderError::NonPositiveAmount
        | OrderError::NegativeDeduction
        | OrderError::NothingToPay => (invalid, "INVALID_AMOUNT", "Invalid amount"),
        OrderError::ExpiryNotAfterCreation => (invalid, "INVALID_FIELD", "Invalid field"),
        OrderError::OrderExpired { .. } | OrderError::NotYetExpired { .. } => {
            (invalid, "ORDER_EXPIRED", "The order has expired")
        }
        OrderError::AlreadyAuthorised | OrderError::AlreadyCaptured => (
            S::CONFLICT,
            "ORDER_ALREADY_PAID",
            "The order is already paid",
        ),
        OrderError::NotAuthorised | OrderError::NotCaptured => (
            S::CONFLICT,
            "ORDER_NOT_CAPTURED",
            "The order is not captured",
        ),
        OrderError::OrderCancelled => (S::CONFLICT, "ORDER_CANCELLED", "The order is cancelled"),
        OrderError::AlreadyFullyRefunded => (
            S::CONFLICT,
            "ORDER_FULLY_REFUNDED",
            "The order is fully refunded",
        ),
        OrderError::RefundExceedsCaptured { .. } => (
            invalid,
            "REFUND_EXCEEDS_CAPTURED",
            "The refund exceeds what is refundable",
        ),
        OrderError::TooManyRefunds { .. } => (invalid, "TOO_MANY_REFUNDS", "Too many refunds"),
        OrderError::RefundWindowClosed { .. } => (
            invalid,
            "REFUND_WINDOW_CLOSED",
            "The refund window has closed",
        ),
        OrderError::Money(_) => (invalid, "INVALID_AMOUNT", "Invalid amount"),
    }
}

fn limit_refusal(e: &LimitError) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    let invalid = S::UNPROCESSABLE_ENTITY;
    match e {
        LimitError::NonPositiveAmount | LimitError::Money(_) => {
            (invalid, "INVALID_AMOUNT", "Invalid amount")
        }
        LimitError::StaticCodeDailyLimitExceeded { .. } => (
            invalid,
            "STATIC_CODE_DAILY_LIMIT",
            "Over the daily limit for static codes",
        ),
        LimitError::DynamicCodeDailyLimitExceeded { .. } => (
            invalid,
            "QR_DAILY_LIMIT",
            "Over the daily limit for QR payments",
        ),
        LimitError::SpendDatedInTheFuture { .. } => {
            (S::INTERNAL_SERVER_ERROR, "INTERNAL", "Internal error")
        }
    }
}

fn paycode_refusal(e: &PayCodeError) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    let invalid = S::UNPROCESSABLE_ENTITY;
    match e {
        PayCodeError::Expired { .. } => (invalid, "PAY_CODE_EXPIRED", "The pay code has expired"),
        PayCodeError::AlreadyUsed => (S::CONFLICT, "PAY_CODE_USED", "The pay code was used"),
        PayCodeError::WrongLength { .. }
        | PayCodeError::NotDigits
        | PayCodeError::WrongPrefix
        | PayCodeError::BadSignature
        | PayCodeError::FieldOutOfRange => (invalid, "PAY_CODE_INVALID", "Invalid pay code"),
    }
}
