//! A lottery's prizes and their stated odds, as data.

use cardlife_kernel::{Money, Points};
use serde::{Deserialize, Serialize};

use crate::campaign::mix;
use crate::error::RewardsError;
use crate::ids::CouponTemplateId;

/// The odds of all prizes of a lottery sum to exactly this many basis points (100 %).
pub const ODDS_TOTAL_BP: u32 = 10_000;
/// Most prizes (including "no prize") one lottery may list.
pub const PRIZES_MAX: usize = 20;
/// Longest prize name, in characters.
pub const PRIZE_NAME_MAX: usize = 40;

/// What a prize gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PrizeKind {
    /// One coupon of a template; its face value counts against the lottery's money budget.
    Coupon {
        /// The template the coupon is issued from.
        template: CouponTemplateId,
        /// What one coupon costs the budget.
        face_value: Money,
    },
    /// Points credited to the customer; counted against the lottery's points budget.
    Points(Points),
    /// Nothing (谢谢参与).
    Nothing,
}

/// One prize with its stated odds and stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotteryPrize {
    /// Shown to the customer (1–40 characters).
    pub name: String,
    /// The stated odds in basis points (1 bp = 0.01 %).
    pub odds_bp: u32,
    /// What it gives.
    pub kind: PrizeKind,
    /// How many may be awarded over the lottery (ignored for [`PrizeKind::Nothing`]).
    pub stock: u32,
}

impl LotteryPrize {
    /// Money this prize costs the budget when awarded (coupon face value).
    pub fn money(&self) -> Money {
        match &self.kind {
            PrizeKind::Coupon { face_value, .. } => *face_value,
            PrizeKind::Points(_) | PrizeKind::Nothing => Money::cny(0),
        }
    }

    /// Points this prize costs the points budget when awarded.
    pub fn points(&self) -> Points {
        match &self.kind {
            PrizeKind::Points(p) => *p,
            PrizeKind::Coupon { .. } | PrizeKind::Nothing => Points::ZERO,
        }
    }

    /// Whether drawing it gives something.
    pub fn is_prize(&self) -> bool {
        !matches!(self.kind, PrizeKind::Nothing)
    }
}

/// A lottery's prizes and budgets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotteryTerms {
    /// The prizes in the order they are shown; their odds sum to [`ODDS_TOTAL_BP`].
    pub prizes: Vec<LotteryPrize>,
    /// Most coupon face value all draws may award.
    pub budget: Money,
    /// Most points all draws may award.
    pub points_budget: Points,
}

fn invalid(reason: &'static str) -> RewardsError {
    RewardsError::InvalidConfig { reason }
}

impl LotteryTerms {
    /// Checks the terms; the first rule broken is the error.
    pub fn validate(&self) -> Result<(), RewardsError> {
        if self.prizes.is_empty() || self.prizes.len() > PRIZES_MAX {
            return Err(invalid("a lottery lists 1 to 20 prizes"));
        }
        if self.budget.fen() < 0 || self.points_budget.is_negative() {
            return Err(invalid("a lottery's budgets cannot be negative"));
        }
        let mut total = 0_u64;
        for p in &self.prizes {
            let name = p.name.trim();
            if name.is_empty() || name.chars().count() > PRIZE_NAME_MAX {
                return Err(invalid("a prize name is 1 to 40 characters"));
            }
            if name.contains(['<', '>', '&', '"']) {
                return Err(invalid("a prize name holds no markup"));
            }
            if p.odds_bp > ODDS_TOTAL_BP {
                return Err(invalid("a prize's odds are 0 to 10,000 basis points"));
            }
            total += u64::from(p.odds_bp);
            Self::validate_kind(p)?;
        }
        if total != u64::from(ODDS_TOTAL_BP) {
            return Err(invalid("the odds must sum to 10,000 basis points"));
        }
        Ok(())
    }

    fn validate_kind(p: &LotteryPrize) -> Result<(), RewardsError> {
        match &p.kind {
            PrizeKind::Coupon { face_value, .. } if face_value.fen() <= 0 => {
                Err(invalid("a coupon prize needs a positive face value"))
            }
            PrizeKind::Points(points) if points.value() <= 0 => {
                Err(invalid("a points prize must be positive"))
            }
            PrizeKind::Coupon { .. } | PrizeKind::Points(_) if p.stock == 0 => {
                Err(invalid("a prize needs a stock of at least 1"))
            }
            _ => Ok(()),
        }
    }

    /// The index of the prize a uniform `roll` picks under the stated odds. Valid terms always
    /// pick a prize; invalid ones (odds not summing to 10,000) may answer `None`.
    pub fn pick(&self, roll: u64) -> Option<usize> {
        let point = mix::scale(roll, u64::from(ODDS_TOTAL_BP));
        mix::bucket(self.prizes.iter().map(|p| p.odds_bp), point)
    }
}
