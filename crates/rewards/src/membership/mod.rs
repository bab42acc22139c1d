//! Membership levels (docs/domain.md §6 "Membership"): ABC's star value = financial score + spending
//! score + activity score, with the weights as data; tiers by thresholds; upgrades at once,
//! downgrades only at a checkpoint or after N months below; tier history is effective-dated.
//!
//! - [`star`]: scores, weights and the star value.
//! - [`ladder`]: the tiers and their thresholds.
//! - [`history`]: one customer's membership — evaluations and the effective-dated tier history.

pub mod history;
pub mod ladder;
pub mod star;

pub use history::{DowngradePolicy, Membership, TierChange, TierSpan};
pub use ladder::{Tier, TierLadder};
pub use star::{StarScores, StarValue, StarWeights};
