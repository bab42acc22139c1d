#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use crate::ids::CouponTemplateId;
use crate::mcc::Mcc;
use cardlife_kernel::CardId;
use jiff::civil::date;
use proptest::prelude::*;

fn ts(secs: i64) -> Timestamp {
    Timestamp::from_second(1_780_000_000 + secs).unwrap()
}

fn cus(n: u128) -> CustomerId {
    CustomerId::from_u128(n)
}

fn profile() -> Profile {
    Profile::at_stage(LifecycleStage::New)
}

fn rule(trigger: Trigger, reward: Reward, budget: Budget, per_customer: u32) -> CampaignRule {
    CampaignRule {
        id: CampaignId::from_u128(7),
        trigger,
        segment: Segment::everyone(),
        variants: vec![Variant {
            name: "A".into(),
            weight: 1,
            reward,
        }],
        budget,
        starts_at: ts(0),
        ends_at: ts(1_000),
        per_customer,
    }
}

fn money_budget(fen: i64) -> Budget {
    Budget {
        money: Some(Money::cny(fen)),
        points: None,
    }
}

fn bind(id: u128, c: u128) -> Event {
    Event {
        id: TriggerEventId::from_u128(id),
        customer: cus(c),
        kind: EventKind::CardBound {
            card: CardId::from_u128(id),
            first_binding: true,
        },
        entropy: 0,
    }
}

fn gift(fen: i64, budget: i64, per: u32) -> Campaign {
    Campaign::new(rule(
        Trigger::FirstCardBinding,
        Reward::Fixed(Grant::MoneyOff(Money::cny(fen))),
        money_budget(budget),
        per,
    ))
    .unwrap()
}

#[test]
fn first_binding_gift_is_awarded_once_per_event() {
    let mut c = gift(1_000, 10_000, 5);
    let a = c
        .on_event(&bind(1, 1), &profile(), ts(10))
        .unwrap()
        .unwrap();
    assert_eq!(a.money, Some(Money::cny(1_000)));
    let again = c
        .on_event(&bind(1, 1), &profile(), ts(11))
        .unwrap()
        .unwrap();
    assert_eq!(a, again);
    assert_eq!(c.money_awarded(), Some(Money::cny(1_000)));
    assert_eq!(c.awards_to(cus(1)), 1);
}

#[test]
fn budget_exhausted_is_precise_and_changes_nothing() {
    let mut c = gift(1_000, 2_500, 5);
    c.on_event(&bind(1, 1), &profile(), ts(1)).unwrap();
    c.on_event(&bind(2, 2), &profile(), ts(1)).unwrap();
    assert_eq!(
        c.on_event(&bind(3, 3), &profile(), ts(1)),
        Err(RewardsError::BudgetExhausted {
            budget: Money::cny(2_500),
            issued: Money::cny(2_000)
        })
    );
    assert_eq!(c.money_awarded(), Some(Money::cny(2_000)));
    assert_eq!(c.awards_to(cus(3)), 0);
}

#[test]
fn per_customer_limit_and_window_and_segment() {
    let mut c = gift(100, 10_000, 1);
    c.on_event(&bind(1, 1), &profile(), ts(1)).unwrap();
    assert_eq!(
        c.on_event(&bind(2, 1), &profile(), ts(1)),
        Err(RewardsError::AlreadyClaimed { limit: 1 })
    );
    assert_eq!(c.on_event(&bind(3, 2), &profile(), ts(1_000)), Ok(None));
    assert_eq!(c.on_event(&bind(3, 2), &profile(), ts(-1)), Ok(None));
    let mut r = c.rule().clone();
    r.segment = Segment {
        stages: vec![LifecycleStage::Active],
        require_tags: vec![],
        exclude_tags: vec![],
        ..Segment::default()
    };
    let mut c2 = Campaign::new(r).unwrap();
    assert_eq!(c2.on_event(&bind(4, 4), &profile(), ts(1)), Ok(None));
}

#[test]
fn wednesday_dining_payment_trigger() {
    let t = Trigger::Payment {
        min_amount: Money::cny(10_000),
        mccs: vec![Mcc::new(5812).unwrap()],
        weekdays: vec![3],
    };
    let pay = |amount, mcc, d| EventKind::Payment {
        amount: Money::cny(amount),
        mcc: Mcc::new(mcc).unwrap(),
        date: d,
    };
    let wed = date(2026, 6, 3);
    assert_eq!(t.units(&pay(10_000, 5812, wed)), 1);
    assert_eq!(t.units(&pay(9_999, 5812, wed)), 0);
    assert_eq!(t.units(&pay(10_000, 5411, wed)), 0);
    assert_eq!(t.units(&pay(10_000, 5812, date(2026, 6, 4))), 0);
}

#[test]
fn spend_tiers_give_draws_with_prize_budget_counted() {
    let lottery = Lottery {
        prizes: vec![Prize {
            weight: 1,
            grant: Grant::Points(Points::new(500)),
        }],
        blank_weight: 0,
    };
    let mut c = Campaign::new(rule(
        Trigger::MonthlySpendTiers {
            tiers: vec![
                SpendTier {
                    min_spend: Money::cny(100_000),
                    units: 1,
                },
                SpendTier {
                    min_spend: Money::cny(500_000),
                    units: 3,
                },
            ],
        },
        Reward::Lottery(lottery),
        Budget {
            money: None,
            points: Some(Points::new(2_000)),
        },
        5,
    ))
    .unwrap();
    let month = |id, total| Event {
        id: TriggerEventId::from_u128(id),
        customer: cus(1),
        kind: EventKind::MonthlySpend {
            month: date(2026, 6, 1),
            total: Money::cny(total),
        },
        entropy: 42,
    };
    let a = c
        .on_event(&month(1, 600_000), &profile(), ts(1))
        .unwrap()
        .unwrap();
    assert_eq!(a.items.len(), 3);
    assert_eq!(a.points, Points::new(1_500));
    assert_eq!(
        c.on_event(&month(2, 600_000), &profile(), ts(1)),
        Err(RewardsError::PointsBudgetExhausted {
            budget: Points::new(2_000),
            awarded: Points::new(1_500)
        })
    );
    assert_eq!(c.on_event(&month(3, 99_999), &profile(), ts(1)), Ok(None));
    assert!(
        c.on_event(&month(4, 100_000), &profile(), ts(1))
            .unwrap()
            .is_some()
    );
    assert_eq!(c.points_awarded(), Points::new(2_000));
}

#[test]
fn lottery_draws_follow_stated_odds_deterministically() {
    let l = Lottery {
        prizes: vec![Prize {
            weight: 1,
            grant: Grant::MoneyOff(Money::cny(100)),
        }],
        blank_weight: 3,
    };
    assert_eq!(l.odds(0), Some((1, 4)));
    assert_eq!(l.draw(0), Some(0));
    assert_eq!(l.draw(u64::MAX), None);
    let wins = (0..40_000_u64)
        .filter(|i| l.draw(mix::mix64(*i)).is_some())
        .count();
    assert!((9_400..10_600).contains(&wins), "{wins}");
}

#[test]
fn bad_rules_are_refused() {
    let no_budget = rule(
        Trigger::FirstCardBinding,
        Reward::Fixed(Grant::Coupon {
            template: CouponTemplateId::from_u128(1),
            face_value: Money::cny(500),
        }),
        Budget {
            money: None,
            points: Some(Points::new(1)),
        },
        1,
    );
    assert!(matches!(
        Campaign::new(no_budget),
        Err(RewardsError::InvalidConfig { .. })
    ));
}

proptest! {
    #[test]
    fn budget_and_per_customer_limit_hold_under_any_interleaving(
        events in prop::collection::vec((0_u128..40, 0_u128..8, any::<u64>()), 0..200),
        budget in 0_i64..20_000,
        per in 1_u32..4,
    ) {
        let lottery = Lottery {
            prizes: vec![
                Prize { weight: 2, grant: Grant::MoneyOff(Money::cny(700)) },
                Prize { weight: 1, grant: Grant::Coupon {
                    template: CouponTemplateId::from_u128(9), face_value: Money::cny(1_300) } },
            ],
            blank_weight: 1,
        };
        let mut c = Campaign::new(rule(
            Trigger::FirstCardBinding, Reward::Lottery(lottery), money_budget(budget), per,
        )).unwrap();
        let mut firsts = std::collections::BTreeMap::new();
        for (id, customer, entropy) in events {
            // Duplicates share the id; the first delivery's content is the event.
            let mut e = bind(id, customer);
            e.entropy = entropy;
            let e = firsts.entry(id).or_insert(e).clone();
            if let Ok(Some(a)) = c.on_event(&e, &profile(), ts(5)) {
                prop_assert_eq!(a.event, e.id);
            }
            prop_assert!(c.money_awarded().unwrap().fen() <= budget);
        }
        let total: i64 = c.awards().map(|a| a.money.unwrap().fen()).sum();
        prop_assert_eq!(total, c.money_awarded().unwrap().fen());
        prop_assert!(total <= budget);
        for n in 0..8 {
            prop_assert!(c.awards_to(cus(n)) <= per);
            prop_assert_eq!(
                c.awards().filter(|a| a.customer == cus(n)).count(),
                c.awards_to(cus(n)) as usize
            );
        }
    }

    #[test]
    fn ab_assignment_is_stable_and_close_to_weights(seed in any::<u64>()) {
        let mut r = rule(
            Trigger::FirstCardBinding,
            Reward::Fixed(Grant::MoneyOff(Money::cny(1))),
            money_budget(1),
            1,
        );
        r.id = CampaignId::from_u128(u128::from(seed));
        let b = r.variants[0].clone();
        r.variants[0].weight = 3;
        r.variants.push(Variant { name: "B".into(), weight: 1, ..b });
        let n = 8_000_u128;
        let base = u128::from(seed) << 32;
        let mut counts = [0_u32; 2];
        for i in 0..n {
            let v = r.variant_of(cus(base + i));
            prop_assert_eq!(v, r.clone().variant_of(cus(base + i)));
            counts[v] += 1;
        }
        // Expected 6,000 : 2,000; σ ≈ 39, allow > 5σ.
        prop_assert!((5_800..6_200).contains(&counts[0]), "{:?}", counts);
    }
}
