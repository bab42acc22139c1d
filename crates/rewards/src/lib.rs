//! Rewards: the 活客 (activate) part of the loop — what makes cardholders come back (docs/domain.md §6).
//!
//! Pure domain logic, no I/O: every type here is a value or an in-memory state machine that a
//! service drives and a store persists. Money is [`cardlife_kernel::Money`] (integer fen,
//! checked), points are [`cardlife_kernel::Points`]; no floats anywhere.
//!
//! - [`points`]: accrual rules as data, lots with expiry, FIFO redemption, expiry and claw-back.
//! - [`coupon`]: templates, scope, validity, budget and caps, the claim → reserve → redeem or
//!   release lifecycle, and pricing a coupon against an order.
//! - [`flash_sale`]: a single-writer sequencer that decides claims for one item in arrival order.
//! - [`membership`]: star value from weighted scores, tier ladder, effective-dated tier history.
//! - [`group_buy`]: groups of k within a window; completion, failure and the refunds due.
//! - [`campaign`]: event-triggered rules with budgets that can never be exceeded.
//! - [`lottery`]: draws with stated odds (basis points summing to 10,000), stock and budgets;
//!   a prize that would not fit becomes "no prize". Monthly spend tiers grant the chances
//!   ([`campaign::SpendTierRule`]).
//! - [`mall`]: the points mall — items in points or points + cash, stock, orders and refunds.
//! - [`referral`]: invite codes and one-level rewards on the invitee's first qualifying spend.
//! - Shared vocabulary: [`Mcc`] and its exclusion list, [`CardBin`], [`TierCode`], the typed ids
//!   in [`ids`], and the one error enum [`RewardsError`].

#![warn(missing_docs)]

pub mod campaign;
mod card_bin;
pub mod coupon;
mod error;
pub mod flash_sale;
pub mod group_buy;
pub mod ids;
pub mod lottery;
pub mod mall;
mod mcc;
pub mod membership;
pub mod points;
pub mod referral;
mod tier_code;

pub use card_bin::CardBin;
pub use error::RewardsError;
pub use mcc::{ExcludedCategory, Mcc, MccExclusion, MccExclusions};
pub use tier_code::TierCode;
