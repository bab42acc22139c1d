#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use jiff::civil::{Weekday, date};
use proptest::prelude::*;

fn mv(kind: MovementKind, reference: &str, fen: i64) -> Movement {
    Movement {
        kind,
        reference: reference.to_owned(),
        amount: Money::cny(fen),
    }
}

fn day(carried_in: i64, movements: Vec<Movement>) -> DayActivity {
    DayActivity {
        merchant: MerchantId::from_u128(9),
        business_date: date(2026, 4, 3), // a Friday
        currency: Currency::Cny,
        carried_in: Money::cny(carried_in),
        movements,
    }
}

fn sample() -> DayActivity {
    day(
        0,
        vec![
            mv(MovementKind::Capture, "ord_1", 10_000),
            mv(MovementKind::Fee, "ord_1", 60),
            mv(MovementKind::Capture, "ord_2", 5_000),
            mv(MovementKind::Fee, "ord_2", 30),
            mv(MovementKind::Refund, "rfd_1", 2_000),
        ],
    )
}

#[test]
fn settlement_is_captures_less_refunds_less_fees_on_the_next_calendar_day() {
    let s = settle(&sample(), &CalendarDays).unwrap();
    assert_eq!(
        (s.captures, s.refunds, s.fees),
        (Money::cny(15_000), Money::cny(2_000), Money::cny(90))
    );
    assert_eq!(s.net, Money::cny(12_910));
    assert_eq!(s.payout, Money::cny(12_910));
    assert_eq!(s.carried_out, Money::cny(0));
    assert_eq!(s.settlement_date, date(2026, 4, 4));
}

#[derive(Debug)]
struct Weekdays;
impl BusinessCalendar for Weekdays {
    fn is_business_day(&self, d: Date) -> bool {
        !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
    }
}

#[test]
fn a_weekday_calendar_settles_friday_on_monday() {
    let s = settle(&sample(), &Weekdays).unwrap();
    assert_eq!(s.settlement_date, date(2026, 4, 6));
}

#[derive(Debug)]
struct NeverOpen;
impl BusinessCalendar for NeverOpen {
    fn is_business_day(&self, _: Date) -> bool {
        false
    }
}

#[test]
fn a_calendar_without_business_days_is_an_error_not_a_hang() {
    assert!(matches!(
        settle(&sample(), &NeverOpen),
        Err(SettlementError::NoBusinessDay { .. })
    ));
}

#[test]
fn a_negative_net_is_carried_not_paid_out() {
    let d = day(
        -500,
        vec![
            mv(MovementKind::Capture, "ord_3", 1_000),
            mv(MovementKind::Refund, "rfd_2", 3_000),
        ],
    );
    let s = settle(&d, &CalendarDays).unwrap();
    assert_eq!(s.net, Money::cny(-2_500));
    assert_eq!(s.payout, Money::cny(0));
    assert_eq!(s.carried_out, Money::cny(-2_500));
    let (_, csv) = reconciliation_csv(&d, &CalendarDays).unwrap();
    assert!(csv.contains(",carried_in,previous,-5.00,CNY\n"));
    assert!(csv.ends_with(",total,2026-04-04,-25.00,CNY\n"));
    assert_eq!(check_reconciliation(&csv, &d, &CalendarDays).unwrap(), s);
}

#[test]
fn settle_rejects_bad_references_negative_amounts_and_positive_carry() {
    assert!(matches!(
        settle(
            &day(0, vec![mv(MovementKind::Capture, "=cmd()", 1)]),
            &CalendarDays
        ),
        Err(SettlementError::InvalidReference { .. })
    ));
    assert!(matches!(
        settle(
            &day(0, vec![mv(MovementKind::Capture, "a,b", 1)]),
            &CalendarDays
        ),
        Err(SettlementError::InvalidReference { .. })
    ));
    assert!(matches!(
        settle(
            &day(0, vec![mv(MovementKind::Fee, "ord_1", -1)]),
            &CalendarDays
        ),
        Err(SettlementError::NegativeMovement { .. })
    ));
    assert!(matches!(
        settle(&day(1, vec![]), &CalendarDays),
        Err(SettlementError::PositiveCarriedIn { .. })
    ));
}

#[test]
fn the_csv_has_one_line_per_movement_and_a_total_that_ties_out() {
    let d = sample();
    let (s, csv) = reconciliation_csv(&d, &CalendarDays).unwrap();
    let m = d.merchant;
    let want = format!(
        "{CSV_HEADER}\n\
         2026-04-03,{m},capture,ord_1,100.00,CNY\n\
         2026-04-03,{m},fee,ord_1,-0.60,CNY\n\
         2026-04-03,{m},capture,ord_2,50.00,CNY\n\
         2026-04-03,{m},fee,ord_2,-0.30,CNY\n\
         2026-04-03,{m},refund,rfd_1,-20.00,CNY\n\
         2026-04-03,{m},total,2026-04-04,129.10,CNY\n"
    );
    assert_eq!(csv, want);
    assert_eq!(check_reconciliation(&csv, &d, &CalendarDays).unwrap(), s);
}

fn good_csv() -> (DayActivity, String) {
    let d = sample();
    let (_, csv) = reconciliation_csv(&d, &CalendarDays).unwrap();
    (d, csv)
}

// Planted-bug negative controls: each shows the checker can fail.

#[test]
fn checker_catches_a_changed_amount() {
    let (d, csv) = good_csv();
    let bad = csv.replace("capture,ord_2,50.00", "capture,ord_2,50.01");
    assert_eq!(
        check_reconciliation(&bad, &d, &CalendarDays),
        Err(ReconciliationError::UnexpectedMovement { line: 4 })
    );
}

#[test]
fn checker_catches_a_dropped_movement() {
    let (d, csv) = good_csv();
    let bad: String = csv
        .lines()
        .filter(|l| !l.contains("refund,rfd_1"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        check_reconciliation(&bad, &d, &CalendarDays),
        Err(ReconciliationError::MissingMovement {
            kind: "refund",
            reference: "rfd_1".into()
        })
    );
}

#[test]
fn checker_catches_a_duplicated_movement() {
    let (d, csv) = good_csv();
    let dup = csv.lines().nth(1).unwrap();
    let bad = csv.replacen(dup, &format!("{dup}\n{dup}"), 1);
    assert_eq!(
        check_reconciliation(&bad, &d, &CalendarDays),
        Err(ReconciliationError::UnexpectedMovement { line: 3 })
    );
}

#[test]
fn checker_catches_a_wrong_total_and_a_missing_total() {
    let (d, csv) = good_csv();
    let bad = csv.replace("total,2026-04-04,129.10", "total,2026-04-04,129.11");
    assert_eq!(
        check_reconciliation(&bad, &d, &CalendarDays),
        Err(ReconciliationError::TotalMismatch {
            stated: Money::cny(12_911),
            computed: Money::cny(12_910)
        })
    );
    let no_total: String = csv
        .lines()
        .filter(|l| !l.contains(",total,"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        check_reconciliation(&no_total, &d, &CalendarDays),
        Err(ReconciliationError::MissingTotal)
    );
}

#[test]
fn checker_catches_a_consistent_file_for_the_wrong_day() {
    // Lines and total agree with each other but not with what the ledger expected.
    let (_, csv) = good_csv();
    let mut other = sample();
    other.movements.pop();
    assert!(check_reconciliation(&csv, &other, &CalendarDays).is_err());
}

#[test]
fn checker_catches_foreign_lines_and_a_bad_header() {
    let (d, csv) = good_csv();
    let bad = csv.replacen("2026-04-03", "2026-04-02", 2);
    assert_eq!(
        check_reconciliation(&bad, &d, &CalendarDays),
        Err(ReconciliationError::ForeignLine { line: 2 })
    );
    assert_eq!(
        check_reconciliation(&csv.replace("business_date", "date"), &d, &CalendarDays),
        Err(ReconciliationError::BadHeader)
    );
    let wrong_date = csv.replace("total,2026-04-04", "total,2026-04-05");
    assert!(matches!(
        check_reconciliation(&wrong_date, &d, &CalendarDays),
        Err(ReconciliationError::SettlementDateMismatch { .. })
    ));
}

fn movement() -> impl Strategy<Value = Movement> {
    (0u8..3, 0u32..20, 0i64..1_000_000).prop_map(|(k, r, fen)| {
        let kind = [
            MovementKind::Capture,
            MovementKind::Refund,
            MovementKind::Fee,
        ][usize::from(k)];
        mv(kind, &format!("ord_{r}"), fen)
    })
}

proptest! {
    #[test]
    fn any_written_file_checks_and_its_total_is_the_net(
        movements in proptest::collection::vec(movement(), 0..60),
        carried in -100_000i64..=0,
    ) {
        let d = day(carried, movements);
        let (s, csv) = reconciliation_csv(&d, &CalendarDays).unwrap();
        prop_assert_eq!(check_reconciliation(&csv, &d, &CalendarDays).unwrap(), s);
        prop_assert_eq!(s.payout.checked_add(s.carried_out).unwrap(), s.net);
        prop_assert!(!s.payout.is_negative() && !s.carried_out.is_positive());
        let lines_sum = csv.lines().skip(1).filter(|l| !l.contains(",total,"))
            .map(|l| Money::parse_cny(l.split(',').nth(4).unwrap()).unwrap())
            .try_fold(Money::cny(0), |a, m| a.checked_add(m)).unwrap();
        prop_assert_eq!(lines_sum, s.net);
    }

    #[test]
    fn the_checker_never_panics_on_arbitrary_text(text in "\\PC*", lines in proptest::collection::vec("[a-z0-9_,.:-]{0,40}", 0..8)) {
        let d = sample();
        let _ = check_reconciliation(&text, &d, &CalendarDays);
        let joined = format!("{CSV_HEADER}\n{}", lines.join("\n"));
        let _ = check_reconciliation(&joined, &d, &CalendarDays);
    }
}
