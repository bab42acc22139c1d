//! The embedded ledger: the whole ledger in memory, each group commit appended to SQLite.
//!
//! One process owns the file. At start-up every account and transfer is loaded into a
//! [`Ledger`]; afterwards the state machine decides in memory and each commit writes only what
//! changed: new transfers (appends, keyed by their strictly increasing timestamp) and the final
//! balances of the accounts touched, once per commit however often they were touched. This is
//! why a hot account costs nothing here. If a commit fails the memory is rebuilt from the file,
//! so memory never holds what the disk does not.

use cardlife_ledger::{Account, AccountBalance, ChangeSet, Ledger, PendingStatus, Transfer, TransferFlags};
use futures_util::TryStreamExt;
use sqlx::{AssertSqlSafe, Connection, QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

use crate::error::StoreError;
use crate::ledger::{Backend, Batch, Outcome};
use crate::rows::{
    ACCOUNT_COLUMNS, AccountRow, TRANSFER_COLUMNS, TransferRow, amount_to_i64, bits_to_i64, uuid,
};

/// Rows per multi-row statement (SQLite allows 32,766 bound values per statement).
const ROWS_PER_STATEMENT: usize = 500;

/// The embedded writer's state.
#[derive(Debug)]
pub(crate) struct EmbeddedLedger {
    conn: SqliteConnection,
    ledger: Ledger,
}

impl EmbeddedLedger {
    /// Takes a connection of its own and loads the ledger.
    pub(crate) async fn open(pool: &SqlitePool) -> Result<Self, StoreError> {
        let mut conn = pool.acquire().await?.detach();
        let ledger = load(&mut conn).await?;
        tracing::info!(
            accounts = ledger.accounts().count(),
            transfers = ledger.transfers().count(),
            "embedded ledger loaded"
        );
        Ok(Self { conn, ledger })
    }
}

async fn load(conn: &mut SqliteConnection) -> Result<Ledger, StoreError> {
    let mut ledger = Ledger::new();
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts");
    let mut rows = sqlx::query_as::<_, AccountRow>(AssertSqlSafe(sql.as_str())).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        ledger.load_account(Account::try_from(row)?);
    }
    drop(rows);
    let sql = format!("SELECT {TRANSFER_COLUMNS} FROM ledger_transfers");
    let mut rows = sqlx::query_as::<_, TransferRow>(AssertSqlSafe(sql.as_str())).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        let (transfer, pending) = row.into_parts()?;
        ledger.load_transfer(transfer, pending);
    }
    drop(rows);
    let (last,): (Option<i64>,) = sqlx::query_as("SELECT MAX(timestamp) FROM ledger_account_balances")
        .fetch_one(&mut *conn)
        .await?;
    ledger.observe_timestamp(last.and_then(|t| u64::try_from(t).ok()).unwrap_or(0));
    Ok(ledger)
}

impl Backend for EmbeddedLedger {
    async fn commit(&mut self, batches: &[Batch], now: u64) -> Result<Vec<Outcome>, StoreError> {
        let started = std::time::Instant::now();
        let outcomes = batches
            .iter()
            .map(|b| match b {
                Batch::Accounts(a) => Outcome::Accounts(self.ledger.create_accounts(a, now)),
                Batch::Transfers(t) => Outcome::Transfers(self.ledger.create_transfers(t, now)),
                Batch::Sweep => Outcome::Swept(self.ledger.expire_pending(now)),
            })
            .collect();
        let changes = self.ledger.take_changes();
        if changes.is_empty() {
            return Ok(outcomes);
        }
        let applied = started.elapsed();
        let written = write(&mut self.conn, &changes, &self.ledger).await;
        tracing::debug!(
            transfers = changes.transfers.len(),
            accounts = changes.updated_accounts.len(),
            apply_us = applied.as_micros(),
            write_us = (started.elapsed() - applied).as_micros(),
            "embedded commit"
        );
        if let Err(e) = written {
            // Memory ran ahead of the disk: throw it away and believe the file.
            self.ledger = load(&mut self.conn).await?;
            return Err(e.into());
        }
        Ok(outcomes)
    }
}

async fn write(conn: &mut SqliteConnection, c: &ChangeSet, ledger: &Ledger) -> Result<(), sqlx::Error> {
    let t0 = std::time::Instant::now();
    let mut tx = conn.begin().await?;
    for chunk in c.new_accounts.chunks(ROWS_PER_STATEMENT).chain(c.updated_accounts.chunks(ROWS_PER_STATEMENT)) {
        upsert_accounts(chunk).build().execute(&mut *tx).await?;
    }
    let ta = t0.elapsed();
    for chunk in c.transfers.chunks(ROWS_PER_STATEMENT) {
        insert_transfers(chunk, ledger).build().execute(&mut *tx).await?;
    }
    for chunk in c.pending_updates.chunks(ROWS_PER_STATEMENT) {
        update_pending(chunk).build().execute(&mut *tx).await?;
    }
    for chunk in c.history.chunks(ROWS_PER_STATEMENT) {
        insert_history(chunk).build().execute(&mut *tx).await?;
    }
    let t1 = t0.elapsed();
    let r = tx.commit().await;
    tracing::debug!(accounts_us = ta.as_micros(), statements_us = t1.as_micros(), commit_us = (t0.elapsed() - t1).as_micros(), "embedded write");
    r
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

fn insert_transfers<'a>(transfers: &'a [Transfer], ledger: &'a Ledger) -> QueryBuilder<Sqlite> {
    let mut q = QueryBuilder::new(format!("INSERT INTO ledger_transfers ({TRANSFER_COLUMNS}) "));
    q.push_values(transfers, |mut b, t| {
        let pending = t.flags.contains(TransferFlags::PENDING).then(|| ledger.pending(t.id)).flatten();
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
