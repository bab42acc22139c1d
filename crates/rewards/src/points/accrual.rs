//! Points accrual rules as data (docs/domain.md §6 "Accrual"): a basis, exclusions, multipliers and caps.
//!
//! Order of evaluation: exclusions (kind, amount < minimum, MCC) → base points on the amount →
//! multiplier (floor) → per-transaction cap → per-month cap (what is left of it this month).

use cardlife_kernel::{Money, Points, PointsError, Rate};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::RewardsError;
use crate::ids::CampaignId;
use crate::mcc::{ExcludedCategory, Mcc, MccExclusions};
use crate::tier_code::TierCode;

/// What kind of card transaction a spend is; only purchases earn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TxnKind {
    /// A purchase at a merchant.
    Purchase,
    /// A fee (annual fee, late fee, installment fee).
    Fee,
    /// Interest.
    Interest,
    /// A cash advance (取现).
    CashAdvance,
    /// A repayment of the card.
    Repayment,
    /// A top-up of a wallet or prepaid account (充值).
    TopUp,
}

/// How base points are computed from the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccrualBasis {
    /// `points` per whole CNY, the fraction dropped (ICBC: 1 per 1 CNY).
    PerCny {
        /// Points per whole CNY.
        points: i64,
    },
    /// `points` per full `step` of each transaction (CMB: 1 per 20 CNY).
    PerStep {
        /// The step amount, e.g. 20.00 CNY.
        step: Money,
        /// Points per full step.
        points: i64,
    },
}

/// When a multiplier applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MultiplierWhen {
    /// The spend is part of this campaign.
    Campaign(CampaignId),
    /// The merchant's MCC is in `from..=to` (a category such as dining 5811–5814).
    Category {
        /// First MCC.
        from: Mcc,
        /// Last MCC (inclusive).
        to: Mcc,
    },
    /// The spend falls in the cardholder's birthday month.
    BirthdayMonth,
    /// The card is of this tier.
    CardTier(TierCode),
}

/// A factor applied to base points when its condition holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Multiplier {
    /// When it applies.
    pub when: MultiplierWhen,
    /// The factor, e.g. `2` or `1.5`; at least 1.
    pub factor: Rate,
}

/// How several matching multipliers combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stacking {
    /// Only the largest factor applies (the usual "not combinable" rule).
    Highest,
    /// All factors multiply.
    Product,
}

/// A product's (or campaign's) accrual rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccrualRule {
    /// Base points on the amount.
    pub basis: AccrualBasis,
    /// Spends below this earn nothing (docs/domain.md §6: amounts under 1 CNY earn nothing).
    pub minimum: Money,
    /// Excluded MCC ranges.
    pub exclusions: MccExclusions,
    /// Multipliers.
    pub multipliers: Vec<Multiplier>,
    /// How matching multipliers combine.
    pub stacking: Stacking,
    /// Most points one transaction can earn.
    pub per_transaction_cap: Option<Points>,
    /// Most points one calendar month can earn under this rule.
    pub per_month_cap: Option<Points>,
}

/// One spend to accrue on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spend {
    /// The amount (positive).
    pub amount: Money,
    /// Merchant category code.
    pub mcc: Mcc,
    /// Transaction kind.
    pub kind: TxnKind,
    /// Business date of the spend.
    pub date: Date,
    /// The card's tier.
    pub card_tier: TierCode,
    /// Campaigns the spend qualifies for.
    pub campaigns: Vec<CampaignId>,
    /// The cardholder's birthday month (1–12), if known.
    pub birthday_month: Option<i8>,
}

/// Why a spend earned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Exclusion {
    /// Fees, interest, cash advances, repayments and top-ups never earn.
    Kind(TxnKind),
    /// The amount is below the rule's minimum.
    BelowMinimum,
    /// The merchant's category is excluded.
    Category(ExcludedCategory),
}

/// Which cap cut the points down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cap {
    /// The per-transaction cap.
    PerTransaction,
    /// The per-month cap.
    PerMonth,
}

/// The outcome of accruing on one spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Accrual {
    /// Points earned.
    Earned {
        /// Points to credit.
        points: Points,
        /// Points before multipliers and caps.
        base: Points,
        /// The cap that bit, if any.
        capped_by: Option<Cap>,
    },
    /// Nothing earned, and why.
    Excluded(Exclusion),
}

impl Accrual {
    /// Points to credit (zero when excluded).
    pub fn points(self) -> Points {
        match self {
            Self::Earned { points, .. } => points,
            Self::Excluded(_) => Points::ZERO,
        }
    }
}

/// 1 CNY in fen.
const FEN_PER_CNY: i64 = 100;

impl AccrualRule {
    /// ICBC's rule (docs/domain.md §6): 1 point per whole CNY, the default exclusions, no multipliers or caps.
    pub fn per_cny(points: i64) -> Self {
        Self {
            basis: AccrualBasis::PerCny { points },
            minimum: Money::cny(FEN_PER_CNY),
            exclusions: MccExclusions::domain_default(),
            multipliers: Vec::new(),
            stacking: Stacking::Highest,
            per_transaction_cap: None,
            per_month_cap: None,
        }
    }

    /// CMB's rule (docs/domain.md §6): `points` per full `step` per transaction, the default exclusions.
    pub fn per_step(step: Money, points: i64) -> Self {
        Self {
            basis: AccrualBasis::PerStep { step, points },
            ..Self::per_cny(0)
        }
    }

    /// Checks the rule: positive step and points, factors ≥ 1, non-negative caps.
    pub fn validate(&self) -> Result<(), RewardsError> {
        let invalid = |reason| Err(RewardsError::InvalidConfig { reason });
        let (step, points) = self.step_and_points();
        if step.fen() <= 0 || points <= 0 {
            return invalid("accrual step and points must be positive");
        }
        if self
            .multipliers
            .iter()
            .any(|m| m.factor.as_decimal() < Decimal::ONE)
        {
            return invalid("a points multiplier must be at least 1");
        }
        let negative = |cap: Option<Points>| cap.is_some_and(Points::is_negative);
        if negative(self.per_transaction_cap) || negative(self.per_month_cap) {
            return invalid("a points cap must not be negative");
        }
        Ok(())
    }

    /// Points earned by `spend`, given `month_to_date` points already earned this month under
    /// this rule. Pure: the caller credits the result and adds it to its month-to-date.
    pub fn accrue(&self, spend: &Spend, month_to_date: Points) -> Result<Accrual, RewardsError> {
        self.validate()?;
        if let Some(why) = self.exclusion(spend)? {
            return Ok(Accrual::Excluded(why));
        }
        let (step, per_step) = self.step_and_points();
        // Currency check: a spend in another currency than the step is a caller bug.
        spend.amount.checked_sub(step)?;
        let steps = spend.amount.fen() / step.fen();
        let base = steps.checked_mul(per_step).ok_or(PointsError::Overflow)?;
        let multiplied = apply_factor(base, self.factor(spend))?;
        Ok(self.cap(Points::new(base), Points::new(multiplied), month_to_date))
    }

    fn step_and_points(&self) -> (Money, i64) {
        match self.basis {
            AccrualBasis::PerCny { points } => (Money::cny(FEN_PER_CNY), points),
            AccrualBasis::PerStep { step, points } => (step, points),
        }
    }

    fn exclusion(&self, spend: &Spend) -> Result<Option<Exclusion>, RewardsError> {
        if spend.kind != TxnKind::Purchase {
            return Ok(Some(Exclusion::Kind(spend.kind)));
        }
        if spend.amount.checked_sub(self.minimum)?.is_negative() {
            return Ok(Some(Exclusion::BelowMinimum));
        }
        Ok(self
            .exclusions
            .category_of(spend.mcc)
            .map(Exclusion::Category))
    }

    fn factor(&self, spend: &Spend) -> Decimal {
        let matching = self
            .multipliers
            .iter()
            .filter(|m| applies(&m.when, spend))
            .map(|m| m.factor.as_decimal());
        match self.stacking {
            Stacking::Highest => matching.max().unwrap_or(Decimal::ONE),
            Stacking::Product => matching.fold(Decimal::ONE, |acc, f| acc * f),
        }
    }

    fn cap(&self, base: Points, points: Points, month_to_date: Points) -> Accrual {
        let mut points = points;
        let mut capped_by = None;
        if let Some(cap) = self.per_transaction_cap.filter(|&cap| points > cap) {
            points = cap;
            capped_by = Some(Cap::PerTransaction);
        }
        if let Some(cap) = self.per_month_cap {
            let left = Points::new(cap.value().saturating_sub(month_to_date.value()).max(0));
            if points > left {
                points = left;
                capped_by = Some(Cap::PerMonth);
            }
        }
        Accrual::Earned {
            points,
            base,
            capped_by,
        }
    }
}

fn applies(when: &MultiplierWhen, spend: &Spend) -> bool {
    match when {
        MultiplierWhen::Campaign(id) => spend.campaigns.contains(id),
        MultiplierWhen::Category { from, to } => *from <= spend.mcc && spend.mcc <= *to,
        MultiplierWhen::BirthdayMonth => spend.birthday_month == Some(spend.date.month()),
        MultiplierWhen::CardTier(tier) => *tier == spend.card_tier,
    }
}

/// `base × factor`, rounded down to whole points.
fn apply_factor(base: i64, factor: Decimal) -> Result<i64, RewardsError> {
    Decimal::from(base)
        .checked_mul(factor)
        .map(|d| d.floor())
        .and_then(|d| i64::try_from(d).ok())
        .ok_or(RewardsError::Points(PointsError::Overflow))
}

#[cfg(test)]
mod tests;
