//! The embedded ledger: the whole ledger in memory, each group commit appended to SQLite.
//!
//! One process owns the file. At start-up every account and transfer is loaded into a
//! [`Ledger`]; afterwards the state machine decides in memory and each commit appends what
//! changed: the transfers (keyed by their strictly increasing timestamp), the new balances of
//! the accounts touched (once per commit however often they were touched) to a balance log that
//! is folded into `ledger_accounts` at checkpoints, and hold statuses. Nothing is updated in
//! place on the hot path, which is why a hot account costs nothing here. If a commit fails the
//! memory is rebuilt from the file, so memory never holds what the disk does not.

use std::sync::Arc;

use cardlife_ledger::{
    Account, AccountBalance, ChangeSet, Ledger, Pending, PendingStatus, Transfer, TransferFlags,
};
use futures_util::TryStreamExt;
use rustc_hash::{FxHashMap, FxHashSet};
use sqlx::{AssertSqlSafe, QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::RwLock;
use uuid::Uuid;

use super::memory::Memory;
use super::record::{decode_balances, decode_transfer, encode_balances, encode_transfer};
use crate::credit::writer::{self, Append};
use crate::durability::{Opening, SqliteLevel};
use crate::error::StoreError;
use crate::ledger::{Backend, Batch, Outcome, apply, credit_appends, durability};
use crate::rows::{ACCOUNT_COLUMNS, AccountRow, amount_to_i64, bits_to_i64, uuid};

/// Rows per multi-row statement at most. Statements are cut in power-of-two sizes so a handful
/// of prepared statements serve every batch from the statement cache.
const ROWS_PER_STATEMENT: usize = 1024;

/// Rows a commit may hold and still go to SQLite as one query ([`write`]).
const ROWS_IN_ONE_QUERY: usize = 64;

/// The embedded writer's state.
#[derive(Debug)]
pub(crate) struct EmbeddedLedger {
    conn: SqliteConnection,
    memory: Arc<RwLock<Memory>>,
    /// Accounts with records in `ledger_account_log` not yet folded into `ledger_accounts`.
    unfolded: FxHashSet<u128>,
    /// Records in `ledger_account_log`.
    log_rows: usize,
    /// Records in the log that trigger a fold.
    log_rows_max: usize,
    /// The durability level its connection is at (set before each commit that changes it).
    level: SqliteLevel,
}

impl EmbeddedLedger {
    /// Takes a connection of its own and loads the ledger. The memory it returns is shared with
    /// readers, who see it only between commits.
    pub(crate) async fn open(
        pool: &SqlitePool,
        log_rows_max: usize,
    ) -> Result<(Self, Arc<RwLock<Memory>>), StoreError> {
        // Its commits never checkpoint: every connection of the store opens with
        // `wal_autocheckpoint=0` and the store's own task copies the log (`crate::checkpoint`).
        let mut conn = crate::durability::writer_connection(pool).await?;
        let stored = load(&mut conn).await?;
        tracing::info!(
            accounts = stored.accounts.len(),
            transfers = stored.transfers.len(),
            "embedded ledger loaded"
        );
        let (log_rows, unfolded) = (stored.log_rows, stored.logged.clone());
        let memory = Arc::new(RwLock::new(Memory::new(stored.into_ledger())));
        Ok((
            Self {
                conn,
                memory: Arc::clone(&memory),
                unfolded,
                log_rows,
                log_rows_max,
                level: SqliteLevel::default(),
            },
            memory,
        ))
    }
}

/// Everything an embedded store holds, as read in one transaction.
#[derive(Debug, Default)]
pub(crate) struct Stored {
    /// Every account with its current balances.
    pub accounts: Vec<Account>,
    /// Every transfer with its hold status.
    pub transfers: Vec<(Transfer, Option<Pending>)>,
    log_rows: usize,
    logged: FxHashSet<u128>,
}

impl Stored {
    /// A ledger holding all of it.
    pub(crate) fn into_ledger(self) -> Ledger {
        let mut ledger = Ledger::new();
        for account in self.accounts {
            ledger.load_account(account);
        }
        for (transfer, pending) in self.transfers {
            ledger.load_transfer(transfer, pending);
        }
        ledger
    }
}

/// Reads the whole store (call inside a transaction for one snapshot).
pub(crate) async fn load(conn: &mut SqliteConnection) -> Result<Stored, StoreError> {
    let mut stored = Stored::default();
    let mut accounts: FxHashMap<u128, Account> = FxHashMap::default();
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts");
    let mut rows = sqlx::query_as::<_, AccountRow>(AssertSqlSafe(sql.as_str())).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        let account = Account::try_from(row)?;
        accounts.insert(account.id, account);
    }
    drop(rows);
    let mut rows =
        sqlx::query_as::<_, (Vec<u8>,)>("SELECT record FROM ledger_account_log ORDER BY seq")
            .fetch(&mut *conn);
    while let Some((record,)) = rows.try_next().await? {
        let (id, [dp, dpo, cp, cpo], flags) = decode_balances(&record)?;
        let a = accounts
            .get_mut(&id)
            .ok_or(StoreError::Corrupt("ledger_account_log account"))?;
        (
            a.debits_pending,
            a.debits_posted,
            a.credits_pending,
            a.credits_posted,
            a.flags,
        ) = (dp, dpo, cp, cpo, flags);
        stored.log_rows += 1;
        stored.logged.insert(id);
    }
    drop(rows);
    stored.accounts = accounts.into_values().collect();
    let holds = load_holds(conn).await?;
    let mut rows =
        sqlx::query_as::<_, (Vec<u8>,)>("SELECT record FROM ledger_transfers ORDER BY timestamp")
            .fetch(&mut *conn);
    while let Some((record,)) = rows.try_next().await? {
        let t = decode_transfer(&record)?;
        stored.transfers.push((t, holds.get(&t.id).copied()));
    }
    Ok(stored)
}

async fn load_holds(conn: &mut SqliteConnection) -> Result<FxHashMap<u128, Pending>, StoreError> {
    let mut holds = FxHashMap::default();
    let mut rows =
        sqlx::query_as::<_, (Uuid, i64, i64)>("SELECT id, status, expires_at FROM ledger_holds")
            .fetch(&mut *conn);
    while let Some((id, status, expires_at)) = rows.try_next().await? {
        let status = i16::try_from(status)
            .ok()
            .and_then(PendingStatus::from_code);
        let status = status.ok_or(StoreError::Corrupt("ledger_holds.status"))?;
        let expires_at = u64::try_from(expires_at)
            .map_err(|_| StoreError::Corrupt("ledger_holds.expires_at"))?;
        holds.insert(id.as_u128(), Pending { status, expires_at });
    }
    Ok(holds)
}

impl Backend for EmbeddedLedger {
    async fn commit(&mut self, batches: &[Batch], now: u64) -> Result<Vec<Outcome>, StoreError> {
        // Readers wait while a commit is in flight, so they never see what is not yet committed
        // (nor, but for a carried commit, what is not yet on disk: `crate::durability`).
        let mut memory = self.memory.write().await;
        let started = std::time::Instant::now();
        let appends = credit_appends(batches);
        // The transaction's opening (level, `BEGIN IMMEDIATE`) rides in its first query.
        let mut opening = Some(self.level.opening(durability(batches)));
        // Credit keys first: a command whose key was taken applies nothing. Memory is untouched
        // until this has succeeded; the events go with the ledger's rows below.
        let written = if appends.iter().any(|a| a.key.is_some()) {
            let o = opening.take();
            match writer::claim_keys_sqlite(&mut self.conn, o, &appends).await {
                Ok(written) => {
                    o.into_iter().for_each(|o| self.level.opened(o));
                    written
                }
                Err(e) => {
                    abandon(&mut self.conn).await;
                    return Err(e.into());
                }
            }
        } else {
            vec![writer::Written::Durable; appends.len()]
        };
        let events = writer::durable(&appends, &written);
        let ledger = &mut memory.ledger;
        let outcomes = apply(ledger, batches, now, &written);
        let changes = ledger.take_changes();
        if changes.is_empty() && events.is_empty() {
            // Nothing to write: a claimed key without its event is not kept.
            if opening.is_none() {
                sqlx::query("ROLLBACK").execute(&mut self.conn).await?;
            }
            return Ok(outcomes);
        }
        let applied = started.elapsed();
        let fold = self.log_rows + changes.updated_accounts.len() > self.log_rows_max;
        let folded: Vec<Account> = if fold {
            let ids = self
                .unfolded
                .iter()
                .chain(changes.updated_accounts.iter().map(|a| &a.id));
            ids.collect::<FxHashSet<_>>()
                .into_iter()
                .filter_map(|id| ledger.account(*id).copied())
                .collect()
        } else {
            Vec::new()
        };
        let rows = Rows {
            events: &events,
            changes: &changes,
            holds: changed_holds(&changes, ledger),
            fold: fold.then_some(folded.as_slice()),
        };
        match write(&mut self.conn, opening, &rows).await {
            Ok(()) => opening.into_iter().for_each(|o| self.level.opened(o)),
            Err(e) => {
                // Memory ran ahead of the disk: throw it away and believe the file.
                abandon(&mut self.conn).await;
                let stored = load(&mut self.conn).await?;
                (self.log_rows, self.unfolded) = (stored.log_rows, stored.logged.clone());
                *memory = Memory::new(stored.into_ledger());
                return Err(e.into());
            }
        }
        if fold {
            self.log_rows = 0;
            self.unfolded.clear();
        } else {
            self.log_rows += changes.updated_accounts.len();
            self.unfolded
                .extend(changes.updated_accounts.iter().map(|a| a.id));
        }
        memory.index_transfers(&changes.transfers);
        tracing::debug!(
            transfers = changes.transfers.len(),
            accounts = changes.updated_accounts.len(),
            credit_events = appends.len(),
            fold,
            apply_us = applied.as_micros(),
            total_us = started.elapsed().as_micros(),
            "embedded commit"
        );
        Ok(outcomes)
    }
}

/// Slices of `rows` in power-of-two lengths, largest first, each at most `ROWS_PER_STATEMENT`.
fn pow2_chunks<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if rows.is_empty() {
            return None;
        }
        let n = rows.len().min(ROWS_PER_STATEMENT);
        let (head, tail) = rows.split_at(1 << n.ilog2());
        rows = tail;
        Some(head)
    })
}

/// One commit's rows: the credit events whose key was new, then the ledger's changes.
struct Rows<'a> {
    events: &'a [&'a Append],
    changes: &'a ChangeSet,
    /// Holds created or settled in this commit, with where they now stand.
    holds: Vec<(u128, Pending)>,
    /// When given, the log is folded into `ledger_accounts` with these current balances.
    fold: Option<&'a [Account]>,
}

impl Rows<'_> {
    fn count(&self) -> usize {
        let c = self.changes;
        let balances = self.fold.map_or(c.updated_accounts.len(), <[Account]>::len);
        self.events.len()
            + c.new_accounts.len()
            + balances
            + c.transfers.len()
            + self.holds.len()
            + c.history.len()
    }
}

/// Writes one commit's rows and commits: credit events, new accounts, the balance log (or,
/// folding, `ledger_accounts` with the current balances and the log emptied), transfers, holds,
/// history, `COMMIT`; `opening` first when the transaction is not yet open. On failure the
/// transaction may be left open (the caller rolls it back).
///
/// A commit of at most [`ROWS_IN_ONE_QUERY`] rows (every payment's) goes as one multi-statement
/// query, opening and `COMMIT` included: a single round trip to SQLite's thread. A larger one
/// goes as statements of power-of-two sizes, each built while SQLite runs the one before.
async fn write(
    tx: &mut SqliteConnection,
    opening: Option<Opening>,
    r: &Rows<'_>,
) -> Result<(), sqlx::Error> {
    let c = r.changes;
    let mut q = QueryBuilder::new(opening.map(Opening::prefix).unwrap_or_default());
    if r.count() <= ROWS_IN_ONE_QUERY {
        let mut parts = 0;
        // Starts the next statement when it has rows.
        let mut part = |q: &mut QueryBuilder<Sqlite>, rows: usize| {
            if rows > 0 && parts > 0 {
                q.push(";\n");
            }
            parts += usize::from(rows > 0);
            rows > 0
        };
        if part(&mut q, r.events.len()) {
            writer::push_events_sqlite(&mut q, r.events);
        }
        if part(&mut q, c.new_accounts.len()) {
            push_accounts(&mut q, &c.new_accounts);
        }
        match r.fold {
            None => {
                if part(&mut q, c.updated_accounts.len()) {
                    push_balances(&mut q, &c.updated_accounts);
                }
            }
            Some(accounts) => {
                if part(&mut q, accounts.len()) {
                    push_accounts(&mut q, accounts);
                }
                part(&mut q, 1);
                q.push(CLEAR_LOG);
            }
        }
        if part(&mut q, c.transfers.len()) {
            push_transfers(&mut q, &c.transfers);
        }
        if part(&mut q, r.holds.len()) {
            push_holds(&mut q, &r.holds);
        }
        if part(&mut q, c.history.len()) {
            push_history(&mut q, &c.history);
        }
        if parts > 0 {
            q.push(";\n");
        }
        q.push("COMMIT");
        q.build().execute(&mut *tx).await?;
        return Ok(());
    }
    if opening.is_some() {
        q.build().execute(&mut *tx).await?;
    }
    let started = std::time::Instant::now();
    for chunk in r.events.chunks(writer::ROWS_PER_INSERT) {
        let mut q = QueryBuilder::new("");
        writer::push_events_sqlite(&mut q, chunk);
        q.build().execute(&mut *tx).await?;
    }
    run_chunks(&mut *tx, &c.new_accounts, push_accounts).await?;
    match r.fold {
        None => run_chunks(&mut *tx, &c.updated_accounts, push_balances).await?,
        Some(accounts) => {
            run_chunks(&mut *tx, accounts, push_accounts).await?;
            sqlx::query(CLEAR_LOG).execute(&mut *tx).await?;
        }
    }
    let balances = started.elapsed();
    run_chunks(&mut *tx, &c.transfers, push_transfers).await?;
    run_chunks(&mut *tx, &r.holds, push_holds).await?;
    run_chunks(&mut *tx, &c.history, push_history).await?;
    tracing::trace!(
        balances_us = balances.as_micros(),
        statements_us = started.elapsed().as_micros(),
        "embedded write"
    );
    sqlx::query("COMMIT").execute(&mut *tx).await?;
    Ok(())
}

/// Rolls back whatever a failed commit left open (nothing, if it failed before `BEGIN`).
async fn abandon(conn: &mut SqliteConnection) {
    if let Err(e) = sqlx::query("ROLLBACK").execute(conn).await {
        tracing::debug!(error = %e, "nothing to roll back");
    }
}

/// Empties the balance log once its balances are folded into `ledger_accounts`.
const CLEAR_LOG: &str = "DELETE FROM ledger_account_log";

/// Executes one multi-row statement per chunk of `rows`, building the next chunk's statement
/// while SQLite (on its own thread) executes the current one.
async fn run_chunks<T>(
    conn: &mut SqliteConnection,
    rows: &[T],
    push: fn(&mut QueryBuilder<Sqlite>, &[T]),
) -> Result<(), sqlx::Error> {
    let statement = |rows: &[T]| {
        let mut q = QueryBuilder::new("");
        push(&mut q, rows);
        q
    };
    let mut chunks = pow2_chunks(rows);
    let Some(first) = chunks.next() else {
        return Ok(());
    };
    let mut current = statement(first);
    loop {
        let next = chunks.next();
        let (done, next) = tokio::join!(current.build().execute(&mut *conn), async {
            next.map(statement)
        });
        done?;
        match next {
            Some(q) => current = q,
            None => return Ok(()),
        }
    }
}

/// Holds created or settled in this commit, with where they now stand.
fn changed_holds(c: &ChangeSet, ledger: &Ledger) -> Vec<(u128, Pending)> {
    let created = c
        .transfers
        .iter()
        .filter(|t| t.flags.contains(TransferFlags::PENDING))
        .map(|t| t.id);
    let settled = c.pending_updates.iter().map(|(id, _)| *id);
    let ids: FxHashSet<u128> = created.chain(settled).collect();
    ids.into_iter()
        .filter_map(|id| ledger.pending(id).map(|p| (id, p)))
        .collect()
}

fn push_accounts(q: &mut QueryBuilder<Sqlite>, accounts: &[Account]) {
    q.push(format!("INSERT INTO ledger_accounts ({ACCOUNT_COLUMNS}) "));
    q.push_values(accounts, |mut b, a| {
        b.push_bind(uuid(a.id))
            .push_bind(i64::from(a.ledger))
            .push_bind(i64::from(a.code))
            .push_bind(i64::from(a.flags.bits()))
            .push_bind(amount_to_i64(a.debits_pending))
            .push_bind(amount_to_i64(a.debits_posted))
            .push_bind(amount_to_i64(a.credits_pending))
            .push_bind(amount_to_i64(a.credits_posted))
            .push_bind(uuid(a.user_data_128))
            .push_bind(bits_to_i64(a.user_data_64))
            .push_bind(i64::from(a.user_data_32))
            .push_bind(amount_to_i64(a.timestamp));
    });
    q.push(
        " ON CONFLICT (id) DO UPDATE SET flags = excluded.flags, \
         debits_pending = excluded.debits_pending, debits_posted = excluded.debits_posted, \
         credits_pending = excluded.credits_pending, credits_posted = excluded.credits_posted",
    );
}

/// New balances and flags of existing accounts, appended to the log.
fn push_balances(q: &mut QueryBuilder<Sqlite>, accounts: &[Account]) {
    q.push("INSERT INTO ledger_account_log (record) ");
    q.push_values(accounts, |mut b, a| {
        b.push_bind(encode_balances(a));
    });
}

fn push_transfers(q: &mut QueryBuilder<Sqlite>, transfers: &[Transfer]) {
    q.push("INSERT INTO ledger_transfers (timestamp, id, record) ");
    q.push_values(transfers, |mut b, t| {
        b.push_bind(amount_to_i64(t.timestamp))
            .push_bind(uuid(t.id))
            .push_bind(encode_transfer(t));
    });
}

fn push_holds(q: &mut QueryBuilder<Sqlite>, holds: &[(u128, Pending)]) {
    q.push("INSERT INTO ledger_holds (id, status, expires_at) ");
    q.push_values(holds, |mut b, (id, p)| {
        b.push_bind(uuid(*id))
            .push_bind(i64::from(p.status.code()))
            .push_bind(amount_to_i64(p.expires_at));
    });
    q.push(" ON CONFLICT (id) DO UPDATE SET status = excluded.status");
}

fn push_history(q: &mut QueryBuilder<Sqlite>, rows: &[AccountBalance]) {
    q.push(
        "INSERT INTO ledger_account_balances (account_id, timestamp, debits_pending, debits_posted, \
         credits_pending, credits_posted) ",
    );
    q.push_values(rows, |mut b, r| {
        b.push_bind(uuid(r.account_id))
            .push_bind(amount_to_i64(r.timestamp))
            .push_bind(amount_to_i64(r.debits_pending))
            .push_bind(amount_to_i64(r.debits_posted))
            .push_bind(amount_to_i64(r.credits_pending))
            .push_bind(amount_to_i64(r.credits_posted));
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::Db;

    /// The writer connection's `synchronous`: 1 NORMAL (carried), 2 FULL (synced).
    async fn level(conn: &mut SqliteConnection) -> i64 {
        let (level,): (i64,) = sqlx::query_as("PRAGMA synchronous")
            .fetch_one(conn)
            .await
            .unwrap();
        level
    }

    /// A fresh migrated embedded store (its folder lives as long as the first value).
    async fn fresh() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&format!("sqlite://{}", dir.path().join("l.db").display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        (dir, db)
    }

    fn pool_of(db: &Db) -> &SqlitePool {
        match db {
            Db::Sqlite(pool) => pool,
            Db::Postgres(_) => unreachable!("a sqlite URL opens the embedded store"),
        }
    }

    /// Accounts 1 and 2 on ledger 156, no flags.
    fn two_accounts() -> Batch {
        let none = cardlife_ledger::AccountFlags::NONE;
        Batch::Accounts(vec![
            Account::new(1, 156, 1, none),
            Account::new(2, 156, 1, none),
        ])
    }

    /// A commit of only carried batches (a sweep that releases a hold) runs without waiting
    /// for the disk; one with any synced batch (plain transfers) waits, and the level follows
    /// each commit. The level is set by the commit's own first query.
    #[tokio::test]
    async fn each_commit_runs_at_the_level_its_batches_ask() {
        use cardlife_ledger::CreateTransferResult as TR;
        let (_dir, db) = fresh().await;
        let (mut writer, memory) = EmbeddedLedger::open(pool_of(&db), 1_000).await.unwrap();
        let hold = |id: u128| Transfer {
            id,
            debit_account_id: 1,
            credit_account_id: 2,
            amount: 5,
            ledger: 156,
            code: 1,
            timeout: 1,
            flags: TransferFlags::PENDING,
            ..Transfer::default()
        };
        let second = 1_000_000_000;
        let mut now = second;
        writer.commit(&[two_accounts()], now).await.unwrap();
        assert_eq!(level(&mut writer.conn).await, 2);
        for round in 0..3u128 {
            // A hold (synced), then its expiry alone (carried), then another hold beside a
            // sweep: the commit waits when one of its batches must.
            now += second;
            writer
                .commit(&[Batch::Transfers(vec![hold(10 + round)])], now)
                .await
                .unwrap();
            assert_eq!(level(&mut writer.conn).await, 2);
            now += 10 * second;
            writer.commit(&[Batch::Sweep], now).await.unwrap();
            assert_eq!(level(&mut writer.conn).await, 1);
            let pending = memory.read().await.ledger.pending(10 + round).unwrap();
            assert_eq!(pending.status, PendingStatus::Expired);
            let mixed = [Batch::Sweep, Batch::Transfers(vec![hold(20 + round)])];
            let out = writer.commit(&mixed, now).await.unwrap();
            assert!(matches!(&out[1], Outcome::Transfers(r) if r == &[TR::Ok]));
            assert_eq!(level(&mut writer.conn).await, 2);
            now += 10 * second;
            writer.commit(&[Batch::Sweep], now).await.unwrap();
            assert_eq!(level(&mut writer.conn).await, 1);
        }
        db.close().await;
    }

    /// A commit whose rows the file refuses answers the error, leaves nothing open and nothing
    /// in memory that the file does not hold; the next commit goes through. Both ways of
    /// writing: one query (a small commit) and statements (a large one).
    #[tokio::test]
    async fn a_refused_commit_leaves_memory_as_the_file_and_the_next_one_commits() {
        let (_dir, db) = fresh().await;
        let pool = pool_of(&db);
        for sql in [
            "CREATE TABLE refuse (on_id INTEGER)",
            "CREATE TRIGGER refuse_transfers BEFORE INSERT ON ledger_transfers \
             WHEN EXISTS (SELECT 1 FROM refuse) BEGIN SELECT RAISE(ABORT, 'refused'); END",
        ] {
            sqlx::query(sql).execute(pool).await.unwrap();
        }
        let (mut writer, memory) = EmbeddedLedger::open(pool, 1_000).await.unwrap();
        writer.commit(&[two_accounts()], 1).await.unwrap();
        let transfers = |first: u128, n: u128| -> Vec<Transfer> {
            (first..first + n)
                .map(|id| Transfer {
                    id,
                    debit_account_id: 1,
                    credit_account_id: 2,
                    amount: 3,
                    ledger: 156,
                    code: 1,
                    ..Transfer::default()
                })
                .collect()
        };
        let debits = |m: &Memory| m.ledger.account(1).map(|a| a.debits_posted);
        let mut expected = 0;
        for (round, n) in [(0u128, 1u128), (1, 100)] {
            let base = 1_000 * (round + 1);
            sqlx::query("INSERT INTO refuse VALUES (1)")
                .execute(pool)
                .await
                .unwrap();
            let refused = writer
                .commit(&[Batch::Transfers(transfers(base, n))], 2 + round as u64)
                .await;
            assert!(refused.is_err(), "{refused:?}");
            assert_eq!(debits(&*memory.read().await), Some(expected));
            sqlx::query("DELETE FROM refuse")
                .execute(pool)
                .await
                .unwrap();
            // Nothing was left open: the same transfers now commit.
            writer
                .commit(&[Batch::Transfers(transfers(base, n))], 3 + round as u64)
                .await
                .unwrap();
            expected += 3 * n as u64;
            assert_eq!(debits(&*memory.read().await), Some(expected));
        }
        drop(writer);
        let stored = load(&mut pool.acquire().await.unwrap()).await.unwrap();
        assert_eq!(stored.transfers.len(), 101);
        db.close().await;
    }
}
