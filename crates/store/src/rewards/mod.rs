//! Rewards storage (docs/rewards.md): flash sales and their winning claims; coupon templates,
//! coupons, campaigns and their grants; points lots, movements and notices; the points mall,
//! membership and referral — on either backend, with one query text per statement.

pub mod campaigns;
pub mod coupons;
pub mod flash_sale;
mod flash_sale_packed;
pub mod group_buy;
pub mod lottery;
pub mod mall;
pub mod membership;
pub mod points;
pub mod referral;
