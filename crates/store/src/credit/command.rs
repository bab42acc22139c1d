//! The stored form of a credit event (`credit_events.event`, JSON): the engine's
//! [`EventKind`] for the commands the API issues. Field names are a storage contract: add
//! variants, never rename.

use cardlife_credit::billing::{EventKind, PurchaseRef, Terms};
use cardlife_credit::quote::FeeMode;
use cardlife_credit::quote::plan::Purpose;
use cardlife_kernel::{Money, Rate};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// One stored event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StoredEvent {
    /// A payment (repayment) from the cardholder.
    Payment {
        /// Fen.
        amount_fen: i64,
    },
    /// A cash advance (ATM, or 急用钱 to the holder's own debit card), posted after the lag.
    CashAdvance {
        /// Fen.
        amount_fen: i64,
    },
    /// A merchant refund, posted after the lag.
    Refund {
        /// Fen.
        amount_fen: i64,
    },
    /// A network authorisation, pending until captured, reversed or expired.
    Authorise {
        /// Fen.
        amount_fen: i64,
        /// A cash advance.
        cash: bool,
    },
    /// Capture of an authorisation (by its hold id in the card's ledger).
    Capture {
        /// The hold id.
        hold: u64,
        /// Fen.
        amount_fen: i64,
    },
    /// Reversal of an authorisation.
    Reverse {
        /// The hold id.
        hold: u64,
    },
    /// A temporary limit through `until`.
    TempLimit {
        /// Fen.
        amount_fen: i64,
        /// Last valid day.
        until: Date,
    },
    /// A bill installment (账单分期) of the latest statement, booked with the holder's consent.
    BillInstallment {
        /// Fen.
        amount_fen: i64,
        /// 1–60.
        periods: u32,
        /// The fee rate per period in units of 10⁻⁸ (0.6% = 600000).
        rate_e8: i64,
        /// The fee charged at booking rather than per period.
        upfront: bool,
    },
    /// A purchase installment (消费分期) of the posted, unbilled purchase with hold `hold`,
    /// booked with the holder's consent.
    PurchaseInstallment {
        /// The purchase's hold id in the card's ledger.
        hold: u64,
        /// 1–60.
        periods: u32,
        /// The fee rate per period in units of 10⁻⁸.
        rate_e8: i64,
        /// The fee charged at booking rather than per period.
        upfront: bool,
    },
    /// A cash installment (现金分期) paid out to the holder's own bound debit card, booked with
    /// the holder's consent.
    CashInstallment {
        /// Fen.
        amount_fen: i64,
        /// 1–60.
        periods: u32,
        /// The fee rate per period in units of 10⁻⁸.
        rate_e8: i64,
        /// The fee charged at booking rather than per period.
        upfront: bool,
        /// The holder's debit card paid (its id among the bound debit cards).
        debit_card: uuid::Uuid,
    },
    /// A hardship plan (个性化分期) of a delinquent account's billed principal.
    HardshipInstallment {
        /// Fen.
        amount_fen: i64,
        /// 1–60.
        periods: u32,
        /// The fee rate per period in units of 10⁻⁸.
        rate_e8: i64,
        /// The fee charged at booking rather than per period.
        upfront: bool,
    },
    /// A special-purpose plan (专项分期) paid to merchant `merchant`, booked with the holder's
    /// consent under the account's special limit for `purpose` (`limit_fen`, as granted then).
    SpecialInstallment {
        /// Fen.
        amount_fen: i64,
        /// 1–60.
        periods: u32,
        /// The fee rate per period in units of 10⁻⁸.
        rate_e8: i64,
        /// The fee charged at booking rather than per period.
        upfront: bool,
        /// What it finances.
        purpose: Purpose,
        /// The merchant paid.
        merchant: uuid::Uuid,
        /// The account's special limit for `purpose` when it was booked, fen.
        limit_fen: i64,
    },
    /// A merchant refund of the purchase with hold `hold`, posted after the lag; a full refund
    /// cancels the installment plan that converted it.
    PurchaseRefund {
        /// The purchase's hold id in the card's ledger.
        hold: u64,
        /// Fen.
        amount_fen: i64,
    },
    /// Early settlement of installment plan `plan` (1-based, in booking order).
    SettleInstallment {
        /// The plan's number.
        plan: usize,
    },
    /// Frozen by the bank.
    Freeze,
    /// Unfrozen.
    Unfreeze,
    /// Closed.
    Close,
}

/// Installment terms as stored: periods, the rate in 10⁻⁸ and the fee mode.
fn terms(periods: u32, rate_e8: i64, upfront: bool) -> Terms {
    Terms {
        periods,
        rate: Rate::new(rust_decimal::Decimal::new(rate_e8, 8)),
        fee_mode: if upfront {
            FeeMode::Upfront
        } else {
            FeeMode::PerPeriod
        },
    }
}

impl StoredEvent {
    /// The engine's event.
    pub fn kind(self) -> EventKind {
        let m = Money::cny;
        match self {
            Self::Payment { amount_fen } => EventKind::Payment {
                amount: m(amount_fen),
            },
            Self::CashAdvance { amount_fen } => EventKind::CashAdvance {
                amount: m(amount_fen),
            },
            Self::Refund { amount_fen } => EventKind::Refund {
                amount: m(amount_fen),
            },
            Self::Authorise { amount_fen, cash } => EventKind::Authorise {
                amount: m(amount_fen),
                cash,
            },
            Self::Capture { hold, amount_fen } => EventKind::Capture {
                hold: u128::from(hold),
                amount: m(amount_fen),
            },
            Self::Reverse { hold } => EventKind::Reverse {
                hold: u128::from(hold),
            },
            Self::TempLimit { amount_fen, until } => EventKind::TempLimit {
                amount: m(amount_fen),
                until,
            },
            Self::BillInstallment {
                amount_fen,
                periods,
                rate_e8,
                upfront,
            } => EventKind::BillInstallment {
                amount: m(amount_fen),
                terms: terms(periods, rate_e8, upfront),
            },
            Self::PurchaseInstallment {
                hold,
                periods,
                rate_e8,
                upfront,
            } => EventKind::PurchaseInstallment {
                purchase: PurchaseRef::Hold(u128::from(hold)),
                terms: terms(periods, rate_e8, upfront),
            },
            Self::CashInstallment {
                amount_fen,
                periods,
                rate_e8,
                upfront,
                ..
            } => EventKind::CashInstallment {
                amount: m(amount_fen),
                terms: terms(periods, rate_e8, upfront),
            },
            Self::HardshipInstallment {
                amount_fen,
                periods,
                rate_e8,
                upfront,
            } => EventKind::HardshipInstallment {
                amount: m(amount_fen),
                terms: terms(periods, rate_e8, upfront),
            },
            Self::SpecialInstallment {
                amount_fen,
                periods,
                rate_e8,
                upfront,
                purpose,
                merchant,
                limit_fen,
            } => EventKind::SpecialInstallment {
                amount: m(amount_fen),
                terms: terms(periods, rate_e8, upfront),
                purpose,
                merchant: merchant.as_u128(),
                limit: m(limit_fen),
            },
            Self::PurchaseRefund { hold, amount_fen } => EventKind::PurchaseRefund {
                hold: u128::from(hold),
                amount: m(amount_fen),
            },
            Self::SettleInstallment { plan } => EventKind::SettleInstallment { plan },
            Self::Freeze => EventKind::Freeze,
            Self::Unfreeze => EventKind::Unfreeze,
            Self::Close => EventKind::Close,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_stored_form_is_tagged_json_with_integer_fen() {
        let e = StoredEvent::Capture {
            hold: 7,
            amount_fen: 12_345,
        };
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(text, r#"{"type":"capture","hold":7,"amount_fen":12345}"#);
        assert_eq!(serde_json::from_str::<StoredEvent>(&text).unwrap(), e);
    }
}
