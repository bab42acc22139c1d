//! Interest (rule 5), kept exact in fen as `Decimal` and rounded half-up once per statement.
//!
//! Each day, after the day's credits and postings, every item with something outstanding
//! accrues `outstanding × daily_rate`: cash always as *known* interest; purchases and billed
//! interest as *deferred* interest while their statement's paid-in-full test is pending, as
//! known interest once it failed, and not at all once it passed; fees never.

use cardlife_kernel::{Money, Rate, round_half_up_to_fen};
use jiff::civil::Date;
use rust_decimal::Decimal;

use super::account::{Bucket, FreePeriod, Item};
use super::cycle::add_days;
use super::error::BillingError;
use super::product::{ProductVersions, RevolvingInterest};

/// `amount × rate × days`, exact, in fen.
pub fn exact(amount: Money, rate: Rate, days: i64) -> Result<Decimal, BillingError> {
    Decimal::from(amount.fen())
        .checked_mul(rate.as_decimal())
        .and_then(|d| d.checked_mul(Decimal::from(days)))
        .ok_or_else(|| BillingError::Invariant("interest overflow".into()))
}

/// `amount × rate_days`, exact, in fen, where `rate_days` is a sum of daily rates (see
/// [`ProductVersions::rate_days`]).
pub fn exact_over(amount: Money, rate_days: Decimal) -> Result<Decimal, BillingError> {
    Decimal::from(amount.fen())
        .checked_mul(rate_days)
        .ok_or_else(|| BillingError::Invariant("interest overflow".into()))
}

/// Step 4 of the day: every item accrues one day on what it owes now.
pub fn accrue_day(items: &mut [Item], rate: Rate) -> Result<(), BillingError> {
    for item in items.iter_mut().filter(|i| i.outstanding.is_positive()) {
        let day = exact(item.outstanding, rate, 1)?;
        let slot = match (item.bucket, item.free) {
            (Bucket::Fee, _) | (_, FreePeriod::Kept) => continue,
            (Bucket::Cash, _) | (_, FreePeriod::Lost) => &mut item.known,
            (_, FreePeriod::Undecided) => &mut item.deferred,
        };
        *slot = slot
            .checked_add(day)
            .ok_or_else(|| BillingError::Invariant("interest overflow".into()))?;
    }
    Ok(())
}

/// The outcome of one statement's paid-in-full test (rule 4), applied to the items it billed
/// at the end of its last on-time day. A failed test turns the deferred interest into known
/// interest: with `unpaid_only`, a purchase's retroactive base is capped at what it still owes
/// now (the end of the last on-time day), for every day from its posting date to today, each
/// day at the rate of the product version in force that day.
pub fn decide(
    items: &mut [Item],
    statement: usize,
    paid_in_full: bool,
    mode: RevolvingInterest,
    versions: &ProductVersions,
    last_on_time: Date,
) -> Result<(), BillingError> {
    let billed = items
        .iter_mut()
        .filter(|i| i.statement == Some(statement) && i.free == FreePeriod::Undecided);
    for item in billed {
        if paid_in_full {
            item.free = FreePeriod::Kept;
        } else {
            item.free = FreePeriod::Lost;
            let retro = if mode == RevolvingInterest::UnpaidOnly && item.bucket == Bucket::Purchase
            {
                let rate_days = versions.rate_days(item.posted, add_days(last_on_time, 1)?)?;
                exact_over(item.outstanding, rate_days)?
            } else {
                item.deferred
            };
            item.known = item
                .known
                .checked_add(retro)
                .ok_or_else(|| BillingError::Invariant("interest overflow".into()))?;
        }
        item.deferred = Decimal::ZERO;
    }
    Ok(())
}

/// At a statement cut: all known interest, summed exactly, rounded half-up once; the items'
/// known interest is reset (the sub-fen remainder of the rounding is not carried).
pub fn bill(items: &mut [Item]) -> Result<Money, BillingError> {
    let mut total = Decimal::ZERO;
    for item in items.iter_mut() {
        total = total
            .checked_add(item.known)
            .ok_or_else(|| BillingError::Invariant("interest overflow".into()))?;
        item.known = Decimal::ZERO;
    }
    Ok(Money::cny(round_half_up_to_fen(total)?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::billing::account::CreditAccount;
    use jiff::civil::date;

    fn daily() -> Rate {
        Rate::parse("0.0005").unwrap()
    }

    #[test]
    fn a_kept_free_period_bills_nothing_and_a_lost_one_bills_every_day_since_posting() {
        for (paid, expected) in [(true, 0), (false, 2_700)] {
            let mut a = CreditAccount::default();
            let i = a.push(
                Bucket::Purchase,
                date(2026, 4, 1),
                date(2026, 4, 2),
                Money::cny(200_000),
            );
            a.items[i].statement = Some(0);
            for _ in 0..27 {
                accrue_day(&mut a.items, daily()).unwrap();
            }
            decide(
                &mut a.items,
                0,
                paid,
                RevolvingInterest::Full,
                &ProductVersions::single(crate::billing::Product {
                    daily_rate: daily(),
                    ..Default::default()
                }),
                date(2026, 4, 28),
            )
            .unwrap();
            assert_eq!(bill(&mut a.items).unwrap(), Money::cny(expected));
        }
    }

    #[test]
    fn fees_never_bear_interest_and_cash_always_does() {
        let mut a = CreditAccount::default();
        let d = date(2026, 6, 2);
        a.push(Bucket::Fee, d, d, Money::cny(2_000));
        a.push(Bucket::Cash, d, d, Money::cny(200_000));
        accrue_day(&mut a.items, daily()).unwrap();
        assert_eq!(bill(&mut a.items).unwrap(), Money::cny(100));
    }

    #[test]
    fn interest_is_summed_exactly_and_rounded_half_up_once() {
        let mut a = CreditAccount::default();
        let d = date(2026, 6, 2);
        // 0.5 fen + 0.5 fen accrued on two items: one fen, not two (per item) or zero.
        for _ in 0..2 {
            a.push(Bucket::Cash, d, d, Money::cny(1_000));
        }
        accrue_day(&mut a.items, daily()).unwrap();
        assert_eq!(bill(&mut a.items).unwrap(), Money::cny(1));
        // A lone 0.5 fen rounds up.
        let mut b = CreditAccount::default();
        b.push(Bucket::Cash, d, d, Money::cny(1_000));
        accrue_day(&mut b.items, daily()).unwrap();
        assert_eq!(bill(&mut b.items).unwrap(), Money::cny(1));
    }
}
