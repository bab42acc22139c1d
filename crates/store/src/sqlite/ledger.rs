//! The embedded ledger: the whole ledger in memory, each group commit appended to SQLite.
//!
//! One process owns the file. At start-up every account and transfer is loaded into a
//! [`Ledger`]; afterwards the state machine decides in memory and each commit writes only what
//! changed: new transfers (appends, keyed by their strictly increasing timestamp) and the final
//! balances of the accounts touched, once per commit however often they were touched. This is
//! why a hot account costs nothing here. If a commit fails the memory is rebuilt from the file,
//! so memory never holds what the disk does not.

use std::sync::Arc;

use cardlife_ledger::{
    Account, AccountBalance, ChangeSet, Ledger, PendingStatus, Transfer, TransferFlags,
};
use futures_util::TryStreamExt;
use rustc_hash::{FxHashMap, FxHashSet};
use sqlx::{AssertSqlSafe, Connection, QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::RwLock;
use uuid::Uuid;

use super::memory::Memory;
use crate::error::StoreError;
use crate::ledger::{Backend, Batch, Outcome};
use crate::rows::{
    ACCOUNT_COLUMNS, AccountRow, LogRow, TRANSFER_COLUMNS, TransferRow, amount_to_i64, bits_to_i64,
    uuid,
};

/// Rows per multi-row statement at most. Statements are cut in power-of-two sizes so a handful
/// of prepared statements serve every batch from the statement cache.
const ROWS_PER_STATEMENT: usize = 512;

/// The embedded writer's state.
#[derive(Debug)]
pub(crate) struct EmbeddedLedger {
    conn: SqliteConnection,
    memory: Arc<RwLock<Memory>>,
    /// Accounts with rows in `ledger_account_log` not yet folded into `ledger_accounts`.
    unfolded: FxHashSet<u128>,
    /// Rows in `ledger_account_log`.
    log_rows: usize,
    /// Rows in the log that trigger a fold.
    log_rows_max: usize,
}

impl EmbeddedLedger {
    /// Takes a connection of its own and loads the ledger. The memory it returns is shared with
    /// readers, who see it only between commits.
    pub(crate) async fn open(
        pool: &SqlitePool,
        log_rows_max: usize,
    ) -> Result<(Self, Arc<RwLock<Memory>>), StoreError> {
        let mut conn = pool.acquire().await?.detach();
        let ledger = load(&mut conn).await?;
        let (log_rows, unfolded) = log_state(&mut conn).await?;
        tracing::info!(
            accounts = ledger.accounts().count(),
            transfers = ledger.transfers().count(),
            "embedded ledger loaded"
        );
        let memory = Arc::new(RwLock::new(Memory::new(ledger)));
        Ok((
            Self {
                conn,
                memory: Arc::clone(&memory),
                unfolded,
                log_rows,
                log_rows_max,
            },
            memory,
        ))
    }
}
async fn load(conn: &mut SqliteConnection) -> Result<Ledger, StoreError> {
    let mut ledger = Ledger::new();
    for account in load_accounts(conn).await? {
        ledger.load_account(account);
    }
    let sql = format!("SELECT {TRANSFER_COLUMNS} FROM ledger_transfers");
    let mut rows = sqlx::query_as::<_, TransferRow>(AssertSqlSafe(sql.as_str())).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        let (transfer, pending) = row.into_parts()?;
        ledger.load_transfer(transfer, pending);
    }
    drop(rows);
    let (last,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(timestamp) FROM ledger_account_balances")
            .fetch_one(&mut *conn)
            .await?;
    ledger.observe_timestamp(last.and_then(|t| u64::try_from(t).ok()).unwrap_or(0));
    Ok(ledger)
}

impl Backend for EmbeddedLedger {
    async fn commit(&mut self, batches: &[Batch], now: u64) -> Result<Vec<Outcome>, StoreError> {
        // Readers wait while a commit is in flight, so they never see what is not yet durable.
        let mut memory = self.memory.write().await;
        let ledger = &mut memory.ledger;
        let outcomes = batches
            .iter()
            .map(|b| match b {
                Batch::Accounts(a) => Outcome::Accounts(ledger.create_accounts(a, now)),
                Batch::Transfers(t) => Outcome::Transfers(ledger.create_transfers(t, now)),
                Batch::Sweep => Outcome::Swept(ledger.expire_pending(now)),
            })
            .collect();
        let changes = ledger.take_changes();
        if changes.is_empty() {
            return Ok(outcomes);
        }
        let fold = self.log_rows + changes.updated_accounts.len() > self.log_rows_max;
        let folded: Vec<Account> = if fold {
            let ids = self
                .unfolded
                .iter()
                .chain(changes.updated_accounts.iter().map(|a| &a.id));
            ids.filter_map(|id| ledger.account(*id).copied()).collect()
        } else {
            Vec::new()
        };
        if let Err(e) = write(
            &mut self.conn,
            &changes,
            ledger,
            fold.then_some(folded.as_slice()),
        )
        .await
        {
            // Memory ran ahead of the disk: throw it away and believe the file.
            *memory = Memory::new(load(&mut self.conn).await?);
            (self.log_rows, self.unfolded) = log_state(&mut self.conn).await?;
            return Err(e.into());
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
        let size = 1 << n.ilog2();
        let (head, tail) = rows.split_at(size);
        rows = tail;
        Some(head)
    })
}

/// Writes one commit: new accounts, the balance log, transfers, hold statuses, history; and,
/// when `fold` is given, folds the log into `ledger_accounts` with those current balances.
async fn write(
    conn: &mut SqliteConnection,
    c: &ChangeSet,
    ledger: &Ledger,
    fold: Option<&[Account]>,
) -> Result<(), sqlx::Error> {
    let t0 = std::time::Instant::now();
    let mut tx = conn.begin().await?;
    for chunk in pow2_chunks(&c.new_accounts) {
        upsert_accounts(chunk).build().execute(&mut *tx).await?;
    }
    match fold {
        None => {
            for chunk in pow2_chunks(&c.updated_accounts) {
                append_balances(chunk).build().execute(&mut *tx).await?;
            }
        }
        Some(accounts) => {
            for chunk in pow2_chunks(accounts) {
                upsert_accounts(chunk).build().execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM ledger_account_log")
                .execute(&mut *tx)
                .await?;
        }
    }
    let t1 = t0.elapsed();
    for chunk in pow2_chunks(&c.transfers) {
        insert_transfers(chunk, ledger)
            .build()
            .execute(&mut *tx)
            .await?;
    }
    for chunk in pow2_chunks(&c.pending_updates) {
        update_pending(chunk).build().execute(&mut *tx).await?;
    }
    for chunk in pow2_chunks(&c.history) {
        insert_history(chunk).build().execute(&mut *tx).await?;
    }
    let t2 = t0.elapsed();
    let r = tx.commit().await;
    tracing::debug!(
        accounts_us = t1.as_micros(),
        statements_us = t2.as_micros(),
        total_us = t0.elapsed().as_micros(),
        transfers = c.transfers.len(),
        "embedded write"
    );
    r
}

/// Every account with its current balances: its row overlaid by its last logged balances.
pub(crate) async fn load_accounts(conn: &mut SqliteConnection) -> Result<Vec<Account>, StoreError> {
    let mut accounts: FxHashMap<u128, Account> = FxHashMap::default();
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts");
    let mut rows = sqlx::query_as::<_, AccountRow>(AssertSqlSafe(sql.as_str())).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        let account = Account::try_from(row)?;
        accounts.insert(account.id, account);
    }
    drop(rows);
    let mut rows = sqlx::query_as::<_, LogRow>(
        "SELECT id, flags, debits_pending, debits_posted, credits_pending, credits_posted \
         FROM ledger_account_log ORDER BY seq",
    )
    .fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        let account = accounts
            .get_mut(&row.id.as_u128())
            .ok_or(StoreError::Corrupt("ledger_account_log.id"))?;
        row.apply(account)?;
    }
    Ok(accounts.into_values().collect())
}

/// How many log rows there are and which accounts they name.
async fn log_state(conn: &mut SqliteConnection) -> Result<(usize, FxHashSet<u128>), StoreError> {
    let rows: Vec<(Uuid,)> = sqlx::query_as("SELECT id FROM ledger_account_log")
        .fetch_all(&mut *conn)
        .await?;
    let ids = rows.iter().map(|(id,)| id.as_u128()).collect();
    Ok((rows.len(), ids))
}

fn upsert_accounts(accounts: &[Account]) -> QueryBuilder<Sqlite> {
    let mut q = QueryBuilder::new(format!("INSERT INTO ledger_accounts ({ACCOUNT_COLUMNS}) "));
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
    q
}

/// New balances and flags of existing accounts, appended to the log.
fn append_balances(accounts: &[Account]) -> QueryBuilder<Sqlite> {
    let mut q = QueryBuilder::new(
        "INSERT INTO ledger_account_log (id, flags, debits_pending, debits_posted, credits_pending, \
         credits_posted) ",
    );
    q.push_values(accounts, |mut b, a| {
        b.push_bind(uuid(a.id))
            .push_bind(i64::from(a.flags.bits()))
            .push_bind(amount_to_i64(a.debits_pending))
            .push_bind(amount_to_i64(a.debits_posted))
            .push_bind(amount_to_i64(a.credits_pending))
            .push_bind(amount_to_i64(a.credits_posted));
    });
    q
}

fn insert_transfers<'a>(transfers: &'a [Transfer], ledger: &'a Ledger) -> QueryBuilder<Sqlite> {
    let mut q = QueryBuilder::new(format!(
        "INSERT INTO ledger_transfers ({TRANSFER_COLUMNS}) "
    ));
    q.push_values(transfers, |mut b, t| {
        let pending = t
            .flags
            .contains(TransferFlags::PENDING)
            .then(|| ledger.pending(t.id))
            .flatten();
        b.push_bind(uuid(t.id))
            .push_bind(uuid(t.debit_account_id))
            .push_bind(uuid(t.credit_account_id))
            .push_bind(amount_to_i64(t.amount))
            .push_bind(uuid(t.pending_id))
            .push_bind(uuid(t.user_data_128))
            .push_bind(bits_to_i64(t.user_data_64))
            .push_bind(i64::from(t.user_data_32))
            .push_bind(i64::from(t.timeout))
            .push_bind(i64::from(t.ledger))
            .push_bind(i64::from(t.code))
            .push_bind(i64::from(t.flags.bits()))
            .push_bind(amount_to_i64(t.timestamp))
            .push_bind(pending.map(|p| i64::from(p.status.code())))
            .push_bind(pending.map_or(0, |p| amount_to_i64(p.expires_at)));
    });
    q
}

fn update_pending(updates: &[(u128, PendingStatus)]) -> QueryBuilder<Sqlite> {
    let mut q = QueryBuilder::new("WITH v(id, status) AS (");
    q.push_values(updates, |mut b, (id, status)| {
        b.push_bind(uuid(*id)).push_bind(i64::from(status.code()));
    });
    q.push(
        ") UPDATE ledger_transfers SET pending_status = v.status FROM v WHERE ledger_transfers.id = v.id",
    );
    q
}

fn insert_history(rows: &[AccountBalance]) -> QueryBuilder<Sqlite> {
    let mut q = QueryBuilder::new(
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
    q
}
