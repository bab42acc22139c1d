//! A customer's lifecycle stage (客户生命周期) and value tier, derived from what they hold and do:
//! the acquire → activate → spend → finance loop the platform runs on. Pure rules over facts the
//! store counts; the thresholds are product parameters ([`LifecyclePolicy`]).

use cardlife_kernel::Money;
use jiff::{SignedDuration, Timestamp};

/// Where a customer is in the loop, most pressing first when several apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LifecycleStage {
    /// A loan or credit line is past due (逾期): collections before marketing.
    Delinquent,
    /// Holds an open loan or credit line (融资).
    Financing,
    /// Paid within the activity window (活跃).
    Active,
    /// Paid before, but not within the activity window (沉睡).
    Dormant,
    /// Holds a credit card but has never paid with it (待激活).
    Unactivated,
    /// Registered, no card yet (获客).
    Prospect,
}

impl LifecycleStage {
    /// A stable code (`delinquent`, `financing`, …).
    pub const fn code(self) -> &'static str {
        match self {
            Self::Delinquent => "delinquent",
            Self::Financing => "financing",
            Self::Active => "active",
            Self::Dormant => "dormant",
            Self::Unactivated => "unactivated",
            Self::Prospect => "prospect",
        }
    }
}

/// How much a customer spends, by the activity window's total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ValueTier {
    /// At least [`LifecyclePolicy::high_spend`].
    High,
    /// At least [`LifecyclePolicy::medium_spend`].
    Medium,
    /// Some spending.
    Low,
    /// None in the window.
    None,
}

impl ValueTier {
    /// A stable code (`high`, `medium`, `low`, `none`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
            Self::None => "none",
        }
    }
}

/// The thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifecyclePolicy {
    /// A payment within this long makes a customer active.
    pub activity_window: SignedDuration,
    /// Spending in the window from which a customer is high value.
    pub high_spend: Money,
    /// Spending in the window from which a customer is medium value.
    pub medium_spend: Money,
}

impl LifecyclePolicy {
    /// 90 days; 10,000.00 and 1,000.00.
    pub const DEFAULT: Self = Self {
        activity_window: SignedDuration::from_hours(90 * 24),
        high_spend: Money::cny(1_000_000),
        medium_spend: Money::cny(100_000),
    };
}

/// What the rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifecycleFacts {
    /// Credit accounts held.
    pub credit_accounts: u32,
    /// The latest payment captured, if any.
    pub last_paid_at: Option<Timestamp>,
    /// What was paid within the activity window.
    pub window_spend: Money,
    /// Open loans and credit lines.
    pub open_financing: u32,
    /// Days past due of the worst open loan.
    pub days_past_due: u32,
}

impl LifecycleFacts {
    /// The stage at `now`.
    pub fn stage(&self, policy: &LifecyclePolicy, now: Timestamp) -> LifecycleStage {
        let recent = self
            .last_paid_at
            .is_some_and(|at| now.duration_since(at) <= policy.activity_window);
        if self.days_past_due > 0 {
            LifecycleStage::Delinquent
        } else if self.open_financing > 0 {
            LifecycleStage::Financing
        } else if recent {
            LifecycleStage::Active
        } else if self.last_paid_at.is_some() {
            LifecycleStage::Dormant
        } else if self.credit_accounts > 0 {
            LifecycleStage::Unactivated
        } else {
            LifecycleStage::Prospect
        }
    }

    /// The value tier by spending in the window.
    pub fn value(&self, policy: &LifecyclePolicy) -> ValueTier {
        if self.window_spend >= policy.high_spend {
            ValueTier::High
        } else if self.window_spend >= policy.medium_spend {
            ValueTier::Medium
        } else if self.window_spend > Money::cny(0) {
            ValueTier::Low
        } else {
            ValueTier::None
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const P: LifecyclePolicy = LifecyclePolicy::DEFAULT;

    fn now() -> Timestamp {
        "2026-11-26T12:00:00Z".parse().unwrap()
    }
    fn days_ago(d: i64) -> Option<Timestamp> {
        Some(now() - SignedDuration::from_hours(24 * d))
    }
    fn facts() -> LifecycleFacts {
        LifecycleFacts {
            credit_accounts: 0,
            last_paid_at: None,
            window_spend: Money::cny(0),
            open_financing: 0,
            days_past_due: 0,
        }
    }

    #[test]
    fn the_loop_acquire_activate_spend_finance_in_order() {
        let mut f = facts();
        assert_eq!(f.stage(&P, now()), LifecycleStage::Prospect);
        f.credit_accounts = 1;
        assert_eq!(f.stage(&P, now()), LifecycleStage::Unactivated);
        f.last_paid_at = days_ago(3);
        assert_eq!(f.stage(&P, now()), LifecycleStage::Active);
        f.open_financing = 1;
        assert_eq!(f.stage(&P, now()), LifecycleStage::Financing);
        f.days_past_due = 1;
        assert_eq!(f.stage(&P, now()), LifecycleStage::Delinquent);
    }

    #[test]
    fn a_payment_exactly_at_the_window_edge_is_still_active_and_a_day_later_dormant() {
        let mut f = facts();
        f.credit_accounts = 1;
        f.last_paid_at = days_ago(90);
        assert_eq!(f.stage(&P, now()), LifecycleStage::Active);
        f.last_paid_at = days_ago(91);
        assert_eq!(f.stage(&P, now()), LifecycleStage::Dormant);
    }

    #[test]
    fn value_tiers_start_at_their_thresholds() {
        let mut f = facts();
        assert_eq!(f.value(&P), ValueTier::None);
        f.window_spend = Money::cny(1);
        assert_eq!(f.value(&P), ValueTier::Low);
        f.window_spend = Money::cny(99_999);
        assert_eq!(f.value(&P), ValueTier::Low);
        f.window_spend = Money::cny(100_000);
        assert_eq!(f.value(&P), ValueTier::Medium);
        f.window_spend = Money::cny(1_000_000);
        assert_eq!(f.value(&P), ValueTier::High);
    }
}
