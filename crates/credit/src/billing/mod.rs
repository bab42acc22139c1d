//! Billing: products, cycles, statements, interest, fees and repayment allocation of a credit
//! card, day by day, as DOMAIN.md §3 sets out, with every movement on a double-entry ledger.
//!
//! - [`product`]: the parameters and their defaults; `due_days + grace_days ≤ 27`.
//! - [`cycle`]: statement, due and last-on-time dates.
//! - [`account`]: the posted items (one per purchase, cash advance, fee, billed interest) with
//!   what each still owes, which statement billed it and its free-period status; overpayment,
//!   temporary limits, arrears and delinquency buckets.
//! - [`allocation`]: rule 9. [`interest`]: rule 5. [`statement`]: rules 3, 4, 6, 7.
//! - [`engine`]: the day loop. [`postings`]: the ledger and its chart of accounts.
//!
//! # The day loop (rule 13)
//!
//! From the opening date through the last day, each day: (1) the day's events are received, in
//! file order; a payment posts and is allocated at once, a purchase or cash advance becomes a
//! pending ledger hold (it reduces available credit), a refund waits for its posting date;
//! (2) what posts today posts: charges (purchases; cash advances with their fee) before credits
//! (refunds), each in order of receipt; a charge is absorbed by any overpayment as it posts;
//! (3) a late fee due today posts; (4) every item accrues one day of interest on what it owes
//! now, and if today is a statement's last on-time day (due date + grace) its paid-in-full test
//! runs; (5) on a statement date the statement is cut: known interest is summed exactly,
//! rounded half-up once and posted, every unbilled item becomes billed on this statement, and
//! the balance (rule 3) is checked against the items and recorded against the ledger.
//!
//! # Interest as implemented (rule 5)
//!
//! Interest is accumulated per item as an exact `Decimal` number of fen. Cash accrues *known*
//! interest from its transaction date (the days before posting are added when it posts).
//! Purchases, and interest billed on a statement, accrue *deferred* interest until the
//! paid-in-full test of the statement that billed them: if it passes they never bear interest
//! and the deferred amount is dropped; if it fails the deferred amount becomes known
//! (retroactive to the posting date, or to the day after the statement date for billed
//! interest) and they accrue known interest every day until repaid. With `unpaid_only`, a
//! purchase's retroactive interest is recomputed at the end of the last on-time day as what it
//! still owes then × rate × days since posting; from the next day on the base is what it owes.
//! Fees never accrue. All known interest is billed on the next statement cut.
//!
//! # Interpretations of DOMAIN §3
//!
//! - Rule 4/5, free-period status: it is decided once per item, by the statement that first
//!   billed it. A tolerance shortfall carried to the next statement therefore stays
//!   interest-free even if that next statement is not paid in full; a purchase that lost its
//!   free period keeps accruing even after a later statement is paid in full (as rule 5 says).
//! - Rule 4, when: the test runs at the end of the last on-time day, after that day's interest;
//!   a statement with a balance ≤ 0 passes. Rule 7's late fee posts the next day (step 3).
//! - Rule 6: the purchase component is 10 % of *all* outstanding purchase principal, and the
//!   over-limit amount (statement balance − permanent limit) is added on top at 100 %, as the
//!   rule's sum reads; the unpaid previous minimum is previous minimum − payments and credits
//!   of this cycle (zero if the previous statement was paid in full).
//! - Rule 8 and 10: a cash advance is authorised only if amount + fee fits the available credit
//!   and the amount fits `cash_limit_pct` of the permanent limit; a declined authorisation is
//!   an error (the scenario runner exits 2), never silently skipped.
//! - Rule 9, overdue ≥ 91 days: billed principal first (oldest statement first, the product's
//!   order within one), then billed interest, then billed fees, then unbilled items.
//! - Rule 11: each missed minimum adds the part of its shortfall not already in arrears, dated
//!   by its last on-time day; credits cover arrears oldest first, and days past due count from
//!   the oldest uncovered one.
//! - Rule 13, "the balance as it now stands": a payment on day *d* repays before day *d*
//!   accrues, so the example's 25 Apr payment leaves 1,800.00 as the base from 25 Apr on.
//! - Installments (bill, purchase, settle) are not run yet; the runner rejects them by name.

pub mod account;
pub mod allocation;
pub mod cycle;
pub mod engine;
pub mod error;
pub mod event;
pub mod interest;
pub mod postings;
pub mod product;
pub mod statement;

pub use account::{Bucket, CreditAccount, DelinquencyBucket};
pub use engine::{Engine, Outcome};
pub use error::BillingError;
pub use event::{Event, EventKind};
pub use product::{Product, RevolvingInterest};
pub use statement::{CycleTotals, Statement};

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use cardlife_kernel::Money;
    use jiff::civil::{Date, date};

    fn run(events: &[(Date, EventKind)], until: Date) -> Outcome {
        let events: Vec<Event> = events
            .iter()
            .map(|(d, k)| Event { date: *d, kind: *k })
            .collect();
        Engine::open(Product::default(), date(2026, 3, 20), Money::cny(5_000_000))
            .unwrap()
            .run(&events, until)
            .unwrap()
    }

    fn purchase(fen: i64) -> EventKind {
        EventKind::Purchase {
            amount: Money::cny(fen),
        }
    }

    #[test]
    fn worked_example_minimum_paid_bills_34_70_and_reconciles_to_the_ledger() {
        let o = run(
            &[
                (date(2026, 4, 1), purchase(200_000)),
                (
                    date(2026, 4, 25),
                    EventKind::Payment {
                        amount: Money::cny(20_000),
                    },
                ),
            ],
            date(2026, 5, 8),
        );
        assert_eq!(o.statements[0].minimum_payment, Money::cny(20_000));
        assert_eq!(o.statements[1].totals.interest, Money::cny(3_470));
        assert_eq!(o.balance, Money::cny(183_470));
        assert!(
            o.reconciliation_problems().is_empty(),
            "{:?}",
            o.reconciliation_problems()
        );
    }

    #[test]
    fn a_pending_purchase_reduces_available_credit_but_not_the_balance() {
        let o = run(&[(date(2026, 4, 1), purchase(200_000))], date(2026, 4, 1));
        assert_eq!(o.balance, Money::cny(0));
        assert_eq!(o.pending, Money::cny(200_000));
        assert_eq!(o.available_credit, Money::cny(4_800_000));
        assert!(o.reconciliation_problems().is_empty());
    }

    #[test]
    fn an_overpayment_raises_available_credit_above_the_limit() {
        let o = run(
            &[(
                date(2026, 4, 1),
                EventKind::Payment {
                    amount: Money::cny(50_000),
                },
            )],
            date(2026, 4, 8),
        );
        assert_eq!(o.statements[0].balance, Money::cny(-50_000));
        assert_eq!(o.statements[0].minimum_payment, Money::cny(0));
        assert_eq!(o.available_credit, Money::cny(5_050_000));
        assert!(o.reconciliation_problems().is_empty());
    }

    #[test]
    fn reconciliation_catches_a_statement_that_disagrees_with_the_ledger() {
        // Planted bug: a statement balance one fen off must be reported.
        let mut o = run(&[(date(2026, 4, 1), purchase(200_000))], date(2026, 4, 8));
        o.statements[0].balance = Money::cny(200_001);
        let problems = o.reconciliation_problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("2026-04-07"));
    }

    #[test]
    fn a_purchase_beyond_the_available_credit_is_declined() {
        let events = [Event {
            date: date(2026, 4, 1),
            kind: purchase(5_000_001),
        }];
        let err = Engine::open(Product::default(), date(2026, 3, 20), Money::cny(5_000_000))
            .unwrap()
            .run(&events, date(2026, 4, 2))
            .unwrap_err();
        assert!(
            matches!(err, BillingError::CreditLimitExceeded { index: 1, .. }),
            "{err}"
        );
    }

    #[test]
    fn a_cash_advance_beyond_half_the_limit_is_declined() {
        let events = [Event {
            date: date(2026, 4, 1),
            kind: EventKind::CashAdvance {
                amount: Money::cny(2_500_001),
            },
        }];
        let err = Engine::open(Product::default(), date(2026, 3, 20), Money::cny(5_000_000))
            .unwrap()
            .run(&events, date(2026, 4, 2))
            .unwrap_err();
        assert!(
            matches!(err, BillingError::CreditLimitExceeded { .. }),
            "{err}"
        );
    }
}
