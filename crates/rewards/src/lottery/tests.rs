#![allow(clippy::unwrap_used, clippy::expect_used)]
use cardlife_kernel::{Money, Points};
use proptest::prelude::*;

use super::*;
use crate::RewardsError;
use crate::ids::CouponTemplateId;

fn prize(name: &str, odds_bp: u32, kind: PrizeKind, stock: u32) -> LotteryPrize {
    LotteryPrize {
        name: name.into(),
        odds_bp,
        kind,
        stock,
    }
}

fn coupon(face_fen: i64) -> PrizeKind {
    PrizeKind::Coupon {
        template: CouponTemplateId::from_u128(9),
        face_value: Money::cny(face_fen),
    }
}

/// 1 % a 50.00 coupon, 9 % 100 points, 30 % a 5.00 coupon, 60 % nothing.
fn terms() -> LotteryTerms {
    LotteryTerms {
        prizes: vec![
            prize("50 off", 100, coupon(5_000), 10),
            prize(
                "100 points",
                900,
                PrizeKind::Points(Points::new(100)),
                1_000,
            ),
            prize("5 off", 3_000, coupon(500), 1_000),
            prize("Thanks", 6_000, PrizeKind::Nothing, 0),
        ],
        budget: Money::cny(100_000),
        points_budget: Points::new(50_000),
    }
}

fn refusal(t: &LotteryTerms) -> &'static str {
    match t.validate() {
        Err(RewardsError::InvalidConfig { reason }) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn valid_terms_pass() {
    terms().validate().unwrap();
}

#[test]
fn odds_not_summing_to_10000_are_refused() {
    let mut t = terms();
    t.prizes[3].odds_bp = 5_999;
    assert_eq!(refusal(&t), "the odds must sum to 10,000 basis points");
    t.prizes[3].odds_bp = 6_001;
    assert_eq!(refusal(&t), "the odds must sum to 10,000 basis points");
}

#[test]
fn bad_prizes_and_budgets_are_refused() {
    let mut t = terms();
    t.prizes[0].kind = coupon(0);
    assert_eq!(refusal(&t), "a coupon prize needs a positive face value");
    let mut t = terms();
    t.prizes[1].kind = PrizeKind::Points(Points::new(-1));
    assert_eq!(refusal(&t), "a points prize must be positive");
    let mut t = terms();
    t.prizes[0].stock = 0;
    assert_eq!(refusal(&t), "a prize needs a stock of at least 1");
    let mut t = terms();
    t.budget = Money::cny(-1);
    assert_eq!(refusal(&t), "a lottery's budgets cannot be negative");
    let mut t = terms();
    t.prizes[0].name = "<b>".into();
    assert_eq!(refusal(&t), "a prize name holds no markup");
    let mut t = terms();
    t.prizes.clear();
    assert_eq!(refusal(&t), "a lottery lists 1 to 20 prizes");
}

#[test]
fn pick_covers_the_whole_range_by_the_stated_odds() {
    let t = terms();
    assert_eq!(t.pick(0), Some(0));
    assert_eq!(t.pick(u64::MAX), Some(3));
    // 1 % of the range is prize 0: the boundary sits at 2^64 × 100 / 10,000.
    let edge = u64::MAX / 100;
    assert_eq!(t.pick(edge), Some(0));
    assert_eq!(t.pick(edge + 2), Some(1));
}

#[test]
fn observed_frequencies_match_the_stated_odds() {
    // 200,000 seeded draws; each prize's count lies within 5 standard deviations of n·p.
    let t = terms();
    let n = 200_000_u32;
    let mut counts = [0_u32; 4];
    let mut rng = SeededRandom::new(20_261_126);
    for _ in 0..n {
        counts[t.pick(rng.next_u64()).unwrap()] += 1;
    }
    for (i, p) in t.prizes.iter().enumerate() {
        let prob = f64::from(p.odds_bp) / f64::from(ODDS_TOTAL_BP);
        let expected = f64::from(n) * prob;
        let sd = (f64::from(n) * prob * (1.0 - prob)).sqrt();
        let diff = (f64::from(counts[i]) - expected).abs();
        assert!(
            diff <= 5.0 * sd,
            "prize {i}: {} drawn, {expected} expected (sd {sd})",
            counts[i]
        );
    }
}

#[test]
fn a_planted_bias_is_caught_by_the_frequency_check() {
    // Negative control: stated odds of 1 % against a source that picks prize 0 twice as often.
    let t = terms();
    let n = 200_000_u32;
    let mut rng = SeededRandom::new(7);
    let mut hits = 0_u32;
    for _ in 0..n {
        let roll = rng.next_u64();
        let biased = if roll.is_multiple_of(100) { 0 } else { roll };
        if t.pick(biased) == Some(0) {
            hits += 1;
        }
    }
    let expected = f64::from(n) * 0.01;
    let sd = (f64::from(n) * 0.01 * 0.99).sqrt();
    assert!((f64::from(hits) - expected).abs() > 5.0 * sd);
}

#[test]
fn a_prize_that_does_not_fit_becomes_no_prize() {
    let t = terms();
    let left = Left {
        money: Money::cny(4_999),
        points: Points::new(99),
        stock: 5,
    };
    let no = |picked, reason| DrawOutcome::NoPrize { picked, reason };
    assert_eq!(t.settle(0, left), no(0, NoPrizeReason::BudgetOut));
    assert_eq!(t.settle(1, left), no(1, NoPrizeReason::BudgetOut));
    assert_eq!(t.settle(2, left), DrawOutcome::Prize { prize: 2 });
    assert_eq!(t.settle(3, left), no(3, NoPrizeReason::Blank));
    let out = Left { stock: 0, ..left };
    assert_eq!(t.settle(2, out), no(2, NoPrizeReason::StockOut));
}

proptest! {
    /// Any sequence of draws settled against a running tally never passes a budget or a
    /// prize's stock.
    #[test]
    fn settled_draws_never_pass_a_budget_or_stock(seed in any::<u64>(), n in 1_usize..400,
                                                   budget in 0_i64..20_000, points in 0_i64..2_000) {
        let mut t = terms();
        t.budget = Money::cny(budget);
        t.points_budget = Points::new(points);
        t.prizes[0].stock = 3;
        let mut rng = SeededRandom::new(seed);
        let (mut money, mut pts) = (0_i64, 0_i64);
        let mut awarded = [0_u32; 4];
        for _ in 0..n {
            let picked = t.pick(rng.next_u64()).unwrap();
            let left = Left {
                money: Money::cny(budget - money),
                points: Points::new(points - pts),
                stock: t.prizes[picked].stock - awarded[picked],
            };
            if let DrawOutcome::Prize { prize } = t.settle(picked, left) {
                money += t.prizes[prize].money().fen();
                pts += t.prizes[prize].points().value();
                awarded[prize] += 1;
            }
        }
        prop_assert!(money <= budget);
        prop_assert!(pts <= points);
        for (i, p) in t.prizes.iter().enumerate() {
            prop_assert!(awarded[i] <= p.stock);
        }
    }
}
