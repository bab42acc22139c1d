//! What happens to a card on a day: the inputs of the engine.

use cardlife_kernel::{Money, Rate};
use jiff::civil::Date;

use crate::quote::FeeMode;
use crate::quote::plan::Purpose;

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
    /// A bill installment (账单分期): `amount` of the latest statement, requested after its
    /// statement date and by its due date.
    BillInstallment {
        /// The part of the statement converted.
        amount: Money,
        /// Periods, rate and fee mode.
        terms: Terms,
    },
    /// A purchase installment (消费分期) of a posted, unbilled purchase.
    PurchaseInstallment {
        /// The purchase converted.
        purchase: PurchaseRef,
        /// Periods, rate and fee mode.
        terms: Terms,
    },
    /// A merchant refund of one purchase (named by its hold id): a refund like
    /// [`EventKind::Refund`]; when the purchase's refunds reach its whole amount and it was
    /// converted into an installment plan, the plan is cancelled as the refund posts.
    PurchaseRefund {
        /// The purchase's hold id.
        hold: u128,
        /// The amount refunded.
        amount: Money,
    },
    /// A cash installment (现金分期): `amount` paid out to the holder's own debit card now
    /// (through cash clearing, as a cash advance is) and repaid by installments.
    CashInstallment {
        /// The amount disbursed.
        amount: Money,
        /// Periods, rate and fee mode.
        terms: Terms,
    },
    /// A hardship plan (个性化分期) on a delinquent account: `amount` of its billed purchase and
    /// cash principal restructured into installments; it covers the missed minimums.
    HardshipInstallment {
        /// The billed principal restructured.
        amount: Money,
        /// Periods, rate and fee mode.
        terms: Terms,
    },
    /// A special-purpose plan (专项分期): `amount` paid to merchant `merchant` now (through
    /// merchant clearing, as a captured purchase is) straight into unbilled installment
    /// principal, under the account's special limit for `purpose` — `limit`, as granted when
    /// the plan was booked — not under its credit limit.
    SpecialInstallment {
        /// The amount paid to the merchant.
        amount: Money,
        /// Periods, rate and fee mode.
        terms: Terms,
        /// What it finances.
        purpose: Purpose,
        /// The merchant paid (its id as a number: the engine only keeps it).
        merchant: u128,
        /// The account's special limit for `purpose` at booking.
        limit: Money,
    },
    /// Early settlement of an installment plan.
    SettleInstallment {
        /// 1-based index of the plan among the installment events received.
        plan: usize,
    },
    /// An authorisation from the card network: a pending hold (rule 10) that stays pending
    /// until it is captured ([`EventKind::Capture`]), reversed ([`EventKind::Reverse`]) or
    /// expires `authorisation_expiry_days` after its date. It is named by its hold's transfer
    /// id in the card's ledger ([`super::Engine::last_hold`]).
    Authorise {
        /// The amount held.
        amount: Money,
        /// A cash advance (its fee posts with the capture) rather than a purchase.
        cash: bool,
    },
    /// Capture of a pending authorisation: `amount` (at most the amount held) posts today;
    /// the rest is released.
    Capture {
        /// The authorisation's hold id.
        hold: u128,
        /// The amount captured.
        amount: Money,
    },
    /// Reversal (void) of a pending authorisation: the whole hold is released.
    Reverse {
        /// The authorisation's hold id.
        hold: u128,
    },
    /// The account is frozen: purchases and cash advances are declined (`account_frozen`);
    /// payments and refunds are still accepted.
    Freeze,
    /// A frozen account becomes active again.
    Unfreeze,
    /// The account is closed; requires a zero balance with nothing pending or accruing.
    Close,
}

/// How a purchase installment names its purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurchaseRef {
    /// The n-th (1-based) `purchase` event received (scenario files).
    Nth(usize),
    /// The purchase's hold id in the card's ledger: stable whether it arrived as a `purchase`
    /// or as an authorisation and its capture (the API; [`super::Engine::last_hold`]).
    Hold(u128),
}

/// The terms of an installment plan as requested (checked when it is booked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    /// Number of monthly periods (1–60).
    pub periods: u32,
    /// Fee rate per period.
    pub rate: Rate,
    /// Per period (default) or upfront.
    pub fee_mode: FeeMode,
}

impl EventKind {
    /// The amount the event carries, if it carries one.
    pub fn amount(self) -> Option<Money> {
        match self {
            Self::Purchase { amount }
            | Self::Refund { amount }
            | Self::PurchaseRefund { amount, .. }
            | Self::CashAdvance { amount }
            | Self::Payment { amount }
            | Self::TempLimit { amount, .. }
            | Self::BillInstallment { amount, .. }
            | Self::CashInstallment { amount, .. }
            | Self::HardshipInstallment { amount, .. }
            | Self::SpecialInstallment { amount, .. }
            | Self::Authorise { amount, .. }
            | Self::Capture { amount, .. } => Some(amount),
            Self::PurchaseInstallment { .. }
            | Self::Reverse { .. }
            | Self::SettleInstallment { .. }
            | Self::Freeze
            | Self::Unfreeze
            | Self::Close => None,
        }
    }

    /// Whether the cardholder initiated it (rule 12's "customer transaction"): purchases, cash
    /// advances, authorisations, payments and installment requests; not captures or reversals
    /// (the acquirer's), refunds (the merchant's), temporary
    /// limits or status changes (the bank's).
    pub fn is_customer_initiated(self) -> bool {
        matches!(
            self,
            Self::Purchase { .. }
                | Self::CashAdvance { .. }
                | Self::Authorise { .. }
                | Self::Payment { .. }
                | Self::BillInstallment { .. }
                | Self::PurchaseInstallment { .. }
                | Self::CashInstallment { .. }
                | Self::HardshipInstallment { .. }
                | Self::SpecialInstallment { .. }
                | Self::SettleInstallment { .. }
        )
    }

    /// The terms of an installment booking.
    pub fn terms(self) -> Option<Terms> {
        match self {
            Self::BillInstallment { terms, .. }
            | Self::PurchaseInstallment { terms, .. }
            | Self::CashInstallment { terms, .. }
            | Self::HardshipInstallment { terms, .. }
            | Self::SpecialInstallment { terms, .. } => Some(terms),
            _ => None,
        }
    }
}
