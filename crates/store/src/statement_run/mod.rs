//! The batch statement run: on a statement date, every account's cycle of posted lines
//! (`credit_posted_lines`) becomes one statement row (`credit_statement_rows`), folded by the
//! same rules the engine cuts with ([`cardlife_credit::billing::statement_run`]).
//!
//! - [`run`]: the run on either store. On SQLite ([`sqlite`]) the previous rows and the lines are
//!   read in key order in parallel account ranges, each range's lines as one value of stored
//!   16-byte records taken from the cycle journal (one row per account and cycle, kept by
//!   triggers on the lines; migration 0028), folded in Rust and written in one durable transaction with a prepared
//!   multi-row insert. On PostgreSQL ([`postgres`]) the same fold reads one ordered stream of
//!   lines packed per account and writes with `UNNEST` arrays.
//! - [`baseline`]: the obvious SQL (`INSERT … SELECT … GROUP BY`) the run is measured and
//!   tested against.
//!
//! A run is keyed by its statement date and is refused when rows of that date exist
//! ([`RunError::AlreadyRun`]): statements once cut are not rewritten, and a run that failed
//! wrote nothing (one transaction), so it can simply be run again.

pub mod baseline;
mod postgres;
mod sqlite;

use cardlife_credit::billing::statement_run::{Line, Opening, Owed, StatementRow};
use cardlife_credit::billing::{BillingError, Bucket, LineKind, Product};
use cardlife_kernel::Money;
use jiff::civil::Date;

use crate::db::Db;
use crate::error::StoreError;

/// One statement run: cut `statement_date` for every account with a row dated
/// `previous_date`, all on `product`.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The statement date being cut; the lines of the cycle carry it as `cycle`.
    pub statement_date: Date,
    /// The previous statement date: its rows are each account's opening.
    pub previous_date: Date,
    /// The product (due days, grace, tolerance, minimum-payment shares).
    pub product: Product,
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    /// Statement rows written (one per account with an opening row).
    pub accounts: u64,
    /// Lines folded.
    pub lines: u64,
}

/// Why a run failed; nothing of it was written.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Rows of this statement date exist: a run is not repeated.
    #[error("the statement run of {statement_date} has already written {rows} rows")]
    AlreadyRun {
        /// The statement date.
        statement_date: Date,
        /// Rows found.
        rows: u64,
    },
    /// An account's lines break a rule (a line repaying more than its bucket owed, say).
    #[error("account {account_no}: {source}")]
    Billing {
        /// The account.
        account_no: i64,
        /// What is wrong.
        source: BillingError,
    },
}

impl From<sqlx::Error> for RunError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(e))
    }
}

/// Runs the statement run `spec` on `db`, in one transaction.
pub async fn run(db: &Db, spec: &RunSpec) -> Result<RunReport, RunError> {
    match db {
        Db::Sqlite(pool) => sqlite::run(pool, spec).await,
        Db::Postgres(pool) => postgres::run(pool, spec).await,
    }
}

/// A date as stored: yyyymmdd.
pub fn yyyymmdd(d: Date) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

/// A stored yyyymmdd date back.
pub fn from_yyyymmdd(v: i64) -> Result<Date, StoreError> {
    let (y, m, d) = (v / 10_000, (v / 100) % 100, v % 100);
    let y = i16::try_from(y).map_err(|_| StoreError::Corrupt("date"))?;
    let (m, d) = (m as i8, d as i8);
    Date::new(y, m, d).map_err(|_| StoreError::Corrupt("date"))
}

/// The stored code of a line kind (`None`: an overpayment absorbing a charge).
pub fn kind_code(kind: Option<LineKind>) -> i64 {
    match kind {
        Some(k) => LineKind::ALL.iter().position(|x| *x == k).unwrap_or(0) as i64,
        None => 7,
    }
}

/// The stored code of a bucket (`None`: overpayment).
pub fn bucket_code(bucket: Option<Bucket>) -> i64 {
    match bucket {
        None => 0,
        Some(Bucket::Fee) => 1,
        Some(Bucket::Interest) => 2,
        Some(Bucket::Installment) => 3,
        Some(Bucket::Cash) => 4,
        Some(Bucket::Purchase) => 5,
    }
}

const BUCKETS: [Option<Bucket>; 6] = [
    None,
    Some(Bucket::Fee),
    Some(Bucket::Interest),
    Some(Bucket::Installment),
    Some(Bucket::Cash),
    Some(Bucket::Purchase),
];

/// A line packed into an integer: amount × 128 + kind × 16 + bucket × 2 + (posted by the
/// previous statement's last on-time day). [`unpack_line`] reads it back.
pub(crate) fn unpack_line(v: i64) -> Result<Line, StoreError> {
    let kind = match (v >> 4) & 7 {
        7 => None,
        k => Some(LineKind::ALL[k as usize]),
    };
    let amount = v >> 7;
    if amount <= 0 {
        return Err(StoreError::Corrupt("posted line amount"));
    }
    Ok(Line {
        kind,
        // `ok_or_else`: an error built eagerly would be built and dropped for every line.
        bucket: *BUCKETS
            .get(((v >> 1) & 7) as usize)
            .ok_or_else(|| StoreError::Corrupt("posted line bucket"))?,
        amount: Money::cny(amount),
        by_previous_grace: v & 1 == 1,
    })
}

/// Parses a comma-separated list of packed lines (SQLite's `group_concat`), calling `each`.
pub(crate) fn for_each_packed(
    text: &str,
    mut each: impl FnMut(Line) -> Result<(), RunError>,
) -> Result<u64, RunError> {
    let mut n = 0;
    for part in text.split(',') {
        let v: i64 = part
            .parse()
            .map_err(|_| StoreError::Corrupt("packed posted line"))?;
        each(unpack_line(v)?)?;
        n += 1;
    }
    Ok(n)
}

/// The opening columns of a statement row, in the order [`OPENING_COLUMNS`] names them.
pub(crate) fn opening_from(v: [i64; 9]) -> Opening {
    let m = Money::cny;
    Opening {
        balance: m(v[0]),
        minimum_payment: m(v[1]),
        credit_limit: m(v[2]),
        owed: Owed {
            fee: m(v[3]),
            interest: m(v[4]),
            installment: m(v[5]),
            cash: m(v[6]),
            purchase: m(v[7]),
        },
        overpayment: m(v[8]),
    }
}

/// What an account opens with, read from its previous row.
pub(crate) const OPENING_COLUMNS: &str = "p.balance_fen, p.minimum_payment_fen, p.credit_limit_fen, \
     p.owed_fee_fen, p.owed_interest_fen, p.owed_installment_fen, p.owed_cash_fen, \
     p.owed_purchase_fen, p.overpayment_fen";

/// Every column of `credit_statement_rows`, in table order.
pub const ROW_COLUMNS: &str = "statement_date, account_no, previous_balance_fen, \
     payments_credits_fen, purchases_fen, cash_advances_fen, fees_fen, interest_fen, \
     installments_fen, balance_fen, minimum_payment_fen, due_date, credit_limit_fen, \
     owed_fee_fen, owed_interest_fen, owed_installment_fen, owed_cash_fen, owed_purchase_fen, \
     overpayment_fen";

/// Values per statement row.
pub(crate) const ROW_VALUES: usize = 19;

/// A statement row's values, in [`ROW_COLUMNS`] order.
pub fn row_values(statement_date: Date, account_no: i64, r: &StatementRow) -> [i64; ROW_VALUES] {
    let v = values_but_dates(account_no, r);
    // The statement date first, the due date twelfth, the rest in order around them.
    let mut row = [0; ROW_VALUES];
    row[0] = yyyymmdd(statement_date);
    row[1..11].copy_from_slice(&v[..10]);
    row[11] = yyyymmdd(r.due_date);
    row[12..].copy_from_slice(&v[10..]);
    row
}

/// A statement row's values in [`ROW_COLUMNS`] order without the two a run fixes for every row
/// (the statement date, first, and the due date, twelfth): what the embedded run's writer binds.
pub(crate) fn values_but_dates(account_no: i64, r: &StatementRow) -> [i64; ROW_VALUES - 2] {
    let t = &r.totals;
    [
        account_no,
        r.previous_balance.fen(),
        t.payments_credits.fen(),
        t.purchases.fen(),
        t.cash_advances.fen(),
        t.fees.fen(),
        t.interest.fen(),
        t.installments.fen(),
        r.balance.fen(),
        r.minimum_payment.fen(),
        r.credit_limit.fen(),
        r.owed.fee.fen(),
        r.owed.interest.fen(),
        r.owed.installment.fen(),
        r.owed.cash.fen(),
        r.owed.purchase.fen(),
        r.overpayment.fen(),
    ]
}

/// The previous statement's last on-time day (due date + grace) under `product`.
pub(crate) fn previous_last_on_time(spec: &RunSpec) -> Result<Date, RunError> {
    cardlife_credit::billing::cycle::CycleDates::of(spec.previous_date, &spec.product)
        .map(|d| d.last_on_time)
        .map_err(|source| RunError::Billing {
            account_no: 0,
            source,
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn every_kind_and_bucket_survives_packing() {
        for kind in LineKind::ALL.map(Some).into_iter().chain([None]) {
            for bucket in BUCKETS {
                for early in [false, true] {
                    let amount = 123_456_789;
                    let v = ((amount * 8 + kind_code(kind)) * 8 + bucket_code(bucket)) * 2
                        + i64::from(early);
                    let line = unpack_line(v).unwrap();
                    assert_eq!(
                        (
                            line.kind,
                            line.bucket,
                            line.amount.fen(),
                            line.by_previous_grace
                        ),
                        (kind, bucket, amount, early)
                    );
                }
            }
        }
        assert!(unpack_line(5).is_err());
        assert_eq!(from_yyyymmdd(20260407).unwrap(), Date::constant(2026, 4, 7));
        assert_eq!(yyyymmdd(Date::constant(2026, 12, 31)), 20261231);
    }
}
