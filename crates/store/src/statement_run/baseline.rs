//! The statement run written the obvious way: one `INSERT … SELECT … GROUP BY` that sums each
//! account's lines with `SUM(CASE …)`, joins the previous rows and computes rule 6's minimum
//! in SQL. The benchmark measures the run against it, and the tests check both write the same
//! rows. It needs the product's minimum-payment shares as whole percents.

use sqlx::AssertSqlSafe;

use super::{ROW_COLUMNS, RunError, RunSpec, previous_last_on_time, yyyymmdd};
use crate::db::Db;
use crate::error::StoreError;

/// Creates `table` with the columns and key of `credit_statement_rows`.
pub async fn create_table(db: &Db, table: &str) -> Result<(), RunError> {
    let columns: Vec<String> = ROW_COLUMNS
        .split(',')
        .map(|c| format!("{} BIGINT NOT NULL", c.trim()))
        .collect();
    let sql = format!(
        "CREATE TABLE {table} ({}, PRIMARY KEY (statement_date, account_no)){}",
        columns.join(", "),
        if matches!(db, Db::Sqlite(_)) {
            " WITHOUT ROWID"
        } else {
            ""
        }
    );
    execute(db, &sql).await.map(|_| ())
}

/// Writes the rows of `spec` into `table` with one statement; returns the rows written.
pub async fn run(db: &Db, spec: &RunSpec, table: &str) -> Result<u64, RunError> {
    let whole = |pct: rust_decimal::Decimal| {
        i64::try_from(pct)
            .ok()
            .filter(|p| rust_decimal::Decimal::from(*p) == pct)
            .ok_or(StoreError::Corrupt(
                "minimum-payment share (not a whole percent)",
            ))
    };
    let p = &spec.product;
    let due = cardlife_credit::billing::cycle::CycleDates::of(spec.statement_date, p)
        .map_err(|source| RunError::Billing {
            account_no: 0,
            source,
        })?
        .due;
    let (max, min, cast) = match db {
        Db::Sqlite(_) => ("MAX", "MIN", ""),
        Db::Postgres(_) => ("GREATEST", "LEAST", "::bigint"),
    };
    let sql = format!(
        include_str!("baseline.sql"),
        table = table,
        columns = ROW_COLUMNS,
        date = yyyymmdd(spec.statement_date),
        previous = yyyymmdd(spec.previous_date),
        last_on_time = yyyymmdd(previous_last_on_time(spec)?),
        due = yyyymmdd(due),
        pct = whole(p.min_payment_pct)?,
        cash_pct = whole(p.cash_min_payment_pct)?,
        tolerance = p.tolerance.fen(),
        max = max,
        min = min,
        cast = cast,
    );
    execute(db, &sql).await
}

async fn execute(db: &Db, sql: &str) -> Result<u64, RunError> {
    let q = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()));
    let done = match db {
        Db::Sqlite(pool) => q.execute(pool).await?.rows_affected(),
        Db::Postgres(pool) => q.execute(pool).await?.rows_affected(),
    };
    Ok(done)
}
