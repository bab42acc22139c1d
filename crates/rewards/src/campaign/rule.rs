//! A campaign rule as data: trigger, target segment, rewards per A/B variant, budget, window, limit.

use cardlife_kernel::{CardId, CustomerId, Money, Points};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::RewardsError;
use crate::ids::{CampaignId, CouponTemplateId, TriggerEventId};
use crate::mcc::Mcc;

use super::segment::Segment;

/// A business event that may trigger a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Its id: the idempotency key (the same id is awarded at most once per campaign).
    pub id: TriggerEventId,
    /// Whose event it is.
    pub customer: CustomerId,
    /// What happened.
    pub kind: EventKind,
    /// A uniform random number drawn once at the edge when the event was recorded; lottery
    /// draws derive from it, so replaying the event log replays the same draws.
    pub entropy: u64,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// A card was bound to the customer's account.
    CardBound {
        /// The card.
        card: CardId,
        /// Whether it is the customer's first ever binding (the caller knows the history).
        first_binding: bool,
    },
    /// A successful payment.
    Payment {
        /// Amount paid.
        amount: Money,
        /// Merchant category.
        mcc: Mcc,
        /// Business date of the payment (its weekday is what rules look at).
        date: Date,
    },
    /// A month's total spend, emitted once per customer per month at month close.
    MonthlySpend {
        /// First day of the month.
        month: Date,
        /// Total qualifying spend in the month.
        total: Money,
    },
}

/// One tier of a monthly-spend trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendTier {
    /// Minimum monthly spend to reach this tier.
    pub min_spend: Money,
    /// How many reward units (e.g. lottery draws) the tier gives, ≥ 1.
    pub units: u32,
}

/// What makes an event count for a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trigger {
    /// The customer's first card binding (new-customer gift).
    FirstCardBinding,
    /// A payment of at least `min_amount` at one of `mccs` on one of `weekdays`
    /// (an empty list means any).
    Payment {
        /// Minimum amount.
        min_amount: Money,
        /// Merchant categories; empty = any.
        mccs: Vec<Mcc>,
        /// ISO weekdays (1 = Monday … 7 = Sunday) of the payment's business date; empty = any.
        weekdays: Vec<i8>,
    },
    /// A month's spend: the highest tier reached gives its number of units. Tiers ascend.
    MonthlySpendTiers {
        /// Tiers, strictly ascending `min_spend`.
        tiers: Vec<SpendTier>,
    },
}

impl Trigger {
    /// How many reward units `kind` earns under this trigger (0 = not triggered).
    pub fn units(&self, kind: &EventKind) -> u32 {
        match (self, kind) {
            (
                Trigger::FirstCardBinding,
                EventKind::CardBound {
                    first_binding: true,
                    ..
                },
            ) => 1,
            (
                Trigger::Payment {
                    min_amount,
                    mccs,
                    weekdays,
                },
                EventKind::Payment { amount, mcc, date },
            ) => {
                let enough = amount.currency() == min_amount.currency() && amount >= min_amount;
                let at = mccs.is_empty() || mccs.contains(mcc);
                let on = weekdays.is_empty()
                    || weekdays.contains(&date.weekday().to_monday_one_offset());
                u32::from(enough && at && on)
            }
            (Trigger::MonthlySpendTiers { tiers }, EventKind::MonthlySpend { total, .. }) => tiers
                .iter()
                .rev()
                .find(|t| t.min_spend.currency() == total.currency() && total >= &t.min_spend)
                .map_or(0, |t| t.units),
            _ => 0,
        }
    }

    fn validate(&self) -> Result<(), RewardsError> {
        match self {
            Trigger::FirstCardBinding => Ok(()),
            Trigger::Payment {
                min_amount,
                weekdays,
                ..
            } => {
                if min_amount.fen() < 0 {
                    return Err(invalid("a payment trigger's minimum is negative"));
                }
                if weekdays.iter().any(|d| !(1..=7).contains(d)) {
                    return Err(invalid("a weekday is 1 (Monday) to 7 (Sunday)"));
                }
                Ok(())
            }
            Trigger::MonthlySpendTiers { tiers } => {
                if tiers.is_empty() {
                    return Err(invalid("a spend-tier trigger has no tiers"));
                }
                if tiers.iter().any(|t| t.units == 0 || t.min_spend.fen() <= 0) {
                    return Err(invalid("a spend tier needs a positive minimum and units"));
                }
                let ascending = tiers.windows(2).all(|w| {
                    w[0].min_spend.currency() == w[1].min_spend.currency()
                        && w[0].min_spend.fen() < w[1].min_spend.fen()
                });
                if !ascending {
                    return Err(invalid("spend tiers must strictly ascend in one currency"));
                }
                Ok(())
            }
        }
    }
}

/// One concrete reward that moves money or points (what a fixed reward or a lottery prize gives).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grant {
    /// Money off (立减), funded by the campaign.
    MoneyOff(Money),
    /// Points.
    Points(Points),
    /// A coupon from a template; its face value is counted against the money budget.
    Coupon {
        /// The template to claim from.
        template: CouponTemplateId,
        /// Face value reserved from the campaign's money budget.
        face_value: Money,
    },
}

impl Grant {
    /// Money this grant costs the budget.
    pub fn money(&self) -> Option<Money> {
        match self {
            Grant::MoneyOff(m) | Grant::Coupon { face_value: m, .. } => Some(*m),
            Grant::Points(_) => None,
        }
    }

    /// Points this grant costs the budget.
    pub fn points(&self) -> Option<Points> {
        match self {
            Grant::Points(p) => Some(*p),
            Grant::MoneyOff(_) | Grant::Coupon { .. } => None,
        }
    }

    fn validate(&self, budget: &Budget) -> Result<(), RewardsError> {
        if let Some(m) = self.money() {
            let Some(cap) = budget.money else {
                return Err(invalid("a money reward needs a money budget"));
            };
            if m.fen() <= 0 || m.currency() != cap.currency() {
                return Err(invalid(
                    "a money reward must be positive, in the budget's currency",
                ));
            }
        }
        if let Some(p) = self.points() {
            if budget.points.is_none() {
                return Err(invalid("a points reward needs a points budget"));
            }
            if p.value() <= 0 {
                return Err(invalid("a points reward must be positive"));
            }
        }
        Ok(())
    }
}

/// A lottery prize with its weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prize {
    /// Relative weight; the odds are `weight ÷ (Σ prize weights + blank_weight)`.
    pub weight: u32,
    /// What winning gives.
    pub grant: Grant,
}

/// A lottery draw: odds as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lottery {
    /// The prizes.
    pub prizes: Vec<Prize>,
    /// Weight of drawing nothing.
    pub blank_weight: u32,
}

impl Lottery {
    /// Σ weights, prizes and blank.
    pub fn total_weight(&self) -> u64 {
        self.prizes.iter().map(|p| u64::from(p.weight)).sum::<u64>() + u64::from(self.blank_weight)
    }

    /// The stated odds of prize `i` as `(weight, total)`, or `None` if there is no such prize.
    pub fn odds(&self, i: usize) -> Option<(u32, u64)> {
        self.prizes.get(i).map(|p| (p.weight, self.total_weight()))
    }

    /// The prize index a uniform `roll` draws, `None` for a blank.
    pub fn draw(&self, roll: u64) -> Option<usize> {
        let point = super::mix::scale(roll, self.total_weight());
        super::mix::bucket(self.prizes.iter().map(|p| p.weight), point)
    }
}

/// What a campaign gives per reward unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reward {
    /// Always the same grant.
    Fixed(Grant),
    /// A lottery draw.
    Lottery(Lottery),
}

impl Reward {
    fn validate(&self, budget: &Budget) -> Result<(), RewardsError> {
        match self {
            Reward::Fixed(g) => g.validate(budget),
            Reward::Lottery(l) => {
                if l.prizes.is_empty() || l.total_weight() == 0 {
                    return Err(invalid(
                        "a lottery needs prizes and a positive total weight",
                    ));
                }
                l.prizes.iter().try_for_each(|p| p.grant.validate(budget))
            }
        }
    }
}

/// An A/B variant: a share of the customers and the reward they get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// Name shown in reports (`"A"`, `"B"`).
    pub name: String,
    /// Relative weight of the customers assigned to it.
    pub weight: u32,
    /// The reward per unit.
    pub reward: Reward,
}

/// A campaign's budget: every money and points cost must fit; `None` = that kind not funded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// Money cap (money off and coupon face values).
    pub money: Option<Money>,
    /// Points cap.
    pub points: Option<Points>,
}

/// A campaign rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignRule {
    /// Its id (also salts the A/B assignment).
    pub id: CampaignId,
    /// What triggers it.
    pub trigger: Trigger,
    /// Who it targets.
    pub segment: Segment,
    /// A/B variants (one variant = no test).
    pub variants: Vec<Variant>,
    /// The budget.
    pub budget: Budget,
    /// First instant it runs.
    pub starts_at: Timestamp,
    /// First instant it no longer runs (half-open window).
    pub ends_at: Timestamp,
    /// Awards per customer over the campaign, ≥ 1.
    pub per_customer: u32,
}

impl CampaignRule {
    /// Checks the rule is consistent.
    pub fn validate(&self) -> Result<(), RewardsError> {
        self.trigger.validate()?;
        if self.starts_at >= self.ends_at {
            return Err(invalid("a campaign must start before it ends"));
        }
        if self.per_customer == 0 {
            return Err(invalid("the per-customer limit must be at least 1"));
        }
        if let Some(m) = self.budget.money
            && m.fen() < 0
        {
            return Err(invalid("a money budget is negative"));
        }
        if let Some(p) = self.budget.points
            && p.is_negative()
        {
            return Err(invalid("a points budget is negative"));
        }
        if self.variants.is_empty() || self.variants.iter().all(|v| v.weight == 0) {
            return Err(invalid("a campaign needs a variant with positive weight"));
        }
        self.variants
            .iter()
            .try_for_each(|v| v.reward.validate(&self.budget))
    }

    /// Whether `now` is inside `[starts_at, ends_at)`.
    pub fn is_running(&self, now: Timestamp) -> bool {
        self.starts_at <= now && now < self.ends_at
    }

    /// The variant index `customer` is assigned to: a fixed hash of (campaign id, customer id)
    /// scaled onto the variant weights. Stable forever for a given rule.
    pub fn variant_of(&self, customer: CustomerId) -> usize {
        let h = super::mix::mix_u128s(&[self.id.as_u128(), customer.as_u128()]);
        let total: u64 = self.variants.iter().map(|v| u64::from(v.weight)).sum();
        let point = super::mix::scale(h, total);
        // validate() guarantees total > 0, so a bucket exists; 0 is a safe fallback.
        super::mix::bucket(self.variants.iter().map(|v| v.weight), point).unwrap_or(0)
    }
}

fn invalid(reason: &'static str) -> RewardsError {
    RewardsError::InvalidConfig { reason }
}
