//! Rewards use cases (docs/rewards.md).

pub mod mall;
pub mod membership;
pub mod payment_hooks;
pub mod points;
pub mod points_ledger;
pub mod referral;
