#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use crate::card_bin::CardBin;
use crate::coupon::scope::ScopeMismatch;
use crate::ids::SceneId;
use crate::mcc::Mcc;
use cardlife_kernel::{MerchantId, Rate};
use jiff::civil::date;
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn order(fen: i64) -> Order {
    Order {
        amount: Money::cny(fen),
        merchant: MerchantId::from_u128(1),
        mcc: Mcc::new(5812).unwrap(),
        scene: Some(SceneId::from_u128(3)),
        card_bin: CardBin::parse("62258801").unwrap(),
        date: date(2026, 6, 10),
    }
}

const VALID: (Date, Date) = (date(2026, 6, 1), date(2026, 6, 30));

#[test]
fn fixed_off_takes_its_amount_but_never_more_than_the_order() {
    let d = Discount::FixedOff {
        off: Money::cny(1_000),
    };
    assert_eq!(
        discount_for(d, &Scope::any(), VALID, &order(5_000)).unwrap(),
        Money::cny(1_000)
    );
    assert_eq!(
        discount_for(d, &Scope::any(), VALID, &order(600)).unwrap(),
        Money::cny(600)
    );
}

#[test]
fn percent_off_rounds_half_up_and_stops_at_the_cap() {
    let d = Discount::PercentOff {
        rate: Rate::new(dec!(0.15)),
        cap: Money::cny(2_000),
    };
    // 15 % of 33.30 = 4.995 → 5.00.
    assert_eq!(
        discount_for(d, &Scope::any(), VALID, &order(3_330)).unwrap(),
        Money::cny(500)
    );
    assert_eq!(
        discount_for(d, &Scope::any(), VALID, &order(50_000)).unwrap(),
        Money::cny(2_000)
    );
}

#[test]
fn a_threshold_coupon_below_its_threshold_says_so() {
    let d = Discount::Threshold {
        min_spend: Money::cny(10_000),
        off: Money::cny(2_000),
    };
    assert_eq!(
        discount_for(d, &Scope::any(), VALID, &order(9_999)),
        Err(RewardsError::BelowThreshold {
            threshold: Money::cny(10_000),
            amount: Money::cny(9_999)
        })
    );
    assert_eq!(
        discount_for(d, &Scope::any(), VALID, &order(10_000)).unwrap(),
        Money::cny(2_000)
    );
}

#[test]
fn an_order_outside_the_validity_is_expired_or_not_yet_valid() {
    let d = Discount::FixedOff {
        off: Money::cny(100),
    };
    let mut o = order(1_000);
    o.date = date(2026, 7, 1);
    assert_eq!(
        discount_for(d, &Scope::any(), VALID, &o),
        Err(RewardsError::CouponExpired {
            valid_until: date(2026, 6, 30)
        })
    );
    o.date = date(2026, 5, 31);
    assert_eq!(
        discount_for(d, &Scope::any(), VALID, &o),
        Err(RewardsError::CouponNotYetValid {
            valid_from: date(2026, 6, 1)
        })
    );
}

#[test]
fn each_scope_dimension_reports_its_own_mismatch() {
    let d = Discount::FixedOff {
        off: Money::cny(100),
    };
    let o = order(1_000);
    let cases = [
        (
            Scope {
                merchants: vec![MerchantId::from_u128(2)],
                ..Scope::any()
            },
            ScopeMismatch::Merchant,
        ),
        (
            Scope {
                mccs: vec![Mcc::new(5411).unwrap()],
                ..Scope::any()
            },
            ScopeMismatch::Mcc,
        ),
        (
            Scope {
                scenes: vec![SceneId::from_u128(4)],
                ..Scope::any()
            },
            ScopeMismatch::Scene,
        ),
        (
            Scope {
                card_bins: vec![CardBin::parse("622589").unwrap()],
                ..Scope::any()
            },
            ScopeMismatch::CardBin,
        ),
    ];
    for (scope, mismatch) in cases {
        assert_eq!(
            discount_for(d, &scope, VALID, &o),
            Err(RewardsError::CouponOutOfScope { mismatch })
        );
    }
    let matching = Scope {
        merchants: vec![MerchantId::from_u128(1)],
        mccs: vec![Mcc::new(5812).unwrap()],
        scenes: vec![SceneId::from_u128(3)],
        card_bins: vec![CardBin::parse("622588").unwrap()],
    };
    assert_eq!(
        discount_for(d, &matching, VALID, &o).unwrap(),
        Money::cny(100)
    );
}

proptest! {
    #[test]
    fn a_discount_is_never_negative_nor_above_the_order_nor_above_face_value(
        fen in 1i64..10_000_000,
        off in 1i64..1_000_000,
        pct in 1u32..=100,
        kind in 0u8..3,
    ) {
        let d = match kind {
            0 => Discount::FixedOff { off: Money::cny(off) },
            1 => Discount::PercentOff { rate: Rate::new(rust_decimal::Decimal::new(i64::from(pct), 2)), cap: Money::cny(off) },
            _ => Discount::Threshold { min_spend: Money::cny(off), off: Money::cny(off / 2 + 1) },
        };
        match discount_for(d, &Scope::any(), VALID, &order(fen)) {
            Ok(got) => {
                prop_assert!(got.fen() >= 0 && got.fen() <= fen);
                prop_assert!(got.fen() <= d.face_value().fen());
            }
            Err(e) => {
                let below = matches!(e, RewardsError::BelowThreshold { .. });
                prop_assert!(below && fen < off);
            }
        }
    }
}
