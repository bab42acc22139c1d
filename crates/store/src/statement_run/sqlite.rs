//! The statement run on the embedded store.
//!
//! One writer connection holds `BEGIN IMMEDIATE` for the whole run. [`READERS`] readers, each
//! on a connection of its own (WAL lets them read beside the writer), take account ranges of
//! [`RANGE_ACCOUNTS`] in order. For a range, SQLite returns two values: the previous rows'
//! opening columns as one text (`printf` an account), and the range's lines as one blob: the
//! stored 16-byte record of each line (migration 0026), which the cycle journal (migration
//! 0028, kept by triggers on `credit_posted_lines`) already holds concatenated in line order
//! per account, so SQLite steps one journal cell an account instead of one index cell a line —
//! no grouping, no sort, nothing computed or printed per line, one value crossing into Rust per
//! range instead of one row per account. The reader walks the two in account order, folds
//! each account with the credit rules and hands the range's rows to the writer, which inserts
//! them in range order while the readers go on,
//! [`ROWS_PER_INSERT`] rows per execution of one prepared statement (the statement date and the
//! due date, the same for every row of a run, are literals of it; 17 values are bound a row),
//! and commits once (WAL, `synchronous=FULL`). Every [`WAL_FLUSH_RANGES`] ranges the log
//! written so far is flushed to disk beside the work, so the commit's flush is short.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use cardlife_credit::billing::BillingError;
use cardlife_credit::billing::statement_run::{CycleFold, Line, RunTerms};
use jiff::civil::Date;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, AssertSqlSafe, Connection, Row, SqliteConnection, SqlitePool};
use tokio::sync::mpsc;

use super::{
    OPENING_COLUMNS, ROW_COLUMNS, RunError, RunReport, RunSpec, opening_from,
    previous_last_on_time, unpack_line, values_but_dates, yyyymmdd,
};
use crate::error::StoreError;

/// Readers in parallel: one per core of the reference box.
const READERS: usize = 2;
/// Accounts per range a reader takes at a time (a range's records are ~2 MB; the writer's work
/// left when the readers finish is at most [`RANGES_AHEAD`] ranges).
const RANGE_ACCOUNTS: i64 = 4_096;
/// Statement rows per insert execution (17 bound values each; SQLite allows 32,766 a
/// statement).
const ROWS_PER_INSERT: usize = 1_024;
/// Ranges read ahead of the writer at most.
const RANGES_AHEAD: usize = 4;
/// The write-ahead log is flushed to disk every this many ranges written, while the run goes
/// on, so the commit's own flush has little left to write.
const WAL_FLUSH_RANGES: i64 = 8;
/// Readers map the database file instead of copying each page through a small page cache.
const READER_MMAP_BYTES: u64 = 1 << 40;

/// Values bound per written row: every column but the statement date and the due date, which
/// are the same for every row of a run and are literals of the prepared insert.
const BOUND_VALUES: usize = 17;

/// A statement row's bound values, in [`ROW_COLUMNS`] order without the statement date (first)
/// and the due date (twelfth).
type BoundRow = [i64; BOUND_VALUES];

/// The rows of one account range, in account order.
type RangeRows = Vec<BoundRow>;

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
    let started = std::time::Instant::now();
    let report = match first.zip(last) {
        Some((first, last)) => read_fold_write(pool, &mut tx, spec, first, last).await?,
        None => RunReport {
            accounts: 0,
            lines: 0,
        },
    };
    let written = started.elapsed();
    tx.commit().await?;
    tracing::debug!(?written, committed = ?started.elapsed(), "statement run");
    Ok(report)
}

/// The run's due date: rule 2 gives every account of one run the same.
fn due_date(spec: &RunSpec) -> Result<Date, RunError> {
    cardlife_credit::billing::cycle::CycleDates::of(spec.statement_date, &spec.product)
        .map(|d| d.due)
        .map_err(|source| RunError::Billing {
            account_no: 0,
            source,
        })
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
    let mut writer = Writer::new(yyyymmdd(spec.statement_date), yyyymmdd(due_date(spec)?));
    let mut wal = WalFlush::new(pool);
    let mut pending: BTreeMap<i64, (RangeRows, u64)> = BTreeMap::new();
    let (mut expected, mut lines) = (0i64, 0u64);
    while let Some(read) = recv.recv().await {
        let (index, rows, n) = read?;
        pending.insert(index, (rows, n));
        while let Some((rows, n)) = pending.remove(&expected) {
            writer.write(tx, &rows).await?;
            lines += n;
            expected += 1;
            if expected % WAL_FLUSH_RANGES == 0 {
                wal.start();
            }
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
    // `printf` formats an account's ten values in one call; a chain of `||` built and copied
    // nineteen intermediate strings an account.
    let sql = format!(
        "SELECT group_concat(printf('%d,%d,%d,%d,%d,%d,%d,%d,%d,%d', p.account_no, \
         {OPENING_COLUMNS}), ';') \
         FROM credit_statement_rows p \
         WHERE p.statement_date = $1 AND p.account_no >= $2 AND p.account_no < $3"
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
    // Then the range's lines: the cycle journal (migration 0028) holds each account's line
    // records already concatenated in line order, so the range is one pass over one journal
    // cell an account (not one index cell a line), concatenated into one value.
    let records_row = sqlx::query(
        "SELECT CAST(group_concat(j.records, '') AS BLOB) FROM credit_cycle_journal j \
         WHERE j.cycle = $1 AND j.account_no >= $2 AND j.account_no < $3",
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
    let due = due_date(spec)?;
    let last_on_time = yyyymmdd(previous_last_on_time(spec)?);
    let mut lines = Records::new(records, lo, last_on_time)?;
    let mut openings = Openings {
        bytes: openings.as_bytes(),
    };
    let mut rows = Vec::with_capacity((hi - lo) as usize);
    let mut folded = 0;
    let mut previous = None;
    while let Some((account_no, opening)) = openings.next_account()? {
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
        if cut.due_date != due {
            return Err(billing(BillingError::Invariant(format!(
                "due date {} where the run's is {due}",
                cut.due_date
            ))));
        }
        rows.push(values_but_dates(account_no, &cut));
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
        let Some(record) = self.bytes.first_chunk::<RECORD_LEN>() else {
            return Ok(None);
        };
        let (head, tail) = record.split_at(8);
        let head = i64::from_be_bytes(head.try_into().unwrap_or_default());
        let tail = i64::from_be_bytes(tail.try_into().unwrap_or_default());
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

/// The openings' text, `account_no,balance,…,overpayment` an account, `;` between accounts,
/// read one account at a time.
struct Openings<'a> {
    bytes: &'a [u8],
}

impl Openings<'_> {
    /// The next account and its nine opening values.
    fn next_account(&mut self) -> Result<Option<(i64, [i64; 9])>, RunError> {
        if self.bytes.is_empty() {
            return Ok(None);
        }
        let account_no = self.number(b',')?;
        let mut opening = [0i64; 9];
        for (i, v) in opening.iter_mut().enumerate() {
            *v = self.number(if i == 8 { b';' } else { b',' })?;
        }
        Ok(Some((account_no, opening)))
    }

    /// A decimal integer ending at `end` (or at the end of the text after an account's last
    /// value).
    fn number(&mut self, end: u8) -> Result<i64, RunError> {
        let bad = || RunError::from(StoreError::Corrupt("statement row"));
        let (negative, mut at) = match self.bytes.first() {
            Some(b'-') => (true, 1),
            _ => (false, 0),
        };
        let digits_from = at;
        let mut v: i64 = 0;
        while let Some(&b) = self.bytes.get(at) {
            if !b.is_ascii_digit() {
                break;
            }
            let d = i64::from(b - b'0');
            v = v
                .checked_mul(10)
                .and_then(|v| {
                    if negative {
                        v.checked_sub(d)
                    } else {
                        v.checked_add(d)
                    }
                })
                .ok_or_else(bad)?;
            at += 1;
        }
        if at == digits_from {
            return Err(bad());
        }
        match self.bytes.get(at) {
            Some(&b) if b == end => at += 1,
            None if end == b';' => {}
            _ => return Err(bad()),
        }
        self.bytes = self.bytes.get(at..).unwrap_or_default();
        Ok(v)
    }
}

/// Flushes the write-ahead log to disk on a blocking thread while the run goes on: the data
/// written so far reaches the disk beside the work instead of all at the commit. Durability
/// does not rest on it — the commit flushes the log itself (`synchronous=FULL`) — so a flush
/// that fails or has not finished changes nothing but the time.
struct WalFlush {
    path: std::path::PathBuf,
    running: Option<tokio::task::JoinHandle<()>>,
}

impl WalFlush {
    fn new(pool: &SqlitePool) -> Self {
        let mut path = pool.connect_options().get_filename().as_os_str().to_owned();
        path.push("-wal");
        Self {
            path: path.into(),
            running: None,
        }
    }

    /// Starts a flush unless one is still running.
    fn start(&mut self) {
        if self.running.as_ref().is_some_and(|r| !r.is_finished()) {
            return;
        }
        let path = self.path.clone();
        self.running = Some(tokio::task::spawn_blocking(move || {
            if let Err(e) = std::fs::File::open(&path).and_then(|f| f.sync_data()) {
                tracing::debug!(error = %e, "statement run: early flush of the log failed");
            }
        }));
    }
}

/// Inserts rows [`ROWS_PER_INSERT`] at a time with one prepared statement, the rest one by one.
struct Writer {
    full: String,
    single: String,
    rows_per_insert: usize,
    buffer: Vec<BoundRow>,
    written: u64,
}

impl Writer {
    /// A writer of rows dated `statement_date` and due `due_date` (both yyyymmdd).
    fn new(statement_date: i64, due_date: i64) -> Self {
        let rows_per_insert = ROWS_PER_INSERT;
        let bound = ["?"; BOUND_VALUES - 10].join(", ");
        let one = format!("({statement_date}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {due_date}, {bound})");
        let insert = |n: usize| {
            format!(
                "INSERT INTO credit_statement_rows ({ROW_COLUMNS}) VALUES {}",
                vec![one.as_str(); n].join(", ")
            )
        };
        Self {
            full: insert(rows_per_insert),
            single: insert(1),
            rows_per_insert,
            buffer: Vec::with_capacity(rows_per_insert),
            written: 0,
        }
    }

    /// Buffers `rows` and inserts every full execution's worth, each execution's arguments
    /// built while SQLite runs the one before it: the writer is the run's longest path, and
    /// building 17,408 values on the async side while its SQLite thread waited made it longer.
    async fn write(
        &mut self,
        conn: &mut SqliteConnection,
        rows: &[BoundRow],
    ) -> Result<(), RunError> {
        self.buffer.extend_from_slice(rows);
        let n = self.rows_per_insert;
        let full = self.buffer.len() / n;
        let mut args = match self.buffer.get(..n) {
            Some(first) => Some(arguments(first)?),
            None => None,
        };
        let mut chunk = 0;
        while let Some(current) = args.take() {
            let insert =
                sqlx::query_with(AssertSqlSafe(self.full.as_str()), current).execute(&mut *conn);
            // `join` polls the insert first (its first poll hands the statement to SQLite's
            // thread), then builds the next arguments while that thread works.
            let next_rows = (chunk + 1 < full)
                .then(|| self.buffer.get((chunk + 1) * n..(chunk + 2) * n))
                .flatten();
            let build_next = async { next_rows.map(arguments).transpose() };
            let (done, next) = futures_util::future::join(insert, build_next).await;
            self.written += done?.rows_affected();
            args = next?;
            chunk += 1;
        }
        self.buffer.drain(..full * n);
        Ok(())
    }

    /// Inserts what is left in the buffer, one row an execution.
    async fn flush(&mut self, conn: &mut SqliteConnection) -> Result<(), RunError> {
        for row in std::mem::take(&mut self.buffer) {
            let done = sqlx::query_with(AssertSqlSafe(self.single.as_str()), arguments(&[row])?)
                .execute(&mut *conn)
                .await?;
            self.written += done.rows_affected();
        }
        Ok(())
    }
}

/// The bound values of `rows`, in order, for one execution.
fn arguments(rows: &[BoundRow]) -> Result<SqliteArguments, RunError> {
    let mut args = SqliteArguments::default();
    args.reserve(rows.len() * BOUND_VALUES, 0);
    for row in rows {
        for v in row {
            args.add(*v).map_err(sqlx::Error::Encode)?;
        }
    }
    Ok(args)
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

    #[test]
    fn openings_read_back_account_by_account_and_refuse_malformed_text() {
        let text = b"7,-5000,0,1000000,0,0,0,0,0,5000;14,9223372036854775807,1,2,3,4,5,6,7,-9223372036854775808";
        let mut openings = Openings { bytes: text };
        assert_eq!(
            openings.next_account().unwrap(),
            Some((7, [-5000, 0, 1_000_000, 0, 0, 0, 0, 0, 5000]))
        );
        assert_eq!(
            openings.next_account().unwrap(),
            Some((14, [i64::MAX, 1, 2, 3, 4, 5, 6, 7, i64::MIN]))
        );
        assert_eq!(openings.next_account().unwrap(), None);
        for bad in [
            &b"7,1,2,3,4,5,6,7,8"[..],                 // a value short
            b"7,1,2,3,4,5,6,7,8,9,10",                 // a value too many
            b"7,1,2,3,4,5,6,7,8,9;x",                  // not a number
            b"7,1,2,,4,5,6,7,8,9",                     // an empty value
            b"7,1,2,3,4,5,6,7,8,99999999999999999999", // beyond i64
        ] {
            let mut openings = Openings { bytes: bad };
            let read = (0..3).try_for_each(|_| openings.next_account().map(|_| ()));
            assert!(read.is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn the_writer_binds_every_column_but_the_two_a_run_fixes() {
        let writer = Writer::new(20260407, 20260425);
        let placeholders = writer.single.matches('?').count();
        assert_eq!(placeholders, BOUND_VALUES);
        assert_eq!(
            writer.full.matches('?').count(),
            BOUND_VALUES * writer.rows_per_insert
        );
        assert!(writer.single.ends_with(
            "VALUES (20260407, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 20260425, ?, ?, ?, ?, ?, ?, ?)"
        ));
        assert_eq!(ROW_COLUMNS.split(", ").nth(11), Some("due_date"));
    }
}
