//! The term of a plan in monthly periods, validated once.

use super::QuoteError;

/// The longest term of an installment plan or loan, in periods (docs/domain.md §4: ≤ 60).
pub const PERIODS_MAX: u32 = 60;

/// A number of monthly periods, from 1 to [`PERIODS_MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Periods(u32);

impl Periods {
    /// `periods` if it is from 1 to [`PERIODS_MAX`].
    pub const fn new(periods: u32) -> Result<Self, QuoteError> {
        if periods == 0 || periods > PERIODS_MAX {
            return Err(QuoteError::PeriodsOutOfRange {
                periods,
                max: PERIODS_MAX,
            });
        }
        Ok(Self(periods))
    }

    /// The number of periods.
    pub const fn get(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn periods_accept_one_to_sixty() {
        assert_eq!(Periods::new(1).unwrap().get(), 1);
        assert_eq!(Periods::new(60).unwrap().get(), 60);
    }

    #[test]
    fn periods_reject_zero_and_more_than_sixty() {
        for bad in [0, 61, u32::MAX] {
            assert_eq!(
                Periods::new(bad),
                Err(QuoteError::PeriodsOutOfRange {
                    periods: bad,
                    max: 60
                })
            );
        }
    }
}
