//! The statement run on the embedded store.
//!
//! One writer connection holds `BEGIN IMMEDIATE` for the whole run. [`READERS`] readers, each
//! on a connection of its own (WAL lets them read beside the writer), take account ranges of
//! [`RANGE_ACCOUNTS`] in order. For a range, SQLite returns two values: the previous rows'
//! opening columns as one text, and the range's lines as one blob, the stored 16-byte record of
//! each line (migration 0026) concatenated in one pass over the clustered `credit_posted_lines`
//! key — no grouping, no sort, nothing computed or printed per line, one value crossing into
//! Rust per range instead of one row per account. The reader walks the two in account order,
//! folds each account with the credit rules and hands the range's rows to the writer, which
//! inserts them in range order, [`ROWS_PER_INSERT`] rows per execution of one prepared
//! statement, and commits once (WAL, `synchronous=FULL`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use cardlife_credit::billing::statement_run::{CycleFold, Line, RunTerms};
use sqlx::{AssertSqlSafe, Connection, Row, SqliteConnection, SqlitePool};
use tokio::sync::mpsc;

use super::{
    OPENING_COLUMNS, ROW_COLUMNS, ROW_VALUES, RunError, RunReport, RunSpec, opening_from,
    previous_last_on_time, row_values, unpack_line, yyyymmdd,
};
use crate::error::StoreError;

/// Readers in parallel: one per core of the reference box.
const READERS: usize = 2;
/// Accounts per range a reader takes at a time.
const RANGE_ACCOUNTS: i64 = 8_192;
/// Statement rows per insert execution (19 values each, 4,864 a statement; SQLite allows
/// 32,766).
const ROWS_PER_INSERT: usize = 256;
/// Ranges read ahead of the writer at most.
const RANGES_AHEAD: usize = 4;
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
    // The range's openings as one text value (`account_no,balance,…;` an account, in key
    // order): one value crossing from SQLite for the whole range.
    let sql = format!(
        "SELECT group_concat(p.account_no || ',' || {opening}, ';') \
         FROM credit_statement_rows p \
         WHERE p.statement_date = $1 AND p.account_no >= $2 AND p.account_no < $3",
        opening = OPENING_COLUMNS.replace(", ", " || ',' || ")
    );
    // Both values are read in place from their rows, not copied again: a range's lines are
    // megabytes.
    let openings_row = sqlx::query(AssertSqlSafe(sql))
        .bind(yyyymmdd(spec.previous_date))
        .bind(lo)
        .bind(hi)
        .fetch_one(&mut *conn)
        .await?;
    let Some(openings) = openings_row.try_get::<Option<&str>, _>(0)? else {
        return Ok((Vec::new(), 0));
    };
    // Then the range's lines in one pass over the clustered key (cycle, account_no, line_no),
    // each line's stored 16-byte record concatenated into one value: no grouping, no sort, no
    // value computed or printed per line.
    let records_row = sqlx::query(
        "SELECT CAST(group_concat(l.record, '') AS BLOB) FROM credit_posted_lines l \
         WHERE l.cycle = $1 AND l.account_no >= $2 AND l.account_no < $3",
    )
    .bind(yyyymmdd(spec.statement_date))
    .bind(lo)
    .bind(hi)
    .fetch_one(&mut *conn)
    .await?;
    let records: &[u8] = records_row
        .try_get::<Option<&[u8]>, _>(0)?
        .unwrap_or_default();
    let terms = RunTerms {
        product: &spec.product,
        statement_date: spec.statement_date,
    };
    let last_on_time = yyyymmdd(previous_last_on_time(spec)?);
    let mut lines = Records::new(records, lo, last_on_time)?;
    let mut rows = Vec::with_capacity(RANGE_ACCOUNTS as usize);
    let mut folded = 0;
    let mut previous = None;
    for text in openings.split(';') {
        let (account_no, opening) = parse_opening(text)?;
        if previous.is_some_and(|p| p >= account_no) {
            return Err(StoreError::Corrupt("statement rows out of key order").into());
        }
        previous = Some(account_no);
        let billing = |source| RunError::Billing { account_no, source };
        let mut fold = CycleFold::open(opening_from(opening));
        // Lines of accounts without an opening row are not this run's.
        while let Some((of, line)) = lines.peek()? {
            if of > account_no {
                break;
            }
            if of == account_no {
                fold.post(&line).map_err(billing)?;
                folded += 1;
            }
            lines.advance();
        }
        let cut = fold.cut(&terms).map_err(billing)?;
        rows.push(row_values(spec.statement_date, account_no, &cut));
    }
    Ok((rows, folded))
}

/// The stored line records of one range, read in key order (migration 0026): account_no's low
/// 32 bits, amount × 64 + kind × 8 + bucket, posted_on; 16 bytes, big-endian.
struct Records<'a> {
    bytes: &'a [u8],
    lo: i64,
    last_on_time: i64,
    last_account: i64,
}

/// Bytes of one stored line record.
const RECORD_LEN: usize = 16;

impl<'a> Records<'a> {
    fn new(bytes: &'a [u8], lo: i64, last_on_time: i64) -> Result<Self, RunError> {
        if !bytes.len().is_multiple_of(RECORD_LEN) {
            return Err(StoreError::Corrupt("posted line records").into());
        }
        Ok(Self {
            bytes,
            lo,
            last_on_time,
            last_account: lo,
        })
    }

    /// The next record's account and line, checking the records ascend by account.
    fn peek(&mut self) -> Result<Option<(i64, Line)>, RunError> {
        let Some(record) = self.bytes.get(..RECORD_LEN) else {
            return Ok(None);
        };
        let word = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&record[at..at + 8]);
            i64::from_be_bytes(b)
        };
        let (head, tail) = (word(0), word(8));
        // The range is far narrower than 2^32 accounts: the low 32 bits name the account.
        let low = (head >> 32) & 0xffff_ffff;
        let account = self.lo + ((low - (self.lo & 0xffff_ffff)) & 0xffff_ffff);
        if account < self.last_account {
            return Err(StoreError::Corrupt("posted line records out of key order").into());
        }
        self.last_account = account;
        let packed = (head << 32) | ((tail >> 32) & 0xffff_ffff);
        let posted_on = tail & 0xffff_ffff;
        let line = unpack_line(packed * 2 + i64::from(posted_on <= self.last_on_time))?;
        Ok(Some((account, line)))
    }

    fn advance(&mut self) {
        self.bytes = self.bytes.get(RECORD_LEN..).unwrap_or_default();
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use cardlife_credit::billing::{Bucket, LineKind};

    use super::*;

    /// One record as migration 0026 stores it.
    fn record(account_no: i64, amount: i64, kind: i64, bucket: i64, posted_on: i64) -> Vec<u8> {
        let mut out = ((account_no & 0xffff_ffff) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(&((amount * 8 + kind) * 8 + bucket).to_be_bytes());
        out.extend_from_slice(&(posted_on as u32).to_be_bytes());
        out
    }

    #[test]
    fn records_name_their_account_and_line_and_must_ascend() {
        // A range starting just below 2^32: the low 32 bits wrap inside it.
        let lo = (1i64 << 32) - 2;
        let mut bytes = record(lo, 1_234, 5, 1, 20260320);
        bytes.extend(record(lo + 3, 99, 7, 5, 20260330));
        let mut records = Records::new(&bytes, lo, 20260325).unwrap();
        let (account, line) = records.peek().unwrap().unwrap();
        assert_eq!(account, lo);
        assert_eq!(
            (
                line.kind,
                line.bucket,
                line.amount.fen(),
                line.by_previous_grace
            ),
            (Some(LineKind::Payment), Some(Bucket::Fee), 1_234, true)
        );
        records.advance();
        let (account, line) = records.peek().unwrap().unwrap();
        assert_eq!(account, lo + 3);
        assert_eq!(
            (
                line.kind,
                line.bucket,
                line.amount.fen(),
                line.by_previous_grace
            ),
            (None, Some(Bucket::Purchase), 99, false)
        );
        records.advance();
        assert!(records.peek().unwrap().is_none());

        let mut backwards = record(lo + 3, 1, 0, 5, 20260320);
        backwards.extend(record(lo + 1, 1, 0, 5, 20260320));
        let mut records = Records::new(&backwards, lo, 20260325).unwrap();
        records.peek().unwrap();
        records.advance();
        assert!(records.peek().is_err());
        assert!(Records::new(&backwards[..15], lo, 20260325).is_err());
    }
}
