//! A credit command's rows, written inside the ledger's group commit: one durable commit holds
//! the command's event, its idempotency key with the stored answer, and the ledger accounts and
//! transfers the event implies (the mirror, [`super::mirror`]).
//!
//! A command sends a [`Mirrored`] to the ledger's group committer
//! (`crate::ledger::LedgerService::send_credit`) and waits while its account stays locked.
//! The committer takes everything queued — other accounts' commands and plain ledger batches
//! alike — and, in one transaction: inserts the keys first (`ON CONFLICT DO NOTHING …
//! RETURNING`), then the events whose key was new (or that had none) with [`write_sqlite`] /
//! [`write_postgres`]; applies to the ledger the accounts and transfers of exactly those
//! commands (a command whose key was taken meanwhile applies nothing); writes the ledger's
//! changes; commits once and answers each command. So a command waits for one fsync, shared
//! by every command in the group, and event and mirror are durable together or not at all.

use std::collections::HashSet;

use cardlife_ledger::{Account, CreateAccountResult, CreateTransferResult, Transfer};
use sqlx::{PgConnection, SqliteConnection};

/// Rows per multi-row `INSERT` (SQLite binds at most 32,766 values per statement).
const ROWS_PER_INSERT: usize = 512;

/// An idempotency key's row, written complete (the request's hash and its answer).
#[derive(Debug, Clone)]
pub struct KeyRow {
    /// Whose keys these are (the caller and the route).
    pub scope: String,
    /// The key.
    pub key: String,
    /// The request's hash.
    pub hash: Vec<u8>,
    /// Nanoseconds since the epoch.
    pub created_at_ns: i64,
    /// The answer's HTTP status.
    pub status: u16,
    /// The answer's body.
    pub response: String,
}

/// One event to append.
#[derive(Debug)]
pub(crate) struct Append {
    pub account_id: String,
    pub seq: i64,
    pub day: String,
    pub event: String,
    pub key: Option<KeyRow>,
}

/// A command's event with the ledger changes it implies, in main-ledger ids.
#[derive(Debug)]
pub(crate) struct Mirrored {
    pub append: Append,
    pub accounts: Vec<Account>,
    pub transfers: Vec<Transfer>,
    /// Whether its commit waits for the disk, or a later commit of the caller's carries it.
    pub durability: crate::durability::Durability,
}

impl Mirrored {
    /// Ledger events it carries (at least one: it takes a place in a commit even without any).
    pub fn events(&self) -> usize {
        (self.accounts.len() + self.transfers.len()).max(1)
    }
}

/// What became of an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    /// The event (and its key) is durable.
    Durable,
    /// Its key was already taken by another request; nothing of it was written.
    KeyTaken,
}

/// What one [`Mirrored`] came to, once its commit is durable.
#[derive(Debug)]
pub(crate) struct MirrorOutcome {
    /// Whether its event was written.
    pub written: Written,
    /// The ledger's answer for each account (none when the key was taken).
    pub accounts: Vec<CreateAccountResult>,
    /// The ledger's answer for each transfer (none when the key was taken).
    pub transfers: Vec<CreateTransferResult>,
}

/// Writes the keys, then the events whose key was new, on `$conn` (inside the commit's
/// transaction); one [`Written`] per append, in order. One body for both backends.
macro_rules! write_rows {
    ($conn:expr, $appends:expr) => {{
        let conn = $conn;
        let appends: &[&Append] = $appends;
        let keyed: Vec<&KeyRow> = appends.iter().filter_map(|a| a.key.as_ref()).collect();
        let mut taken_by_us: HashSet<(String, String)> = HashSet::new();
        for chunk in keyed.chunks(ROWS_PER_INSERT) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO idempotency_keys \
                 (scope, idem_key, request_hash, status, response, created_at_ns) ",
            );
            q.push_values(chunk, |mut row, k| {
                row.push_bind(k.scope.as_str())
                    .push_bind(k.key.as_str())
                    .push_bind(k.hash.as_slice())
                    .push_bind(i64::from(k.status))
                    .push_bind(k.response.as_str())
                    .push_bind(k.created_at_ns);
            });
            q.push(" ON CONFLICT DO NOTHING RETURNING scope, idem_key");
            let rows: Vec<(String, String)> = q.build_query_as().fetch_all(&mut *conn).await?;
            taken_by_us.extend(rows);
        }
        let written: Vec<Written> = appends
            .iter()
            .map(|a| match &a.key {
                Some(k) if !taken_by_us.contains(&(k.scope.clone(), k.key.clone())) => {
                    Written::KeyTaken
                }
                _ => Written::Durable,
            })
            .collect();
        let events: Vec<&&Append> = appends
            .iter()
            .zip(&written)
            .filter(|(_, w)| **w == Written::Durable)
            .map(|(a, _)| a)
            .collect();
        for chunk in events.chunks(ROWS_PER_INSERT) {
            let mut q =
                sqlx::QueryBuilder::new("INSERT INTO credit_events (account_id, seq, day, event) ");
            q.push_values(chunk, |mut row, a| {
                row.push_bind(a.account_id.as_str())
                    .push_bind(a.seq)
                    .push_bind(a.day.as_str())
                    .push_bind(a.event.as_str());
            });
            q.build().execute(&mut *conn).await?;
        }
        Ok(written)
    }};
}

/// [`write_rows!`] on the embedded store's writer connection.
pub(crate) async fn write_sqlite(
    conn: &mut SqliteConnection,
    appends: &[&Append],
) -> Result<Vec<Written>, sqlx::Error> {
    if appends.is_empty() {
        return Ok(Vec::new());
    }
    write_rows!(conn, appends)
}

/// [`write_rows!`] on a PostgreSQL writer's transaction.
pub(crate) async fn write_postgres(
    conn: &mut PgConnection,
    appends: &[&Append],
) -> Result<Vec<Written>, sqlx::Error> {
    if appends.is_empty() {
        return Ok(Vec::new());
    }
    write_rows!(conn, appends)
}
