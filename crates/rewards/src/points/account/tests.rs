#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use jiff::civil::date;
use proptest::prelude::*;

fn p(n: i64) -> Points {
    Points::new(n)
}

fn d(day: i64) -> Date {
    date(2026, 1, 1).checked_add(day.days()).unwrap()
}

#[test]
fn redemption_takes_the_soonest_expiring_lot_first_and_permanent_last() {
    let mut acct = PointsAccount::new();
    let permanent = acct
        .credit(p(100), d(0), LotValidity::Permanent, None)
        .unwrap();
    let late = acct
        .credit(p(100), d(0), LotValidity::Days(60), None)
        .unwrap();
    let soon = acct
        .credit(p(100), d(1), LotValidity::Days(10), None)
        .unwrap();
    let taken = acct.redeem(p(250), d(2)).unwrap();
    assert_eq!(
        taken,
        vec![
            LotTake {
                lot: soon,
                points: p(100)
            },
            LotTake {
                lot: late,
                points: p(100)
            },
            LotTake {
                lot: permanent,
                points: p(50)
            },
        ]
    );
    assert_eq!(acct.balance(), p(50));
}

#[test]
fn redeeming_more_than_usable_is_refused_and_changes_nothing() {
    let mut acct = PointsAccount::new();
    acct.credit(p(100), d(0), LotValidity::Days(5), None)
        .unwrap();
    acct.credit(p(30), d(0), LotValidity::Permanent, None)
        .unwrap();
    let before = acct.clone();
    // On day 5 the first lot is no longer usable even though the expiry step has not run.
    assert_eq!(
        acct.redeem(p(31), d(5)),
        Err(RewardsError::InsufficientPoints {
            requested: p(31),
            available: p(30)
        })
    );
    assert_eq!(acct, before);
    assert!(acct.redeem(p(0), d(0)).is_err());
}

#[test]
fn the_expiry_step_lapses_lots_on_their_expires_at_date_and_reports_them() {
    let mut acct = PointsAccount::new();
    let a = acct
        .credit(p(40), d(0), LotValidity::Days(10), None)
        .unwrap();
    acct.credit(p(60), d(0), LotValidity::Days(20), None)
        .unwrap();
    acct.redeem(p(15), d(1)).unwrap();
    assert_eq!(acct.expire(d(9)).unwrap(), vec![]);
    assert_eq!(
        acct.expire(d(10)).unwrap(),
        vec![LotTake {
            lot: a,
            points: p(25)
        }]
    );
    assert_eq!(acct.expire(d(10)).unwrap(), vec![]);
    assert_eq!(acct.totals().expired, p(25));
    assert_eq!(acct.balance(), p(60));
}

#[test]
fn notices_list_what_lapses_within_n_days_soonest_first() {
    let mut acct = PointsAccount::new();
    acct.credit(p(10), d(0), LotValidity::Days(40), None)
        .unwrap();
    let soon = acct
        .credit(p(20), d(0), LotValidity::Days(25), None)
        .unwrap();
    acct.credit(p(30), d(0), LotValidity::Permanent, None)
        .unwrap();
    let notices = acct.expiring_within(d(0), 30);
    assert_eq!(
        notices,
        vec![ExpiryNotice {
            lot: soon,
            points: p(20),
            expires_at: d(25)
        }]
    );
    assert_eq!(acct.expiring_within(d(0), 40).len(), 2);
}

#[test]
fn claw_back_takes_from_the_refunded_payments_lot_first_then_newest() {
    let pay = TransferId::from_u128(7);
    let mut acct = PointsAccount::new();
    let own = acct
        .credit(p(50), d(0), LotValidity::Days(100), Some(pay))
        .unwrap();
    let newest = acct
        .credit(p(40), d(1), LotValidity::Days(365), None)
        .unwrap();
    acct.redeem(p(20), d(2)).unwrap(); // from `own`, the soonest to expire
    let cb = acct.claw_back(p(45), Some(pay), d(3)).unwrap();
    assert_eq!(
        cb.taken,
        vec![
            LotTake {
                lot: own,
                points: p(30)
            },
            LotTake {
                lot: newest,
                points: p(15)
            },
        ]
    );
    assert_eq!(cb.shortfall, p(0));
}

#[test]
fn claw_back_never_goes_below_zero_and_reports_the_shortfall() {
    let mut acct = PointsAccount::new();
    acct.credit(p(10), d(0), LotValidity::Permanent, None)
        .unwrap();
    acct.redeem(p(8), d(0)).unwrap();
    let cb = acct.claw_back(p(5), None, d(0)).unwrap();
    assert_eq!(cb.shortfall, p(3));
    assert_eq!(acct.balance(), p(0));
    assert_eq!(acct.totals().clawed, p(2));
}

#[derive(Debug, Clone)]
enum Op {
    Credit { points: i64, validity: Option<i32> },
    Redeem(i64),
    Expire,
    Claw(i64),
    Wait(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1i64..500, proptest::option::of(1i32..60))
            .prop_map(|(points, validity)| Op::Credit { points, validity }),
        (1i64..800).prop_map(Op::Redeem),
        Just(Op::Expire),
        (0i64..300).prop_map(Op::Claw),
        (0i64..20).prop_map(Op::Wait),
    ]
}

/// The reference: a list of (expires_at, remaining) and plain loops.
#[derive(Default)]
struct Model {
    lots: Vec<(Option<Date>, i64)>,
}

impl Model {
    fn usable(&self, on: Date) -> i64 {
        self.lots
            .iter()
            .filter(|l| l.0.is_none_or(|at| on < at))
            .map(|l| l.1)
            .sum()
    }
}

proptest! {
    #[test]
    fn lots_stay_non_negative_fifo_holds_and_totals_balance(ops in proptest::collection::vec(op(), 0..60)) {
        let mut acct = PointsAccount::new();
        let mut model = Model::default();
        let mut day = 0;
        for op in ops {
            let on = d(day);
            match op {
                Op::Credit { points, validity } => {
                    let v = validity.map_or(LotValidity::Permanent, LotValidity::Days);
                    acct.credit(p(points), on, v, None).unwrap();
                    model.lots.push((v.expires_at(on).unwrap(), points));
                }
                Op::Redeem(n) => {
                    let ok = acct.redeem(p(n), on).is_ok();
                    prop_assert_eq!(ok, n <= model.usable(on));
                    if ok {
                        // Reference FIFO: soonest expiry, permanent last, then crediting order.
                        let mut idx: Vec<usize> = (0..model.lots.len())
                            .filter(|&i| model.lots[i].0.is_none_or(|at| on < at))
                            .collect();
                        idx.sort_by_key(|&i| (model.lots[i].0.is_none(), model.lots[i].0, i));
                        let mut left = n;
                        for i in idx {
                            let k = left.min(model.lots[i].1);
                            model.lots[i].1 -= k;
                            left -= k;
                        }
                    }
                }
                Op::Expire => {
                    acct.expire(on).unwrap();
                    for l in &mut model.lots {
                        if l.0.is_some_and(|at| at <= on) {
                            l.1 = 0;
                        }
                    }
                }
                Op::Claw(n) => {
                    let cb = acct.claw_back(p(n), None, on).unwrap();
                    let can = n.min(model.usable(on));
                    prop_assert_eq!(cb.shortfall, p(n - can));
                    // Newest-first reference: latest expiry (permanent latest), newest credit.
                    let mut idx: Vec<usize> = (0..model.lots.len())
                        .filter(|&i| model.lots[i].0.is_none_or(|at| on < at))
                        .collect();
                    idx.sort_by_key(|&i| std::cmp::Reverse((model.lots[i].0.is_none(), model.lots[i].0, i)));
                    let mut left = can;
                    for i in idx {
                        let k = left.min(model.lots[i].1);
                        model.lots[i].1 -= k;
                        left -= k;
                    }
                }
                Op::Wait(n) => day += n,
            }
            let got: Vec<i64> = acct.lots().iter().map(|l| l.remaining.value()).collect();
            let want: Vec<i64> = model.lots.iter().map(|l| l.1).collect();
            prop_assert_eq!(got, want);
            prop_assert!(acct.lots().iter().all(|l| !l.remaining.is_negative()));
            let t = acct.totals();
            prop_assert_eq!(
                t.earned.value() - t.redeemed.value() - t.expired.value() - t.clawed.value(),
                acct.balance().value()
            );
        }
    }
}

#[test]
#[should_panic(expected = "points totals do not balance")]
fn the_invariant_check_catches_a_planted_unbalanced_total() {
    // Negative control: a lot drained behind the totals' back must trip the check.
    let mut acct = PointsAccount::new();
    acct.credit(p(10), d(0), LotValidity::Permanent, None)
        .unwrap();
    acct.lots[0].remaining = p(4);
    acct.check();
}
