#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use cardlife_kernel::Points;
use proptest::prelude::*;

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

const CREATED: &str = "2026-04-01T02:00:00Z"; // 10:00 Shanghai, 1 Apr

fn order_with(pricing: OrderPricing) -> PaymentOrder {
    PaymentOrder::create(NewOrder {
        id: PaymentOrderId::from_u128(1),
        merchant: MerchantId::from_u128(2),
        payer: CustomerId::from_u128(3),
        pricing,
        created_at: ts(CREATED),
        expires_at: ts("2026-04-01T02:15:00Z"),
    })
    .unwrap()
}

fn plain(fen: i64) -> PaymentOrder {
    order_with(OrderPricing::plain(Money::cny(fen)).unwrap())
}

fn captured(fen: i64) -> PaymentOrder {
    let mut o = plain(fen);
    o.authorise(ts("2026-04-01T02:01:00Z")).unwrap();
    o.capture(ts("2026-04-01T02:02:00Z")).unwrap();
    o
}

#[test]
fn order_goes_from_created_to_fully_refunded() {
    let mut o = plain(10_000);
    assert_eq!(o.status(), OrderStatus::Created);
    assert_eq!(
        o.authorise(ts("2026-04-01T02:01:00Z")).unwrap(),
        Money::cny(10_000)
    );
    assert_eq!(
        o.capture(ts("2026-04-01T02:02:00Z")).unwrap(),
        Money::cny(10_000)
    );
    let policy = OrderPolicy::default();
    let r1 = o
        .refund(Money::cny(3_000), ts("2026-04-02T00:00:00Z"), &policy)
        .unwrap();
    assert_eq!((r1.number, r1.cash), (1, Money::cny(3_000)));
    assert_eq!(o.status(), OrderStatus::PartiallyRefunded);
    o.refund(Money::cny(7_000), ts("2026-04-03T00:00:00Z"), &policy)
        .unwrap();
    assert_eq!(o.status(), OrderStatus::FullyRefunded);
    assert_eq!(o.refunded_cash(), Money::cny(10_000));
}

#[test]
fn authorise_after_expiry_is_order_expired_and_changes_nothing() {
    let mut o = plain(10_000);
    let before = o.clone();
    assert_eq!(
        o.authorise(ts("2026-04-01T02:15:00Z")),
        Err(OrderError::OrderExpired {
            expires_at: ts("2026-04-01T02:15:00Z")
        })
    );
    assert_eq!(o, before);
    o.expire(ts("2026-04-01T02:15:00Z")).unwrap();
    assert_eq!(o.status(), OrderStatus::Expired);
    assert!(matches!(
        o.capture(ts("2026-04-01T02:16:00Z")),
        Err(OrderError::OrderExpired { .. })
    ));
}

#[test]
fn expire_before_the_expiry_is_not_yet_expired() {
    let mut o = plain(10_000);
    assert!(matches!(
        o.expire(ts("2026-04-01T02:14:59Z")),
        Err(OrderError::NotYetExpired { .. })
    ));
}

#[test]
fn capture_twice_is_already_captured_and_cancel_after_capture_too() {
    let mut o = captured(10_000);
    assert_eq!(
        o.capture(ts("2026-04-01T02:03:00Z")),
        Err(OrderError::AlreadyCaptured)
    );
    assert_eq!(o.cancel(), Err(OrderError::AlreadyCaptured));
    assert_eq!(
        o.authorise(ts("2026-04-01T02:03:00Z")),
        Err(OrderError::AlreadyCaptured)
    );
}

#[test]
fn capture_before_authorisation_is_not_authorised() {
    let mut o = plain(10_000);
    assert_eq!(
        o.capture(ts("2026-04-01T02:03:00Z")),
        Err(OrderError::NotAuthorised)
    );
}

#[test]
fn cancel_releases_the_hold_and_blocks_everything_after() {
    let mut o = plain(10_000);
    o.authorise(ts("2026-04-01T02:01:00Z")).unwrap();
    assert_eq!(o.cancel().unwrap(), Money::cny(10_000));
    assert_eq!(o.authorised(), Money::cny(0));
    assert_eq!(o.cancel(), Err(OrderError::OrderCancelled));
    assert_eq!(
        o.refund(
            Money::cny(1),
            ts("2026-04-01T03:00:00Z"),
            &OrderPolicy::default()
        ),
        Err(OrderError::OrderCancelled)
    );
}

#[test]
fn refund_before_capture_is_not_captured() {
    let mut o = plain(10_000);
    o.authorise(ts("2026-04-01T02:01:00Z")).unwrap();
    assert_eq!(
        o.refund(
            Money::cny(1),
            ts("2026-04-01T03:00:00Z"),
            &OrderPolicy::default()
        ),
        Err(OrderError::NotCaptured)
    );
}

#[test]
fn refund_above_what_is_left_is_refund_exceeds_captured() {
    let mut o = captured(10_000);
    let policy = OrderPolicy::default();
    o.refund(Money::cny(6_000), ts("2026-04-02T00:00:00Z"), &policy)
        .unwrap();
    let before = o.clone();
    assert_eq!(
        o.refund(Money::cny(4_001), ts("2026-04-02T00:00:00Z"), &policy),
        Err(OrderError::RefundExceedsCaptured {
            requested: Money::cny(4_001),
            refundable: Money::cny(4_000)
        })
    );
    assert_eq!(o, before);
}

#[test]
fn refund_of_zero_is_non_positive_amount() {
    let mut o = captured(10_000);
    assert_eq!(
        o.refund(
            Money::cny(0),
            ts("2026-04-02T00:00:00Z"),
            &OrderPolicy::default()
        ),
        Err(OrderError::NonPositiveAmount)
    );
}

#[test]
fn the_fifty_first_refund_is_too_many_refunds() {
    let mut o = captured(10_000);
    let policy = OrderPolicy::default();
    let at = ts("2026-04-02T00:00:00Z");
    for _ in 0..50 {
        o.refund(Money::cny(1), at, &policy).unwrap();
    }
    assert_eq!(
        o.refund(Money::cny(1), at, &policy),
        Err(OrderError::TooManyRefunds { max: 50 })
    );
    assert_eq!(o.refunds().len(), 50);
}

#[test]
fn refund_window_is_365_business_days_from_the_capture_date_in_shanghai() {
    // Captured 2026-04-01 02:02Z = 10:02 Shanghai, business date 1 Apr 2026.
    let policy = OrderPolicy::default();
    let mut o = captured(10_000);
    // 2027-04-01 is day 365; 15:59:59Z is still 1 Apr in Shanghai.
    o.refund(Money::cny(1), ts("2027-04-01T15:59:59Z"), &policy)
        .unwrap();
    assert_eq!(
        o.refund(Money::cny(1), ts("2027-04-01T16:00:00Z"), &policy),
        Err(OrderError::RefundWindowClosed {
            captured_on: jiff::civil::date(2026, 4, 1),
            last_day: jiff::civil::date(2027, 4, 1)
        })
    );
}

#[test]
fn refund_of_a_discounted_order_returns_requested_times_paid_over_goods_total() {
    // Goods 200.00, coupon 20.00, 1000 points worth 10.00 → paid 170.00.
    let pricing = OrderPricing::new(
        Money::cny(20_000),
        Some(Money::cny(2_000)),
        Some(PointsDeduction {
            points: Points::new(1_000),
            value: Money::cny(1_000),
        }),
    )
    .unwrap();
    let mut o = order_with(pricing);
    assert_eq!(
        o.authorise(ts("2026-04-01T02:01:00Z")).unwrap(),
        Money::cny(17_000)
    );
    o.capture(ts("2026-04-01T02:02:00Z")).unwrap();
    let policy = OrderPolicy::default();
    let at = ts("2026-04-02T00:00:00Z");
    // 50.00 × 170 / 200 = 42.50
    assert_eq!(
        o.refund(Money::cny(5_000), at, &policy).unwrap().cash,
        Money::cny(4_250)
    );
    // 0.01 × 170 / 200 = 0.0085 → 0.01 (half-up)
    assert_eq!(
        o.refund(Money::cny(1), at, &policy).unwrap().cash,
        Money::cny(1)
    );
    // The rest takes the remainder: 170.00 − 42.51 = 127.49.
    assert_eq!(
        o.refund(Money::cny(14_999), at, &policy).unwrap().cash,
        Money::cny(12_749)
    );
    assert_eq!(o.refunded_cash(), Money::cny(17_000));
    assert_eq!(o.status(), OrderStatus::FullyRefunded);
    assert_eq!(
        o.refund(Money::cny(1), at, &policy),
        Err(OrderError::AlreadyFullyRefunded)
    );
}

#[test]
fn create_rejects_an_expiry_not_after_creation() {
    let err = PaymentOrder::create(NewOrder {
        id: PaymentOrderId::from_u128(1),
        merchant: MerchantId::from_u128(2),
        payer: CustomerId::from_u128(3),
        pricing: OrderPricing::plain(Money::cny(1)).unwrap(),
        created_at: ts(CREATED),
        expires_at: ts(CREATED),
    });
    assert_eq!(err, Err(OrderError::ExpiryNotAfterCreation));
}

#[test]
fn order_ids_show_the_ord_prefix() {
    assert!(PaymentOrderId::from_u128(1).to_string().starts_with("ord_"));
}

#[derive(Debug, Clone)]
enum Op {
    Authorise(i64),
    Capture,
    Cancel,
    Expire(i64),
    Refund { fen: i64, day: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0i64..2_000).prop_map(Op::Authorise),
        Just(Op::Capture),
        Just(Op::Cancel),
        (0i64..2_000).prop_map(Op::Expire),
        (-5i64..12_000, 0i64..400).prop_map(|(fen, day)| Op::Refund { fen, day }),
        (1i64..300, 0i64..400).prop_map(|(fen, day)| Op::Refund { fen, day }),
    ]
}

fn apply(o: &mut PaymentOrder, op: &Op, policy: &OrderPolicy) -> Result<(), OrderError> {
    let base = ts(CREATED);
    let secs = |s: i64| {
        base.saturating_add(jiff::SignedDuration::from_secs(s))
            .unwrap()
    };
    match *op {
        Op::Authorise(s) => o.authorise(secs(s)).map(drop),
        Op::Capture => o.capture(secs(60)).map(drop),
        Op::Cancel => o.cancel().map(drop),
        Op::Expire(s) => o.expire(secs(s)),
        Op::Refund { fen, day } => o
            .refund(Money::cny(fen), secs(day * 86_400), policy)
            .map(drop),
    }
}

proptest! {
    #[test]
    fn any_sequence_keeps_refunds_within_captured_within_authorised(
        goods in 1i64..10_000,
        coupon in 0i64..5_000,
        ops in proptest::collection::vec(op(), 0..80),
    ) {
        prop_assume!(coupon < goods);
        let coupon = (coupon > 0).then_some(Money::cny(coupon));
        let pricing = OrderPricing::new(Money::cny(goods), coupon, None).unwrap();
        let mut o = order_with(pricing);
        let policy = OrderPolicy::default();
        let mut held = Money::cny(0);
        for op in &ops {
            let before = o.clone();
            match apply(&mut o, op, &policy) {
                Ok(()) => {}
                Err(_) => prop_assert_eq!(&o, &before, "a rejected move changed the order"),
            }
            held = held.max(o.authorised()).unwrap();
            let sum = o.refunds().iter().try_fold(Money::cny(0), |acc, r| acc.checked_add(r.cash)).unwrap();
            prop_assert_eq!(sum, o.refunded_cash());
            prop_assert!(o.refunded_cash() <= o.captured() || o.refunded_cash() == o.captured());
            prop_assert!(o.captured() <= held || o.captured() == held);
            prop_assert!(held <= o.pricing().payable() || held == o.pricing().payable());
            prop_assert!(o.refunds().len() <= 50);
            if o.status() == OrderStatus::FullyRefunded {
                prop_assert_eq!(o.refunded_cash(), o.pricing().payable());
                prop_assert_eq!(o.refunded_cash(), o.captured());
            }
        }
    }

    #[test]
    fn splitting_a_full_refund_any_way_returns_exactly_what_was_paid(
        goods in 2i64..100_000,
        coupon_pct in 1i64..99,
        cuts in proptest::collection::vec(1i64..1_000, 1..49),
    ) {
        let coupon = Money::cny(goods * coupon_pct / 100);
        prop_assume!(coupon.is_positive());
        let pricing = OrderPricing::new(Money::cny(goods), Some(coupon), None).unwrap();
        let mut o = order_with(pricing);
        o.authorise(ts("2026-04-01T02:01:00Z")).unwrap();
        o.capture(ts("2026-04-01T02:02:00Z")).unwrap();
        let policy = OrderPolicy::default();
        let at = ts("2026-04-02T00:00:00Z");
        for cut in cuts {
            let left = o.pricing().goods_total().checked_sub(o.refunded_goods()).unwrap();
            let ask = Money::cny(cut.min(left.fen() - 1));
            if ask.is_positive() {
                o.refund(ask, at, &policy).unwrap();
            }
            prop_assert!(o.refunded_cash().fen() <= o.captured().fen());
        }
        let left = o.pricing().goods_total().checked_sub(o.refunded_goods()).unwrap();
        o.refund(left, at, &policy).unwrap();
        prop_assert_eq!(o.status(), OrderStatus::FullyRefunded);
        prop_assert_eq!(o.refunded_cash(), o.pricing().payable());
    }
}
