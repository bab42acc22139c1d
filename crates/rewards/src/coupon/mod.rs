//! Coupons (立减金, 代金券, 满减), docs/domain.md §6.
//!
//! - [`template`]: what a coupon is worth ([`Discount`]: fixed off, percent off with a cap,
//!   threshold), how long it lasts ([`Validity`]: a fixed window or N days after claim), who pays
//!   ([`FundingSource`]), and the budget, stock and caps that bound its issuance.
//! - [`scope`]: where it may be used (merchants, MCCs, scenes, card BINs) and the [`Order`] it is
//!   priced against.
//! - [`pricing`]: the discount in fen for one order, or the precise reason there is none.
//! - [`issuer`]: one template's issuance and every coupon's lifecycle:
//!   claim → reserve (at payment, a pending transfer) → redeem, or release (back to usable if
//!   still valid) / expire. Issued face value never exceeds the budget; caps always hold.
//! - [`refund`]: what a refund of a discounted order returns (docs/domain.md §6).

pub mod issuer;
pub mod pricing;
pub mod refund;
pub mod scope;
pub mod template;

pub use issuer::{Coupon, CouponIssuer, CouponState, Tally, admit};
pub use pricing::discount_for;
pub use refund::refund_of_discounted;
pub use scope::{Order, Scope, ScopeMismatch};
pub use template::{Caps, CouponTemplate, Discount, FundingSource, Validity};
