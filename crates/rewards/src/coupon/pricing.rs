//! Pricing: what one coupon takes off one order, or precisely why it cannot be used.
//!
//! Checks in order: validity (expired, not yet valid), scope, threshold. Percent-off discounts
//! round half-up to the fen (docs/domain.md §2) and then apply the cap; no discount exceeds the order.

use cardlife_kernel::{Money, Rounding};
use jiff::civil::Date;

use crate::coupon::scope::{Order, Scope};
use crate::coupon::template::Discount;
use crate::error::RewardsError;

/// The discount `discount` within `scope`, valid `valid_from..=valid_until`, gives `order`.
pub fn discount_for(
    discount: Discount,
    scope: &Scope,
    (valid_from, valid_until): (Date, Date),
    order: &Order,
) -> Result<Money, RewardsError> {
    if !order.amount.is_positive() {
        return Err(RewardsError::NonPositiveAmount {
            amount: order.amount,
        });
    }
    if order.date > valid_until {
        return Err(RewardsError::CouponExpired { valid_until });
    }
    if order.date < valid_from {
        return Err(RewardsError::CouponNotYetValid { valid_from });
    }
    scope
        .check(order)
        .map_err(|mismatch| RewardsError::CouponOutOfScope { mismatch })?;
    let off = match discount {
        Discount::FixedOff { off } => off,
        Discount::PercentOff { rate, cap } => {
            rate.apply(order.amount, Rounding::HalfUp)?.min(cap)?
        }
        Discount::Threshold { min_spend, off } => {
            if order.amount.checked_sub(min_spend)?.is_negative() {
                return Err(RewardsError::BelowThreshold {
                    threshold: min_spend,
                    amount: order.amount,
                });
            }
            off
        }
    };
    Ok(off.min(order.amount)?)
}

#[cfg(test)]
mod tests;
