//! Rewards storage (docs/rewards.md): flash sales and their winning claims, on either backend,
//! with one query text per statement.

pub mod flash_sale;
