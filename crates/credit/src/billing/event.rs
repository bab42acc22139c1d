//! What happens to a card on a day: the inputs of the engine.

use cardlife_kernel::Money;
use jiff::civil::Date;

/// One event, received on `date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// The transaction (or receipt) date.
    pub date: Date,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of event the engine runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A purchase: authorised at once, posted `posting_lag_days` later.
    Purchase {
        /// Its amount.
        amount: Money,
    },
    /// A refund: a credit, posted `posting_lag_days` later.
    Refund {
        /// Its amount.
        amount: Money,
    },
    /// A cash advance (ATM or overdraft transfer); its fee posts with it.
    CashAdvance {
        /// Its amount.
        amount: Money,
    },
    /// A payment, posted the day it is received.
    Payment {
        /// Its amount.
        amount: Money,
    },
    /// A temporary limit increase valid from the event date through `until`.
    TempLimit {
        /// Added to the limit.
        amount: Money,
        /// Last valid date.
        until: Date,
    },
}

impl EventKind {
    /// The amount the event carries.
    pub fn amount(self) -> Money {
        match self {
            Self::Purchase { amount }
            | Self::Refund { amount }
            | Self::CashAdvance { amount }
            | Self::Payment { amount }
            | Self::TempLimit { amount, .. } => amount,
        }
    }
}
