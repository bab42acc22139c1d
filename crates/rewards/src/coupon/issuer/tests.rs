#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use crate::card_bin::CardBin;
use crate::coupon::scope::{Scope, ScopeMismatch};
use crate::coupon::template::{Caps, Discount, FundingSource};
use crate::mcc::Mcc;
use cardlife_kernel::MerchantId;
use jiff::ToSpan;
use jiff::civil::date;
use proptest::prelude::*;
use std::collections::HashMap;

fn template(stock: u32, budget_fen: i64, caps: Caps) -> CouponTemplate {
    CouponTemplate {
        id: CouponTemplateId::from_u128(1),
        discount: Discount::Threshold {
            min_spend: Money::cny(5_000),
            off: Money::cny(1_000),
        },
        validity: Validity::DaysAfterClaim { days: 7 },
        scope: Scope {
            mccs: vec![Mcc::new(5812).unwrap()],
            ..Scope::any()
        },
        funding: FundingSource::Bank,
        budget: Money::cny(budget_fen),
        stock,
        caps,
    }
}

fn caps(per_user: u32) -> Caps {
    Caps {
        per_user,
        per_user_per_day: None,
        per_day: None,
    }
}

fn user(n: u128) -> CustomerId {
    CustomerId::from_u128(n)
}

fn cpn(n: u128) -> CouponId {
    CouponId::from_u128(n)
}

fn pay(n: u128) -> TransferId {
    TransferId::from_u128(n)
}

fn day(n: i64) -> Date {
    date(2026, 6, 1).checked_add(n.days()).unwrap()
}

fn order(fen: i64, on: Date) -> Order {
    Order {
        amount: Money::cny(fen),
        merchant: MerchantId::from_u128(1),
        mcc: Mcc::new(5812).unwrap(),
        scene: None,
        card_bin: CardBin::parse("622588").unwrap(),
        date: on,
    }
}

#[test]
fn a_claimed_coupon_is_valid_for_n_days_from_the_claim() {
    let mut issuer = CouponIssuer::new(template(10, 100_000, caps(1))).unwrap();
    let c = issuer.claim(user(1), cpn(1), day(0)).unwrap();
    assert_eq!((c.valid_from, c.valid_until), (day(0), day(6)));
    assert_eq!(c.state, CouponState::Available);
    assert_eq!(issuer.issued_value(), Money::cny(1_000));
}

#[test]
fn claiming_after_stock_runs_out_is_refused_and_changes_nothing() {
    let mut issuer = CouponIssuer::new(template(1, 100_000, caps(1))).unwrap();
    issuer.claim(user(1), cpn(1), day(0)).unwrap();
    assert_eq!(
        issuer.claim(user(2), cpn(2), day(0)).unwrap_err(),
        RewardsError::StockExhausted
    );
    assert_eq!(issuer.issued(), 1);
    assert_eq!(issuer.claimed_by(user(2)), 0);
}

#[test]
fn the_budget_stops_issuance_before_face_value_would_exceed_it() {
    let mut issuer = CouponIssuer::new(template(100, 2_500, caps(5))).unwrap();
    issuer.claim(user(1), cpn(1), day(0)).unwrap();
    issuer.claim(user(1), cpn(2), day(0)).unwrap();
    assert_eq!(
        issuer.claim(user(1), cpn(3), day(0)).unwrap_err(),
        RewardsError::BudgetExhausted {
            budget: Money::cny(2_500),
            issued: Money::cny(2_000)
        }
    );
}

#[test]
fn a_second_claim_by_the_same_user_is_already_claimed() {
    let mut issuer = CouponIssuer::new(template(10, 100_000, caps(1))).unwrap();
    issuer.claim(user(1), cpn(1), day(0)).unwrap();
    assert_eq!(
        issuer.claim(user(1), cpn(2), day(1)).unwrap_err(),
        RewardsError::AlreadyClaimed { limit: 1 }
    );
    assert_eq!(
        issuer.claim(user(2), cpn(1), day(1)).unwrap_err(),
        RewardsError::DuplicateCouponId
    );
}

#[test]
fn per_user_per_day_and_per_day_caps_reset_the_next_day() {
    let caps = Caps {
        per_user: 10,
        per_user_per_day: Some(1),
        per_day: Some(2),
    };
    let mut issuer = CouponIssuer::new(template(10, 100_000, caps)).unwrap();
    issuer.claim(user(1), cpn(1), day(0)).unwrap();
    assert_eq!(
        issuer.claim(user(1), cpn(2), day(0)).unwrap_err(),
        RewardsError::DailyCapReached {
            limit: 1,
            date: day(0)
        }
    );
    issuer.claim(user(2), cpn(3), day(0)).unwrap();
    assert_eq!(
        issuer.claim(user(3), cpn(4), day(0)).unwrap_err(),
        RewardsError::DailyCapReached {
            limit: 2,
            date: day(0)
        }
    );
    issuer.claim(user(1), cpn(5), day(1)).unwrap();
}

#[test]
fn a_fixed_window_coupon_cannot_be_claimed_after_the_window() {
    let mut t = template(10, 100_000, caps(1));
    t.validity = Validity::Window {
        from: day(0),
        until: day(3),
    };
    let mut issuer = CouponIssuer::new(t).unwrap();
    assert_eq!(
        issuer.claim(user(1), cpn(1), day(4)).unwrap_err(),
        RewardsError::CouponExpired {
            valid_until: day(3)
        }
    );
}

#[test]
fn reserve_then_redeem_uses_the_coupon_once() {
    let mut issuer = CouponIssuer::new(template(10, 100_000, caps(1))).unwrap();
    issuer.claim(user(1), cpn(1), day(0)).unwrap();
    let got = issuer.reserve(user(1), cpn(1), &order(6_000, day(1)), pay(1));
    assert_eq!(got.unwrap(), Money::cny(1_000));
    assert_eq!(
        issuer.reserve(user(1), cpn(1), &order(6_000, day(1)), pay(2)),
        Err(RewardsError::CouponAlreadyReserved)
    );
    assert_eq!(
        issuer.redeem(user(1), cpn(1), pay(2)),
        Err(RewardsError::ReservationMismatch)
    );
    assert_eq!(
        issuer.redeem(user(1), cpn(1), pay(1)).unwrap(),
        Money::cny(1_000)
    );
    assert_eq!(
        issuer.release(user(1), cpn(1), pay(1), day(1)),
        Err(RewardsError::CouponAlreadyRedeemed)
    );
}

#[test]
fn a_released_coupon_is_usable_again_while_valid_and_expired_after() {
    let mut issuer = CouponIssuer::new(template(10, 100_000, caps(2))).unwrap();
    issuer.claim(user(1), cpn(1), day(0)).unwrap();
    issuer.claim(user(1), cpn(2), day(0)).unwrap();
    issuer
        .reserve(user(1), cpn(1), &order(6_000, day(1)), pay(1))
        .unwrap();
    issuer
        .reserve(user(1), cpn(2), &order(6_000, day(6)), pay(2))
        .unwrap();
    assert_eq!(
        issuer.release(user(1), cpn(1), pay(1), day(1)).unwrap(),
        CouponState::Available
    );
    assert_eq!(
        issuer.release(user(1), cpn(2), pay(2), day(7)).unwrap(),
        CouponState::Expired
    );
}

#[test]
fn using_a_coupon_out_of_scope_or_below_threshold_is_refused_and_changes_nothing() {
    let mut issuer = CouponIssuer::new(template(10, 100_000, caps(1))).unwrap();
    issuer.claim(user(1), cpn(1), day(0)).unwrap();
    let mut o = order(6_000, day(1));
    o.mcc = Mcc::new(5411).unwrap();
    assert_eq!(
        issuer.reserve(user(1), cpn(1), &o, pay(1)),
        Err(RewardsError::CouponOutOfScope {
            mismatch: ScopeMismatch::Mcc
        })
    );
    assert!(matches!(
        issuer.reserve(user(1), cpn(1), &order(4_999, day(1)), pay(1)),
        Err(RewardsError::BelowThreshold { .. })
    ));
    assert_eq!(
        issuer.reserve(user(2), cpn(1), &order(6_000, day(1)), pay(1)),
        Err(RewardsError::CouponNotFound)
    );
    assert_eq!(
        issuer.coupon(user(1), cpn(1)).unwrap().state,
        CouponState::Available
    );
}

#[test]
fn the_expiry_step_lapses_available_coupons_and_then_they_are_expired() {
    let mut issuer = CouponIssuer::new(template(10, 100_000, caps(1))).unwrap();
    issuer.claim(user(1), cpn(1), day(0)).unwrap();
    assert_eq!(issuer.expire(day(6)), vec![]);
    assert_eq!(issuer.expire(day(7)), vec![cpn(1)]);
    assert_eq!(
        issuer.reserve(user(1), cpn(1), &order(6_000, day(7)), pay(1)),
        Err(RewardsError::CouponExpired {
            valid_until: day(6)
        })
    );
}

#[test]
fn a_fully_refunded_order_returns_its_coupon_if_still_valid() {
    let mut issuer = CouponIssuer::new(template(10, 100_000, caps(1))).unwrap();
    issuer.claim(user(1), cpn(1), day(0)).unwrap();
    issuer
        .reserve(user(1), cpn(1), &order(6_000, day(1)), pay(1))
        .unwrap();
    issuer.redeem(user(1), cpn(1), pay(1)).unwrap();
    assert_eq!(
        issuer
            .return_on_refund(user(1), cpn(1), pay(1), day(2))
            .unwrap(),
        CouponState::Available
    );
}

#[test]
fn an_inconsistent_template_is_rejected() {
    let mut t = template(10, 100_000, caps(1));
    t.discount = Discount::Threshold {
        min_spend: Money::cny(100),
        off: Money::cny(200),
    };
    assert!(CouponIssuer::new(t).is_err());
    assert!(CouponIssuer::new(template(10, 100_000, caps(0))).is_err());
}

#[derive(Debug, Clone)]
enum Op {
    Claim { user: u8 },
    Reserve { coupon: u8, fen: i64 },
    Redeem { coupon: u8 },
    Release { coupon: u8 },
    Refund { coupon: u8 },
    Expire,
    NextDay,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..6).prop_map(|user| Op::Claim { user }),
        2 => (0u8..30, 4_000i64..8_000).prop_map(|(coupon, fen)| Op::Reserve { coupon, fen }),
        1 => (0u8..30).prop_map(|coupon| Op::Redeem { coupon }),
        1 => (0u8..30).prop_map(|coupon| Op::Release { coupon }),
        1 => (0u8..30).prop_map(|coupon| Op::Refund { coupon }),
        1 => Just(Op::Expire),
        1 => Just(Op::NextDay),
    ]
}

/// What the reference remembers of each reservation (payment): how it ended.
#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    Open,
    Redeemed,
    Released,
}

proptest! {
    #[test]
    fn budget_caps_hold_and_a_reservation_ends_redeemed_or_released_never_both(
        ops in proptest::collection::vec(op(), 0..120),
        stock in 1u32..15,
        budget in 1i64..20,
        per_user in 1u32..4,
        per_day in proptest::option::of(1u32..6),
    ) {
        let caps = Caps { per_user, per_user_per_day: None, per_day };
        let mut issuer = CouponIssuer::new(template(stock, budget * 1_000, caps)).unwrap();
        let mut today = day(0);
        let mut claimed: Vec<(CustomerId, CouponId)> = Vec::new();
        let mut ends: HashMap<TransferId, End> = HashMap::new();
        let mut holder: HashMap<CouponId, TransferId> = HashMap::new();
        let mut next_pay = 0u128;
        for op in ops {
            match op {
                Op::Claim { user: u } => {
                    let id = cpn(claimed.len() as u128 + 1);
                    if issuer.claim(user(u128::from(u)), id, today).is_ok() {
                        claimed.push((user(u128::from(u)), id));
                    }
                }
                Op::Reserve { coupon, fen } => {
                    let Some(&(owner, id)) = claimed.get(usize::from(coupon)) else { continue };
                    next_pay += 1;
                    if issuer.reserve(owner, id, &order(fen, today), pay(next_pay)).is_ok() {
                        prop_assert!(holder.get(&id).is_none_or(|p| ends[p] != End::Open));
                        ends.insert(pay(next_pay), End::Open);
                        holder.insert(id, pay(next_pay));
                    }
                }
                Op::Redeem { coupon } | Op::Release { coupon } | Op::Refund { coupon } => {
                    let Some(&(owner, id)) = claimed.get(usize::from(coupon)) else { continue };
                    let Some(&p) = holder.get(&id) else { continue };
                    let end = ends[&p];
                    match op {
                        Op::Redeem { .. } => {
                            let ok = issuer.redeem(owner, id, p).is_ok();
                            prop_assert_eq!(ok, end == End::Open);
                            if ok { ends.insert(p, End::Redeemed); }
                        }
                        Op::Release { .. } => {
                            let ok = issuer.release(owner, id, p, today).is_ok();
                            prop_assert_eq!(ok, end == End::Open);
                            if ok { ends.insert(p, End::Released); }
                        }
                        _ => {
                            // A refund does not reopen the reservation: its payment stays redeemed.
                            let ok = issuer.return_on_refund(owner, id, p, today).is_ok();
                            prop_assert_eq!(ok, end == End::Redeemed);
                            if ok { holder.remove(&id); }
                        }
                    }
                }
                Op::Expire => { issuer.expire(today); }
                Op::NextDay => today = today.checked_add(1.days()).unwrap(),
            }
            // Issuance bounds.
            prop_assert!(issuer.issued_value().fen() <= budget * 1_000);
            prop_assert!(issuer.issued() <= stock);
            let mut per_user_count: HashMap<CustomerId, u32> = HashMap::new();
            let mut per_day_count: HashMap<Date, u32> = HashMap::new();
            for c in issuer.coupons() {
                *per_user_count.entry(c.owner).or_default() += 1;
                *per_day_count.entry(c.claimed_on).or_default() += 1;
            }
            prop_assert!(per_user_count.values().all(|&n| n <= per_user));
            prop_assert!(per_day.is_none_or(|cap| per_day_count.values().all(|&n| n <= cap)));
            prop_assert_eq!(
                i64::from(issuer.issued()) * 1_000,
                issuer.issued_value().fen()
            );
        }
    }
}
