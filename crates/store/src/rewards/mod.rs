//! Rewards storage (docs/rewards.md): flash sales and their winning claims, coupon templates,
//! coupons, campaigns and their grants, on either backend,
//! with one query text per statement.

pub mod campaigns;
pub mod coupons;
pub mod flash_sale;
