//! Stable codes of the card installment refusals (docs/api.md, "Card installments").

use axum::http::StatusCode;
use cardlife_app::installments::InstallmentError as I;

pub(crate) fn installment_refusal(e: &I) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    let invalid = S::UNPROCESSABLE_ENTITY;
    match e {
        I::PeriodsOutOfRange(_) => (invalid, "PERIODS_OUT_OF_RANGE", "Periods out of range"),
        I::NegativeRate => (invalid, "NEGATIVE_RATE", "Negative rate"),
        I::InvalidRate => (invalid, "INVALID_RATE", "Invalid rate"),
        I::NotDelinquent(_) => (
            invalid,
            "HARDSHIP_REQUIRES_DELINQUENCY",
            "Hardship plans are for accounts past due",
        ),
        I::DebitCardRequired => (
            invalid,
            "DEBIT_CARD_REQUIRED",
            "A cash installment needs one of your debit cards",
        ),
        I::UnknownFeeMode => (invalid, "UNKNOWN_FEE_MODE", "Unknown fee mode"),
        I::UnknownKind => (
            invalid,
            "UNKNOWN_INSTALLMENT_KIND",
            "Unknown installment kind",
        ),
        I::BelowMinimum(_) => (
            invalid,
            "AMOUNT_BELOW_MINIMUM",
            "Below the minimum installment amount",
        ),
        I::AboveMaximum(_) => (
            invalid,
            "AMOUNT_ABOVE_MAXIMUM",
            "Above the maximum installment amount",
        ),
        I::InvalidTerms(_) => (invalid, "INVALID_INSTALLMENT_TERMS", "Invalid terms"),
        I::InvalidPurchaseId(_) => (invalid, "INVALID_PURCHASE_ID", "Invalid purchase id"),
        I::PurchaseUnknown(_) => (invalid, "PURCHASE_UNKNOWN", "Unknown purchase"),
        I::PurchaseNotPosted(_) => (invalid, "PURCHASE_NOT_POSTED", "Purchase not posted yet"),
        I::PurchaseBilled(_) => (
            invalid,
            "PURCHASE_ALREADY_BILLED",
            "Purchase already billed",
        ),
        I::PurchaseRepaid(_) => (invalid, "PURCHASE_REPAID", "Purchase repaid or refunded"),
        I::PurchaseConverted(_) => (
            invalid,
            "PURCHASE_ALREADY_CONVERTED",
            "Purchase already converted",
        ),
        I::PlanClosed(_) => (invalid, "PLAN_CLOSED", "Plan cancelled or fully billed"),
        I::WindowClosed(_) => (
            invalid,
            "INSTALLMENT_WINDOW_CLOSED",
            "Not between the statement date and the due date",
        ),
        I::ExceedsUnconverted(_) => (
            invalid,
            "INSTALLMENT_EXCEEDS_UNCONVERTED",
            "More than the statement's unpaid, unconverted balance",
        ),
        I::OverPermanentLimit(_) => (
            invalid,
            "INSTALLMENT_OVER_PERMANENT_LIMIT",
            "The part above the permanent limit is not installable",
        ),
        I::NotConvertible(_) => (
            invalid,
            "INSTALLMENT_NOT_CONVERTIBLE",
            "Only billed purchase principal is convertible",
        ),
        I::ConsentRequired => (invalid, "CONSENT_REQUIRED", "Consent required"),
        I::UnknownQuote => (invalid, "QUOTE_UNKNOWN", "Unknown quote"),
        I::PlanNotFound(_) => (S::NOT_FOUND, "NOT_FOUND", "Not found"),
        I::PlanSettled(_) => (invalid, "PLAN_ALREADY_SETTLED", "Plan already settled"),
        I::MerchantTermsNotOffered(_) => (
            invalid,
            "MERCHANT_INSTALLMENT_NOT_OFFERED",
            "Merchant installment not offered",
        ),
        I::DuplicateTerm(_) => (invalid, "DUPLICATE_TERM", "Periods named twice"),
        I::UnknownPurpose(_) => (invalid, "UNKNOWN_PURPOSE", "Unknown purpose"),
        I::NoSpecialLimit(_) => (
            invalid,
            "NO_SPECIAL_LIMIT",
            "No special limit for this purpose",
        ),
        I::SpecialLimitExceeded(_) => (
            invalid,
            "SPECIAL_LIMIT_EXCEEDED",
            "Above what is left of the special limit",
        ),
        I::MerchantRequired => (invalid, "MERCHANT_REQUIRED", "A merchant is required"),
        I::MerchantUnknown(_) => (invalid, "MERCHANT_UNKNOWN", "Unknown merchant"),
        I::MerchantNotApproved(_) => (
            invalid,
            "MERCHANT_NOT_APPROVED",
            "The merchant is not approved",
        ),
        I::TermNotOffered(_) => (
            invalid,
            "INSTALLMENT_TERM_NOT_OFFERED",
            "The card does not offer this installment term at this price",
        ),
    }
}
