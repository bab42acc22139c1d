//! The tier ladder: tiers in ascending order, each reached at a star-value threshold.

use serde::{Deserialize, Serialize};

use crate::error::RewardsError;
use crate::membership::star::StarValue;
use crate::tier_code::TierCode;

/// One tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    /// Its code.
    pub code: TierCode,
    /// The least star value that qualifies.
    pub threshold: StarValue,
}

/// Tiers from lowest to highest; the lowest is the floor everyone qualifies for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierLadder {
    tiers: Vec<Tier>,
}

impl TierLadder {
    /// A ladder of at least one tier with strictly increasing thresholds and distinct codes.
    pub fn new(tiers: Vec<Tier>) -> Result<Self, RewardsError> {
        let invalid = |reason| Err(RewardsError::InvalidConfig { reason });
        if tiers.is_empty() {
            return invalid("a tier ladder needs at least one tier");
        }
        if tiers.windows(2).any(|w| w[1].threshold <= w[0].threshold) {
            return invalid("tier thresholds must strictly increase");
        }
        let distinct = tiers
            .iter()
            .enumerate()
            .all(|(i, t)| tiers[..i].iter().all(|u| u.code != t.code));
        if !distinct {
            return invalid("tier codes must be distinct");
        }
        Ok(Self { tiers })
    }

    /// The tiers, lowest first.
    pub fn tiers(&self) -> &[Tier] {
        &self.tiers
    }

    /// The rank (0 = lowest) of the highest tier `star` qualifies for.
    pub fn qualified_rank(&self, star: StarValue) -> usize {
        self.tiers
            .iter()
            .rposition(|t| t.threshold <= star)
            .unwrap_or(0)
    }

    /// The rank of tier `code`.
    pub fn rank_of(&self, code: &TierCode) -> Result<usize, RewardsError> {
        self.tiers
            .iter()
            .position(|t| &t.code == code)
            .ok_or(RewardsError::InvalidConfig {
                reason: "tier not on the ladder",
            })
    }

    /// The code of the tier at `rank` (clamped to the top).
    pub fn code_at(&self, rank: usize) -> &TierCode {
        let top = self.tiers.len() - 1;
        &self.tiers[rank.min(top)].code
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn tier(code: &str, threshold: i64) -> Tier {
        Tier {
            code: TierCode::new(code),
            threshold: StarValue(threshold),
        }
    }

    #[test]
    fn a_star_value_qualifies_for_the_highest_tier_at_or_below_it() {
        let ladder =
            TierLadder::new(vec![tier("one", 0), tier("two", 100), tier("three", 500)]).unwrap();
        assert_eq!(ladder.qualified_rank(StarValue(-5)), 0);
        assert_eq!(ladder.qualified_rank(StarValue(99)), 0);
        assert_eq!(ladder.qualified_rank(StarValue(100)), 1);
        assert_eq!(ladder.qualified_rank(StarValue(10_000)), 2);
        assert_eq!(ladder.code_at(2), &TierCode::new("three"));
    }

    #[test]
    fn a_ladder_with_unordered_thresholds_or_repeated_codes_is_rejected() {
        assert!(TierLadder::new(vec![]).is_err());
        assert!(TierLadder::new(vec![tier("a", 0), tier("b", 0)]).is_err());
        assert!(TierLadder::new(vec![tier("a", 0), tier("a", 10)]).is_err());
    }
}
