//! Cycle dates (rules 1, 2 and 13): statement dates, due dates and the last on-time day.
//!
//! A cycle is (previous statement date, statement date]; the statement date belongs to the
//! closing cycle, and the first statement is the first statement date strictly after opening.

use jiff::ToSpan;
use jiff::civil::Date;

use super::error::BillingError;
use super::product::Product;

/// The first statement date strictly after `date` for a product cutting on `statement_day`.
pub fn next_statement_after(date: Date, statement_day: i8) -> Result<Date, BillingError> {
    let this_month = date.with().day(statement_day).build()?;
    if this_month > date {
        Ok(this_month)
    } else {
        let next = date.first_of_month().checked_add(1.month())?;
        Ok(next.with().day(statement_day).build()?)
    }
}

/// `date + days` calendar days.
pub fn add_days(date: Date, days: i32) -> Result<Date, BillingError> {
    Ok(date.checked_add(i64::from(days).days())?)
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> Result<i64, BillingError> {
    Ok(i64::from(from.until(to)?.get_days()))
}

/// The dates that follow from one statement date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleDates {
    /// The statement date.
    pub statement: Date,
    /// Statement date + `due_days`.
    pub due: Date,
    /// Due date + `grace_days`: the last day a payment counts as on time.
    pub last_on_time: Date,
}

impl CycleDates {
    /// The dates of the statement cut on `statement`.
    pub fn of(statement: Date, product: &Product) -> Result<Self, BillingError> {
        let due = add_days(statement, product.due_days)?;
        Ok(Self {
            statement,
            due,
            last_on_time: add_days(due, product.grace_days)?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use jiff::civil::date;

    #[test]
    fn first_statement_is_strictly_after_the_opening_date() {
        assert_eq!(
            next_statement_after(date(2026, 3, 20), 7).unwrap(),
            date(2026, 4, 7)
        );
        assert_eq!(
            next_statement_after(date(2026, 4, 7), 7).unwrap(),
            date(2026, 5, 7)
        );
        assert_eq!(
            next_statement_after(date(2026, 4, 6), 7).unwrap(),
            date(2026, 4, 7)
        );
        assert_eq!(
            next_statement_after(date(2026, 12, 7), 7).unwrap(),
            date(2027, 1, 7)
        );
    }

    #[test]
    fn statement_day_28_exists_in_february_of_leap_and_common_years() {
        assert_eq!(
            next_statement_after(date(2028, 1, 28), 28).unwrap(),
            date(2028, 2, 28)
        );
        assert_eq!(
            next_statement_after(date(2027, 1, 31), 28).unwrap(),
            date(2027, 2, 28)
        );
        assert_eq!(
            next_statement_after(date(2028, 2, 28), 28).unwrap(),
            date(2028, 3, 28)
        );
    }

    #[test]
    fn due_date_and_last_on_time_day_cross_month_ends_of_every_length() {
        let p = Product::default();
        // 7 Apr + 18 = 25 Apr; + 3 = 28 Apr (the worked example).
        let c = CycleDates::of(date(2026, 4, 7), &p).unwrap();
        assert_eq!(
            (c.due, c.last_on_time),
            (date(2026, 4, 25), date(2026, 4, 28))
        );
        let p28 = Product {
            statement_day: 28,
            ..Product::default()
        };
        // 28 Feb + 18 in a leap year (29 days) and a common year (28 days).
        let leap = CycleDates::of(date(2028, 2, 28), &p28).unwrap();
        assert_eq!(
            (leap.due, leap.last_on_time),
            (date(2028, 3, 17), date(2028, 3, 20))
        );
        let common = CycleDates::of(date(2027, 2, 28), &p28).unwrap();
        assert_eq!(
            (common.due, common.last_on_time),
            (date(2027, 3, 18), date(2027, 3, 21))
        );
        // 30- and 31-day months.
        let apr = CycleDates::of(date(2026, 4, 28), &p28).unwrap();
        assert_eq!(apr.due, date(2026, 5, 16));
        let may = CycleDates::of(date(2026, 5, 28), &p28).unwrap();
        assert_eq!(may.due, date(2026, 6, 15));
    }

    #[test]
    fn days_between_counts_february_29() {
        assert_eq!(
            days_between(date(2028, 2, 1), date(2028, 3, 1)).unwrap(),
            29
        );
        assert_eq!(
            days_between(date(2027, 2, 1), date(2027, 3, 1)).unwrap(),
            28
        );
    }
}
