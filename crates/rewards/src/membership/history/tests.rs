#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use crate::membership::ladder::Tier;
use jiff::ToSpan;
use jiff::civil::date;
use proptest::prelude::*;

fn ladder() -> TierLadder {
    let tier = |code: &str, t| Tier {
        code: TierCode::new(code),
        threshold: StarValue(t),
    };
    TierLadder::new(vec![
        tier("one", 0),
        tier("two", 100),
        tier("three", 500),
        tier("four", 2_000),
    ])
    .unwrap()
}

fn code(c: &str) -> TierCode {
    TierCode::new(c)
}

fn policy(months: Option<u32>) -> DowngradePolicy {
    DowngradePolicy {
        checkpoints: vec![(1, 1)],
        months_below: months,
    }
}

#[test]
fn an_upgrade_takes_effect_on_the_evaluation_date() {
    let mut m = Membership::new(code("one"), date(2026, 1, 1));
    let change = m.evaluate(
        date(2026, 3, 15),
        StarValue(600),
        &ladder(),
        &policy(Some(3)),
    );
    assert_eq!(
        change.unwrap(),
        TierChange::Upgraded {
            from: code("one"),
            to: code("three")
        }
    );
    assert_eq!(m.tier_on(date(2026, 3, 14)), Some(&code("one")));
    assert_eq!(m.tier_on(date(2026, 3, 15)), Some(&code("three")));
    assert_eq!(m.tier_on(date(2025, 12, 31)), None);
}

#[test]
fn a_downgrade_waits_n_whole_months_below() {
    let mut m = Membership::new(code("three"), date(2026, 1, 1));
    let (l, p) = (ladder(), policy(Some(3)));
    assert_eq!(
        m.evaluate(date(2026, 2, 1), StarValue(50), &l, &p).unwrap(),
        TierChange::Held {
            qualified: code("one"),
            below_since: date(2026, 2, 1)
        }
    );
    assert!(matches!(
        m.evaluate(date(2026, 4, 30), StarValue(150), &l, &p)
            .unwrap(),
        TierChange::Held { .. }
    ));
    assert_eq!(
        m.evaluate(date(2026, 5, 1), StarValue(150), &l, &p)
            .unwrap(),
        TierChange::Downgraded {
            from: code("three"),
            to: code("two")
        }
    );
    assert_eq!(m.tier_on(date(2026, 4, 30)), Some(&code("three")));
    assert_eq!(m.current(), &code("two"));
}

#[test]
fn a_downgrade_happens_at_the_checkpoint_without_waiting() {
    let mut m = Membership::new(code("three"), date(2025, 6, 1));
    let (l, p) = (ladder(), policy(None));
    m.evaluate(date(2025, 12, 1), StarValue(50), &l, &p)
        .unwrap();
    assert!(matches!(
        m.evaluate(date(2025, 12, 31), StarValue(50), &l, &p)
            .unwrap(),
        TierChange::Held { .. }
    ));
    assert!(matches!(
        m.evaluate(date(2026, 1, 3), StarValue(50), &l, &p).unwrap(),
        TierChange::Downgraded { .. }
    ));
    assert_eq!(m.tier_on(date(2026, 1, 3)), Some(&code("one")));
}

#[test]
fn qualifying_again_clears_the_time_below() {
    let mut m = Membership::new(code("two"), date(2026, 1, 2));
    let (l, p) = (ladder(), policy(Some(2)));
    m.evaluate(date(2026, 2, 1), StarValue(10), &l, &p).unwrap();
    assert_eq!(
        m.evaluate(date(2026, 3, 1), StarValue(100), &l, &p)
            .unwrap(),
        TierChange::Unchanged
    );
    assert!(matches!(
        m.evaluate(date(2026, 4, 1), StarValue(10), &l, &p).unwrap(),
        TierChange::Held { below_since, .. } if below_since == date(2026, 4, 1)
    ));
}

#[test]
fn an_evaluation_before_the_last_one_is_refused() {
    let mut m = Membership::new(code("one"), date(2026, 1, 1));
    m.evaluate(date(2026, 2, 1), StarValue(0), &ladder(), &policy(None))
        .unwrap();
    assert_eq!(
        m.evaluate(date(2026, 1, 31), StarValue(0), &ladder(), &policy(None)),
        Err(RewardsError::EvaluationOutOfOrder {
            last: date(2026, 2, 1),
            given: date(2026, 1, 31)
        })
    );
}

#[test]
fn whole_months_count_calendar_months_by_day_of_month() {
    assert_eq!(whole_months(date(2026, 1, 31), date(2026, 2, 28)), 0);
    assert_eq!(whole_months(date(2026, 1, 31), date(2026, 3, 1)), 1);
    assert_eq!(whole_months(date(2025, 11, 15), date(2026, 2, 15)), 3);
}

/// Independent reference: the Jan 1 checkpoint falls in [since, on] iff a new year began or
/// `since` is Jan 1; N months passed iff (since shifted N months, same day) ≤ on.
fn reference_may_downgrade(months: Option<u32>, since: Date, on: Date) -> bool {
    let checkpoint = on.year() > since.year() || (since.month(), since.day()) == (1, 1);
    let waited = months.is_some_and(|n| {
        let t = i64::from(since.year()) * 12 + i64::from(since.month()) - 1 + i64::from(n);
        let shifted = (t / 12, t % 12 + 1, i64::from(since.day()));
        shifted
            <= (
                i64::from(on.year()),
                i64::from(on.month()),
                i64::from(on.day()),
            )
    });
    checkpoint || waited
}

proptest! {
    #[test]
    fn nobody_sits_below_what_they_qualify_for_and_downgrades_wait_for_the_policy(
        evals in proptest::collection::vec((0i64..40, 0i64..3_000), 1..40),
        months in proptest::option::of(1u32..6),
    ) {
        let (l, p) = (ladder(), policy(months));
        let start = date(2025, 3, 1);
        let mut m = Membership::new(code("one"), start);
        let mut on = start;
        let mut below_since: Option<Date> = None;
        for (gap, star) in evals {
            on = on.checked_add(gap.days()).unwrap();
            let before = l.rank_of(m.current()).unwrap();
            let qualified = l.qualified_rank(StarValue(star));
            let change = m.evaluate(on, StarValue(star), &l, &p).unwrap();
            let after = l.rank_of(m.current()).unwrap();
            // Upgrades at once: never below the qualified tier after an evaluation.
            prop_assert!(after >= qualified);
            if qualified < before {
                let since = *below_since.get_or_insert(on);
                let allowed = reference_may_downgrade(months, since, on);
                prop_assert_eq!(after < before, allowed);
                if allowed { below_since = None; }
            } else {
                below_since = None;
                let downgraded = matches!(change, TierChange::Downgraded { .. });
                prop_assert!(!downgraded);
            }
            prop_assert_eq!(m.tier_on(on), Some(m.current()));
            prop_assert!(m.history().windows(2).all(|w| w[0].from < w[1].from && w[0].tier != w[1].tier));
        }
    }
}
