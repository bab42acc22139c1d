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
    /// An installment booking, conversion or settlement refused by the card's rules
    /// (docs/domain.md §4); [`InstallmentRefusal`] says which rule, `reason` says it in words.
    #[error("event {index} on {date}: {reason}")]
    Installment {
        /// 1-based position of the event.
        index: usize,
        /// Its date.
        date: Date,
        /// Which rule refused it.
        refusal: InstallmentRefusal,
        /// What is wrong, in words.
        reason: String,
    },
    /// An authorisation asked for more than the available credit (`insufficient_credit`) or,
    /// for a cash advance, more than the cash limit left (`cash_limit_exceeded`).
    #[error(
        "event {index} on {date}: declined, {amount} exceeds the available {available} [{code}]"
    )]
    CreditLimitExceeded {
        /// 1-based position of the event.
        index: usize,
        /// Its date.
        date: Date,
        /// What was asked for (with any fee).
        amount: String,
        /// What was available.
        available: String,
        /// `InsufficientCredit` or `CashLimitExceeded`.
        code: DeclineCode,
    },
    /// An authorisation declined because of the account's status or the card's expiry
    /// (`account_frozen`, `account_closed`, `card_expired`).
    #[error("event {index} on {date}: declined, {reason} [{code}]")]
    Declined {
        /// 1-based position of the event.
        index: usize,
        /// Its date.
        date: Date,
        /// The decline code.
        code: DeclineCode,
        /// Why, in words.
        reason: String,
    },
    /// A payment received after the account was closed: refused, nothing changes.
    #[error(
        "event {index} on {date}: a payment on a closed account is refused (closed on {closed_on})"
    )]
    PaymentOnClosedAccount {
        /// 1-based position of the event.
        index: usize,
        /// Its date.
        date: Date,
        /// When the account was closed.
        closed_on: Date,
    },
    /// A `close` while something is still owed, owed back, pending or accruing.
    #[error("event {index} on {date}: the account cannot be closed: {reason}")]
    CloseRefused {
        /// 1-based position of the event.
        index: usize,
        /// Its date.
        date: Date,
        /// What is still open (a non-zero balance, say).
        reason: String,
    },
    /// A capture or reversal names no pending authorisation (unknown, already captured,
    /// reversed or expired).
    #[error("event {index} on {date}: no pending authorisation has hold id {hold}")]
    UnknownAuthorisation {
        /// 1-based position of the event.
        index: usize,
        /// Its date.
        date: Date,
        /// The hold id named.
        hold: u128,
    },
    /// A capture of more than the authorisation holds.
    #[error("event {index} on {date}: capture {amount} exceeds the {authorised} authorised")]
    CaptureExceedsAuthorisation {
        /// 1-based position of the event.
        index: usize,
        /// Its date.
        date: Date,
        /// What was to be captured.
        amount: String,
        /// What the authorisation holds.
        authorised: String,
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

/// Which installment rule refused an event (docs/domain.md §4): the stable kinds behind
/// [`BillingError::Installment`], so callers map refusals by type, not by message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstallmentRefusal {
    /// Periods not from 1 to 60, or a negative rate: the terms cannot be quoted.
    Terms,
    /// Below the product's minimum installment amount.
    BelowMinimum,
    /// Above the product's maximum installment amount.
    AboveMaximum,
    /// No statement yet, or not after its statement date and by its due date.
    WindowClosed,
    /// More than the statement's balance still unpaid and not already converted.
    ExceedsUnconverted,
    /// The part of the statement above the permanent limit (a temporary-limit overdraft).
    OverPermanentLimit,
    /// Not billed purchase principal (fees, interest, cash advances, installments).
    NotConvertible,
    /// No such purchase on the account.
    PurchaseUnknown,
    /// The purchase is authorised but not posted yet.
    PurchaseNotPosted,
    /// The purchase is billed already (a bill installment converts it).
    PurchaseBilled,
    /// The purchase is repaid or refunded: nothing left to convert.
    PurchaseRepaid,
    /// The purchase is converted already.
    PurchaseConverted,
    /// A hardship plan on an account that is not delinquent.
    NotDelinquent,
    /// A special-purpose plan above what is left of the account's special limit for its
    /// purpose (no limit granted: nothing is left).
    SpecialLimitExceeded,
    /// No such plan.
    PlanUnknown,
    /// The plan is settled, cancelled or fully billed already.
    PlanClosed,
}

/// Why an authorisation (a purchase or a cash advance) was declined; [`DeclineCode::name`] is
/// the stable snake_case code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeclineCode {
    /// Amount (with any cash fee) above the available credit (rule 10).
    InsufficientCredit,
    /// The account is frozen.
    AccountFrozen,
    /// The account is closed.
    AccountClosed,
    /// The card expired before the transaction date.
    CardExpired,
    /// A cash advance above what is left of the cash limit (rule 8).
    CashLimitExceeded,
}

impl DeclineCode {
    /// Every code, in the order the engine checks them (status, expiry, credit, cash limit).
    pub const ALL: [Self; 5] = [
        Self::AccountClosed,
        Self::AccountFrozen,
        Self::CardExpired,
        Self::InsufficientCredit,
        Self::CashLimitExceeded,
    ];

    /// The stable snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::InsufficientCredit => "insufficient_credit",
            Self::AccountFrozen => "account_frozen",
            Self::AccountClosed => "account_closed",
            Self::CardExpired => "card_expired",
            Self::CashLimitExceeded => "cash_limit_exceeded",
        }
    }
}

impl std::fmt::Display for DeclineCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl BillingError {
    /// The decline code of a declined authorisation.
    pub fn decline_code(&self) -> Option<DeclineCode> {
        match self {
            Self::CreditLimitExceeded { code, .. } | Self::Declined { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// A refusal found before an authorisation changes the engine (a decline, or an invalid
    /// day or amount): see [`super::Engine::receive_in_place`].
    pub fn refused_unchanged(&self) -> bool {
        matches!(
            self,
            Self::CreditLimitExceeded { .. } | Self::Declined { .. } | Self::InvalidEvent { .. }
        )
    }
}

impl From<jiff::Error> for BillingError {
    fn from(e: jiff::Error) -> Self {
        Self::Date(e.to_string())
    }
}
