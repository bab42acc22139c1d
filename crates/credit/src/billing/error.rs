//! What can go wrong in billing: one enum, precise predicates as variants.

use cardlife_kernel::MoneyError;
use jiff::civil::Date;

/// A billing failure: an invalid product or scenario, a declined authorisation, or a broken
/// invariant (which is a bug, reported rather than panicked on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    /// A product parameter is out of its allowed range.
    #[error("invalid product: {0}")]
    InvalidProduct(String),
    /// The account itself is invalid (a non-positive credit limit, say).
    #[error("invalid account: {0}")]
    InvalidAccount(String),
    /// An event is malformed or out of order.
    #[error("event {index} on {date}: {reason}")]
    InvalidEvent {
        /// 1-based position of the event in its file.
        index: usize,
        /// Its date.
        date: Date,
        /// What is wrong.
        reason: String,
    },
    /// An authorisation asked for more than the available credit.
    #[error("event {index} on {date}: declined, {amount} exceeds the available {available}")]
    CreditLimitExceeded {
        /// 1-based position of the event.
        index: usize,
        /// Its date.
        date: Date,
        /// What was asked for (with any fee).
        amount: String,
        /// What was available.
        available: String,
    },
    /// Money arithmetic overflowed or mixed currencies.
    #[error("money: {0}")]
    Money(#[from] MoneyError),
    /// A date fell outside the calendar.
    #[error("date out of range: {0}")]
    Date(String),
    /// The ledger refused a transfer the engine built (a bug).
    #[error("ledger refused a {what}: {result}")]
    LedgerRefused {
        /// Which posting.
        what: &'static str,
        /// The ledger's result code.
        result: String,
    },
    /// An internal invariant failed (a bug).
    #[error("invariant broken: {0}")]
    Invariant(String),
}

impl From<jiff::Error> for BillingError {
    fn from(e: jiff::Error) -> Self {
        Self::Date(e.to_string())
    }
}
