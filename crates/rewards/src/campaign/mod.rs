//! Campaigns (营销活动): rules triggered by events, with budgets that can never be exceeded.
//!
//! A [`CampaignRule`] is data: a [`Trigger`] (first card binding; a payment ≥ X at an MCC set on
//! given weekdays; monthly spend tiers giving N units), a target [`Segment`] (a predicate on a
//! [`Profile`]'s tags and lifecycle stage), A/B [`Variant`]s each with a [`Reward`] (fixed money
//! off, points, a coupon template, or a [`Lottery`] with odds as weights), a [`Budget`] (money
//! and/or points), a half-open `[starts_at, ends_at)` window and a per-customer limit.
//!
//! [`Campaign::on_event`] is the evaluator; a single writer drives it (a store serialises
//! concurrent triggers per campaign, so "concurrent" means "any interleaving"). Rules:
//!
//! - An event id already awarded returns the recorded award again and changes nothing: the same
//!   event twice awards once. Only awards are recorded (a lottery blank is an award: the draw
//!   was used up); a non-triggering or refused event may be offered again.
//! - `Ok(None)`: outside the window, not triggered, or not in the segment.
//! - `Err(AlreadyClaimed)`: the customer reached the per-customer limit (counted in awards).
//! - The variant is [`CampaignRule::variant_of`]: a fixed SplitMix64 hash of (campaign id,
//!   customer id) scaled onto the weights — stable, independent of event order.
//! - Each unit of a reward is a fixed grant or one lottery draw. Draw `i` uses
//!   `mix64(event.entropy + i)`, so draws are deterministic given the event's recorded entropy.
//! - The cost of all units (money off + coupon face values; points) is reserved from the budget
//!   all-or-nothing before anything is recorded: if it does not fit, `Err(BudgetExhausted)` or
//!   `Err(PointsBudgetExhausted)` and nothing changes. Hence Σ awarded ≤ budget, always. A drawn
//!   prize that does not fit is refused the same way (its event may be offered again).

pub(crate) mod mix;
pub(crate) use mix::mix_u128s;
mod rule;
mod segment;
mod spend_tiers;

use std::collections::BTreeMap;

use cardlife_kernel::{CustomerId, Money, Points};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use rule::{
    Budget, CampaignRule, Event, EventKind, Grant, Lottery, Prize, Reward, SpendTier, Trigger,
    Variant,
};
pub use segment::{CustomerStage, LifecycleStage, Profile, Segment, ValueBand};
pub use spend_tiers::{SpendTierRule, TIERS_MAX, TierGrant, UNITS_MAX, month_of};

use crate::error::RewardsError;
use crate::ids::{CampaignId, TriggerEventId};

/// One reward unit given: a grant, or a lottery draw (prize index and grant, or a blank).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardItem {
    /// The prize index drawn, for lotteries (`None` for fixed rewards and blanks).
    pub prize: Option<usize>,
    /// What was given (`None` = a lottery blank).
    pub grant: Option<Grant>,
}

/// What one event earned from one campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Award {
    /// The campaign.
    pub campaign: CampaignId,
    /// The event (idempotency key).
    pub event: TriggerEventId,
    /// The customer.
    pub customer: CustomerId,
    /// The A/B variant index.
    pub variant: usize,
    /// The units given.
    pub items: Vec<AwardItem>,
    /// Money reserved from the budget by this award.
    pub money: Option<Money>,
    /// Points reserved from the budget by this award.
    pub points: Points,
}

/// A campaign's state: its rule, budget consumed, awards by event, counts per customer.
#[derive(Debug, Clone)]
pub struct Campaign {
    rule: CampaignRule,
    money_awarded: Option<Money>,
    points_awarded: Points,
    awards: BTreeMap<TriggerEventId, Award>,
    per_customer: BTreeMap<CustomerId, u32>,
}

impl Campaign {
    /// A campaign for a valid rule, nothing awarded yet.
    pub fn new(rule: CampaignRule) -> Result<Self, RewardsError> {
        rule.validate()?;
        let money_awarded = rule.budget.money.map(|m| Money::zero(m.currency()));
        Ok(Self {
            rule,
            money_awarded,
            points_awarded: Points::ZERO,
            awards: BTreeMap::new(),
            per_customer: BTreeMap::new(),
        })
    }

    /// The rule.
    pub fn rule(&self) -> &CampaignRule {
        &self.rule
    }

    /// Money awarded so far (`None` when the campaign has no money budget).
    pub fn money_awarded(&self) -> Option<Money> {
        self.money_awarded
    }

    /// Points awarded so far.
    pub fn points_awarded(&self) -> Points {
        self.points_awarded
    }

    /// Awards so far to `customer`.
    pub fn awards_to(&self, customer: CustomerId) -> u32 {
        self.per_customer.get(&customer).copied().unwrap_or(0)
    }

    /// Every award, by event id.
    pub fn awards(&self) -> impl Iterator<Item = &Award> {
        self.awards.values()
    }

    /// Evaluates `event` for the customer with `profile` at `now`; see the module docs.
    pub fn on_event(
        &mut self,
        event: &Event,
        profile: &Profile,
        now: Timestamp,
    ) -> Result<Option<Award>, RewardsError> {
        if let Some(award) = self.awards.get(&event.id) {
            return Ok(Some(award.clone()));
        }
        if !self.rule.is_running(now) || !self.rule.segment.contains(profile) {
            return Ok(None);
        }
        let units = self.rule.trigger.units(&event.kind);
        if units == 0 {
            return Ok(None);
        }
        let count = self.awards_to(event.customer);
        if count >= self.rule.per_customer {
            return Err(RewardsError::AlreadyClaimed {
                limit: self.rule.per_customer,
            });
        }
        let variant = self.rule.variant_of(event.customer);
        let reward = &self.rule.variants[variant].reward;
        let items: Vec<AwardItem> = (0..units)
            .map(|i| unit(reward, event.entropy.wrapping_add(u64::from(i))))
            .collect();
        let (money, points) = self.cost(&items)?;
        let money_awarded = self.reserve_money(money)?;
        let points_awarded = self.reserve_points(points)?;
        // Everything checked: commit.
        self.money_awarded = money_awarded;
        self.points_awarded = points_awarded;
        *self.per_customer.entry(event.customer).or_default() += 1;
        let award = Award {
            campaign: self.rule.id,
            event: event.id,
            customer: event.customer,
            variant,
            items,
            money,
            points,
        };
        self.awards.insert(event.id, award.clone());
        Ok(Some(award))
    }

    fn cost(&self, items: &[AwardItem]) -> Result<(Option<Money>, Points), RewardsError> {
        let mut money = self.rule.budget.money.map(|m| Money::zero(m.currency()));
        let mut points = Points::ZERO;
        for grant in items.iter().filter_map(|i| i.grant.as_ref()) {
            if let (Some(m), Some(acc)) = (grant.money(), money) {
                money = Some(acc.checked_add(m)?);
            }
            if let Some(p) = grant.points() {
                points = points.checked_add(p)?;
            }
        }
        Ok((money, points))
    }

    fn reserve_money(&self, cost: Option<Money>) -> Result<Option<Money>, RewardsError> {
        let (Some(budget), Some(issued), Some(cost)) =
            (self.rule.budget.money, self.money_awarded, cost)
        else {
            return Ok(self.money_awarded);
        };
        let after = issued.checked_add(cost)?;
        if after.fen() > budget.fen() {
            return Err(RewardsError::BudgetExhausted { budget, issued });
        }
        Ok(Some(after))
    }

    fn reserve_points(&self, cost: Points) -> Result<Points, RewardsError> {
        if cost.is_zero() {
            return Ok(self.points_awarded);
        }
        // validate() guarantees a points budget whenever a grant costs points.
        let budget = self.rule.budget.points.unwrap_or(Points::ZERO);
        let after = self.points_awarded.checked_add(cost)?;
        if after > budget {
            return Err(RewardsError::PointsBudgetExhausted {
                budget,
                awarded: self.points_awarded,
            });
        }
        Ok(after)
    }
}

fn unit(reward: &Reward, seed: u64) -> AwardItem {
    match reward {
        Reward::Fixed(g) => AwardItem {
            prize: None,
            grant: Some(g.clone()),
        },
        Reward::Lottery(l) => {
            let prize = l.draw(mix::mix64(seed));
            AwardItem {
                prize,
                grant: prize.and_then(|i| l.prizes.get(i)).map(|p| p.grant.clone()),
            }
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tier_tests;
