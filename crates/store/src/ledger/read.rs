//! Reads: accounts, transfers, an account's transfers and balance history by time, and the
//! whole-store invariant check. The SQL is the same on both backends.

use std::sync::Arc;

use cardlife_ledger::{Account, AccountBalance, Checker, Pending, PendingStatus, Report, Transfer};
use futures_util::TryStreamExt;
use sqlx::{AssertSqlSafe, SqlitePool};
use tokio::sync::RwLock;
use uuid::Uuid;

use crate::db::Db;
use crate::error::StoreError;
use crate::rows::{
    ACCOUNT_COLUMNS, AccountRow, BalanceRow, TRANSFER_COLUMNS, TransferRow, amount_to_i64,
};
use crate::sqlite::memory::Memory;

/// Rows one query may return.
pub const PAGE_SIZE_MAX: u32 = 8190;

/// Which of an account's transfers or balances to read.
#[derive(Clone, Copy, Debug)]
pub struct AccountFilter {
    /// The account.
    pub account_id: u128,
    /// Earliest timestamp, inclusive (0: from the start).
    pub timestamp_min: u64,
    /// Latest timestamp, inclusive (0: to the end).
    pub timestamp_max: u64,
    /// At most this many rows (capped at [`PAGE_SIZE_MAX`]).
    pub limit: u32,
    /// Newest first.
    pub reversed: bool,
}

impl AccountFilter {
    fn bounds(&self) -> (i64, i64, i64) {
        let max = if self.timestamp_max == 0 {
            i64::MAX
        } else {
            amount_to_i64(self.timestamp_max)
        };
        let limit = i64::from(self.limit.clamp(1, PAGE_SIZE_MAX));
        (amount_to_i64(self.timestamp_min), max, limit)
    }

    fn order(&self) -> &'static str {
        if self.reversed { "DESC" } else { "ASC" }
    }
}

/// Reads the ledger from either store.
#[derive(Clone, Debug)]
pub struct Reader {
    db: Db,
    /// The running embedded ledger's committed state, when there is one.
    memory: Option<Arc<RwLock<Memory>>>,
}

impl Reader {
    /// Reads from `db` with SQL alone.
    pub fn new(db: Db) -> Self {
        Self { db, memory: None }
    }

    /// Reads a running embedded ledger from memory (the check still reads the file).
    pub(crate) fn with_memory(db: Db, memory: Arc<RwLock<Memory>>) -> Self {
        Self {
            db,
            memory: Some(memory),
        }
    }

    /// An account by id.
    pub async fn account(&self, id: u128) -> Result<Option<Account>, StoreError> {
        match (&self.memory, &self.db) {
            (Some(memory), _) => Ok(memory.read().await.ledger.account(id).copied()),
            (None, Db::Sqlite(p)) => Ok(snapshot(p).await?.ledger.account(id).copied()),
            (None, Db::Postgres(p)) => {
                let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = $1");
                let row = sqlx::query_as::<_, AccountRow>(AssertSqlSafe(sql.as_str()))
                    .bind(Uuid::from_u128(id))
                    .fetch_optional(p)
                    .await?;
                row.map(Account::try_from).transpose()
            }
        }
    }

    /// A transfer by id, with its hold status when it is a pending transfer.
    pub async fn transfer(
        &self,
        id: u128,
    ) -> Result<Option<(Transfer, Option<PendingStatus>)>, StoreError> {
        let from_memory = |m: &Memory| {
            let status = m.ledger.pending(id).map(|p| p.status);
            m.ledger.transfer(id).map(|t| (*t, status))
        };
        match (&self.memory, &self.db) {
            (Some(memory), _) => Ok(from_memory(&*memory.read().await)),
            (None, Db::Sqlite(p)) => Ok(from_memory(&snapshot(p).await?)),
            (None, Db::Postgres(p)) => {
                let sql = format!("SELECT {TRANSFER_COLUMNS} FROM ledger_transfers WHERE id = $1");
                let row = sqlx::query_as::<_, TransferRow>(AssertSqlSafe(sql.as_str()))
                    .bind(Uuid::from_u128(id))
                    .fetch_optional(p)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                let (t, pending) = row.into_parts()?;
                Ok(Some((t, pending.map(|p| p.status))))
            }
        }
    }

    /// An account's transfers (as debit or credit) in a time range.
    pub async fn account_transfers(&self, f: &AccountFilter) -> Result<Vec<Transfer>, StoreError> {
        let (min, max, limit) = f.bounds();
        let rows = usize::try_from(limit).unwrap_or(usize::MAX);
        let p = match (&self.memory, &self.db) {
            (Some(memory), _) => return Ok(memory.read().await.account_transfers(f, rows)),
            (None, Db::Sqlite(p)) => return Ok(snapshot(p).await?.account_transfers(f, rows)),
            (None, Db::Postgres(p)) => p,
        };
        let sql = format!(
            "SELECT {TRANSFER_COLUMNS} FROM ledger_transfers \
             WHERE (debit_account_id = $1 OR credit_account_id = $1) AND timestamp >= $2 AND timestamp <= $3 \
             ORDER BY timestamp {}, id LIMIT $4",
            f.order()
        );
        let rows = sqlx::query_as::<_, TransferRow>(AssertSqlSafe(sql.as_str()))
            .bind(Uuid::from_u128(f.account_id))
            .bind(min)
            .bind(max)
            .bind(limit)
            .fetch_all(p)
            .await?;
        rows.into_iter()
            .map(|r| r.into_parts().map(|(t, _)| t))
            .collect()
    }

    /// An account's balance history (accounts with the `history` flag) in a time range.
    pub async fn account_balances(
        &self,
        f: &AccountFilter,
    ) -> Result<Vec<AccountBalance>, StoreError> {
        let (min, max, limit) = f.bounds();
        let sql = format!(
            "SELECT account_id, timestamp, debits_pending, debits_posted, credits_pending, credits_posted \
             FROM ledger_account_balances WHERE account_id = $1 AND timestamp >= $2 AND timestamp <= $3 \
             ORDER BY timestamp {} LIMIT $4",
            f.order()
        );
        let id = Uuid::from_u128(f.account_id);
        let rows = match &self.db {
            Db::Sqlite(p) => {
                sqlx::query_as::<_, BalanceRow>(AssertSqlSafe(sql.as_str()))
                    .bind(id)
                    .bind(min)
                    .bind(max)
                    .bind(limit)
                    .fetch_all(p)
                    .await?
            }
            Db::Postgres(p) => {
                sqlx::query_as::<_, BalanceRow>(AssertSqlSafe(sql.as_str()))
                    .bind(id)
                    .bind(min)
                    .bind(max)
                    .bind(limit)
                    .fetch_all(p)
                    .await?
            }
        };
        rows.into_iter().map(AccountBalance::try_from).collect()
    }

    /// Checks every invariant over the whole store, as stored (never from memory).
    pub async fn check(&self) -> Result<Report, StoreError> {
        let mut checker = Checker::new();
        match &self.db {
            Db::Sqlite(p) => {
                // In WAL mode a read transaction sees one snapshot for every read.
                let mut tx = p.begin().await?;
                let stored = crate::sqlite::ledger::load(&mut tx).await?;
                tx.commit().await?;
                for account in stored.accounts {
                    checker.account(account);
                }
                for (t, pending) in stored.transfers {
                    feed_transfer(&mut checker, t, pending);
                }
            }
            Db::Postgres(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .execute(&mut *tx)
                    .await?;
                let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts");
                let rows = sqlx::query_as::<_, AccountRow>(AssertSqlSafe(sql.as_str()))
                    .fetch_all(&mut *tx)
                    .await?;
                for row in rows {
                    checker.account(Account::try_from(row)?);
                }
                let sql = format!("SELECT {TRANSFER_COLUMNS} FROM ledger_transfers");
                let mut rows =
                    sqlx::query_as::<_, TransferRow>(AssertSqlSafe(sql.as_str())).fetch(&mut *tx);
                while let Some(row) = rows.try_next().await? {
                    let (t, pending) = row.into_parts()?;
                    feed_transfer(&mut checker, t, pending);
                }
                drop(rows);
                tx.commit().await?;
            }
        }
        Ok(checker.finish())
    }
}

/// An embedded store read whole, for reads without a running ledger (the command line).
async fn snapshot(pool: &SqlitePool) -> Result<Memory, StoreError> {
    let mut tx = pool.begin().await?;
    let stored = crate::sqlite::ledger::load(&mut tx).await?;
    tx.commit().await?;
    Ok(Memory::new(stored.into_ledger()))
}

fn feed_transfer(checker: &mut Checker, t: Transfer, pending: Option<Pending>) {
    if let Some(p) = pending {
        checker.pending_status(t.id, p.status);
    }
    checker.transfer(t);
}
