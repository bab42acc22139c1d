//! Cashier incentives (e客行-style): a fixed reward per successful QR payment a cashier takes,
//! paid from a budget account on the ledger.
//!
//! An [`IncentivePlan`] fixes the reward, the smallest payment that qualifies, a per-cashier daily
//! cap and the total budget, all in one currency. An [`IncentiveLedger`] decides each payment:
//!
//! - [`IncentiveLedger::reward_for`] grants at most one reward per payment id. A reward is all or
//!   nothing (never partial): it is refused with a [`NotEligible`] reason when the payment is
//!   below the minimum, when one more reward would take the cashier past the daily cap for that
//!   business date, or when less than one reward is left of the budget. A refusal changes
//!   nothing, so the same payment may be asked again (e.g. after a clawback frees budget); a
//!   payment that was granted once, even if later clawed back, is never rewarded again
//!   ([`IncentiveError::AlreadyRewarded`]).
//! - Refund rule, [`IncentiveLedger::on_full_refund`]: a *fully* refunded payment claws its reward
//!   back only if the refund falls on the same business date as the reward (the reward has not
//!   yet been paid out in that day's batch); the reward returns to the budget and to the cashier's
//!   daily allowance. A refund on a later day keeps the reward; partial refunds never claw back.
//!
//! The caller posts each granted [`Reward`] (budget account → cashier payable) and each
//! [`Clawback::Reversed`] (the reverse) on the ledger; this module holds no balances beyond what
//! it needs to decide.

use std::collections::HashMap;

use cardlife_kernel::{Money, MoneyError};
use jiff::civil::Date;

use crate::error::{IncentiveError, NotEligible};
use crate::order::PaymentOrderId;

cardlife_kernel::id_kind!(CashierKind, CashierId, "csh", "a cashier");

/// The terms of an incentive campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncentivePlan {
    reward: Money,
    min_payment: Money,
    daily_cap: Money,
    budget: Money,
}

impl IncentivePlan {
    /// A plan: `reward` per qualifying payment (> 0), payments of at least `min_payment` (≥ 0)
    /// qualify, at most `daily_cap` (≥ one reward) per cashier per business date, at most `budget`
    /// (≥ 0) in all; one currency throughout.
    pub fn new(
        reward: Money,
        min_payment: Money,
        daily_cap: Money,
        budget: Money,
    ) -> Result<Self, IncentiveError> {
        for other in [min_payment, daily_cap, budget] {
            same_currency(reward, other)?;
        }
        if reward.fen() <= 0 {
            return Err(IncentiveError::NonPositiveReward);
        }
        if min_payment.fen() < 0 || budget.fen() < 0 {
            return Err(IncentiveError::NegativeAmount);
        }
        if daily_cap.fen() < reward.fen() {
            return Err(IncentiveError::CapBelowReward {
                cap: daily_cap,
                reward,
            });
        }
        Ok(Self {
            reward,
            min_payment,
            daily_cap,
            budget,
        })
    }

    /// The reward per qualifying payment.
    pub fn reward(&self) -> Money {
        self.reward
    }

    /// The smallest qualifying payment.
    pub fn min_payment(&self) -> Money {
        self.min_payment
    }

    /// The per-cashier daily cap.
    pub fn daily_cap(&self) -> Money {
        self.daily_cap
    }

    /// The total budget.
    pub fn budget(&self) -> Money {
        self.budget
    }
}

/// A granted reward, to be posted from the budget account to the cashier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reward {
    /// The payment that earned it.
    pub payment: PaymentOrderId,
    /// The cashier who took it.
    pub cashier: CashierId,
    /// The reward.
    pub amount: Money,
    /// The business date it counts against.
    pub business_date: Date,
}

/// What a full refund did to the payment's reward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clawback {
    /// Reversed: post this reward back to the budget account.
    Reversed(Reward),
    /// The reward was granted on an earlier business date and stands.
    KeptPastDay,
    /// The payment never earned a reward: nothing to do.
    NotRewarded,
    /// Already reversed by an earlier refund: nothing to do.
    AlreadyReversed,
}

#[derive(Debug, Clone, Copy)]
struct Grant {
    reward: Reward,
    reversed: bool,
}

/// The decisions of one plan: rewards granted, by payment and by cashier-day.
#[derive(Debug, Clone)]
pub struct IncentiveLedger {
    plan: IncentivePlan,
    granted: Money,
    grants: HashMap<PaymentOrderId, Grant>,
    daily: HashMap<(CashierId, Date), Money>,
}

impl IncentiveLedger {
    /// An empty ledger for `plan`.
    pub fn new(plan: IncentivePlan) -> Self {
        Self {
            plan,
            granted: Money::zero(plan.reward.currency()),
            grants: HashMap::new(),
            daily: HashMap::new(),
        }
    }

    /// The plan.
    pub fn plan(&self) -> &IncentivePlan {
        &self.plan
    }

    /// Rewards granted and not clawed back.
    pub fn granted(&self) -> Money {
        self.granted
    }

    /// What is left of the budget.
    pub fn remaining(&self) -> Result<Money, MoneyError> {
        self.plan.budget.checked_sub(self.granted)
    }

    /// What `cashier` has earned on `business_date`, clawbacks deducted.
    pub fn earned(&self, cashier: CashierId, business_date: Date) -> Money {
        self.daily
            .get(&(cashier, business_date))
            .copied()
            .unwrap_or(Money::zero(self.plan.reward.currency()))
    }

    /// Decides the reward for a successful QR payment of `amount` taken by `cashier` on
    /// `business_date`. Errors change nothing.
    pub fn reward_for(
        &mut self,
        payment: PaymentOrderId,
        cashier: CashierId,
        amount: Money,
        business_date: Date,
    ) -> Result<Reward, IncentiveError> {
        same_currency(self.plan.reward, amount)?;
        if amount.fen() <= 0 {
            return Err(IncentiveError::NonPositiveAmount);
        }
        if self.grants.contains_key(&payment) {
            return Err(IncentiveError::AlreadyRewarded);
        }
        let reward = self.plan.reward;
        if amount.fen() < self.plan.min_payment.fen() {
            return Err(NotEligible::BelowMinimum {
                amount,
                minimum: self.plan.min_payment,
            }
            .into());
        }
        let earned = self.earned(cashier, business_date);
        let earned_after = earned.checked_add(reward)?;
        if earned_after.fen() > self.plan.daily_cap.fen() {
            return Err(NotEligible::DailyCapReached {
                business_date,
                earned,
                cap: self.plan.daily_cap,
            }
            .into());
        }
        let remaining = self.remaining()?;
        if remaining.fen() < reward.fen() {
            return Err(NotEligible::BudgetExhausted { remaining, reward }.into());
        }
        let granted = self.granted.checked_add(reward)?;
        let grant = Reward {
            payment,
            cashier,
            amount: reward,
            business_date,
        };
        self.granted = granted;
        self.daily.insert((cashier, business_date), earned_after);
        self.grants.insert(
            payment,
            Grant {
                reward: grant,
                reversed: false,
            },
        );
        Ok(grant)
    }

    /// Applies the refund rule to `payment`, fully refunded on `business_date`: the reward is
    /// reversed if it was granted on that same business date, kept otherwise. Idempotent.
    pub fn on_full_refund(
        &mut self,
        payment: PaymentOrderId,
        business_date: Date,
    ) -> Result<Clawback, IncentiveError> {
        let Some(grant) = self.grants.get(&payment).copied() else {
            return Ok(Clawback::NotRewarded);
        };
        if grant.reversed {
            return Ok(Clawback::AlreadyReversed);
        }
        let reward = grant.reward;
        if reward.business_date != business_date {
            return Ok(Clawback::KeptPastDay);
        }
        let day = (reward.cashier, reward.business_date);
        let earned = self
            .earned(reward.cashier, reward.business_date)
            .checked_sub(reward.amount)?;
        let granted = self.granted.checked_sub(reward.amount)?;
        self.granted = granted;
        self.daily.insert(day, earned);
        self.grants.insert(
            payment,
            Grant {
                reward,
                reversed: true,
            },
        );
        Ok(Clawback::Reversed(reward))
    }
}

fn same_currency(left: Money, right: Money) -> Result<(), MoneyError> {
    if left.currency() == right.currency() {
        Ok(())
    } else {
        Err(MoneyError::CurrencyMismatch {
            left: left.currency(),
            right: right.currency(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn d(text: &str) -> Date {
        text.parse().unwrap()
    }

    const DAY: &str = "2026-04-01";

    fn plan(budget: i64) -> IncentivePlan {
        // 0.50 per payment of at least 5.00, at most 2.00 per cashier per day.
        IncentivePlan::new(
            Money::cny(50),
            Money::cny(500),
            Money::cny(200),
            Money::cny(budget),
        )
        .unwrap()
    }

    fn pay(n: u128) -> PaymentOrderId {
        PaymentOrderId::from_u128(n)
    }

    fn cashier(n: u128) -> CashierId {
        CashierId::from_u128(n)
    }

    #[test]
    fn a_qualifying_payment_earns_its_cashier_one_reward() {
        let mut l = IncentiveLedger::new(plan(10_000));
        let r = l
            .reward_for(pay(1), cashier(1), Money::cny(500), d(DAY))
            .unwrap();
        assert_eq!(r.amount, Money::cny(50));
        assert_eq!(l.granted(), Money::cny(50));
        assert_eq!(l.earned(cashier(1), d(DAY)), Money::cny(50));
        assert_eq!(
            l.reward_for(pay(1), cashier(1), Money::cny(500), d(DAY)),
            Err(IncentiveError::AlreadyRewarded)
        );
        assert_eq!(l.granted(), Money::cny(50));
    }

    #[test]
    fn a_payment_below_the_minimum_is_not_eligible_and_changes_nothing() {
        let mut l = IncentiveLedger::new(plan(10_000));
        assert_eq!(
            l.reward_for(pay(1), cashier(1), Money::cny(499), d(DAY)),
            Err(IncentiveError::NotEligible(NotEligible::BelowMinimum {
                amount: Money::cny(499),
                minimum: Money::cny(500)
            }))
        );
        assert_eq!(l.granted(), Money::cny(0));
        assert_eq!(
            l.reward_for(pay(1), cashier(1), Money::cny(0), d(DAY)),
            Err(IncentiveError::NonPositiveAmount)
        );
    }

    #[test]
    fn the_daily_cap_stops_a_cashier_until_the_next_business_date() {
        let mut l = IncentiveLedger::new(plan(10_000));
        for n in 1..=4 {
            l.reward_for(pay(n), cashier(1), Money::cny(500), d(DAY))
                .unwrap();
        }
        assert_eq!(
            l.reward_for(pay(5), cashier(1), Money::cny(500), d(DAY)),
            Err(IncentiveError::NotEligible(NotEligible::DailyCapReached {
                business_date: d(DAY),
                earned: Money::cny(200),
                cap: Money::cny(200)
            }))
        );
        assert!(
            l.reward_for(pay(5), cashier(2), Money::cny(500), d(DAY))
                .is_ok()
        );
        assert!(
            l.reward_for(pay(6), cashier(1), Money::cny(500), d("2026-04-02"))
                .is_ok()
        );
    }

    #[test]
    fn the_budget_is_never_exceeded_and_no_partial_reward_is_paid() {
        let mut l = IncentiveLedger::new(plan(120));
        l.reward_for(pay(1), cashier(1), Money::cny(500), d(DAY))
            .unwrap();
        l.reward_for(pay(2), cashier(2), Money::cny(500), d(DAY))
            .unwrap();
        assert_eq!(
            l.reward_for(pay(3), cashier(3), Money::cny(500), d(DAY)),
            Err(IncentiveError::NotEligible(NotEligible::BudgetExhausted {
                remaining: Money::cny(20),
                reward: Money::cny(50)
            }))
        );
        assert_eq!(l.remaining(), Ok(Money::cny(20)));
    }

    #[test]
    fn a_full_refund_on_the_same_day_claws_the_reward_back_once() {
        let mut l = IncentiveLedger::new(plan(100));
        let r = l
            .reward_for(pay(1), cashier(1), Money::cny(500), d(DAY))
            .unwrap();
        l.reward_for(pay(2), cashier(1), Money::cny(500), d(DAY))
            .unwrap();
        assert_eq!(l.on_full_refund(pay(1), d(DAY)), Ok(Clawback::Reversed(r)));
        assert_eq!(
            l.on_full_refund(pay(1), d(DAY)),
            Ok(Clawback::AlreadyReversed)
        );
        assert_eq!(l.granted(), Money::cny(50));
        assert_eq!(l.earned(cashier(1), d(DAY)), Money::cny(50));
        // The freed budget goes to another payment, never back to the refunded one.
        assert_eq!(
            l.reward_for(pay(1), cashier(1), Money::cny(500), d(DAY)),
            Err(IncentiveError::AlreadyRewarded)
        );
        assert!(
            l.reward_for(pay(3), cashier(1), Money::cny(500), d(DAY))
                .is_ok()
        );
    }

    #[test]
    fn a_full_refund_on_a_later_day_keeps_the_reward() {
        let mut l = IncentiveLedger::new(plan(100));
        l.reward_for(pay(1), cashier(1), Money::cny(500), d(DAY))
            .unwrap();
        assert_eq!(
            l.on_full_refund(pay(1), d("2026-04-02")),
            Ok(Clawback::KeptPastDay)
        );
        assert_eq!(l.on_full_refund(pay(9), d(DAY)), Ok(Clawback::NotRewarded));
        assert_eq!(l.granted(), Money::cny(50));
    }

    #[test]
    fn invalid_plans_are_rejected() {
        let c = Money::cny;
        assert_eq!(
            IncentivePlan::new(c(0), c(0), c(10), c(10)),
            Err(IncentiveError::NonPositiveReward)
        );
        assert_eq!(
            IncentivePlan::new(c(5), c(-1), c(10), c(10)),
            Err(IncentiveError::NegativeAmount)
        );
        assert_eq!(
            IncentivePlan::new(c(50), c(0), c(49), c(10)),
            Err(IncentiveError::CapBelowReward {
                cap: c(49),
                reward: c(50)
            })
        );
        let usd = Money::new(10, cardlife_kernel::Currency::Usd);
        assert!(matches!(
            IncentivePlan::new(c(5), c(0), c(10), usd),
            Err(IncentiveError::Money(MoneyError::CurrencyMismatch { .. }))
        ));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Pay {
            payment: u8,
            cashier: u8,
            fen: i64,
            day: i8,
        },
        Refund {
            payment: u8,
            day: i8,
        },
    }

    fn ops() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u8..30, 0u8..4, 1i64..2_000, 0i8..3).prop_map(|(payment, cashier, fen, day)| {
                Op::Pay { payment, cashier, fen, day }
            }),
            1 => (0u8..30, 0i8..3).prop_map(|(payment, day)| Op::Refund { payment, day }),
        ]
    }

    proptest! {
        #[test]
        fn rewards_stay_within_budget_and_daily_cap_with_one_reward_per_payment(
            reward in 1i64..100,
            cap_rewards in 1i64..5,
            budget in 0i64..2_000,
            script in proptest::collection::vec(ops(), 0..120),
        ) {
            let p = IncentivePlan::new(
                Money::cny(reward),
                Money::cny(500),
                Money::cny(reward * cap_rewards),
                Money::cny(budget),
            ).unwrap();
            let mut l = IncentiveLedger::new(p);
            let base = d(DAY);
            let date = |day: i8| base.checked_add(jiff::Span::new().days(day)).unwrap();
            let mut outstanding: HashMap<u8, Reward> = HashMap::new();
            let mut ever: std::collections::HashSet<u8> = std::collections::HashSet::new();
            for op in script {
                match op {
                    Op::Pay { payment, cashier: c, fen, day } => {
                        if let Ok(r) = l.reward_for(pay(u128::from(payment)), cashier(u128::from(c)), Money::cny(fen), date(day)) {
                            prop_assert!(ever.insert(payment), "payment rewarded twice");
                            outstanding.insert(payment, r);
                        }
                    }
                    Op::Refund { payment, day } => {
                        if let Clawback::Reversed(r) = l.on_full_refund(pay(u128::from(payment)), date(day)).unwrap() {
                            prop_assert_eq!(r.business_date, date(day));
                            prop_assert!(outstanding.remove(&payment).is_some());
                        }
                    }
                }
                let total: i64 = outstanding.values().map(|r| r.amount.fen()).sum();
                prop_assert_eq!(total, l.granted().fen());
                prop_assert!(total <= budget);
                let mut per_day: HashMap<(CashierId, Date), i64> = HashMap::new();
                for r in outstanding.values() {
                    *per_day.entry((r.cashier, r.business_date)).or_default() += r.amount.fen();
                }
                for ((c, day), sum) in per_day {
                    prop_assert!(sum <= reward * cap_rewards);
                    prop_assert_eq!(sum, l.earned(c, day).fen());
                }
            }
        }
    }
}
