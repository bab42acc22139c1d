//! Installment bookings beyond the bill installment, driven step by step: a purchase named by
//! its hold (an authorisation and its capture) converted once posted, the typed refusals, the
//! product's amounts taken from the version in force, the cancellation of a plan by the full
//! refund of its purchase, and a hardship plan of a past-due account — each reconciled to the
//! card's ledger.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cardlife_kernel::{Money, Rate};
use jiff::civil::{Date, date};

use super::*;
use crate::quote::FeeMode;

fn engine(product: Product) -> Engine {
    let mut e = Engine::open(product, date(2026, 3, 20), Money::cny(1_000_000)).unwrap();
    e.advance_to(date(2026, 4, 1)).unwrap();
    e
}

fn on(e: &mut Engine, day: Date, kind: EventKind) -> Result<(), BillingError> {
    e.advance_to(day).unwrap();
    e.receive(&Event { date: day, kind })
}

/// An authorisation of `fen` on `day`, captured in full the same day; its hold.
fn bought(e: &mut Engine, day: Date, fen: i64) -> u128 {
    let amount = Money::cny(fen);
    on(
        e,
        day,
        EventKind::Authorise {
            amount,
            cash: false,
        },
    )
    .unwrap();
    let hold = e.last_hold().unwrap();
    on(e, day, EventKind::Capture { hold, amount }).unwrap();
    hold
}

fn convert(hold: u128, periods: u32) -> EventKind {
    EventKind::PurchaseInstallment {
        purchase: PurchaseRef::Hold(hold),
        terms: Terms {
            periods,
            rate: Rate::parse("0.006").unwrap(),
            fee_mode: FeeMode::PerPeriod,
        },
    }
}

fn refusal(r: Result<(), BillingError>) -> InstallmentRefusal {
    match r {
        Err(BillingError::Installment { refusal, .. }) => refusal,
        other => panic!("expected an installment refusal, got {other:?}"),
    }
}

fn clean(e: &Engine) {
    assert!(e.postings().check().violations.is_empty());
}

#[test]
fn a_captured_purchase_is_converted_by_its_hold_once_posted_and_only_once() {
    let mut e = engine(Product::default());
    let day = date(2026, 4, 1);
    let hold = bought(&mut e, day, 300_000);
    assert_eq!(
        refusal(on(&mut e, day, convert(hold, 12))),
        InstallmentRefusal::PurchaseNotPosted
    );
    e.advance_to(date(2026, 4, 2)).unwrap();
    assert_eq!(
        refusal(on(&mut e, date(2026, 4, 2), convert(hold, 61))),
        InstallmentRefusal::Terms
    );
    assert_eq!(
        refusal(on(&mut e, date(2026, 4, 2), convert(hold + 1_000, 12))),
        InstallmentRefusal::PurchaseUnknown
    );
    let next = date(2026, 4, 2);
    e.advance_to(next).unwrap();
    let list = e.convertible_purchases();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].hold, list[0].amount), (hold, Money::cny(300_000)));
    let before = e.summary(next).unwrap();
    on(&mut e, next, convert(hold, 12)).unwrap();
    let after = e.summary(next).unwrap();
    assert_eq!(after.balance, before.balance);
    assert_eq!(after.available_credit, before.available_credit);
    assert!(e.convertible_purchases().is_empty());
    assert!(matches!(
        e.plans()[0].source,
        Source::Purchase { hold: Some(h), .. } if h == hold
    ));
    assert_eq!(
        refusal(on(&mut e, next, convert(hold, 6))),
        InstallmentRefusal::PurchaseConverted
    );
    // The 7 Apr statement bills period 1: 250.00 + 18.00.
    e.advance_to(date(2026, 4, 8)).unwrap();
    assert_eq!(e.statements()[0].totals.installments, Money::cny(26_800));
    assert_eq!(e.statements()[0].totals.purchases, Money::cny(0));
    clean(&e);
}

#[test]
fn the_products_installment_amounts_are_those_of_the_version_in_force() {
    let first = Product::default();
    let later = Product {
        installment_min: Money::cny(400_000),
        installment_max: Money::cny(450_000),
        ..Product::default()
    };
    let versions =
        ProductVersions::new(vec![(date(2026, 3, 20), first), (date(2026, 4, 3), later)]).unwrap();
    let mut e = Engine::open_versioned(versions, date(2026, 3, 20), Money::cny(1_000_000)).unwrap();
    e.advance_to(date(2026, 4, 1)).unwrap();
    let small = bought(&mut e, date(2026, 4, 1), 30_000);
    let mid = bought(&mut e, date(2026, 4, 1), 300_000);
    let big = bought(&mut e, date(2026, 4, 1), 500_000);
    // Under the first version (500.00 to 500,000.00): 300.00 is below the minimum.
    assert_eq!(
        refusal(on(&mut e, date(2026, 4, 2), convert(small, 3))),
        InstallmentRefusal::BelowMinimum
    );
    // From 3 Apr (4,000.00 to 4,500.00): 3,000.00 is below it, 5,000.00 above.
    let day = date(2026, 4, 3);
    assert_eq!(
        refusal(on(&mut e, day, convert(mid, 3))),
        InstallmentRefusal::BelowMinimum
    );
    assert_eq!(
        refusal(on(&mut e, day, convert(big, 3))),
        InstallmentRefusal::AboveMaximum
    );
    assert!(e.plans().is_empty());
    clean(&e);
}

#[test]
fn a_full_refund_of_a_converted_purchase_cancels_its_plan_and_nothing_is_owed() {
    let mut e = engine(Product::default());
    let hold = bought(&mut e, date(2026, 4, 1), 300_000);
    on(&mut e, date(2026, 4, 2), convert(hold, 6)).unwrap();
    let refund = |fen| EventKind::PurchaseRefund {
        hold,
        amount: Money::cny(fen),
    };
    // A partial refund (posted the next day) leaves the plan running.
    on(&mut e, date(2026, 4, 2), refund(100_000)).unwrap();
    e.advance_to(date(2026, 4, 4)).unwrap();
    assert_eq!(e.plans()[0].cancelled, None);
    assert_eq!(e.plans()[0].unbilled, Money::cny(300_000));
    // The rest: cancelled as it posts; the unbilled principal is billed and covered.
    on(&mut e, date(2026, 4, 4), refund(200_000)).unwrap();
    e.advance_to(date(2026, 4, 6)).unwrap();
    let plan = &e.plans()[0];
    assert_eq!(plan.cancelled, Some(date(2026, 4, 5)));
    assert_eq!(plan.unbilled, Money::cny(0));
    assert_eq!(plan.next_row(), None);
    let s = e.summary(date(2026, 4, 6)).unwrap();
    assert_eq!(s.balance, Money::cny(0));
    assert_eq!(s.available_credit, Money::cny(1_000_000));
    assert_eq!(
        refusal(on(
            &mut e,
            date(2026, 4, 6),
            EventKind::SettleInstallment { plan: 1 }
        )),
        InstallmentRefusal::PlanClosed
    );
    e.advance_to(date(2026, 4, 8)).unwrap();
    let st = &e.statements()[0];
    assert_eq!(st.balance, Money::cny(0));
    assert_eq!(st.totals.fees, Money::cny(0));
    clean(&e);
}

#[test]
fn a_refunded_purchase_is_not_convertible() {
    let mut e = engine(Product::default());
    let hold = bought(&mut e, date(2026, 4, 1), 300_000);
    on(
        &mut e,
        date(2026, 4, 1),
        EventKind::PurchaseRefund {
            hold,
            amount: Money::cny(300_000),
        },
    )
    .unwrap();
    e.advance_to(date(2026, 4, 3)).unwrap();
    assert_eq!(
        refusal(on(&mut e, date(2026, 4, 3), convert(hold, 3))),
        InstallmentRefusal::PurchaseRepaid
    );
    clean(&e);
}

#[test]
fn a_hardship_plan_restructures_billed_principal_only_on_an_account_past_due() {
    let mut e = engine(Product::default());
    bought(&mut e, date(2026, 4, 1), 300_000);
    let hardship = |fen| EventKind::HardshipInstallment {
        amount: Money::cny(fen),
        terms: Terms {
            periods: 24,
            rate: Rate::parse("0.006").unwrap(),
            fee_mode: FeeMode::PerPeriod,
        },
    };
    // Billed on 7 Apr, last on-time day 28 Apr: not past due before 29 Apr.
    assert_eq!(
        refusal(on(&mut e, date(2026, 4, 28), hardship(300_000))),
        InstallmentRefusal::NotDelinquent
    );
    let day = date(2026, 4, 30);
    e.advance_to(day).unwrap();
    assert!(e.summary(day).unwrap().days_past_due > 0);
    assert_eq!(
        refusal(on(&mut e, day, hardship(300_001))),
        InstallmentRefusal::NotConvertible
    );
    let before = e.summary(day).unwrap();
    on(&mut e, day, hardship(300_000)).unwrap();
    let after = e.summary(day).unwrap();
    assert_eq!(after.days_past_due, 0);
    // The interest of April stays owed; the principal now waits in the plan.
    assert_eq!(after.balance, before.balance);
    assert_eq!(e.plans()[0].source, Source::Hardship);
    assert_eq!(e.plans()[0].unbilled, Money::cny(300_000));
    // The 7 May statement bills period 1: 125.00 + 18.00, and the April interest.
    e.advance_to(date(2026, 5, 8)).unwrap();
    let st = &e.statements()[1];
    assert_eq!(st.totals.installments, Money::cny(14_300));
    assert_eq!(e.summary(date(2026, 5, 8)).unwrap().days_past_due, 0);
    clean(&e);
}

#[test]
fn the_payment_record_counts_minimums_met_on_time_and_the_worst_days_past_due_in_12_months() {
    let mut e = engine(Product::default());
    bought(&mut e, date(2026, 4, 1), 200_000);
    // The first statement after the purchase: its minimum paid on its last on-time day.
    while e.statements().is_empty() {
        let next = e.today().unwrap().tomorrow().unwrap();
        e.advance_to(next).unwrap();
    }
    let first = e.statements()[0].clone();
    assert!(first.minimum_payment.is_positive());
    let pay = |amount| EventKind::Payment { amount };
    on(&mut e, first.last_on_time, pay(first.minimum_payment)).unwrap();
    let after_first = first.last_on_time.tomorrow().unwrap();
    e.advance_to(after_first).unwrap();
    let r = e.payment_record(after_first).unwrap();
    assert_eq!(
        (r.decided_12m, r.on_time_12m, r.worst_days_past_due_12m),
        (1, 1, 0)
    );

    // The second statement's minimum is missed: the account goes past due, 40 days on it
    // is paid off, and the record keeps the worst it reached.
    while e.statements().len() < 2 {
        let next = e.today().unwrap().tomorrow().unwrap();
        e.advance_to(next).unwrap();
    }
    let second = e.statements()[1].clone();
    let late = second
        .last_on_time
        .checked_add(jiff::Span::new().days(40))
        .unwrap();
    e.advance_to(late).unwrap();
    assert_eq!(e.payment_record(late).unwrap().worst_days_past_due_12m, 40);
    on(&mut e, late, pay(Money::cny(1_000_000))).unwrap();
    let r = e.payment_record(late).unwrap();
    assert_eq!(
        r.worst_days_past_due_12m, 40,
        "the peak outlives the payment"
    );
    // The second statement and the third (whose grace also ended in those 40 days) missed.
    assert_eq!((r.decided_12m, r.on_time_12m), (3, 1), "{r:?}");
    // A year and more later the peak has left the window.
    let later = late.checked_add(jiff::Span::new().months(13)).unwrap();
    e.advance_to(later).unwrap();
    assert_eq!(e.payment_record(later).unwrap().worst_days_past_due_12m, 0);
    clean(&e);
}

fn special(fen: i64, limit: i64) -> EventKind {
    EventKind::SpecialInstallment {
        amount: Money::cny(fen),
        terms: Terms {
            periods: 12,
            rate: Rate::parse("0.005").unwrap(),
            fee_mode: FeeMode::PerPeriod,
        },
        purpose: crate::quote::plan::Purpose::Travel,
        merchant: 42,
        limit: Money::cny(limit),
    }
}

#[test]
fn a_special_purpose_plan_occupies_its_own_limit_until_its_principal_is_billed_and_repaid() {
    let mut e = engine(Product::default());
    let travel = crate::quote::plan::Purpose::Travel;
    let day = date(2026, 4, 2);
    // Travel plans run from 1,000.00: below it, and above what is left of the limit, refused.
    assert_eq!(
        refusal(on(&mut e, day, special(99_999, 2_000_000))),
        InstallmentRefusal::BelowMinimum
    );
    assert_eq!(
        refusal(on(&mut e, day, special(1_200_000, 0))),
        InstallmentRefusal::SpecialLimitExceeded
    );
    let card_before = e.summary(day).unwrap().available_credit;
    on(&mut e, day, special(1_200_000, 2_000_000)).unwrap();
    assert_eq!(e.summary(day).unwrap().available_credit, card_before);
    assert_eq!(e.special_used(travel).unwrap(), Money::cny(1_200_000));
    assert_eq!(
        refusal(on(&mut e, day, special(800_001, 2_000_000))),
        InstallmentRefusal::SpecialLimitExceeded
    );
    // The 7 April statement bills period 1 (1,000.00 + 60.00 fee): only the fee takes credit.
    let cut = date(2026, 4, 8);
    e.advance_to(cut).unwrap();
    assert_eq!(e.statements()[0].totals.installments, Money::cny(106_000));
    assert_eq!(
        e.summary(cut).unwrap().available_credit,
        card_before.checked_sub(Money::cny(6_000)).unwrap()
    );
    assert_eq!(e.special_used(travel).unwrap(), Money::cny(1_200_000));
    on(
        &mut e,
        cut,
        EventKind::Payment {
            amount: Money::cny(106_000),
        },
    )
    .unwrap();
    assert_eq!(e.special_used(travel).unwrap(), Money::cny(1_100_000));
    assert_eq!(e.summary(cut).unwrap().available_credit, card_before);
    clean(&e);
}
