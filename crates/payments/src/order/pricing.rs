//! What an order costs and what each refund gives back (docs/domain.md §6 refund of a discounted order).

use cardlife_kernel::{Money, Points, round_half_up_to_fen};
use rust_decimal::Decimal;

use crate::error::OrderError;

/// Points spent on an order, and the money value they stood for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointsDeduction {
    /// The points redeemed.
    pub points: Points,
    /// Their value, deducted from the goods total.
    pub value: Money,
}

/// An order's price: goods total, the deductions priced in, and the part paid by card.
///
/// `payable = goods_total − coupon − points value`, and it must stay above zero: an order fully
/// covered by deductions needs no card payment and is not a payment order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderPricing {
    goods_total: Money,
    coupon: Option<Money>,
    points: Option<PointsDeduction>,
    payable: Money,
}

impl OrderPricing {
    /// Prices an order; every amount must be in the goods total's currency.
    pub fn new(
        goods_total: Money,
        coupon: Option<Money>,
        points: Option<PointsDeduction>,
    ) -> Result<Self, OrderError> {
        if !goods_total.is_positive() {
            return Err(OrderError::NonPositiveAmount);
        }
        let mut payable = goods_total;
        for deduction in [coupon, points.map(|p| p.value)].into_iter().flatten() {
            if deduction.is_negative() || points.is_some_and(|p| p.points.is_negative()) {
                return Err(OrderError::NegativeDeduction);
            }
            payable = payable.checked_sub(deduction)?;
        }
        if !payable.is_positive() {
            return Err(OrderError::NothingToPay);
        }
        Ok(Self {
            goods_total,
            coupon,
            points,
            payable,
        })
    }

    /// An order with no deductions: everything is paid by card.
    pub fn plain(goods_total: Money) -> Result<Self, OrderError> {
        Self::new(goods_total, None, None)
    }

    /// The goods total before deductions (the "order total" of docs/domain.md §6).
    pub fn goods_total(&self) -> Money {
        self.goods_total
    }

    /// The coupon deduction, if any.
    pub fn coupon(&self) -> Option<Money> {
        self.coupon
    }

    /// The points deduction, if any.
    pub fn points(&self) -> Option<PointsDeduction> {
        self.points
    }

    /// What the payer pays by card; this is what is authorised.
    pub fn payable(&self) -> Money {
        self.payable
    }
}

/// The cash returned for a refund of `requested` (goods terms) on an order that paid `paid`.
///
/// `requested × paid ÷ goods_total`, computed exactly and rounded half-up to the fen once; the
/// refund that brings the refunded goods to the goods total takes the remainder of `paid`, and no
/// refund returns more than is left, so Σ cash ≤ paid always and a full refund returns `paid`.
pub(crate) fn refund_cash(
    pricing: &OrderPricing,
    paid: Money,
    requested: Money,
    refunded_goods: Money,
    refunded_cash: Money,
) -> Result<Money, OrderError> {
    let left_cash = paid.checked_sub(refunded_cash)?;
    let goods_after = refunded_goods.checked_add(requested)?;
    if goods_after == pricing.goods_total {
        return Ok(left_cash);
    }
    let exact = Decimal::from(requested.fen())
        .checked_mul(Decimal::from(paid.fen()))
        .and_then(|x| x.checked_div(Decimal::from(pricing.goods_total.fen())))
        .ok_or(cardlife_kernel::MoneyError::Overflow)?;
    let share = Money::new(round_half_up_to_fen(exact)?, paid.currency());
    Ok(share.min(left_cash)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use cardlife_kernel::{Currency, MoneyError};

    #[test]
    fn pricing_deducts_coupon_and_points_value_from_the_goods_total() {
        let p = OrderPricing::new(
            Money::cny(10_000),
            Some(Money::cny(1_000)),
            Some(PointsDeduction {
                points: Points::new(500),
                value: Money::cny(500),
            }),
        )
        .unwrap();
        assert_eq!(p.payable(), Money::cny(8_500));
        assert_eq!(p.goods_total(), Money::cny(10_000));
    }

    #[test]
    fn pricing_rejects_deductions_that_cover_the_whole_order() {
        assert_eq!(
            OrderPricing::new(Money::cny(1_000), Some(Money::cny(1_000)), None),
            Err(OrderError::NothingToPay)
        );
    }

    #[test]
    fn pricing_rejects_negative_deductions_and_non_positive_totals() {
        assert_eq!(
            OrderPricing::new(Money::cny(1_000), Some(Money::cny(-1)), None),
            Err(OrderError::NegativeDeduction)
        );
        assert_eq!(
            OrderPricing::plain(Money::cny(0)),
            Err(OrderError::NonPositiveAmount)
        );
    }

    #[test]
    fn pricing_rejects_a_coupon_in_another_currency() {
        assert!(matches!(
            OrderPricing::new(Money::cny(1_000), Some(Money::new(1, Currency::Usd)), None),
            Err(OrderError::Money(MoneyError::CurrencyMismatch { .. }))
        ));
    }

    #[test]
    fn refund_cash_is_pro_rata_half_up_and_the_last_takes_the_remainder() {
        // Goods 100.00, coupon 33.33: paid 66.67. Refund 50.00 → 33.335 → 33.34 (half-up).
        let p = OrderPricing::new(Money::cny(10_000), Some(Money::cny(3_333)), None).unwrap();
        let first = refund_cash(
            &p,
            p.payable(),
            Money::cny(5_000),
            Money::cny(0),
            Money::cny(0),
        )
        .unwrap();
        assert_eq!(first, Money::cny(3_334));
        let last =
            refund_cash(&p, p.payable(), Money::cny(5_000), Money::cny(5_000), first).unwrap();
        assert_eq!(last, Money::cny(3_333));
        assert_eq!(first.checked_add(last).unwrap(), p.payable());
    }
}
