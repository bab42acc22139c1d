#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use jiff::civil::date;
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn spend(fen: i64, mcc: u16) -> Spend {
    Spend {
        amount: Money::cny(fen),
        mcc: Mcc::new(mcc).unwrap(),
        kind: TxnKind::Purchase,
        date: date(2026, 5, 20),
        card_tier: TierCode::new("gold"),
        campaigns: Vec::new(),
        birthday_month: None,
    }
}

fn earned(rule: &AccrualRule, s: &Spend) -> i64 {
    rule.accrue(s, Points::ZERO).unwrap().points().value()
}

#[test]
fn icbc_earns_one_point_per_whole_cny_dropping_the_fraction() {
    let rule = AccrualRule::per_cny(1);
    assert_eq!(earned(&rule, &spend(12_345, 5812)), 123);
    assert_eq!(earned(&rule, &spend(100, 5812)), 1);
}

#[test]
fn cmb_earns_one_point_per_full_20_cny_per_transaction() {
    let rule = AccrualRule::per_step(Money::cny(2_000), 1);
    assert_eq!(earned(&rule, &spend(5_999, 5812)), 2);
    assert_eq!(earned(&rule, &spend(1_999, 5812)), 0);
}

#[test]
fn fees_interest_cash_advances_repayments_and_top_ups_earn_nothing() {
    let rule = AccrualRule::per_cny(1);
    for kind in [
        TxnKind::Fee,
        TxnKind::Interest,
        TxnKind::CashAdvance,
        TxnKind::Repayment,
        TxnKind::TopUp,
    ] {
        let s = Spend {
            kind,
            ..spend(100_000, 5812)
        };
        assert_eq!(
            rule.accrue(&s, Points::ZERO).unwrap(),
            Accrual::Excluded(Exclusion::Kind(kind))
        );
    }
}

#[test]
fn amounts_below_one_cny_earn_nothing() {
    let rule = AccrualRule::per_cny(1);
    assert_eq!(
        rule.accrue(&spend(99, 5812), Points::ZERO).unwrap(),
        Accrual::Excluded(Exclusion::BelowMinimum)
    );
}

#[test]
fn spending_at_an_excluded_mcc_earns_nothing_and_says_which_category() {
    let rule = AccrualRule::per_cny(1);
    assert_eq!(
        rule.accrue(&spend(1_000_000, 5511), Points::ZERO).unwrap(),
        Accrual::Excluded(Exclusion::Category(ExcludedCategory::CarSales))
    );
}

#[test]
fn birthday_month_doubles_points_and_highest_stacking_does_not_compound() {
    let mut rule = AccrualRule::per_cny(1);
    rule.multipliers = vec![
        Multiplier {
            when: MultiplierWhen::BirthdayMonth,
            factor: Rate::new(dec!(2)),
        },
        Multiplier {
            when: MultiplierWhen::Category {
                from: Mcc::new(5811).unwrap(),
                to: Mcc::new(5814).unwrap(),
            },
            factor: Rate::new(dec!(1.5)),
        },
    ];
    let mut s = spend(10_050, 5812);
    assert_eq!(earned(&rule, &s), 150); // 100 × 1.5, dining only
    s.birthday_month = Some(5);
    assert_eq!(earned(&rule, &s), 200); // highest of 2 and 1.5
    rule.stacking = Stacking::Product;
    assert_eq!(earned(&rule, &s), 300);
}

#[test]
fn campaign_and_card_tier_multipliers_apply_only_when_they_match() {
    let campaign = CampaignId::from_u128(9);
    let mut rule = AccrualRule::per_cny(1);
    rule.stacking = Stacking::Product;
    rule.multipliers = vec![
        Multiplier {
            when: MultiplierWhen::Campaign(campaign),
            factor: Rate::new(dec!(3)),
        },
        Multiplier {
            when: MultiplierWhen::CardTier(TierCode::new("platinum")),
            factor: Rate::new(dec!(1.25)),
        },
    ];
    let mut s = spend(10_300, 5411);
    assert_eq!(earned(&rule, &s), 103);
    s.campaigns.push(campaign);
    assert_eq!(earned(&rule, &s), 309);
    s.card_tier = TierCode::new("platinum");
    assert_eq!(earned(&rule, &s), 386); // 103 × 3.75 = 386.25 → 386
}

#[test]
fn per_transaction_and_per_month_caps_cut_points_and_say_which() {
    let mut rule = AccrualRule::per_cny(1);
    rule.per_transaction_cap = Some(Points::new(500));
    rule.per_month_cap = Some(Points::new(1_000));
    let big = spend(1_000_000, 5411);
    assert_eq!(
        rule.accrue(&big, Points::ZERO).unwrap(),
        Accrual::Earned {
            points: Points::new(500),
            base: Points::new(10_000),
            capped_by: Some(Cap::PerTransaction),
        }
    );
    assert_eq!(
        rule.accrue(&big, Points::new(800)).unwrap(),
        Accrual::Earned {
            points: Points::new(200),
            base: Points::new(10_000),
            capped_by: Some(Cap::PerMonth),
        }
    );
    assert_eq!(
        rule.accrue(&big, Points::new(1_200)).unwrap().points(),
        Points::ZERO
    );
}

#[test]
fn an_invalid_rule_is_rejected_rather_than_applied() {
    let mut rule = AccrualRule::per_cny(1);
    rule.multipliers.push(Multiplier {
        when: MultiplierWhen::BirthdayMonth,
        factor: Rate::new(dec!(0.5)),
    });
    assert!(matches!(
        rule.accrue(&spend(1_000, 5411), Points::ZERO),
        Err(RewardsError::InvalidConfig { .. })
    ));
    assert!(AccrualRule::per_step(Money::cny(0), 1).validate().is_err());
}

proptest! {
    #[test]
    fn base_points_match_the_integer_division_reference(
        fen in 100i64..10_000_000_000,
        step in 1i64..10_000,
        per in 1i64..10,
    ) {
        let rule = AccrualRule::per_step(Money::cny(step), per);
        let got = earned(&rule, &spend(fen, 5411));
        prop_assert_eq!(got, fen / step * per);
    }

    #[test]
    fn a_month_of_spends_never_earns_more_than_the_caps(
        amounts in proptest::collection::vec(0i64..5_000_000, 0..40),
        txn_cap in 0i64..2_000,
        month_cap in 0i64..20_000,
    ) {
        let mut rule = AccrualRule::per_cny(2);
        rule.per_transaction_cap = Some(Points::new(txn_cap));
        rule.per_month_cap = Some(Points::new(month_cap));
        let mut month = Points::ZERO;
        for fen in amounts {
            let p = rule.accrue(&spend(fen, 5411), month).unwrap().points();
            prop_assert!(p.value() >= 0 && p.value() <= txn_cap);
            prop_assert!(p.value() <= fen / 100 * 2);
            month = month.checked_add(p).unwrap();
        }
        prop_assert!(month.value() <= month_cap);
    }
}
