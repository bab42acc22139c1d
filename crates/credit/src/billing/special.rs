//! Special-purpose installments (专项分期, docs/domain.md §4) as product data: the amount range
//! of each purpose. The limit itself is the account's, granted per purpose by the bank and
//! carried on the booking event, so a replay judges the booking against the limit it was made
//! under.

use cardlife_kernel::Money;
use serde::Deserialize;

use super::error::BillingError;
use crate::quote::plan::Purpose;

/// The smallest and largest amount of one purpose's plan, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmountRange {
    /// The smallest amount.
    pub min: Money,
    /// The largest amount.
    pub max: Money,
}

impl AmountRange {
    const fn cny(min: i64, max: i64) -> Self {
        Self {
            min: Money::cny(min),
            max: Money::cny(max),
        }
    }
}

/// The amount range of each purpose (defaults: auto 30,000.00–500,000.00; travel
/// 1,000.00–100,000.00; education 1,000.00–200,000.00; home improvement 10,000.00–300,000.00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpecialAmounts {
    /// 汽车分期.
    pub auto: AmountRange,
    /// 旅游分期.
    pub travel: AmountRange,
    /// 教育分期.
    pub education: AmountRange,
    /// 家装分期.
    pub home_improvement: AmountRange,
}

impl Default for SpecialAmounts {
    fn default() -> Self {
        Self {
            auto: AmountRange::cny(3_000_000, 50_000_000),
            travel: AmountRange::cny(100_000, 10_000_000),
            education: AmountRange::cny(100_000, 20_000_000),
            home_improvement: AmountRange::cny(1_000_000, 30_000_000),
        }
    }
}

impl SpecialAmounts {
    /// The range of `purpose`.
    pub const fn of(&self, purpose: Purpose) -> AmountRange {
        match purpose {
            Purpose::Auto => self.auto,
            Purpose::Travel => self.travel,
            Purpose::Education => self.education,
            Purpose::HomeImprovement => self.home_improvement,
        }
    }

    /// Each range positive and ordered.
    pub fn validate(&self) -> Result<(), BillingError> {
        for purpose in Purpose::ALL {
            let r = self.of(purpose);
            if !r.min.is_positive() || r.min > r.max {
                return Err(BillingError::InvalidProduct(format!(
                    "special_amounts.{}: min must be positive and at most max",
                    purpose.as_str()
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_a_reversed_range_is_refused() {
        assert!(SpecialAmounts::default().validate().is_ok());
        let bad = SpecialAmounts {
            travel: AmountRange::cny(200, 100),
            ..SpecialAmounts::default()
        };
        assert!(bad.validate().is_err());
    }
}
