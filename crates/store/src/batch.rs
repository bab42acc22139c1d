//! Several statements of one transaction sent to the store at once.
//!
//! The embedded store's driver runs each connection on a thread of its own, and every statement
//! is a round trip to that thread and back — on the pay path that, not the SQL, was most of a
//! request's time (docs/benchmarks.md, "Round trips to the store"). A transaction whose
//! statements do not need each other's results (inserts, updates checked afterwards by the rows
//! they touched) builds them as [`Stmt`]s into a [`Batch`] and runs it with [`Tx::run`]: on
//! SQLite the statements go as **one** multi-statement query, renumbered so each keeps its own
//! `$n` parameters, and come back as one list of row counts; on PostgreSQL they run one after the
//! other in the transaction, as before.
//!
//! The one-query form rests on the embedded driver running every statement of a query's text
//! in one command, binding each `$n` by its number (sqlx 0.9's SQLite driver does, and says it
//! may stop); `crates/store/tests/batch.rs` fails on both counts if it does, and the
//! PostgreSQL form (one statement at a time) is then the fallback.
//!
//! A statement that fails stops the batch there, on both stores: [`Ran::rows`] answers the
//! counts of the statements before it and then its error, so a caller that checks the
//! statements in order meets the same first refusal it would have met running them one at a
//! time. Nothing is committed either way until the caller commits the transaction; a caller
//! that refuses drops it, and everything the batch wrote rolls back.

use sqlx::{AssertSqlSafe, Database, Encode, Executor, Type};

use crate::error::StoreError;
use crate::tx::Tx;

/// One bound value. Nulls keep their type (PostgreSQL is told what a parameter is).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text, or a null text.
    Text(Option<String>),
    /// A 64-bit integer, or a null one.
    Int(Option<i64>),
    /// Bytes, or null bytes.
    Blob(Option<Vec<u8>>),
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Text(Some(v))
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Self::Text(Some(v.clone()))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Text(Some(v.to_owned()))
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Self::Text(v)
    }
}
impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Self {
        Self::Text(v.clone())
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Int(Some(v))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Self::Int(v)
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Self::Blob(Some(v.to_vec()))
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Self::Blob(Some(v))
    }
}

/// One statement and its values, numbered `$1`, `$2`, … in the statement's own text.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    sql: &'static str,
    args: Vec<Value>,
}

impl Stmt {
    /// `sql` with `args` for its `$1`, `$2`, … (every parameter `$n`-numbered, none `?`).
    pub fn new(sql: &'static str, args: Vec<Value>) -> Self {
        Self { sql, args }
    }
}

/// Builds a [`Stmt`] from its text and its values in parameter order.
macro_rules! stmt {
    ($sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::batch::Stmt::new($sql, vec![$($crate::batch::Value::from($arg)),*])
    };
}
pub(crate) use stmt;

/// Statements to run in order, in one transaction.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Batch {
    stmts: Vec<Stmt>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `s`; returns its place, for [`Ran::rows`].
    pub fn push(&mut self, s: Stmt) -> usize {
        self.stmts.push(s);
        self.stmts.len() - 1
    }

    /// How many statements it holds.
    pub fn len(&self) -> usize {
        self.stmts.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.stmts.is_empty()
    }

    /// Adds `other`'s statements after these (their places move by this batch's length).
    pub(crate) fn append(&mut self, other: Batch) {
        self.stmts.extend(other.stmts);
    }

    /// The statements as one SQLite query: each statement's `$n` moved past the values of the
    /// statements before it, so one list of values serves them all.
    fn joined(&self) -> String {
        let mut sql = String::new();
        let mut offset = 0;
        for s in &self.stmts {
            renumber_into(&mut sql, s.sql, offset);
            sql.push_str(";\n");
            offset += s.args.len();
        }
        sql
    }
}

/// Appends `sql` to `out` with every `$n` outside quotes written as `$(n + offset)`.
fn renumber_into(out: &mut String, sql: &str, offset: usize) {
    let bytes = sql.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b'$' => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|d| d.is_ascii_digit())
                    .count();
                if digits > 0 {
                    let n: usize = sql[i + 1..i + 1 + digits].parse().unwrap_or(0);
                    out.push('$');
                    out.push_str(&(n + offset).to_string());
                    i += 1 + digits;
                    continue;
                }
            }
            None => {}
        }
        // Only ASCII is matched above; the rest (UTF-8 included) is copied a char at a time.
        let len = sql[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&sql[i..i + len]);
        i += len;
    }
}

/// What a [`Batch`] did: the rows each statement touched, up to the first that failed.
#[derive(Debug)]
#[must_use = "a failed statement's error is only seen through `rows` or `finish`"]
pub struct Ran {
    rows: Vec<u64>,
    failed: Option<StoreError>,
}

impl Ran {
    /// The rows statement `i` touched; the failed statement's error at its place (once); a
    /// statement after it never ran.
    pub fn rows(&mut self, i: usize) -> Result<u64, StoreError> {
        if let Some(n) = self.rows.get(i) {
            return Ok(*n);
        }
        if i == self.rows.len()
            && let Some(e) = self.failed.take()
        {
            return Err(e);
        }
        Err(StoreError::NotRun(i))
    }

    /// What the statements after the first `n` did, numbered from 0 again, once those `n` all
    /// ran; the first of them that failed is the error.
    pub(crate) fn after(mut self, n: usize) -> Result<Ran, StoreError> {
        for i in 0..n {
            self.rows(i)?;
        }
        Ok(Ran {
            rows: self.rows.split_off(n),
            failed: self.failed.take(),
        })
    }

    /// How many statements ran (before the first that failed, if any).
    pub(crate) fn ran(&self) -> usize {
        self.rows.len()
    }

    /// Ok when every statement ran; else the failure not yet taken by [`Ran::rows`].
    pub fn finish(mut self) -> Result<(), StoreError> {
        match self.failed.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Tx {
    /// Runs `batch` in this transaction (see the module comment); only a failure to reach the
    /// store at all is an `Err` here.
    pub async fn run(&mut self, batch: Batch) -> Result<Ran, StoreError> {
        let t = match self {
            Self::Sqlite(t) => return Ok(run_sqlite(t, batch).await),
            Self::Postgres(t) => t,
        };
        let mut ran = Ran {
            rows: Vec::with_capacity(batch.len()),
            failed: None,
        };
        for s in batch.stmts {
            let mut query = sqlx::query(s.sql);
            for v in s.args {
                query = bind(query, v);
            }
            match (&mut **t).execute(query).await {
                Ok(done) => ran.rows.push(done.rows_affected()),
                Err(e) => {
                    ran.failed = Some(e.into());
                    break;
                }
            }
        }
        Ok(ran)
    }

    /// Runs one statement; the rows it touched.
    pub async fn run_one(&mut self, s: Stmt) -> Result<u64, StoreError> {
        let mut batch = Batch::new();
        batch.push(s);
        let mut ran = self.run(batch).await?;
        let n = ran.rows(0)?;
        ran.finish()?;
        Ok(n)
    }
}

/// Runs `batch` on an embedded connection inside an open transaction: one query, its
/// statements' results in order, the first failure kept in the [`Ran`].
pub(crate) async fn run_sqlite(conn: &mut sqlx::SqliteConnection, batch: Batch) -> Ran {
    let mut ran = Ran {
        rows: Vec::with_capacity(batch.len()),
        failed: None,
    };
    if batch.is_empty() {
        return ran;
    }
    let sql = batch.joined();
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for s in batch.stmts {
        for v in s.args {
            query = bind(query, v);
        }
    }
    let mut results = conn.execute_many(query);
    while let Some(r) = futures_util::StreamExt::next(&mut results).await {
        match r {
            Ok(done) => ran.rows.push(done.rows_affected()),
            Err(e) => {
                ran.failed = Some(e.into());
                break;
            }
        }
    }
    ran
}

fn bind<'q, DB>(
    query: sqlx::query::Query<'q, DB, <DB as Database>::Arguments>,
    v: Value,
) -> sqlx::query::Query<'q, DB, <DB as Database>::Arguments>
where
    DB: Database,
    Option<String>: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    Option<Vec<u8>>: Encode<'q, DB> + Type<DB>,
{
    match v {
        Value::Text(v) => query.bind(v),
        Value::Int(v) => query.bind(v),
        Value::Blob(v) => query.bind(v),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn parameters_move_past_the_statements_before() {
        let mut b = Batch::new();
        b.push(stmt!("INSERT INTO t (a, b) VALUES ($1, $2)", 1i64, 2i64));
        b.push(stmt!(
            "UPDATE t SET a = $2 WHERE b = $1 AND c = '$1' AND \"$2\" = 0",
            3i64,
            4i64
        ));
        b.push(stmt!("DELETE FROM t WHERE a = $1", "x"));
        assert_eq!(
            b.joined(),
            "INSERT INTO t (a, b) VALUES ($1, $2);\n\
             UPDATE t SET a = $4 WHERE b = $3 AND c = '$1' AND \"$2\" = 0;\n\
             DELETE FROM t WHERE a = $5;\n"
        );
    }

    #[test]
    fn an_unused_value_still_takes_its_place() {
        // put_profile's insert binds a ninth value its text does not use.
        let mut b = Batch::new();
        b.push(stmt!("INSERT INTO t (a) VALUES ($1)", 1i64, 9i64));
        b.push(stmt!("DELETE FROM t WHERE a = $1", 2i64));
        assert_eq!(
            b.joined(),
            "INSERT INTO t (a) VALUES ($1);\nDELETE FROM t WHERE a = $3;\n"
        );
    }

    #[test]
    fn text_outside_ascii_is_copied_whole() {
        let mut out = String::new();
        renumber_into(&mut out, "SELECT '¥$1' || $1, 'é'", 10);
        assert_eq!(out, "SELECT '¥$1' || $11, 'é'");
    }
}
