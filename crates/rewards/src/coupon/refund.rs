//! Refunds of coupon-discounted orders (docs/domain.md §6): a full refund returns what was paid; a
//! partial refund returns `requested × paid ÷ order total`, rounded half-up to the fen (§2).
//! Whether the coupon itself comes back is [`crate::coupon::CouponIssuer::return_on_refund`].

use cardlife_kernel::{Money, round_half_up_to_fen};
use rust_decimal::Decimal;

use crate::error::RewardsError;

/// Cash to return when `requested` (at list price) of an order of `order_total`, for which the
/// customer `paid` after discounts, is refunded. Never more than `paid`.
pub fn refund_of_discounted(
    paid: Money,
    order_total: Money,
    requested: Money,
) -> Result<Money, RewardsError> {
    if !order_total.is_positive() {
        return Err(RewardsError::NonPositiveAmount {
            amount: order_total,
        });
    }
    if !requested.is_positive() {
        return Err(RewardsError::NonPositiveAmount { amount: requested });
    }
    paid.checked_sub(order_total)?;
    if requested.checked_sub(order_total)?.is_negative() {
        let exact = Decimal::from(requested.fen()) * Decimal::from(paid.fen())
            / Decimal::from(order_total.fen());
        let fen = round_half_up_to_fen(exact)?;
        return Ok(Money::new(fen, paid.currency()));
    }
    Ok(paid)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_full_refund_returns_what_was_paid() {
        let got = refund_of_discounted(Money::cny(8_000), Money::cny(10_000), Money::cny(10_000));
        assert_eq!(got.unwrap(), Money::cny(8_000));
    }

    #[test]
    fn a_partial_refund_returns_its_share_of_what_was_paid_half_up() {
        // 33.33 of 100.00, paid 80.00: 3333 × 8000 / 10000 = 2666.4 → 2666.
        let got = refund_of_discounted(Money::cny(8_000), Money::cny(10_000), Money::cny(3_333));
        assert_eq!(got.unwrap(), Money::cny(2_666));
        // 1 fen of 3 fen, paid 1: 1/3 → 0; 2 of 3 → 0.67 → 1.
        assert_eq!(
            refund_of_discounted(Money::cny(1), Money::cny(3), Money::cny(2)).unwrap(),
            Money::cny(1)
        );
    }

    proptest! {
        #[test]
        fn partial_refunds_never_return_more_than_was_paid(
            total in 1i64..100_000_000,
            paid_share in 0i64..=100,
            req in 1i64..200_000_000,
        ) {
            let paid = total * paid_share / 100;
            let back = refund_of_discounted(Money::cny(paid), Money::cny(total), Money::cny(req))
                .unwrap()
                .fen();
            prop_assert!((0..=paid).contains(&back));
        }
    }
}
