//! Authorisations driven step by step (begin_day / receive / end_day): capture in full or in
//! part, reversal, expiry, and the declines, each reconciled to the card's ledger.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cardlife_kernel::Money;
use jiff::civil::{Date, date};

use super::*;

fn engine() -> Engine {
    let mut e = Engine::open(Product::default(), date(2026, 3, 20), Money::cny(1_000_000)).unwrap();
    e.advance_to(date(2026, 4, 1)).unwrap();
    e
}

fn on(e: &mut Engine, day: Date, kind: EventKind) -> Result<(), BillingError> {
    e.advance_to(day).unwrap();
    e.receive(&Event { date: day, kind })
}

fn authorise(e: &mut Engine, day: Date, fen: i64) -> u128 {
    on(
        e,
        day,
        EventKind::Authorise {
            amount: Money::cny(fen),
            cash: false,
        },
    )
    .unwrap();
    e.last_hold().unwrap()
}

fn clean(e: &Engine) {
    assert!(e.postings().check().violations.is_empty());
}

#[test]
fn an_authorisation_holds_credit_until_a_partial_capture_posts_and_releases_the_rest() {
    let mut e = engine();
    let d = date(2026, 4, 1);
    let hold = authorise(&mut e, d, 100_000);
    let s = e.summary(d).unwrap();
    assert_eq!(s.pending, Money::cny(100_000));
    assert_eq!(s.available_credit, Money::cny(900_000));
    // Still pending days later: no auto-posting.
    e.advance_to(date(2026, 4, 4)).unwrap();
    assert_eq!(
        e.summary(date(2026, 4, 4)).unwrap().pending,
        Money::cny(100_000)
    );
    on(
        &mut e,
        date(2026, 4, 4),
        EventKind::Capture {
            hold,
            amount: Money::cny(60_000),
        },
    )
    .unwrap();
    e.advance_to(date(2026, 4, 5)).unwrap();
    let s = e.summary(date(2026, 4, 5)).unwrap();
    assert_eq!((s.pending, s.balance), (Money::cny(0), Money::cny(60_000)));
    assert_eq!(s.available_credit, Money::cny(940_000));
    assert_eq!(e.postings().pending().unwrap(), Money::cny(0));
    clean(&e);
}

#[test]
fn a_capture_above_the_hold_or_of_an_unknown_hold_is_refused() {
    let mut e = engine();
    let d = date(2026, 4, 1);
    let hold = authorise(&mut e, d, 10_000);
    let over = on(
        &mut e.clone(),
        d,
        EventKind::Capture {
            hold,
            amount: Money::cny(10_001),
        },
    );
    assert!(matches!(
        over,
        Err(BillingError::CaptureExceedsAuthorisation { .. })
    ));
    let unknown = on(&mut e.clone(), d, EventKind::Reverse { hold: 999 });
    assert!(matches!(
        unknown,
        Err(BillingError::UnknownAuthorisation { hold: 999, .. })
    ));
}

#[test]
fn a_reversal_voids_the_hold_and_a_second_reversal_is_refused() {
    let mut e = engine();
    let d = date(2026, 4, 1);
    let hold = authorise(&mut e, d, 10_000);
    on(&mut e, d, EventKind::Reverse { hold }).unwrap();
    let s = e.summary(d).unwrap();
    assert_eq!(
        (s.pending, s.available_credit),
        (Money::cny(0), Money::cny(1_000_000))
    );
    assert!(on(&mut e, d, EventKind::Reverse { hold }).is_err());
    clean(&e);
}

#[test]
fn an_authorisation_expires_after_the_products_expiry_days() {
    let mut e = engine();
    let hold = authorise(&mut e, date(2026, 4, 1), 10_000);
    e.advance_to(date(2026, 4, 7)).unwrap();
    assert_eq!(e.authorisations().count(), 1);
    e.advance_to(date(2026, 4, 8)).unwrap();
    assert_eq!(e.authorisations().count(), 0);
    assert_eq!(e.summary(date(2026, 4, 8)).unwrap().pending, Money::cny(0));
    let late = on(
        &mut e,
        date(2026, 4, 8),
        EventKind::Capture {
            hold,
            amount: Money::cny(1),
        },
    );
    assert!(matches!(
        late,
        Err(BillingError::UnknownAuthorisation { .. })
    ));
    clean(&e);
}

#[test]
fn an_authorisation_beyond_the_available_credit_is_declined() {
    let mut e = engine();
    let r = on(
        &mut e,
        date(2026, 4, 1),
        EventKind::Authorise {
            amount: Money::cny(1_000_001),
            cash: false,
        },
    );
    assert_eq!(
        r.unwrap_err().decline_code(),
        Some(DeclineCode::InsufficientCredit)
    );
}

#[test]
fn a_captured_cash_authorisation_posts_with_its_fee() {
    let mut e = engine();
    let d = date(2026, 4, 1);
    on(
        &mut e,
        d,
        EventKind::Authorise {
            amount: Money::cny(200_000),
            cash: true,
        },
    )
    .unwrap();
    let hold = e.last_hold().unwrap();
    on(
        &mut e,
        d,
        EventKind::Capture {
            hold,
            amount: Money::cny(200_000),
        },
    )
    .unwrap();
    e.advance_to(date(2026, 4, 2)).unwrap();
    // 2,000.00 + the 20.00 fee.
    assert_eq!(
        e.summary(date(2026, 4, 2)).unwrap().balance,
        Money::cny(202_000)
    );
    clean(&e);
}

#[test]
fn the_step_api_gives_the_same_statements_as_run() {
    let events = [
        Event {
            date: date(2026, 4, 1),
            kind: EventKind::Purchase {
                amount: Money::cny(200_000),
            },
        },
        Event {
            date: date(2026, 4, 25),
            kind: EventKind::Payment {
                amount: Money::cny(20_000),
            },
        },
    ];
    let open =
        || Engine::open(Product::default(), date(2026, 3, 20), Money::cny(5_000_000)).unwrap();
    let o = open().run(&events, date(2026, 5, 8)).unwrap();
    let mut e = open();
    for ev in &events {
        e.advance_to(ev.date).unwrap();
        e.receive(ev).unwrap();
    }
    e.advance_to(date(2026, 5, 9)).unwrap();
    assert_eq!(e.statements(), o.statements.as_slice());
    assert_eq!(e.statements()[1].totals.interest, Money::cny(3_470));
}

#[test]
fn an_authorisation_refused_in_place_leaves_the_engine_exactly_as_it_was() {
    let mut e = engine();
    let d = date(2026, 4, 1);
    authorise(&mut e, d, 400_000);
    let ask = |fen: i64, cash: bool, day: Date| Event {
        date: day,
        kind: EventKind::Authorise {
            amount: Money::cny(fen),
            cash,
        },
    };
    let before = format!("{e:?}");
    // Beyond the available credit, beyond the cash limit, a zero amount, the wrong day.
    for event in [
        ask(700_000, false, d),
        ask(550_000, true, d),
        ask(0, false, d),
        ask(100, false, date(2026, 4, 2)),
    ] {
        let err = e.receive_in_place(&event).unwrap().unwrap_err();
        assert!(err.refused_unchanged(), "{err}");
        assert_eq!(format!("{e:?}"), before, "{err}");
    }
    // Frozen: declined, unchanged.
    on(&mut e, d, EventKind::Freeze).unwrap();
    let frozen = format!("{e:?}");
    let err = e
        .receive_in_place(&ask(100, false, d))
        .unwrap()
        .unwrap_err();
    assert_eq!(err.decline_code(), Some(DeclineCode::AccountFrozen));
    assert_eq!(format!("{e:?}"), frozen);
    on(&mut e, d, EventKind::Unfreeze).unwrap();
    // Accepted in place: the same engine as receiving it on a clone.
    let mut copy = e.clone();
    copy.receive(&ask(1_000, false, d)).unwrap();
    e.receive_in_place(&ask(1_000, false, d)).unwrap().unwrap();
    assert_eq!(format!("{e:?}"), format!("{copy:?}"));
    // Other events are not taken in place.
    assert!(
        e.receive_in_place(&Event {
            date: d,
            kind: EventKind::Freeze
        })
        .is_none()
    );
    clean(&e);
}
