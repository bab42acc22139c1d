//! Repayment allocation (rule 9): which items a payment or refund repays, in which order.
//!
//! Not overdue: billed before unbilled; oldest statement first; within a statement the
//! product's order (fees → interest → installments → cash → purchases); unbilled items last in
//! the same order. Overdue 1–90 days: every billed fee (oldest statement first), then every
//! billed interest, then billed principal in the normal order, then unbilled items. Overdue ≥ 91
//! days: billed principal first (oldest statement first, normal order within one), then billed
//! interest, then billed fees, then unbilled items. Inside one bucket of one statement, the
//! item posted first is repaid first.

use cardlife_kernel::Money;

use super::account::{Bucket, Item};
use super::error::BillingError;

/// First day past due of the second allocation order.
pub const PRINCIPAL_FIRST_FROM_DAY: i64 = 91;

/// Which order is in force when a credit is received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Not overdue.
    Current,
    /// Overdue 1–90 days: fees and interest before principal.
    Overdue,
    /// Overdue 91 days or more: principal first.
    Seriously,
}

impl Stage {
    /// The stage of an account `days_past_due` days past due.
    pub fn of(days_past_due: i64) -> Self {
        if days_past_due >= PRINCIPAL_FIRST_FROM_DAY {
            Self::Seriously
        } else if days_past_due >= 1 {
            Self::Overdue
        } else {
            Self::Current
        }
    }
}

/// The indices of the items with something outstanding, in repayment order.
pub fn order(items: &[Item], stage: Stage, within: &[Bucket]) -> Vec<usize> {
    let rank = |b: Bucket| within.iter().position(|x| *x == b).unwrap_or(within.len());
    let key = |item: &Item| {
        let stmt = item.statement.unwrap_or(usize::MAX);
        let r = rank(item.bucket);
        let group = match (item.statement, stage, item.bucket) {
            (None, _, _) | (Some(_), Stage::Current, _) => 0,
            (Some(_), Stage::Overdue, Bucket::Fee) => 0,
            (Some(_), Stage::Overdue, Bucket::Interest) => 1,
            (Some(_), Stage::Overdue, _) => 2,
            (Some(_), Stage::Seriously, b) if b.is_principal() => 0,
            (Some(_), Stage::Seriously, Bucket::Interest) => 1,
            (Some(_), Stage::Seriously, _) => 2,
        };
        // Unbilled items come after every billed one, whatever the stage.
        let billed = u8::from(item.statement.is_none());
        (billed, group, stmt, r, item.seq)
    };
    let mut idx: Vec<usize> = (0..items.len())
        .filter(|&i| items[i].outstanding.is_positive())
        .collect();
    idx.sort_by_key(|&i| key(&items[i]));
    idx
}

/// Splits `credit` over the items in `order`; returns the parts and what is left over.
pub fn split(
    items: &[Item],
    order: &[usize],
    credit: Money,
) -> Result<(Vec<(usize, Money)>, Money), BillingError> {
    let mut left = credit;
    let mut parts = Vec::new();
    for &i in order {
        if !left.is_positive() {
            break;
        }
        let take = left.min(items[i].outstanding)?;
        parts.push((i, take));
        left = left.checked_sub(take)?;
    }
    Ok((parts, left))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::billing::account::CreditAccount;
    use jiff::civil::date;

    /// Statement 0: purchase 100, fee 10, interest 5; statement 1: cash 50, interest 3;
    /// unbilled: purchase 20, fee 2.
    fn book() -> CreditAccount {
        let mut a = CreditAccount::default();
        let d = date(2026, 4, 2);
        for (bucket, fen, stmt) in [
            (Bucket::Purchase, 10_000, Some(0)),
            (Bucket::Fee, 1_000, Some(0)),
            (Bucket::Interest, 500, Some(0)),
            (Bucket::Cash, 5_000, Some(1)),
            (Bucket::Interest, 300, Some(1)),
            (Bucket::Purchase, 2_000, None),
            (Bucket::Fee, 200, None),
        ] {
            let i = a.push(bucket, d, d, Money::cny(fen));
            a.items[i].statement = stmt;
        }
        a
    }

    #[test]
    fn current_order_is_oldest_statement_first_fees_interest_then_principal_unbilled_last() {
        let a = book();
        let got = order(&a.items, Stage::Current, &Bucket::DEFAULT_ORDER);
        assert_eq!(got, vec![1, 2, 0, 4, 3, 6, 5]);
    }

    #[test]
    fn overdue_1_to_90_repays_every_billed_fee_then_interest_before_principal() {
        let a = book();
        let got = order(&a.items, Stage::Overdue, &Bucket::DEFAULT_ORDER);
        assert_eq!(got, vec![1, 2, 4, 0, 3, 6, 5]);
    }

    #[test]
    fn overdue_91_or_more_repays_billed_principal_first() {
        let a = book();
        let got = order(&a.items, Stage::Seriously, &Bucket::DEFAULT_ORDER);
        assert_eq!(got, vec![0, 3, 2, 4, 1, 6, 5]);
    }

    #[test]
    fn stage_boundaries_are_day_1_and_day_91() {
        assert_eq!(Stage::of(0), Stage::Current);
        assert_eq!(Stage::of(1), Stage::Overdue);
        assert_eq!(Stage::of(90), Stage::Overdue);
        assert_eq!(Stage::of(91), Stage::Seriously);
    }

    #[test]
    fn split_stops_when_the_credit_runs_out_and_returns_the_excess() {
        let a = book();
        let o = order(&a.items, Stage::Current, &Bucket::DEFAULT_ORDER);
        let (parts, left) = split(&a.items, &o, Money::cny(1_200)).unwrap();
        assert_eq!(parts, vec![(1, Money::cny(1_000)), (2, Money::cny(200))]);
        assert!(left.is_zero());
        let (parts, left) = split(&a.items, &o, Money::cny(20_000)).unwrap();
        assert_eq!(parts.len(), 7);
        assert_eq!(left, Money::cny(20_000 - 19_000));
    }
}
