//! Monthly spend tiers → draw chances (月度消费达标抽奖).
//!
//! A customer's spend in a calendar month (business dates in the issuer's zone) is the sum of
//! their captured payments less what was refunded of them. Tier `i` (ascending `min_spend`)
//! gives `units` draws in total, so reaching it grants `units_i − units_{i−1}` new chances. Each
//! chance belongs to its tier and month and is usable only while the month's spend still
//! reaches its tier: a refund that drops the spend below a tier suspends that tier's unused
//! chances (a chance already drawn stays drawn), and spending again restores them — the grant
//! itself is made once per tier per month.

use cardlife_kernel::Money;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::rule::SpendTier;
use super::segment::Segment;
use crate::error::RewardsError;

/// Most tiers a rule may list.
pub const TIERS_MAX: usize = 10;
/// Most draws the top tier may give in a month.
pub const UNITS_MAX: u32 = 100;

/// A spend-tier rule: the tiers and who they target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendTierRule {
    /// Tiers, strictly ascending in `min_spend` and non-decreasing in `units`.
    pub tiers: Vec<SpendTier>,
    /// Who the rule targets, evaluated at each payment.
    pub segment: Segment,
}

/// Chances a tier grants when it is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierGrant {
    /// The tier's index.
    pub tier: usize,
    /// The tier's threshold.
    pub min_spend: Money,
    /// New chances it grants (`units_i − units_{i−1}`).
    pub chances: u32,
}

fn invalid(reason: &'static str) -> RewardsError {
    RewardsError::InvalidConfig { reason }
}

impl SpendTierRule {
    /// Checks the tiers.
    pub fn validate(&self) -> Result<(), RewardsError> {
        if self.tiers.is_empty() || self.tiers.len() > TIERS_MAX {
            return Err(invalid("a spend-tier rule lists 1 to 10 tiers"));
        }
        if self.tiers.iter().any(|t| t.min_spend.fen() < 0) {
            return Err(invalid("a spend tier's minimum cannot be negative"));
        }
        if self.tiers.iter().any(|t| t.min_spend.fen() == 0) {
            return Err(invalid("a spend tier's minimum must be positive"));
        }
        if self
            .tiers
            .iter()
            .any(|t| t.units == 0 || t.units > UNITS_MAX)
        {
            return Err(invalid("a spend tier gives 1 to 100 draws"));
        }
        let ascending = self.tiers.windows(2).all(|w| {
            w[0].min_spend.currency() == w[1].min_spend.currency()
                && w[0].min_spend.fen() < w[1].min_spend.fen()
                && w[0].units <= w[1].units
        });
        if !ascending {
            return Err(invalid(
                "spend tiers must ascend in minimum (one currency) and never give fewer draws",
            ));
        }
        Ok(())
    }

    /// The tiers `spend` reaches, each with the chances it grants, lowest first.
    pub fn reached(&self, spend: Money) -> Vec<TierGrant> {
        let mut before = 0;
        let mut out = Vec::new();
        for (tier, t) in self.tiers.iter().enumerate() {
            if t.min_spend.currency() != spend.currency() || spend.fen() < t.min_spend.fen() {
                break;
            }
            out.push(TierGrant {
                tier,
                min_spend: t.min_spend,
                chances: t.units.saturating_sub(before),
            });
            before = t.units;
        }
        out
    }

    /// Draws in total a month with `spend` earns (the highest tier reached).
    pub fn draws_for(&self, spend: Money) -> u32 {
        self.reached(spend).iter().map(|g| g.chances).sum()
    }
}

/// The first day of `date`'s calendar month: the month a payment counts toward.
pub fn month_of(date: Date) -> Date {
    date.first_of_month()
}
