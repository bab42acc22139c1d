//! A loan product: the contract parameters every loan of it shares, validated once.

use cardlife_kernel::{Money, Rate};
use rust_decimal::Decimal;

use super::LoanError;
use crate::quote::PERIODS_MAX;

/// The regulatory per-customer cap on online unsecured personal loans (§5): 200,000.00.
pub const ONLINE_UNSECURED_CAP: Money = Money::cny(20_000_000);

/// The longest interest-only (bullet principal) term, in months.
pub const BULLET_TERM_MAX: u32 = 12;

/// How days are counted when interest accrues for part of a period or per day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DayCount {
    /// Actual days ÷ 360 (the default).
    #[default]
    Actual360,
    /// Actual days ÷ 365.
    Actual365,
}

impl DayCount {
    /// The days in a year of this convention.
    pub const fn basis(self) -> i64 {
        match self {
            Self::Actual360 => 360,
            Self::Actual365 => 365,
        }
    }
}

/// A validated loan product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoanProduct {
    annual_rate: Rate,
    day_count: DayCount,
    min_amount: Money,
    max_amount: Money,
    max_term: u32,
    bullet_max_term: u32,
    customer_cap: Money,
    penalty_multiple: Rate,
}

impl LoanProduct {
    /// A product with the defaults: actual/360, penalty 1.5× the contract rate, per-customer cap
    /// 200,000.00 and bullet term ≤ 12 months.
    pub fn new(
        annual_rate: Rate,
        min_amount: Money,
        max_amount: Money,
        max_term: u32,
    ) -> Result<Self, LoanError> {
        Self::with(
            annual_rate,
            min_amount,
            max_amount,
            max_term,
            DayCount::default(),
            Rate::new(Decimal::new(15, 1)),
            ONLINE_UNSECURED_CAP,
            BULLET_TERM_MAX.min(max_term),
        )
    }

    /// A product with every parameter given.
    #[allow(clippy::too_many_arguments)]
    pub fn with(
        annual_rate: Rate,
        min_amount: Money,
        max_amount: Money,
        max_term: u32,
        day_count: DayCount,
        penalty_multiple: Rate,
        customer_cap: Money,
        bullet_max_term: u32,
    ) -> Result<Self, LoanError> {
        if annual_rate.is_negative() {
            return Err(LoanError::NegativeRate { rate: annual_rate });
        }
        let m = penalty_multiple.as_decimal();
        if m < Decimal::ONE || m > Decimal::new(15, 1) {
            return Err(LoanError::PenaltyMultipleOutOfRange {
                multiple: penalty_multiple,
            });
        }
        if !min_amount.is_positive() || min_amount > max_amount {
            return Err(LoanError::BadAmountRange {
                min: min_amount,
                max: max_amount,
            });
        }
        if !customer_cap.is_positive() || customer_cap > ONLINE_UNSECURED_CAP {
            return Err(LoanError::CustomerCapOutOfRange {
                cap: customer_cap,
                limit: ONLINE_UNSECURED_CAP,
            });
        }
        if max_amount > customer_cap {
            return Err(LoanError::MaxAboveCustomerCap {
                max: max_amount,
                cap: customer_cap,
            });
        }
        if max_term == 0 || max_term > PERIODS_MAX {
            return Err(LoanError::TermTooLong {
                months: max_term,
                max: PERIODS_MAX,
            });
        }
        if bullet_max_term == 0 || bullet_max_term > BULLET_TERM_MAX || bullet_max_term > max_term {
            return Err(LoanError::BulletTermOutOfRange {
                months: bullet_max_term,
            });
        }
        Ok(Self {
            annual_rate,
            day_count,
            min_amount,
            max_amount,
            max_term,
            bullet_max_term,
            customer_cap,
            penalty_multiple,
        })
    }

    /// The nominal contract rate a year.
    pub const fn annual_rate(&self) -> Rate {
        self.annual_rate
    }
    /// The day count for stub and per-day interest.
    pub const fn day_count(&self) -> DayCount {
        self.day_count
    }
    /// The smallest amount lent.
    pub const fn min_amount(&self) -> Money {
        self.min_amount
    }
    /// The largest amount lent.
    pub const fn max_amount(&self) -> Money {
        self.max_amount
    }
    /// The longest amortizing term, in months.
    pub const fn max_term(&self) -> u32 {
        self.max_term
    }
    /// The longest interest-only term, in months (≤ 12).
    pub const fn bullet_max_term(&self) -> u32 {
        self.bullet_max_term
    }
    /// The most principal one customer may owe on such loans.
    pub const fn customer_cap(&self) -> Money {
        self.customer_cap
    }
    /// Penalty rate ÷ contract rate.
    pub const fn penalty_multiple(&self) -> Rate {
        self.penalty_multiple
    }
    /// The overdue penalty rate a year: contract rate × multiple.
    pub fn penalty_rate(&self) -> Decimal {
        self.annual_rate.as_decimal() * self.penalty_multiple.as_decimal()
    }

    /// Checks an amount against the range and the per-customer cap given what the customer
    /// already owes on such loans.
    pub fn check_amount(&self, amount: Money, outstanding: Money) -> Result<(), LoanError> {
        if amount < self.min_amount || amount > self.max_amount {
            return Err(LoanError::AmountOutOfRange {
                amount,
                min: self.min_amount,
                max: self.max_amount,
            });
        }
        if outstanding.checked_add(amount)? > self.customer_cap {
            return Err(LoanError::CustomerCapExceeded {
                outstanding,
                amount,
                cap: self.customer_cap,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn yuan(s: &str) -> Money {
        Money::parse_cny(s).unwrap()
    }

    #[test]
    fn a_product_gets_the_documented_defaults() {
        let p = LoanProduct::new(
            Rate::parse("0.04").unwrap(),
            yuan("1000.00"),
            yuan("200000.00"),
            60,
        )
        .unwrap();
        assert_eq!(p.day_count(), DayCount::Actual360);
        assert_eq!(p.penalty_multiple().to_string(), "1.5");
        assert_eq!(p.customer_cap(), yuan("200000.00"));
        assert_eq!(p.bullet_max_term(), 12);
        assert_eq!(p.penalty_rate(), Decimal::new(6, 2));
    }

    #[test]
    fn a_product_above_the_200k_cap_or_with_bad_parameters_is_refused() {
        let r = Rate::parse("0.04").unwrap();
        assert!(matches!(
            LoanProduct::new(r, yuan("1000.00"), yuan("200000.01"), 60),
            Err(LoanError::MaxAboveCustomerCap { .. })
        ));
        assert!(matches!(
            LoanProduct::new(r, yuan("0.00"), yuan("100.00"), 60),
            Err(LoanError::BadAmountRange { .. })
        ));
        assert!(matches!(
            LoanProduct::new(r, yuan("1.00"), yuan("100.00"), 61),
            Err(LoanError::TermTooLong { .. })
        ));
        let bad = LoanProduct::with(
            r,
            yuan("1.00"),
            yuan("100.00"),
            60,
            DayCount::Actual360,
            Rate::parse("2").unwrap(),
            ONLINE_UNSECURED_CAP,
            12,
        );
        assert!(matches!(
            bad,
            Err(LoanError::PenaltyMultipleOutOfRange { .. })
        ));
        let bullet = LoanProduct::with(
            r,
            yuan("1.00"),
            yuan("100.00"),
            60,
            DayCount::Actual360,
            Rate::parse("1.5").unwrap(),
            ONLINE_UNSECURED_CAP,
            13,
        );
        assert_eq!(bullet, Err(LoanError::BulletTermOutOfRange { months: 13 }));
    }

    #[test]
    fn the_per_customer_cap_counts_what_the_customer_already_owes() {
        let p = LoanProduct::new(
            Rate::parse("0.04").unwrap(),
            yuan("1000.00"),
            yuan("200000.00"),
            60,
        )
        .unwrap();
        assert!(p.check_amount(yuan("150000.00"), yuan("50000.00")).is_ok());
        assert!(matches!(
            p.check_amount(yuan("150000.00"), yuan("50000.01")),
            Err(LoanError::CustomerCapExceeded { .. })
        ));
    }
}
