//! Every error the API answers, as `application/problem+json` (RFC 9457) with a stable `code`.
//!
//! [`ApiError`] is mapped to its status, code and message by one exhaustive `match`, and
//! [`cardlife_app::AppError`] to [`ApiError`] by another, so a new variant cannot slip out with a
//! default answer. A 5xx answer says only what a client may know; its cause is logged once, here,
//! inside the request's span (which carries the request id echoed in the body).

use std::error::Error as StdError;
use std::fmt::Write as _;

use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cardlife_app::credit::DeclineCode;
use cardlife_app::customers::CustomerError;
use cardlife_app::quotes::QuoteError;
use cardlife_app::risk::RiskError;
use cardlife_app::{AppError, Missing};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error answer. Codes are stable: clients match on them, they are never renamed.
#[derive(Debug)]
pub enum ApiError {
    /// 400 `MALFORMED_JSON`: the body is not JSON.
    MalformedJson {
        /// What the parser said.
        detail: String,
    },
    /// 422 `INVALID_BODY`: JSON, but not the expected shape (missing field, wrong type, bad UUID).
    InvalidBody {
        /// What the parser said.
        detail: String,
    },
    /// 415 `UNSUPPORTED_MEDIA_TYPE`: the body was not sent as `application/json`.
    UnsupportedMediaType,
    /// 413 `PAYLOAD_TOO_LARGE`: the body exceeds the limit.
    PayloadTooLarge {
        /// The limit, in bytes.
        limit_bytes: usize,
    },
    /// 422 `BATCH_TOO_LARGE`: more events than one batch may hold.
    BatchTooLarge {
        /// The limit.
        max: usize,
        /// What was sent.
        got: usize,
    },
    /// 422 `EMPTY_BATCH`: a batch with no events.
    EmptyBatch,
    /// 422 `UNKNOWN_FLAG`: a flag name the ledger does not know.
    UnknownFlag {
        /// The event's position in the batch.
        index: usize,
        /// The name sent.
        name: String,
    },
    /// 422 `AMOUNT_OUT_OF_RANGE`: an amount that is not an integer in `0..=i64::MAX`.
    AmountOutOfRange {
        /// The event's position in the batch.
        index: usize,
    },
    /// 400 `INVALID_ID`: a path id that is not a UUID.
    InvalidId {
        /// What was wrong.
        detail: String,
    },
    /// 400 `INVALID_QUERY`: a query string that does not parse or breaks a limit.
    InvalidQuery {
        /// What was wrong.
        detail: String,
    },
    /// 401 `UNAUTHORIZED`: no valid bearer token.
    Unauthorized,
    /// 404 `NOT_FOUND`: no such record.
    NotFound(Missing),
    /// 404 `NOT_FOUND`: no such route.
    NoRoute,
    /// 405 `METHOD_NOT_ALLOWED`.
    MethodNotAllowed,
    /// 503 `TIMEOUT`: the request took longer than its limit. A write may still have been
    /// applied: retrying with the same ids is safe (the ledger answers `exists`).
    Timeout,
    /// 503 `UNAVAILABLE`: the ledger cannot take writes now (writer stopped, contention).
    Unavailable(AppError),
    /// 500 `INTERNAL`: anything else; the body says nothing more.
    Internal(AppError),
    /// 400 `IDEMPOTENCY_KEY_REQUIRED`: a money-moving request without a usable
    /// `Idempotency-Key` header.
    IdempotencyKeyRequired {
        /// What was wrong.
        detail: String,
    },
    /// A rule of the platform refused the request; nothing changed. Which rule, and so the
    /// status and code, comes from [`refusal`].
    Refused(AppError),
    /// A customer route without a valid session.
    Unauthenticated,
}

/// The body of every error answer (`application/problem+json`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type (`urn:cardlife:problem:<code>`).
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request, safe to show.
    pub detail: String,
    /// The stable code clients match on, e.g. `BATCH_TOO_LARGE`.
    pub code: String,
    /// For an error in one event of a batch: its position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// The request id (also in the `x-request-id` header); quote it when reporting a 5xx.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Problem {
    fn new(
        status: StatusCode,
        code: &str,
        title: &str,
        detail: String,
        index: Option<usize>,
    ) -> Self {
        Self {
            type_uri: format!("urn:cardlife:problem:{}", code.to_ascii_lowercase()),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            index,
            request_id: None,
        }
    }

    /// Replaces the body of `response` with this problem.
    pub(crate) fn write_into(&self, response: &mut Response) {
        let body = serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec());
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response.headers_mut().remove(CONTENT_LENGTH);
        *response.body_mut() = axum::body::Body::from(body);
    }
}

impl ApiError {
    /// The problem this error answers with.
    pub fn problem(&self) -> Problem {
        use StatusCode as S;
        let (status, code, title, detail, index) = match self {
            Self::MalformedJson { detail } => (
                S::BAD_REQUEST,
                "MALFORMED_JSON",
                "The body is not valid JSON",
                detail.clone(),
                None,
            ),
            Self::InvalidBody { detail } => (
                S::UNPROCESSABLE_ENTITY,
                "INVALID_BODY",
                "The body does not match the schema",
                detail.clone(),
                None,
            ),
            Self::UnsupportedMediaType => (
                S::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "Unsupported media type",
                "send the body as `Content-Type: application/json`".to_owned(),
                None,
            ),
            Self::PayloadTooLarge { limit_bytes } => (
                S::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "The body is too large",
                format!("a request body holds at most {limit_bytes} bytes"),
                None,
            ),
            Self::BatchTooLarge { max, got } => (
                S::UNPROCESSABLE_ENTITY,
                "BATCH_TOO_LARGE",
                "The batch is too large",
                format!("a batch holds at most {max} events, got {got}; nothing was applied"),
                None,
            ),
            Self::EmptyBatch => (
                S::UNPROCESSABLE_ENTITY,
                "EMPTY_BATCH",
                "The batch is empty",
                "a batch holds at least one event".to_owned(),
                None,
            ),
            Self::UnknownFlag { index, name } => (
                S::UNPROCESSABLE_ENTITY,
                "UNKNOWN_FLAG",
                "Unknown flag",
                format!("event {index} has the unknown flag {name:?}; nothing was applied"),
                Some(*index),
            ),
            Self::AmountOutOfRange { index } => (
                S::UNPROCESSABLE_ENTITY,
                "AMOUNT_OUT_OF_RANGE",
                "Amount out of range",
                format!(
                    "event {index}: an amount is an integer from 0 to {}; nothing was applied",
                    i64::MAX
                ),
                Some(*index),
            ),
            Self::InvalidId { detail } => (
                S::BAD_REQUEST,
                "INVALID_ID",
                "Invalid id",
                detail.clone(),
                None,
            ),
            Self::InvalidQuery { detail } => (
                S::BAD_REQUEST,
                "INVALID_QUERY",
                "Invalid query",
                detail.clone(),
                None,
            ),
            Self::Unauthorized => (
                S::UNAUTHORIZED,
                "UNAUTHORIZED",
                "Unauthorized",
                "send `Authorization: Bearer <internal token>`".to_owned(),
                None,
            ),
            Self::NotFound(missing) => (
                S::NOT_FOUND,
                "NOT_FOUND",
                "Not found",
                describe(*missing),
                None,
            ),
            Self::NoRoute => (
                S::NOT_FOUND,
                "NOT_FOUND",
                "Not found",
                "no route has this path".to_owned(),
                None,
            ),
            Self::MethodNotAllowed => (
                S::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "Method not allowed",
                "this route does not take this method".to_owned(),
                None,
            ),
            Self::Timeout => (
                S::SERVICE_UNAVAILABLE,
                "TIMEOUT",
                "The request timed out",
                "the outcome of a write is unknown: retry with the same ids, which is safe"
                    .to_owned(),
                None,
            ),
            Self::Unavailable(_) => (
                S::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "Service unavailable",
                "the ledger cannot take this request now; retry later with the same ids".to_owned(),
                None,
            ),
            Self::Internal(_) => (
                S::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "Internal error",
                "the request failed on our side; quote the request id when reporting it".to_owned(),
                None,
            ),
            Self::IdempotencyKeyRequired { detail } => (
                S::BAD_REQUEST,
                "IDEMPOTENCY_KEY_REQUIRED",
                "Idempotency key required",
                detail.clone(),
                None,
            ),
            Self::Refused(e) => {
                let (status, code, title) = refusal(e);
                (status, code, title, e.to_string(), None)
            }
            Self::Unauthenticated => (
                S::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "Log in first",
                "send `Authorization: Bearer <session token>` from POST /v1/sessions".to_owned(),
                None,
            ),
        };
        Problem::new(status, code, title, detail, index)
    }

    /// The cause to log, for the errors whose cause a client never sees.
    fn cause(&self) -> Option<&AppError> {
        match self {
            Self::Unavailable(e) | Self::Internal(e) => Some(e),
            Self::MalformedJson { .. }
            | Self::InvalidBody { .. }
            | Self::UnsupportedMediaType
            | Self::PayloadTooLarge { .. }
            | Self::BatchTooLarge { .. }
            | Self::EmptyBatch
            | Self::UnknownFlag { .. }
            | Self::AmountOutOfRange { .. }
            | Self::InvalidId { .. }
            | Self::InvalidQuery { .. }
            | Self::Unauthorized
            | Self::NotFound(_)
            | Self::NoRoute
            | Self::MethodNotAllowed
            | Self::Timeout
            | Self::IdempotencyKeyRequired { .. }
            | Self::Refused(_)
            | Self::Unauthenticated => None,
        }
    }
}

/// Status, code and title of a risk refusal (docs/risk.md).
fn risk_refusal(r: &RiskError) -> (StatusCode, &'static str, &'static str) {
    match r {
        RiskError::Declined { .. } => (
            StatusCode::FORBIDDEN,
            "RISK_DECLINED",
            "Declined by risk rules",
        ),
        RiskError::UnknownOutcome => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_OUTCOME",
            "Outcome must be allow, review or deny",
        ),
    }
}

/// Status, code and title of a refusal, by the rule that refused.
fn refusal(e: &AppError) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    match e {
        AppError::Customer(c) => customer_refusal(c),
        AppError::Quote(q) => quote_refusal(q),
        AppError::Loan(l) => crate::routes::loan_codes::loan_refusal(l),
        AppError::Lending(r) => crate::routes::loan_codes::lending_refusal(r),
        AppError::Idempotency(i) => crate::routes::loan_codes::idempotency_refusal(i),
        AppError::PhoneTaken => (S::CONFLICT, "PHONE_TAKEN", "Phone already registered"),
        AppError::InvalidCredentials => (
            S::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
            "Wrong phone number or credential",
        ),
        AppError::Unauthenticated => (S::UNAUTHORIZED, "UNAUTHENTICATED", "Log in first"),
        AppError::InvalidAmount(_) => (
            S::UNPROCESSABLE_ENTITY,
            "INVALID_AMOUNT",
            "The amount must be a positive number of fen",
        ),
        AppError::Declined { code, .. } => {
            let (code, title) = decline(*code);
            (S::UNPROCESSABLE_ENTITY, code, title)
        }
        AppError::InvalidProduct(_) => (
            S::UNPROCESSABLE_ENTITY,
            "INVALID_PRODUCT",
            "Invalid product",
        ),
        AppError::PaymentOnClosedAccount => (
            S::UNPROCESSABLE_ENTITY,
            "PAYMENT_ON_CLOSED_ACCOUNT",
            "Payment on a closed account",
        ),
        AppError::InvalidCard(_) => (S::UNPROCESSABLE_ENTITY, "INVALID_CARD", "Invalid card"),
        AppError::CardAlreadyIssued => (S::CONFLICT, "CARD_ALREADY_ISSUED", "Card already issued"),
        AppError::CaptureExceedsAuthorisation(_) => (
            S::UNPROCESSABLE_ENTITY,
            "CAPTURE_EXCEEDS_AUTHORISATION",
            "Capture exceeds the authorisation",
        ),
        AppError::CommandRefused(_) => (
            S::UNPROCESSABLE_ENTITY,
            "COMMAND_REFUSED",
            "Command refused",
        ),
        AppError::Merchants(m) => crate::problem_merchants::merchants_refusal(m),
        AppError::Installment(i) => crate::problem_installments::installment_refusal(i),
        AppError::Rewards(r) => crate::problem_rewards::rewards_refusal(r),
        AppError::Risk(r) => risk_refusal(r),
        AppError::BatchTooLarge { .. }
        | AppError::EmptyBatch
        | AppError::NotFound(_)
        | AppError::Unavailable
        | AppError::Contention { .. }
        | AppError::LedgerRefused(_)
        | AppError::Storage(_)
        | AppError::Credit(_) => (S::INTERNAL_SERVER_ERROR, "INTERNAL", "Internal error"),
    }
}

/// Status, code and title of a refused quote.
pub(crate) fn quote_refusal(e: &QuoteError) -> (StatusCode, &'static str, &'static str) {
    use QuoteError as Q;
    let invalid = StatusCode::UNPROCESSABLE_ENTITY;
    match e {
        Q::AmountNotPositive { .. } => (
            invalid,
            "AMOUNT_NOT_POSITIVE",
            "The amount must be above zero",
        ),
        Q::PeriodsOutOfRange { .. } => (
            invalid,
            "PERIODS_OUT_OF_RANGE",
            "Periods must be from 1 to 60",
        ),
        Q::NegativeRate { .. } => (invalid, "NEGATIVE_RATE", "A rate must not be negative"),
        Q::UpfrontFeeNotBelowAmount { .. } => (
            invalid,
            "UPFRONT_FEE_TOO_LARGE",
            "The upfront fee must be below the amount",
        ),
        Q::UnknownFeeMode { .. } => (invalid, "UNKNOWN_FEE_MODE", "Unknown fee mode"),
        Q::UnknownMethod { .. } => (invalid, "UNKNOWN_METHOD", "Unknown repayment method"),
        Q::NoPayments
        | Q::PaymentsBelowAmountReceived { .. }
        | Q::AnnualisedRateTooHigh
        | Q::RateSolveDidNotConverge
        | Q::OutOfRange
        | Q::Money(_) => (
            invalid,
            "QUOTE_OUT_OF_RANGE",
            "These terms cannot be quoted",
        ),
    }
}

/// Status, code and title of a customers-context refusal.
fn customer_refusal(e: &CustomerError) -> (StatusCode, &'static str, &'static str) {
    use CustomerError as C;
    use StatusCode as S;
    let invalid = S::UNPROCESSABLE_ENTITY;
    match e {
        C::PhoneNotDigits | C::PhoneWrongLength { .. } | C::PhoneNotMobile => {
            (invalid, "INVALID_PHONE", "Invalid phone number")
        }
        C::OtpExpired => (invalid, "CODE_EXPIRED", "The code has expired"),
        C::OtpTooManyAttempts => (invalid, "CODE_ATTEMPTS_EXHAUSTED", "Too many wrong codes"),
        C::OtpAlreadyUsed => (invalid, "CODE_USED", "The code was already used"),
        C::OtpMismatch { .. } => (invalid, "CODE_MISMATCH", "Wrong code"),
        C::OtpResendTooSoon { .. } => (
            S::TOO_MANY_REQUESTS,
            "CODE_RESEND_TOO_SOON",
            "Wait before asking for another code",
        ),
        C::OtpDailyCapReached { .. } => (
            S::TOO_MANY_REQUESTS,
            "CODE_DAILY_CAP",
            "No more codes today for this phone",
        ),
        C::PasswordTooShort { .. }
        | C::PasswordTooLong { .. }
        | C::PasswordAllDigits
        | C::PasswordEqualsPhone => (invalid, "WEAK_PASSWORD", "The password is not allowed"),
        C::PasswordMismatch => (
            S::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
            "Wrong phone number or credential",
        ),
        C::LoginLocked { .. } => (S::TOO_MANY_REQUESTS, "LOGIN_LOCKED", "Login locked"),
        C::SessionTokenMalformed
        | C::SessionTokenMismatch
        | C::SessionIdleTimeout
        | C::SessionAbsoluteTimeout
        | C::SessionRevoked
        | C::SessionEnded => (S::UNAUTHORIZED, "UNAUTHENTICATED", "Log in first"),
        C::PanNotDigits | C::PanWrongLength { .. } | C::PanLuhnMismatch | C::CvvMalformed => {
            (invalid, "INVALID_CARD_NUMBER", "Invalid card number")
        }
        C::ConsentNotGranted { .. } => (S::FORBIDDEN, "CONSENT_REQUIRED", "Consent required"),
        C::ResidentIdWrongLength { .. }
        | C::ResidentIdNotDigits
        | C::ResidentIdBadBirthDate
        | C::ResidentIdChecksumMismatch => (invalid, "INVALID_RESIDENT_ID", "Invalid ID number"),
        C::RealNameEmpty | C::RealNameTooLong { .. } | C::RealNameInvalidCharacter => {
            (invalid, "INVALID_NAME", "Invalid name")
        }
        C::ResidentIdInUse => (
            S::CONFLICT,
            "RESIDENT_ID_IN_USE",
            "ID number already in use",
        ),
        C::RealNameKeptForCredit => (
            S::CONFLICT,
            "REAL_NAME_KEPT",
            "Real-name details are kept while credit is held",
        ),
        C::DeviceIdMalformed | C::DeviceNameInvalid { .. } => {
            (invalid, "INVALID_DEVICE", "Invalid device")
        }
        C::PolicyOutOfBounds { .. }
        | C::PasswordHashMalformed
        | C::PasswordHashFailed
        | C::VaultKeyUnknown { .. }
        | C::VaultEncryptFailed
        | C::VaultDecryptFailed => (S::INTERNAL_SERVER_ERROR, "INTERNAL", "Internal error"),
    }
}

fn describe(missing: Missing) -> String {
    match missing {
        Missing::Customer => "no such customer".to_owned(),
        Missing::LoanQuote => "no such loan quote".to_owned(),
        Missing::Loan => "no such loan".to_owned(),
        Missing::CreditLine => "no such credit line".to_owned(),
        Missing::FlashSale => "no such flash sale".to_owned(),
        Missing::RealName => "no real-name details have been given".to_owned(),
        Missing::Device => "no device of yours has this id".to_owned(),
        Missing::Account(id) => format!("no account has id {}", Uuid::from_u128(id)),
        Missing::Transfer(id) => format!("no transfer has id {}", Uuid::from_u128(id)),
        Missing::CreditAccount(id) => {
            format!("no credit account of yours has id {}", Uuid::from_u128(id))
        }
        Missing::Card => "no card has this number or id".to_owned(),
        Missing::Authorisation(id) => {
            format!("no authorisation has id {}", Uuid::from_u128(id))
        }
        Missing::Statement(date) => format!("no statement is dated {date}"),
    }
}

/// The stable code and title of a decline.
fn decline(code: DeclineCode) -> (&'static str, &'static str) {
    match code {
        DeclineCode::InsufficientCredit => ("INSUFFICIENT_CREDIT", "Insufficient credit"),
        DeclineCode::AccountFrozen => ("ACCOUNT_FROZEN", "Account frozen"),
        DeclineCode::AccountClosed => ("ACCOUNT_CLOSED", "Account closed"),
        DeclineCode::CardExpired => ("CARD_EXPIRED", "Card expired"),
        DeclineCode::CashLimitExceeded => ("CASH_LIMIT_EXCEEDED", "Cash limit exceeded"),
    }
}

/// `outer: inner: innermost`, for one log line.
fn chain(e: &dyn StdError) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let _ = write!(text, ": {s}");
        source = s.source();
    }
    text
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::BatchTooLarge { max, got } => Self::BatchTooLarge { max, got },
            AppError::EmptyBatch => Self::EmptyBatch,
            AppError::NotFound(missing) => Self::NotFound(missing),
            AppError::Unavailable | AppError::Contention { .. } => Self::Unavailable(e),
            AppError::Storage(_) | AppError::LedgerRefused(_) | AppError::Credit(_) => {
                Self::Internal(e)
            }
            AppError::Loan(ref l)
                if crate::routes::loan_codes::loan_refusal(l)
                    .0
                    .is_server_error() =>
            {
                Self::Internal(e)
            }
            AppError::Loan(_) | AppError::Lending(_) | AppError::Idempotency(_) => Self::Refused(e),
            AppError::Unauthenticated => Self::Unauthenticated,
            AppError::Customer(ref c) if customer_refusal(c).0.is_server_error() => {
                Self::Internal(e)
            }
            AppError::Merchants(ref m)
                if crate::problem_merchants::merchants_refusal(m)
                    .0
                    .is_server_error() =>
            {
                Self::Internal(e)
            }
            AppError::Merchants(_) => Self::Refused(e),
            AppError::Installment(_) => Self::Refused(e),
            AppError::Customer(_)
            | AppError::Quote(_)
            | AppError::PhoneTaken
            | AppError::InvalidCredentials
            | AppError::InvalidAmount(_)
            | AppError::Declined { .. }
            | AppError::InvalidProduct(_)
            | AppError::PaymentOnClosedAccount
            | AppError::InvalidCard(_)
            | AppError::CardAlreadyIssued
            | AppError::CaptureExceedsAuthorisation(_)
            | AppError::CommandRefused(_) => Self::Refused(e),
            AppError::Rewards(ref r)
                if crate::problem_rewards::rewards_refusal(r)
                    .0
                    .is_server_error() =>
            {
                Self::Internal(e)
            }
            AppError::Rewards(_) => Self::Refused(e),
            AppError::Risk(_) => Self::Refused(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        if let Some(cause) = self.cause() {
            tracing::error!(code = %problem.code, error = %chain(cause), "request failed");
        } else if matches!(self, Self::Timeout) {
            tracing::warn!("request timed out");
        }
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = status.into_response();
        problem.write_into(&mut response);
        if matches!(self, Self::Unauthorized) {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // The request-id middleware finds the problem here and writes it again with the id.
        response.extensions_mut().insert(problem);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_type_uri_is_built_from_its_code() {
        let p = ApiError::BatchTooLarge {
            max: 8190,
            got: 8191,
        }
        .problem();
        assert_eq!(p.type_uri, "urn:cardlife:problem:batch_too_large");
        assert_eq!(p.code, "BATCH_TOO_LARGE");
        assert_eq!(p.status, 422);
    }

    #[test]
    fn a_5xx_problem_says_nothing_of_its_cause() {
        let p = ApiError::Internal(AppError::Unavailable).problem();
        assert_eq!(p.code, "INTERNAL");
        assert!(!p.detail.contains("writer"));
    }
}
