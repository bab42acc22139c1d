#![allow(clippy::unwrap_used, clippy::expect_used)]
use cardlife_kernel::Money;
use jiff::civil::date;

use super::*;
use crate::CardBin;

fn tiers() -> SpendTierRule {
    SpendTierRule {
        tiers: vec![
            SpendTier {
                min_spend: Money::cny(100_000),
                units: 1,
            },
            SpendTier {
                min_spend: Money::cny(300_000),
                units: 3,
            },
        ],
        segment: Segment::everyone(),
    }
}

#[test]
fn tiers_grant_the_difference_in_draws() {
    let r = tiers();
    r.validate().unwrap();
    assert_eq!(r.draws_for(Money::cny(99_999)), 0);
    assert_eq!(r.draws_for(Money::cny(100_000)), 1);
    assert_eq!(r.draws_for(Money::cny(299_999)), 1);
    assert_eq!(r.draws_for(Money::cny(300_000)), 3);
    let reached = r.reached(Money::cny(500_000));
    assert_eq!(reached.len(), 2);
    assert_eq!((reached[0].tier, reached[0].chances), (0, 1));
    assert_eq!((reached[1].tier, reached[1].chances), (1, 2));
}

#[test]
fn bad_tiers_are_refused() {
    let reason = |r: &SpendTierRule| match r.validate() {
        Err(crate::RewardsError::InvalidConfig { reason }) => reason,
        other => panic!("{other:?}"),
    };
    let mut r = tiers();
    r.tiers[0].min_spend = Money::cny(-1);
    assert_eq!(reason(&r), "a spend tier's minimum cannot be negative");
    let mut r = tiers();
    r.tiers[1].min_spend = Money::cny(100_000);
    assert!(reason(&r).starts_with("spend tiers must ascend"));
    let mut r = tiers();
    r.tiers[1].units = 0;
    assert_eq!(reason(&r), "a spend tier gives 1 to 100 draws");
    let mut r = tiers();
    r.tiers.clear();
    assert_eq!(reason(&r), "a spend-tier rule lists 1 to 10 tiers");
}

#[test]
fn a_payment_counts_toward_its_calendar_month() {
    assert_eq!(month_of(date(2026, 11, 30)), date(2026, 11, 1));
    assert_eq!(month_of(date(2026, 12, 1)), date(2026, 12, 1));
}

#[test]
fn segments_by_stage_value_and_bin() {
    let seg = Segment {
        customer_stages: vec![CustomerStage::Active],
        value_tiers: vec![ValueBand::High, ValueBand::Medium],
        card_bins: vec![CardBin::parse("622575").unwrap()],
        ..Segment::everyone()
    };
    let mut p = Profile::at_stage(LifecycleStage::Active);
    p.customer_stage = Some(CustomerStage::Active);
    p.value = Some(ValueBand::Medium);
    p.card_bins = vec![CardBin::parse("62257512").unwrap()];
    assert!(seg.contains(&p));
    let mut dormant = p.clone();
    dormant.customer_stage = Some(CustomerStage::Dormant);
    assert!(!seg.contains(&dormant));
    let mut low = p.clone();
    low.value = Some(ValueBand::Low);
    assert!(!seg.contains(&low));
    let mut other_bin = p.clone();
    other_bin.card_bins = vec![CardBin::parse("622588").unwrap()];
    assert!(!seg.contains(&other_bin));
    let unknown = Profile::at_stage(LifecycleStage::Active);
    assert!(!seg.contains(&unknown));
    assert!(Segment::everyone().contains(&unknown));
    assert_eq!(
        CustomerStage::parse("financing"),
        Some(CustomerStage::Financing)
    );
    assert_eq!(ValueBand::parse("none"), Some(ValueBand::None));
}
