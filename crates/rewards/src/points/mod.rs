//! Points (积分), docs/domain.md §6: how spending earns points, and the lots that hold them.
//!
//! - [`accrual`]: the accrual rule as data — per CNY (fraction dropped) or per N CNY per
//!   transaction; excluded transaction kinds, MCCs and amounts below 1 CNY; multipliers by
//!   campaign, category, birthday month and card tier; per-transaction and per-month caps.
//! - [`lot`]: a lot is one credit with its own `expires_at` (ICBC 5 years, CMB permanent).
//! - [`account`]: a customer's lots; FIFO redemption by expiry, the expiry step with advance
//!   notices, and claw-back. Σ earned − Σ redeemed − Σ expired − Σ clawed = balance, always.
//! - [`clawback`]: the pro-rata points to take back on a refund (refund × earned ÷ amount, floor).

pub mod account;
pub mod accrual;
pub mod clawback;
pub mod lot;

pub use account::{ClawBack, ExpiryNotice, LotTake, PointsAccount, PointsTotals};
pub use accrual::{
    Accrual, AccrualBasis, AccrualRule, Cap, Exclusion, Multiplier, MultiplierWhen, Spend,
    Stacking, TxnKind,
};
pub use clawback::clawback_points;
pub use lot::{Lot, LotId, LotValidity};
