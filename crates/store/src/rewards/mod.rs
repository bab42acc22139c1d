//! Rewards storage (docs/rewards.md): flash sales and their winning claims; points lots,
//! movements and notices; the points mall — on either backend, with one query text per statement.

pub mod flash_sale;
pub mod mall;
pub mod membership;
pub mod points;
pub mod referral;
