//! Why a loan product or loan operation was refused: one variant per precise reason.

use cardlife_kernel::{Money, MoneyError, Rate};
use jiff::civil::Date;

use crate::quote::QuoteError;

/// Why a loan product is invalid or a loan operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoanError {
    /// The contract annual rate is below zero.
    #[error("annual rate must not be negative, got {rate}")]
    NegativeRate {
        /// The rate given.
        rate: Rate,
    },
    /// The penalty multiple is outside 1 ..= 1.5 (penalty 0–50% above the contract rate).
    #[error("penalty multiple must be from 1 to 1.5, got {multiple}")]
    PenaltyMultipleOutOfRange {
        /// The multiple given.
        multiple: Rate,
    },
    /// The minimum amount is not above zero or is above the maximum.
    #[error("amount range {min} ..= {max} is empty or not positive")]
    BadAmountRange {
        /// The minimum.
        min: Money,
        /// The maximum.
        max: Money,
    },
    /// The product maximum is above the per-customer cap.
    #[error("maximum amount {max} is above the per-customer cap {cap}")]
    MaxAboveCustomerCap {
        /// The product maximum.
        max: Money,
        /// The per-customer cap.
        cap: Money,
    },
    /// The per-customer cap is not positive or above the regulatory 200,000.00.
    #[error("per-customer cap {cap} must be above zero and at most {limit}")]
    CustomerCapOutOfRange {
        /// The cap given.
        cap: Money,
        /// The regulatory limit (§5: 200,000.00 online unsecured).
        limit: Money,
    },
    /// The bullet (interest-only) term exceeds 12 months or the product's maximum term.
    #[error("bullet term limit {months} must be from 1 to 12 and within the maximum term")]
    BulletTermOutOfRange {
        /// The limit given.
        months: u32,
    },
    /// The consent flag was not `true`.
    #[error("the customer has not consented to the quote")]
    NoConsent,
    /// The quote's rate differs from the product's contract rate.
    #[error("quote rate {quoted} differs from the product rate {product}")]
    RateMismatch {
        /// The quote's rate.
        quoted: Rate,
        /// The product's rate.
        product: Rate,
    },
    /// The amount is outside the product's range.
    #[error("amount {amount} is outside {min} ..= {max}")]
    AmountOutOfRange {
        /// The amount asked for.
        amount: Money,
        /// The product minimum.
        min: Money,
        /// The product maximum.
        max: Money,
    },
    /// The term is longer than the product allows (for this repayment method).
    #[error("term of {months} months is above the limit of {max}")]
    TermTooLong {
        /// The term asked for.
        months: u32,
        /// The limit.
        max: u32,
    },
    /// The customer's outstanding loans plus this one exceed the per-customer cap.
    #[error("outstanding {outstanding} plus {amount} exceeds the per-customer cap {cap}")]
    CustomerCapExceeded {
        /// Principal the customer already owes on such loans.
        outstanding: Money,
        /// The amount asked for.
        amount: Money,
        /// The cap.
        cap: Money,
    },
    /// The disbursement target is not an account of the loan's holder.
    #[error("disbursement must go to the holder's own debit account")]
    NotHoldersAccount,
    /// The operation is not allowed in the loan's current state.
    #[error("cannot {action} a loan that is {status}")]
    WrongStatus {
        /// What was attempted.
        action: &'static str,
        /// The loan's status.
        status: &'static str,
    },
    /// A date earlier than the loan's last event.
    #[error("{date} is before the loan's last event on {last}")]
    DateInPast {
        /// The date given.
        date: Date,
        /// The last event's date.
        last: Date,
    },
    /// A repayment amount that is zero or negative.
    #[error("repayment must be above zero, got {amount}")]
    RepaymentNotPositive {
        /// The amount given.
        amount: Money,
    },
    /// What is left for prepayment does not exceed the interest accrued to date.
    #[error("prepayment {available} does not exceed the accrued interest {accrued}")]
    PrepaymentNotAboveAccruedInterest {
        /// Left after everything due.
        available: Money,
        /// Interest accrued since the last due date.
        accrued: Money,
    },
    /// A repayment above everything owed (including interest accrued to date).
    #[error("repayment {amount} exceeds the payoff amount {payoff}")]
    Overpayment {
        /// The amount given.
        amount: Money,
        /// The most that could be taken on that date.
        payoff: Money,
    },
    /// A draw amount that is zero or negative.
    #[error("a draw must be above zero, got {amount}")]
    DrawNotPositive {
        /// The amount given.
        amount: Money,
    },
    /// A draw above what the line still has available.
    #[error("draw {amount} exceeds the available line {available}")]
    LineExceeded {
        /// The amount asked for.
        amount: Money,
        /// What the line still had.
        available: Money,
    },
    /// A quote could not be made.
    #[error(transparent)]
    Quote(#[from] QuoteError),
    /// A money operation failed (overflow or mixed currencies).
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// A date computation failed (out of range).
    #[error("date out of range: {0}")]
    Date(String),
}

impl From<jiff::Error> for LoanError {
    fn from(e: jiff::Error) -> Self {
        Self::Date(e.to_string())
    }
}
