//! A credit command's rows, written inside the ledger's group commit: one durable commit holds
//! the command's event, its idempotency key with the stored answer, and the ledger accounts and
//! transfers the event implies (the mirror, [`super::mirror`]).
//!
//! A command sends a [`Mirrored`] to the ledger's group committer
//! (`crate::ledger::LedgerService::send_credit`) and waits while its account stays locked.
//! The committer takes everything queued — other accounts' commands and plain ledger batches
//! alike — and, in one transaction: inserts the keys first (`ON CONFLICT DO NOTHING …
//! RETURNING`), then the events whose key was new (or that had none) — on the embedded store
//! in the same query as the ledger's rows ([`claim_keys_sqlite`], [`push_events_sqlite`]), on
//! PostgreSQL with [`write_postgres`]; applies to the ledger the accounts and transfers of exactly those
//! commands (a command whose key was taken meanwhile applies nothing); writes the ledger's
//! changes; commits once and answers each command. So a command waits for one fsync, shared
//! by every command in the group, and event and mirror are durable together or not at all.

use std::collections::HashSet;

use cardlife_ledger::{Account, CreateAccountResult, CreateTransferResult, Transfer};
use sqlx::{PgConnection, QueryBuilder, Sqlite, SqliteConnection};

use crate::durability::Opening;

/// Rows per multi-row `INSERT` (SQLite binds at most 32,766 values per statement).
pub(crate) const ROWS_PER_INSERT: usize = 512;

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

/// Inserts the keys of `$appends` on `$conn` (inside the commit's transaction, or opening it
/// with the statements of `$prefix`, which the first query starts with), `ON CONFLICT DO
/// NOTHING … RETURNING`; one [`Written`] per append, in order: `KeyTaken` when another request
/// holds its key. One body for both backends.
macro_rules! claim_keys {
    ($conn:expr, $prefix:expr, $appends:expr) => {{
        let conn = $conn;
        let mut prefix: String = $prefix;
        let appends: &[&Append] = $appends;
        let keyed: Vec<&KeyRow> = appends.iter().filter_map(|a| a.key.as_ref()).collect();
        let mut taken_by_us: HashSet<(String, String)> = HashSet::new();
        for chunk in keyed.chunks(ROWS_PER_INSERT) {
            let mut q = sqlx::QueryBuilder::new(std::mem::take(&mut prefix));
            q.push(
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
        Ok::<_, sqlx::Error>(written)
    }};
}

/// Adds to `$q` one multi-row `INSERT` of `$events` (at most [`ROWS_PER_INSERT`]).
macro_rules! push_events {
    ($q:expr, $events:expr) => {{
        $q.push("INSERT INTO credit_events (account_id, seq, day, event) ");
        $q.push_values($events, |mut row, a: &&Append| {
            row.push_bind(a.account_id.as_str())
                .push_bind(a.seq)
                .push_bind(a.day.as_str())
                .push_bind(a.event.as_str());
        });
    }};
}

/// The appends `written` says to write (their key was new, or they had none), in order.
pub(crate) fn durable<'a>(appends: &[&'a Append], written: &[Written]) -> Vec<&'a Append> {
    appends
        .iter()
        .zip(written)
        .filter(|(_, w)| **w == Written::Durable)
        .map(|(a, _)| *a)
        .collect()
}

/// The embedded writer's keys ([`claim_keys!`]), `opening` its transaction first when given
/// (in the same query). Its events go with the ledger's rows ([`push_events_sqlite`]).
pub(crate) async fn claim_keys_sqlite(
    conn: &mut SqliteConnection,
    opening: Option<Opening>,
    appends: &[&Append],
) -> Result<Vec<Written>, sqlx::Error> {
    claim_keys!(
        conn,
        opening.map(Opening::prefix).unwrap_or_default(),
        appends
    )
}

/// Adds the `INSERT` of `events` (at most [`ROWS_PER_INSERT`]) to the embedded writer's query.
pub(crate) fn push_events_sqlite(q: &mut QueryBuilder<Sqlite>, events: &[&Append]) {
    push_events!(q, events);
}

/// Writes the keys, then the events whose key was new, in a PostgreSQL writer's transaction.
pub(crate) async fn write_postgres(
    conn: &mut PgConnection,
    appends: &[&Append],
) -> Result<Vec<Written>, sqlx::Error> {
    if appends.is_empty() {
        return Ok(Vec::new());
    }
    let written = claim_keys!(&mut *conn, String::new(), appends)?;
    for chunk in durable(appends, &written).chunks(ROWS_PER_INSERT) {
        let mut q = QueryBuilder::new("");
        push_events!(q, chunk);
        q.build().execute(&mut *conn).await?;
    }
    Ok(written)
}
