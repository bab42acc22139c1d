//! Rewards use cases persisted beyond flash sales (docs/rewards.md).

pub mod campaigns;
pub mod coupon_ledger;
pub mod coupon_payment;
pub mod coupons;
pub mod terms;
