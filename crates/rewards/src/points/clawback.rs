//! Pro-rata claw-back on refunds (docs/domain.md §6: "Refunds claw back points pro rata").

use cardlife_kernel::{Money, Points};

use crate::error::RewardsError;

/// Points to take back when `refund` of an `amount` that earned `earned` is refunded:
/// `refund × earned ÷ amount`, rounded down (the customer keeps any fraction), never negative.
/// A refund larger than the amount is treated as a full refund.
pub fn clawback_points(
    earned: Points,
    amount: Money,
    refund: Money,
) -> Result<Points, RewardsError> {
    if !amount.is_positive() {
        return Err(RewardsError::NonPositiveAmount { amount });
    }
    if refund.is_negative() || refund.is_zero() || earned.value() <= 0 {
        // Still check the currencies agree: a mismatched refund is a caller bug.
        refund.checked_sub(amount)?;
        return Ok(Points::ZERO);
    }
    let refund = refund.min(amount)?;
    let exact = i128::from(refund.fen()) * i128::from(earned.value()) / i128::from(amount.fen());
    // refund ≤ amount, so exact ≤ earned and always fits.
    let points = i64::try_from(exact).map_err(|_| cardlife_kernel::PointsError::Overflow)?;
    Ok(Points::new(points))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use cardlife_kernel::Currency;
    use proptest::prelude::*;

    #[test]
    fn a_partial_refund_claws_back_the_floor_of_its_share() {
        // 100 points on 333.33 CNY, refund 100.00: 100 × 10000 / 33333 = 30.0003 → 30.
        let got = clawback_points(Points::new(100), Money::cny(33_333), Money::cny(10_000));
        assert_eq!(got.unwrap(), Points::new(30));
    }

    #[test]
    fn a_refund_above_the_amount_claws_back_everything_earned_and_no_more() {
        let got = clawback_points(Points::new(77), Money::cny(5_000), Money::cny(9_000));
        assert_eq!(got.unwrap(), Points::new(77));
    }

    #[test]
    fn a_zero_refund_or_zero_earned_claws_back_nothing() {
        assert_eq!(
            clawback_points(Points::new(5), Money::cny(100), Money::cny(0)).unwrap(),
            Points::ZERO
        );
        assert_eq!(
            clawback_points(Points::ZERO, Money::cny(100), Money::cny(100)).unwrap(),
            Points::ZERO
        );
    }

    #[test]
    fn a_refund_in_another_currency_is_rejected() {
        let usd = Money::new(100, Currency::Usd);
        assert!(clawback_points(Points::new(5), Money::cny(100), usd).is_err());
    }

    proptest! {
        #[test]
        fn clawback_is_between_zero_and_earned_and_monotone_in_the_refund(
            earned in 0i64..1_000_000,
            amount in 1i64..1_000_000_000,
            a in 0i64..1_000_000_000,
            b in 0i64..1_000_000_000,
        ) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let p = |r| clawback_points(Points::new(earned), Money::cny(amount), Money::cny(r))
                .unwrap()
                .value();
            prop_assert!(p(lo) >= 0);
            prop_assert!(p(lo) <= p(hi));
            prop_assert!(p(hi) <= earned);
            prop_assert_eq!(p(amount), earned);
        }
    }
}
