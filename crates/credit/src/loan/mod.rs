//! Consumer loans (融e借-style, docs/domain.md §5): products, the loan state machine and the
//! ledger postings of every movement. Pure logic: dates and amounts in, postings out.
//!
//! # Rules and interpretations
//!
//! - **Product** ([`LoanProduct`]): contract annual rate ≥ 0; day count `actual_360` (default)
//!   or `actual_365`; min ≤ max amount, min > 0; max term 1–60 months; interest-only (bullet)
//!   term ≤ 12 months; per-customer cap ≤ 200,000.00 (online unsecured, the default) and max
//!   amount ≤ cap; penalty rate = contract rate × multiple, multiple in 1–1.5 (default 1.5).
//! - **Booking** ([`Loan::book`]) takes an accepted [`crate::quote::LoanQuote`] — its schedule is
//!   the contract, never re-derived — and an explicit `consent: bool` that must be `true`. The
//!   holder's outstanding principal on such loans plus the amount must not exceed the cap.
//!   [`Loan::book_interest_only`] books interest-only with bullet principal: interest
//!   half-up(P × annual / 12) each month, all principal with the last payment.
//! - **Disbursement** goes to the holder's own debit account only; due date k is the
//!   disbursement date plus k months (clamped to the month's end).
//! - **Due and overdue**: on its due date a period's interest falls due (posted as receivable);
//!   paying on the due date is on time (no grace days). From the day after, unpaid principal of
//!   that period is overdue.
//! - **Penalty interest** base: the overdue (past-due, unpaid) principal of each period only —
//!   no penalty on unpaid interest (no compounding). For each period, at each accrual event
//!   (any repayment or [`Loan::accrue`]) the penalty is half-up(overdue principal × contract
//!   rate × multiple × days / basis), days counted since the due date or the last accrual. The
//!   overdue principal's regular interest is in the schedule only up to its due date; the
//!   penalty rate replaces it afterwards.
//! - **Repayment allocation**: penalty → interest due (oldest first) → principal due (oldest
//!   first) → prepayment. A repayment is all or nothing: refused without any change when it
//!   exceeds the payoff or leaves too little to prepay.
//! - **Prepayment** first settles the interest accrued to the date on the principal not yet
//!   due: half-up(B × annual × days / basis) since the later of the last due date, the
//!   disbursement and the last prepayment; the rest (which must be above it) repays principal.
//!   Then the periods after the date are replaced: **keep term** re-quotes the remaining
//!   principal with `LoanQuote` over the same number of remaining due dates (the new payment is
//!   kept for later keep-payment prepayments); **keep payment** takes the fewest remaining months
//!   whose re-quoted level (A for equal installment, the level principal for equal principal)
//!   does not exceed the current one, and drops the later due dates. In both, the first new
//!   period's interest is counted by day count from the prepayment date to its due date (the
//!   days before were just settled); later periods take the quote's interest. Interest-only
//!   loans keep their term in both modes.
//! - **Balance** ([`Loan::balance`]): principal not repaid (due or not), interest fallen due and
//!   unpaid, penalty unpaid. Each equals its receivable account on the ledger.
//! - **Revolving line** ([`CreditLine`], 随借随还): draw and repay any time, interest per day
//!   on the drawn balance by the day count; see `line.rs`.
//! - Postings and chart: see [`chart`](self::LoanAccount) — every movement returns its
//!   [`Posting`]s; [`Posting::transfer`] makes the ledger transfer.

mod chart;
mod error;
mod line;
#[allow(clippy::module_inception)]
mod loan;
mod product;
#[cfg(test)]
mod tests;

pub use chart::{LEDGER_CNY, LoanAccount, LoanWhy, Posting};
pub use error::LoanError;
pub use line::{CreditLine, LineRepayment};
pub use loan::{
    DebitAccount, Installment, Loan, LoanBalance, LoanMethod, LoanStatus, Overdue, PrepaymentMode,
    Repayment,
};
pub use product::{BULLET_TERM_MAX, DayCount, LoanProduct, ONLINE_UNSECURED_CAP};
