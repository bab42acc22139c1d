//! Why a quote could not be made: one variant per precise reason.

use cardlife_kernel::{Money, MoneyError, Rate};

/// Why an installment or loan quote was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    /// The amount to finance is zero or negative.
    #[error("amount must be above zero, got {amount}")]
    AmountNotPositive {
        /// The amount asked for.
        amount: Money,
    },
    /// The term is 0 or longer than the longest term allowed.
    #[error("periods must be from 1 to {max}, got {periods}")]
    PeriodsOutOfRange {
        /// The number of periods asked for.
        periods: u32,
        /// The longest term allowed ([`super::PERIODS_MAX`]).
        max: u32,
    },
    /// A fee or interest rate below zero.
    #[error("rate must not be negative, got {rate}")]
    NegativeRate {
        /// The rate given.
        rate: Rate,
    },
    /// An upfront fee that takes the whole amount (or more): nothing would be financed.
    #[error("upfront fee {fee} is not below the amount {amount}")]
    UpfrontFeeNotBelowAmount {
        /// The upfront fee, half-up(amount × rate × periods).
        fee: Money,
        /// The amount financed.
        amount: Money,
    },
    /// A fee mode other than `per_period` or `upfront`.
    #[error("unknown fee mode {given:?}, expected per_period or upfront")]
    UnknownFeeMode {
        /// The text given.
        given: String,
    },
    /// A repayment method other than `equal_installment` or `equal_principal`.
    #[error("unknown method {given:?}, expected equal_installment or equal_principal")]
    UnknownMethod {
        /// The text given.
        given: String,
    },
    /// Cash flows for the rate solve with no payment at all.
    #[error("no payments to solve the annualised rate from")]
    NoPayments,
    /// Cash flows whose payments total less than the amount received: the rate would be negative.
    #[error("payments total {payments} is below the amount received {received}")]
    PaymentsBelowAmountReceived {
        /// The sum of the payments.
        payments: Money,
        /// The amount received at time 0.
        received: Money,
    },
    /// The schedule costs more than [`super::MONTHLY_RATE_MAX`] a month: not a real product.
    #[error("annualised rate above 120000% (10000% a month): check the rate")]
    AnnualisedRateTooHigh,
    /// The rate solve did not reach the required accuracy (a defect, never expected).
    #[error("the annualised rate solve did not converge")]
    RateSolveDidNotConverge,
    /// A number beyond the exact decimal range (an absurd amount or rate).
    #[error("amount or rate too large to quote")]
    OutOfRange,
    /// A money operation failed (overflow or mixed currencies).
    #[error(transparent)]
    Money(#[from] MoneyError),
}
