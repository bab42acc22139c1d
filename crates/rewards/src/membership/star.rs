//! Star value (星级): a weighted sum of three scores, rounded half-up to a whole star point.

use cardlife_kernel::Rate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::RewardsError;

/// A star value; compared against tier thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StarValue(pub i64);

/// A customer's three scores for one evaluation period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StarScores {
    /// Financial assets score.
    pub financial: i64,
    /// Card spending score.
    pub spending: i64,
    /// Activity (logins, campaigns joined) score.
    pub activity: i64,
}

/// The weight of each score (data, per programme).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StarWeights {
    /// Weight of the financial score.
    pub financial: Rate,
    /// Weight of the spending score.
    pub spending: Rate,
    /// Weight of the activity score.
    pub activity: Rate,
}

impl StarWeights {
    /// ABC's plain sum: every weight 1.
    pub fn equal() -> Self {
        let one = Rate::new(Decimal::ONE);
        Self {
            financial: one,
            spending: one,
            activity: one,
        }
    }

    /// `Σ weight × score`, rounded half-up to a whole star point.
    pub fn star_value(self, scores: StarScores) -> Result<StarValue, RewardsError> {
        let overflow = || RewardsError::InvalidConfig {
            reason: "star value out of range",
        };
        let term = |w: Rate, s: i64| w.as_decimal().checked_mul(Decimal::from(s));
        let sum = term(self.financial, scores.financial)
            .and_then(|f| f.checked_add(term(self.spending, scores.spending)?))
            .and_then(|fs| fs.checked_add(term(self.activity, scores.activity)?))
            .ok_or_else(overflow)?;
        let whole = sum.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        i64::try_from(whole).map(StarValue).map_err(|_| overflow())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn equal_weights_give_the_plain_sum() {
        let s = StarScores {
            financial: 300,
            spending: 120,
            activity: 45,
        };
        assert_eq!(StarWeights::equal().star_value(s).unwrap(), StarValue(465));
    }

    #[test]
    fn weighted_scores_round_half_up() {
        let w = StarWeights {
            financial: Rate::new(dec!(0.5)),
            spending: Rate::new(dec!(0.3)),
            activity: Rate::new(dec!(0.2)),
        };
        let s = StarScores {
            financial: 1,
            spending: 0,
            activity: 0,
        };
        assert_eq!(w.star_value(s).unwrap(), StarValue(1)); // 0.5 → 1
    }

    proptest! {
        #[test]
        fn equal_weights_match_integer_addition(
            f in -1_000_000i64..1_000_000,
            s in -1_000_000i64..1_000_000,
            a in -1_000_000i64..1_000_000,
        ) {
            let got = StarWeights::equal()
                .star_value(StarScores { financial: f, spending: s, activity: a })
                .unwrap();
            prop_assert_eq!(got, StarValue(f + s + a));
        }
    }
}
