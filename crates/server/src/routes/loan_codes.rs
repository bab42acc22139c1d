//! The stable codes of lending refusals (docs/loans.md, "Errors"), one exhaustive `match` per
//! error enum, so a new refusal cannot slip out without its code.

use axum::http::StatusCode;
use cardlife_app::idempotency::IdempotencyError;
use cardlife_app::loans::{LoanError, LoanRefusal};

use crate::problem::quote_refusal;

/// Status, code and title of a loan state-machine refusal.
pub(crate) fn loan_refusal(e: &LoanError) -> (StatusCode, &'static str, &'static str) {
    use LoanError as L;
    use StatusCode as S;
    let invalid = S::UNPROCESSABLE_ENTITY;
    match e {
        L::NegativeRate { .. } => (invalid, "NEGATIVE_RATE", "A rate must not be negative"),
        L::NoConsent => (S::FORBIDDEN, "CONSENT_REQUIRED", "Consent required"),
        L::RateMismatch { .. } => (invalid, "RATE_NOT_OFFERED", "This rate is not offered"),
        L::AmountOutOfRange { .. } => (
            invalid,
            "LOAN_AMOUNT_OUT_OF_RANGE",
            "The amount is outside the product's range",
        ),
        L::TermTooLong { .. } => (invalid, "TERM_TOO_LONG", "The term is too long"),
        L::CustomerCapExceeded { .. } => (
            invalid,
            "CUSTOMER_CAP_EXCEEDED",
            "Above the per-customer cap",
        ),
        L::NotHoldersAccount => (
            S::FORBIDDEN,
            "NOT_HOLDERS_ACCOUNT",
            "Only the holder's own account",
        ),
        L::WrongStatus { .. } => (S::CONFLICT, "LOAN_NOT_ACTIVE", "The loan is not active"),
        L::DateInPast { .. } => (S::CONFLICT, "DATE_IN_PAST", "Before the loan's last event"),
        L::RepaymentNotPositive { .. } | L::DrawNotPositive { .. } => (
            invalid,
            "AMOUNT_NOT_POSITIVE",
            "The amount must be above zero",
        ),
        L::LineExceeded { .. } => (invalid, "LINE_EXCEEDED", "Above the available line"),
        L::PrepaymentNotAboveAccruedInterest { .. } => (
            invalid,
            "PREPAYMENT_TOO_SMALL",
            "A prepayment must exceed the interest accrued to date",
        ),
        L::Overpayment { .. } => (invalid, "REPAYMENT_ABOVE_PAYOFF", "Above everything owed"),
        L::CustomerCapOutOfRange { .. } => (
            invalid,
            "LINE_LIMIT_OUT_OF_RANGE",
            "The limit is out of range",
        ),
        L::Quote(q) => quote_refusal(q),
        L::Money(_) | L::Date(_) => (invalid, "LOAN_OUT_OF_RANGE", "These terms cannot be booked"),
        L::PenaltyMultipleOutOfRange { .. }
        | L::BadAmountRange { .. }
        | L::MaxAboveCustomerCap { .. }
        | L::BulletTermOutOfRange { .. } => {
            (S::INTERNAL_SERVER_ERROR, "INTERNAL", "Internal error")
        }
    }
}

/// Status, code and title of a lending use-case refusal.
pub(crate) fn lending_refusal(e: &LoanRefusal) -> (StatusCode, &'static str, &'static str) {
    use LoanRefusal as R;
    use StatusCode as S;
    let invalid = S::UNPROCESSABLE_ENTITY;
    match e {
        R::QuoteExpired => (invalid, "QUOTE_EXPIRED", "The quote has expired"),
        R::QuoteUsed => (S::CONFLICT, "QUOTE_USED", "The quote was already booked"),
        R::ConsentRequired => (S::FORBIDDEN, "CONSENT_REQUIRED", "Consent required"),
        R::DebitCardNotFound => (
            S::NOT_FOUND,
            "DEBIT_CARD_NOT_FOUND",
            "No such debit card of yours",
        ),
        R::DebitCardBoundElsewhere => (
            S::CONFLICT,
            "DEBIT_CARD_BOUND_ELSEWHERE",
            "Card bound by another customer",
        ),
        R::UnknownProduct { .. } => (invalid, "UNKNOWN_PRODUCT", "Unknown product"),
        R::UnknownMethod { .. } => (invalid, "UNKNOWN_METHOD", "Unknown repayment method"),
        R::UnknownPrepaymentMode { .. } => (
            invalid,
            "UNKNOWN_PREPAYMENT_MODE",
            "Unknown prepayment mode",
        ),
        R::RateNotOffered { .. } => (invalid, "RATE_NOT_OFFERED", "This rate is not offered"),
        R::ConcurrentUpdate => (S::CONFLICT, "CONCURRENT_UPDATE", "Changed meanwhile; retry"),
        R::HolderNameInvalid => (invalid, "INVALID_NAME", "Invalid name"),
    }
}

/// Status, code and title of an idempotency-key refusal.
pub(crate) fn idempotency_refusal(
    e: &IdempotencyError,
) -> (StatusCode, &'static str, &'static str) {
    use IdempotencyError as I;
    use StatusCode as S;
    match e {
        I::KeyRequired => (
            S::BAD_REQUEST,
            "IDEMPOTENCY_KEY_REQUIRED",
            "Idempotency-Key required",
        ),
        I::KeyMalformed => (
            S::BAD_REQUEST,
            "IDEMPOTENCY_KEY_MALFORMED",
            "Malformed Idempotency-Key",
        ),
        I::KeyReused => (
            S::UNPROCESSABLE_ENTITY,
            "IDEMPOTENCY_KEY_REUSED",
            "Idempotency-Key used with another request",
        ),
        I::InFlight => (
            S::CONFLICT,
            "IDEMPOTENCY_IN_FLIGHT",
            "The same request is in progress",
        ),
    }
}
