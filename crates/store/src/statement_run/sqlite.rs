//! The statement run on the embedded store.
//!
//! One writer connection holds `BEGIN IMMEDIATE` for the whole run. [`READERS`] readers, each
//! on a connection of its own (WAL lets them read beside the writer), take account ranges of
//! [`RANGE_ACCOUNTS`] in order. For a range, SQLite returns the previous rows' opening columns
//! (one query), then the range's lines in one ordered pass over the clustered
//! `credit_posted_lines` key, grouped per account without a sort and packed into one text value
//! by `group_concat`: one row per account crosses into Rust instead of thirty, and no account
//! is looked up on its own. The reader folds each account
//! with the credit rules and hands the range's rows to the writer, which inserts them in
//! range order, [`ROWS_PER_INSERT`] rows per execution of one prepared statement, and commits
//! once (WAL, `synchronous=FULL`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use cardlife_credit::billing::statement_run::{CycleFold, RunTerms};
use futures_util::TryStreamExt;
use sqlx::{AssertSqlSafe, Connection, Row, SqliteConnection, SqlitePool};
use tokio::sync::mpsc;

use super::{
    OPENING_COLUMNS, PACKED_LINE, ROW_COLUMNS, ROW_VALUES, RunError, RunReport, RunSpec,
    for_each_packed, opening_from, previous_last_on_time, row_values, yyyymmdd,
};
use crate::error::StoreError;

/// Readers in parallel: one per core of the reference box.
const READERS: usize = 2;
/// Accounts per range a reader takes at a time.
const RANGE_ACCOUNTS: i64 = 8_192;
/// Statement rows per insert execution (19 values each; SQLite allows 32,766).
const ROWS_PER_INSERT: usize = 64;
/// Ranges read ahead of the writer at most.
const RANGES_AHEAD: usize = 4;
/// Rows a reader's SQLite thread may run ahead of the fold (sqlx's default is 50: a thread
/// wake-up every few accounts).
const READER_ROW_BUFFER: usize = 4_096;
/// Readers map the database file instead of copying each page through a small page cache.
const READER_MMAP_BYTES: u64 = 1 << 40;

/// The rows of one account range, in account order.
type RangeRows = Vec<[i64; ROW_VALUES]>;

pub(super) async fn run(pool: &SqlitePool, spec: &RunSpec) -> Result<RunReport, RunError> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let date = yyyymmdd(spec.statement_date);
    let (done,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM credit_statement_rows WHERE statement_date = $1")
            .bind(date)
            .fetch_one(&mut *tx)
            .await?;
    if done > 0 {
        return Err(RunError::AlreadyRun {
            statement_date: spec.statement_date,
            rows: done as u64,
        });
    }
    let (first, last): (Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT MIN(account_no), MAX(account_no) FROM credit_statement_rows \
         WHERE statement_date = $1",
    )
    .bind(yyyymmdd(spec.previous_date))
    .fetch_one(&mut *tx)
    .await?;
    let report = match first.zip(last) {
        Some((first, last)) => read_fold_write(pool, &mut tx, spec, first, last).await?,
        None => RunReport {
            accounts: 0,
            lines: 0,
        },
    };
    tx.commit().await?;
    Ok(report)
}

/// Starts the readers over `first..=last` and writes their ranges in order.
async fn read_fold_write(
    pool: &SqlitePool,
    tx: &mut SqliteConnection,
    spec: &RunSpec,
    first: i64,
    last: i64,
) -> Result<RunReport, RunError> {
    let ranges = (last - first) / RANGE_ACCOUNTS + 1;
    let next = Arc::new(AtomicI64::new(0));
    let (send, mut recv) = mpsc::channel::<Result<(i64, RangeRows, u64), RunError>>(RANGES_AHEAD);
    let mut readers = Vec::with_capacity(READERS);
    for _ in 0..READERS {
        let (spec, next, send) = (spec.clone(), next.clone(), send.clone());
        let options = (*pool.connect_options())
            .clone()
            .row_buffer_size(READER_ROW_BUFFER)
            .pragma("mmap_size", READER_MMAP_BYTES.to_string());
        readers.push(tokio::spawn(async move {
            let mut conn = match SqliteConnection::connect_with(&options).await {
                Ok(conn) => conn,
                Err(e) => {
                    let _ = send.send(Err(e.into())).await;
                    return;
                }
            };
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= ranges {
                    break;
                }
                let lo = first + index * RANGE_ACCOUNTS;
                let read = read_range(&mut conn, &spec, lo, lo + RANGE_ACCOUNTS).await;
                let failed = read.is_err();
                let sent = send.send(read.map(|(rows, lines)| (index, rows, lines)));
                if sent.await.is_err() || failed {
                    break;
                }
            }
        }));
    }
    drop(send);
    let mut writer = Writer::new();
    let mut pending: BTreeMap<i64, (RangeRows, u64)> = BTreeMap::new();
    let (mut expected, mut lines) = (0i64, 0u64);
    while let Some(read) = recv.recv().await {
        let (index, rows, n) = read?;
        pending.insert(index, (rows, n));
        while let Some((rows, n)) = pending.remove(&expected) {
            writer.write(tx, &rows).await?;
            lines += n;
            expected += 1;
        }
    }
    for r in readers {
        r.await.map_err(|e| {
            tracing::error!(error = %e, "a statement run reader failed");
            sqlx::Error::WorkerCrashed
        })?;
    }
    if expected != ranges {
        return Err(sqlx::Error::WorkerCrashed.into());
    }
    writer.flush(tx).await?;
    Ok(RunReport {
        accounts: writer.written,
        lines,
    })
}

/// Reads and folds the accounts `lo..hi`: their rows and the number of lines folded.
async fn read_range(
    conn: &mut SqliteConnection,
    spec: &RunSpec,
    lo: i64,
    hi: i64,
) -> Result<(RangeRows, u64), RunError> {
    // The range's openings first (one text value per account: its number and opening columns;
    // each value crossing from SQLite costs an allocation, and text is cheaper than ten).
    let sql = format!(
        "SELECT p.account_no || ',' || {opening} FROM credit_statement_rows p \
         WHERE p.statement_date = $1 AND p.account_no >= $2 AND p.account_no < $3 \
         ORDER BY p.account_no",
        opening = OPENING_COLUMNS.replace(", ", " || ',' || ")
    );
    let mut openings = Vec::with_capacity(RANGE_ACCOUNTS as usize);
    {
        let mut stream = sqlx::query(AssertSqlSafe(sql))
            .bind(yyyymmdd(spec.previous_date))
            .bind(lo)
            .bind(hi)
            .fetch(&mut *conn);
        while let Some(row) = stream.try_next().await? {
            openings.push(parse_opening(row.try_get(0)?)?);
        }
    }
    // Then the range's lines in one ordered pass over the clustered key (cycle, account_no,
    // line_no), grouped per account by SQLite without a sort and packed into one text value,
    // merged with the openings in account order: no per-account lookup.
    let sql = format!(
        "SELECT l.account_no, group_concat({PACKED_LINE}) FROM credit_posted_lines l \
         WHERE l.cycle = $1 AND l.account_no >= $2 AND l.account_no < $3 \
         GROUP BY l.account_no ORDER BY l.account_no"
    );
    let terms = RunTerms {
        product: &spec.product,
        statement_date: spec.statement_date,
    };
    let mut stream = sqlx::query(AssertSqlSafe(sql))
        .bind(yyyymmdd(spec.statement_date))
        .bind(lo)
        .bind(hi)
        .bind(yyyymmdd(previous_last_on_time(spec)?))
        .fetch(&mut *conn);
    let mut rows = Vec::with_capacity(openings.len());
    let mut lines = 0;
    let mut next = stream.try_next().await?;
    for (account_no, opening) in openings {
        let billing = |source| RunError::Billing { account_no, source };
        let mut fold = CycleFold::open(opening_from(opening));
        // Lines of accounts without an opening row are not this run's.
        while let Some(row) = &next {
            let of: i64 = row.try_get(0)?;
            if of > account_no {
                break;
            }
            if of == account_no {
                let packed: &str = row.try_get(1)?;
                lines += for_each_packed(packed, |line| fold.post(&line).map_err(billing))?;
            }
            next = stream.try_next().await?;
        }
        let cut = fold.cut(&terms).map_err(billing)?;
        rows.push(row_values(spec.statement_date, account_no, &cut));
    }
    Ok((rows, lines))
}

/// `account_no,balance,…,overpayment` back.
fn parse_opening(text: &str) -> Result<(i64, [i64; 9]), RunError> {
    let bad = || StoreError::Corrupt("statement row");
    let mut parts = text.split(',').map(|p| p.parse::<i64>().map_err(|_| bad()));
    let account_no = parts.next().ok_or_else(bad)??;
    let mut opening = [0i64; 9];
    for v in &mut opening {
        *v = parts.next().ok_or_else(bad)??;
    }
    if parts.next().is_some() {
        return Err(bad().into());
    }
    Ok((account_no, opening))
}

/// Inserts rows [`ROWS_PER_INSERT`] at a time with one prepared statement, the rest one by one.
struct Writer {
    full: String,
    single: String,
    buffer: Vec<[i64; ROW_VALUES]>,
    written: u64,
}

impl Writer {
    fn new() -> Self {
        let one = format!("({})", vec!["?"; ROW_VALUES].join(", "));
        let insert = |n: usize| {
            format!(
                "INSERT INTO credit_statement_rows ({ROW_COLUMNS}) VALUES {}",
                vec![one.as_str(); n].join(", ")
            )
        };
        Self {
            full: insert(ROWS_PER_INSERT),
            single: insert(1),
            buffer: Vec::with_capacity(ROWS_PER_INSERT),
            written: 0,
        }
    }

    async fn write(
        &mut self,
        conn: &mut SqliteConnection,
        rows: &[[i64; ROW_VALUES]],
    ) -> Result<(), RunError> {
        for row in rows {
            self.buffer.push(*row);
            if self.buffer.len() == ROWS_PER_INSERT {
                self.execute(conn, true).await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self, conn: &mut SqliteConnection) -> Result<(), RunError> {
        while !self.buffer.is_empty() {
            self.execute(conn, false).await?;
        }
        Ok(())
    }

    async fn execute(&mut self, conn: &mut SqliteConnection, full: bool) -> Result<(), RunError> {
        let take = if full { ROWS_PER_INSERT } else { 1 };
        let sql = if full { &self.full } else { &self.single };
        let mut q = sqlx::query(AssertSqlSafe(sql.as_str()));
        for row in self.buffer.drain(..take) {
            for v in row {
                q = q.bind(v);
            }
        }
        let done = q.execute(&mut *conn).await?;
        self.written += done.rows_affected();
        Ok(())
    }
}
