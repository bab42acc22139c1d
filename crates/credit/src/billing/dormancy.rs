//! Rule 12: a card with no customer transaction for 18 months and zero balance is dormant; the
//! share of dormant cards must stay within a ceiling (20 % by default). Pure functions over
//! the facts an [`crate::billing::Outcome`] reports ([`crate::billing::Outcome::dormancy_facts`]).
//!
//! A customer transaction is one the cardholder initiates (see
//! [`crate::billing::EventKind::is_customer_initiated`]); an account with none counts from its
//! opening date. A closed account is not a card in force: it is never dormant and is left out
//! of the report's population.

use cardlife_kernel::Money;
use jiff::ToSpan;
use jiff::civil::Date;
use rust_decimal::Decimal;

use super::account::AccountStatus;
use super::error::BillingError;

/// Rule 12's inactivity period, in months.
pub const DORMANT_AFTER_MONTHS: u32 = 18;
/// Rule 12's ceiling on the dormant share, in percent.
pub const DORMANT_CEILING_PCT: u32 = 20;

/// What dormancy depends on, for one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DormancyFacts {
    /// The opening date (the start of inactivity if there was never a customer transaction).
    pub opened: Date,
    /// The date of the latest customer-initiated transaction, if any.
    pub last_customer_activity: Option<Date>,
    /// Everything owed (negative for a credit balance); dormancy needs exactly zero.
    pub balance: Money,
    /// The account's status.
    pub status: AccountStatus,
}

/// Whether the account is dormant on `today`: not closed, balance zero, and at least `months`
/// months since its latest customer transaction (or its opening): the last one on 2025-01-15
/// makes it dormant from 2026-07-15 with 18 months.
pub fn is_dormant(facts: &DormancyFacts, today: Date, months: u32) -> Result<bool, BillingError> {
    if facts.status == AccountStatus::Closed || facts.balance != Money::cny(0) {
        return Ok(false);
    }
    let since = facts.last_customer_activity.unwrap_or(facts.opened);
    let months = i64::from(months);
    let dormant_from = since.checked_add(months.months())?;
    Ok(today >= dormant_from)
}

/// The dormancy of a book of accounts on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DormancyReport {
    /// Accounts in force (not closed).
    pub accounts: usize,
    /// Of which dormant.
    pub dormant: usize,
    /// `dormant / accounts` (0 for an empty book), exact.
    pub share: Decimal,
    /// Whether `share` ≤ the ceiling.
    pub within_ceiling: bool,
}

/// Counts the dormant accounts among those in force and compares their share with
/// `ceiling_pct` percent (inclusive: exactly the ceiling is within it).
pub fn dormancy_report(
    accounts: &[DormancyFacts],
    today: Date,
    months: u32,
    ceiling_pct: u32,
) -> Result<DormancyReport, BillingError> {
    let mut in_force = 0usize;
    let mut dormant = 0usize;
    for facts in accounts
        .iter()
        .filter(|f| f.status != AccountStatus::Closed)
    {
        in_force += 1;
        if is_dormant(facts, today, months)? {
            dormant += 1;
        }
    }
    let share = if in_force == 0 {
        Decimal::ZERO
    } else {
        Decimal::from(dormant) / Decimal::from(in_force)
    };
    let within_ceiling = share * Decimal::from(100) <= Decimal::from(ceiling_pct);
    Ok(DormancyReport {
        accounts: in_force,
        dormant,
        share,
        within_ceiling,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use jiff::civil::date;

    fn facts(last: Option<Date>, fen: i64, status: AccountStatus) -> DormancyFacts {
        DormancyFacts {
            opened: date(2024, 1, 10),
            last_customer_activity: last,
            balance: Money::cny(fen),
            status,
        }
    }

    fn dormant(f: &DormancyFacts, today: Date) -> bool {
        is_dormant(f, today, DORMANT_AFTER_MONTHS).unwrap()
    }

    #[test]
    fn a_zero_balance_card_becomes_dormant_exactly_18_months_after_its_last_transaction() {
        let f = facts(Some(date(2025, 1, 15)), 0, AccountStatus::Active);
        assert!(!dormant(&f, date(2026, 7, 14)));
        assert!(dormant(&f, date(2026, 7, 15)));
    }

    #[test]
    fn a_card_never_used_counts_from_its_opening_date() {
        let f = facts(None, 0, AccountStatus::Active);
        assert!(!dormant(&f, date(2025, 7, 9)));
        assert!(dormant(&f, date(2025, 7, 10)));
    }

    #[test]
    fn a_card_with_any_balance_or_credit_balance_is_not_dormant() {
        let today = date(2030, 1, 1);
        assert!(!dormant(&facts(None, 1, AccountStatus::Active), today));
        assert!(!dormant(&facts(None, -1, AccountStatus::Active), today));
    }

    #[test]
    fn a_frozen_card_can_be_dormant_but_a_closed_one_cannot() {
        let today = date(2030, 1, 1);
        assert!(dormant(&facts(None, 0, AccountStatus::Frozen), today));
        assert!(!dormant(&facts(None, 0, AccountStatus::Closed), today));
    }

    #[test]
    fn the_period_is_a_parameter() {
        let f = facts(Some(date(2025, 1, 15)), 0, AccountStatus::Active);
        assert!(is_dormant(&f, date(2025, 7, 15), 6).unwrap());
        assert!(!is_dormant(&f, date(2025, 7, 14), 6).unwrap());
    }

    #[test]
    fn the_report_gives_the_share_of_cards_in_force_and_checks_the_ceiling_inclusively() {
        let today = date(2030, 1, 1);
        let active = facts(Some(today), 0, AccountStatus::Active);
        let asleep = facts(None, 0, AccountStatus::Active);
        let closed = facts(None, 0, AccountStatus::Closed);
        // 1 dormant of 5 in force = 20 %: within; the closed one is not counted.
        let book = [asleep, active, active, active, active, closed];
        let r = dormancy_report(&book, today, DORMANT_AFTER_MONTHS, DORMANT_CEILING_PCT).unwrap();
        assert_eq!((r.accounts, r.dormant), (5, 1));
        assert_eq!(r.share, Decimal::new(2, 1));
        assert!(r.within_ceiling);
        // 2 of 5 = 40 %: over.
        let book = [asleep, asleep, active, active, active];
        let r = dormancy_report(&book, today, DORMANT_AFTER_MONTHS, DORMANT_CEILING_PCT).unwrap();
        assert_eq!(r.share, Decimal::new(4, 1));
        assert!(!r.within_ceiling);
        // A 50 % ceiling accepts it.
        assert!(
            dormancy_report(&book, today, DORMANT_AFTER_MONTHS, 50)
                .unwrap()
                .within_ceiling
        );
    }

    #[test]
    fn an_empty_book_has_a_zero_share_within_the_ceiling() {
        let r = dormancy_report(&[], date(2030, 1, 1), DORMANT_AFTER_MONTHS, 20).unwrap();
        assert_eq!((r.accounts, r.dormant, r.share), (0, 0, Decimal::ZERO));
        assert!(r.within_ceiling);
    }
}
