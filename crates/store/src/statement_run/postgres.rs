//! The statement run on PostgreSQL: the same packed read as the embedded store's (one row per
//! account, its lines aggregated by `string_agg`) as one ordered stream on a pool connection,
//! the same fold, and the rows written inside one transaction with `UNNEST` of one array per
//! column, [`ROWS_PER_INSERT`] rows per statement.

use cardlife_credit::billing::statement_run::{CycleFold, RunTerms};
use futures_util::TryStreamExt;
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Row};

use super::{
    OPENING_COLUMNS, ROW_COLUMNS, ROW_VALUES, RunError, RunReport, RunSpec, for_each_packed,
    opening_from, previous_last_on_time, row_values, yyyymmdd,
};

/// Statement rows per `UNNEST` insert.
const ROWS_PER_INSERT: usize = 10_000;

pub(super) async fn run(pool: &PgPool, spec: &RunSpec) -> Result<RunReport, RunError> {
    let mut tx = pool.begin().await?;
    // One run of a date at a time: a second one waits here, then finds the rows.
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(yyyymmdd(spec.statement_date))
        .execute(&mut *tx)
        .await?;
    let (done,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM credit_statement_rows WHERE statement_date = $1")
            .bind(yyyymmdd(spec.statement_date))
            .fetch_one(&mut *tx)
            .await?;
    if done > 0 {
        return Err(RunError::AlreadyRun {
            statement_date: spec.statement_date,
            rows: done as u64,
        });
    }
    let sql = format!(
        "SELECT p.account_no, {OPENING_COLUMNS}, \
         (SELECT string_agg(((((l.amount_fen * 8 + l.kind) * 8 + l.bucket) * 2) \
                 + (l.posted_on <= $3)::int)::text, ',') \
          FROM credit_posted_lines l WHERE l.cycle = $1 AND l.account_no = p.account_no) \
         FROM credit_statement_rows p WHERE p.statement_date = $2 ORDER BY p.account_no"
    );
    let terms = RunTerms {
        product: &spec.product,
        statement_date: spec.statement_date,
    };
    let mut reader = pool.acquire().await?;
    let mut stream = sqlx::query(AssertSqlSafe(sql))
        .bind(yyyymmdd(spec.statement_date))
        .bind(yyyymmdd(spec.previous_date))
        .bind(yyyymmdd(previous_last_on_time(spec)?))
        .fetch(&mut *reader);
    let mut batch: Vec<[i64; ROW_VALUES]> = Vec::with_capacity(ROWS_PER_INSERT);
    let mut report = RunReport {
        accounts: 0,
        lines: 0,
    };
    while let Some(row) = stream.try_next().await? {
        let account_no: i64 = row.try_get(0)?;
        let mut opening = [0i64; 9];
        for (i, v) in opening.iter_mut().enumerate() {
            *v = row.try_get(i + 1)?;
        }
        let billing = |source| RunError::Billing { account_no, source };
        let mut fold = CycleFold::open(opening_from(opening));
        if let Some(packed) = row.try_get::<Option<&str>, _>(10)? {
            report.lines += for_each_packed(packed, |line| fold.post(&line).map_err(billing))?;
        }
        let cut = fold.cut(&terms).map_err(billing)?;
        batch.push(row_values(spec.statement_date, account_no, &cut));
        if batch.len() == ROWS_PER_INSERT {
            report.accounts += insert(&mut tx, &batch).await?;
            batch.clear();
        }
    }
    drop(stream);
    report.accounts += insert(&mut tx, &batch).await?;
    tx.commit().await?;
    Ok(report)
}

async fn insert(conn: &mut PgConnection, rows: &[[i64; ROW_VALUES]]) -> Result<u64, RunError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let arrays: Vec<String> = (1..=ROW_VALUES)
        .map(|i| format!("${i}::bigint[]"))
        .collect();
    let sql = format!(
        "INSERT INTO credit_statement_rows ({ROW_COLUMNS}) SELECT * FROM UNNEST({})",
        arrays.join(", ")
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for column in 0..ROW_VALUES {
        q = q.bind(rows.iter().map(|r| r[column]).collect::<Vec<i64>>());
    }
    Ok(q.execute(conn).await?.rows_affected())
}
