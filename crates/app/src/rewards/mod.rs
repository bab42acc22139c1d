//! Rewards use cases persisted beyond flash sales (docs/rewards.md): coupons and campaigns,
//! lotteries (monthly spend tiers → draw chances → draws with stated odds), points, the points
//! mall, membership levels and referral.

pub mod campaigns;
pub mod campaigns_segment;
pub mod coupon_ledger;
pub mod coupon_payment;
pub mod coupons;
pub mod group_buy;
pub mod group_buy_money;
pub mod lottery;
pub mod lottery_chances;
pub mod lottery_draw;
pub mod lottery_owed;
pub mod lottery_terms;
pub mod mall;
pub mod membership;
pub mod payment_hooks;
pub mod points;
pub mod points_ledger;
pub mod referral;
pub mod segment_terms;
pub mod terms;
