//! The shared ledger on PostgreSQL: any number of processes, no balance trusted from memory.
//!
//! Each group commit is one transaction: it reads the holds the batch names (to learn their
//! accounts), locks every account it touches in id order (so two processes never deadlock),
//! reads the transfers it needs under those locks, loads them into a fresh [`Ledger`], applies
//! the batches with the same state machine as the embedded store, writes what changed with
//! array (`UNNEST`) statements, and commits once. A conflict another process won (a unique id
//! inserted first, a serialization failure, a deadlock) retries the whole commit a bounded
//! number of times; the retry then sees the winner's rows, so a replayed id answers `exists`.

use std::collections::BTreeSet;
use std::time::Duration;

use cardlife_ledger::{
    Account, AccountBalance, ChangeSet, Ledger, PendingStatus, Transfer, TransferFlags,
};
use sqlx::AssertSqlSafe;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::error::StoreError;
use crate::ledger::{Backend, Batch, Outcome, apply, credit_appends, durability};
use crate::rows::{
    ACCOUNT_COLUMNS, AccountRow, TRANSFER_COLUMNS, TransferRow, amount_to_i64, bits_to_i64, uuid,
};

/// Attempts of one commit before giving up on contention.
const ATTEMPTS_MAX: u32 = 8;
/// Holds one sweep releases at most.
const SWEEP_ROWS_MAX: i64 = 1000;

/// The PostgreSQL writer of one process.
#[derive(Debug)]
pub(crate) struct SharedLedger {
    pool: PgPool,
    last_timestamp: u64,
}

impl SharedLedger {
    pub(crate) fn new(pool: PgPool) -> Self {
        Self {
            pool,
            last_timestamp: 0,
        }
    }

    async fn try_commit(
        &mut self,
        batches: &[Batch],
        now: u64,
    ) -> Result<Vec<Outcome>, StoreError> {
        let mut tx = self
            .pool
            .begin_with(durability(batches).postgres_begin())
            .await?;
        // Credit events and their keys first: a command whose key was taken applies nothing.
        let written =
            crate::credit::writer::write_postgres(&mut tx, &credit_appends(batches)).await?;
        let mut accounts = BTreeSet::new();
        let mut transfers = BTreeSet::new();
        let mut named = |list: &[Transfer], accounts: &mut BTreeSet<u128>| {
            for t in list {
                accounts.extend(
                    [t.debit_account_id, t.credit_account_id]
                        .into_iter()
                        .filter(|id| *id != 0),
                );
                transfers.extend([t.id, t.pending_id].into_iter().filter(|id| *id != 0));
            }
        };
        let mut due = Vec::new();
        for b in batches {
            match b {
                Batch::Accounts(list) => accounts.extend(list.iter().map(|a| a.id)),
                Batch::Transfers(list) => named(list, &mut accounts),
                Batch::Credit(m) => {
                    accounts.extend(m.accounts.iter().map(|a| a.id));
                    named(&m.transfers, &mut accounts);
                }
                Batch::Sweep => due.extend(due_holds(&mut tx, now).await?),
            }
        }
        transfers.extend(due);
        // Holds name their accounts; lock those too so settling them is safe.
        for (debit, credit) in hold_accounts(&mut tx, &transfers).await? {
            accounts.extend([debit, credit]);
        }
        let mut ledger = Ledger::new();
        ledger.observe_timestamp(self.last_timestamp);
        let (locked, updated_at) = lock_accounts(&mut tx, &accounts).await?;
        ledger.observe_timestamp(updated_at);
        for a in locked {
            ledger.load_account(a);
        }
        for (t, pending) in read_transfers(&mut tx, &transfers).await? {
            ledger.load_transfer(t, pending);
        }
        let outcomes = apply(&mut ledger, batches, now, &written);
        let changes = ledger.take_changes();
        if !changes.is_empty() {
            write(&mut tx, &changes, &ledger).await?;
        }
        tx.commit().await?;
        self.last_timestamp = ledger.last_timestamp();
        Ok(outcomes)
    }
}

impl Backend for SharedLedger {
    async fn commit(&mut self, batches: &[Batch], now: u64) -> Result<Vec<Outcome>, StoreError> {
        for attempt in 1..=ATTEMPTS_MAX {
            match self.try_commit(batches, now).await {
                Err(StoreError::Database(e)) if is_conflict(&e) && attempt < ATTEMPTS_MAX => {
                    metrics::counter!("cardlife_ledger_commit_retries_total").increment(1);
                    tokio::time::sleep(Duration::from_millis(u64::from(attempt) * 2)).await;
                }
                other => return other,
            }
        }
        Err(StoreError::Contention(ATTEMPTS_MAX))
    }
}

/// Unique violation (another process inserted the id first), serialization failure, deadlock.
fn is_conflict(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| matches!(code.as_ref(), "23505" | "40001" | "40P01"))
}

fn uuids(ids: &BTreeSet<u128>) -> Vec<Uuid> {
    ids.iter().map(|id| uuid(*id)).collect()
}

async fn due_holds(tx: &mut Transaction<'_, Postgres>, now: u64) -> Result<Vec<u128>, StoreError> {
    let rows: Vec<(Uuid,)> = sqlx::query_as(
        "SELECT id FROM ledger_transfers WHERE pending_status = 0 AND expires_at > 0 AND expires_at <= $1 \
         ORDER BY expires_at LIMIT $2",
    )
    .bind(amount_to_i64(now))
    .bind(SWEEP_ROWS_MAX)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id.as_u128()).collect())
}

async fn hold_accounts(
    tx: &mut Transaction<'_, Postgres>,
    ids: &BTreeSet<u128>,
) -> Result<Vec<(u128, u128)>, StoreError> {
    let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT debit_account_id, credit_account_id FROM ledger_transfers \
         WHERE id = ANY($1) AND pending_status IS NOT NULL",
    )
    .bind(uuids(ids))
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(d, c)| (d.as_u128(), c.as_u128()))
        .collect())
}

/// Locks the accounts in id order; returns them and the latest commit timestamp among them.
async fn lock_accounts(
    tx: &mut Transaction<'_, Postgres>,
    ids: &BTreeSet<u128>,
) -> Result<(Vec<Account>, u64), StoreError> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS}, updated_at FROM ledger_accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE"
    );
    let rows = sqlx::query_as::<_, LockedRow>(AssertSqlSafe(sql.as_str()))
        .bind(uuids(ids))
        .fetch_all(&mut **tx)
        .await?;
    let updated_at = rows.iter().map(|r| r.updated_at).max().unwrap_or(0);
    let accounts = rows
        .into_iter()
        .map(|r| Account::try_from(r.account))
        .collect::<Result<_, _>>()?;
    Ok((accounts, u64::try_from(updated_at).unwrap_or(0)))
}

#[derive(sqlx::FromRow)]
struct LockedRow {
    #[sqlx(flatten)]
    account: AccountRow,
    updated_at: i64,
}

async fn read_transfers(
    tx: &mut Transaction<'_, Postgres>,
    ids: &BTreeSet<u128>,
) -> Result<Vec<(Transfer, Option<cardlife_ledger::Pending>)>, StoreError> {
    let sql = format!("SELECT {TRANSFER_COLUMNS} FROM ledger_transfers WHERE id = ANY($1)");
    let rows = sqlx::query_as::<_, TransferRow>(AssertSqlSafe(sql.as_str()))
        .bind(uuids(ids))
        .fetch_all(&mut **tx)
        .await?;
    rows.into_iter().map(TransferRow::into_parts).collect()
}

async fn write(
    tx: &mut Transaction<'_, Postgres>,
    c: &ChangeSet,
    ledger: &Ledger,
) -> Result<(), StoreError> {
    let stamp = amount_to_i64(ledger.last_timestamp());
    if !c.new_accounts.is_empty() {
        insert_accounts(tx, &c.new_accounts, stamp).await?;
    }
    if !c.updated_accounts.is_empty() {
        update_accounts(tx, &c.updated_accounts, stamp).await?;
    }
    if !c.transfers.is_empty() {
        insert_transfers(tx, &c.transfers, ledger).await?;
    }
    if !c.pending_updates.is_empty() {
        update_pending(tx, &c.pending_updates).await?;
    }
    if !c.history.is_empty() {
        insert_history(tx, &c.history).await?;
    }
    Ok(())
}

fn col<T, U>(rows: &[T], f: impl Fn(&T) -> U) -> Vec<U> {
    rows.iter().map(f).collect()
}

async fn insert_accounts(
    tx: &mut Transaction<'_, Postgres>,
    a: &[Account],
    stamp: i64,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO ledger_accounts ({ACCOUNT_COLUMNS}, updated_at) SELECT *, $13 FROM UNNEST($1::uuid[], \
         $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::int8[], $9::uuid[], \
         $10::int8[], $11::int8[], $12::int8[])"
    );
    sqlx::query(AssertSqlSafe(sql.as_str()))
        .bind(col(a, |a| uuid(a.id)))
        .bind(col(a, |a| i64::from(a.ledger)))
        .bind(col(a, |a| i64::from(a.code)))
        .bind(col(a, |a| i64::from(a.flags.bits())))
        .bind(col(a, |a| amount_to_i64(a.debits_pending)))
        .bind(col(a, |a| amount_to_i64(a.debits_posted)))
        .bind(col(a, |a| amount_to_i64(a.credits_pending)))
        .bind(col(a, |a| amount_to_i64(a.credits_posted)))
        .bind(col(a, |a| uuid(a.user_data_128)))
        .bind(col(a, |a| bits_to_i64(a.user_data_64)))
        .bind(col(a, |a| i64::from(a.user_data_32)))
        .bind(col(a, |a| amount_to_i64(a.timestamp)))
        .bind(stamp)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn update_accounts(
    tx: &mut Transaction<'_, Postgres>,
    a: &[Account],
    stamp: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE ledger_accounts AS a SET flags = u.flags, debits_pending = u.dp, debits_posted = u.dpo, \
         credits_pending = u.cp, credits_posted = u.cpo, updated_at = $7 \
         FROM UNNEST($1::uuid[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[]) \
         AS u(id, flags, dp, dpo, cp, cpo) WHERE a.id = u.id",
    )
    .bind(col(a, |a| uuid(a.id)))
    .bind(col(a, |a| i64::from(a.flags.bits())))
    .bind(col(a, |a| amount_to_i64(a.debits_pending)))
    .bind(col(a, |a| amount_to_i64(a.debits_posted)))
    .bind(col(a, |a| amount_to_i64(a.credits_pending)))
    .bind(col(a, |a| amount_to_i64(a.credits_posted)))
    .bind(stamp)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_transfers(
    tx: &mut Transaction<'_, Postgres>,
    t: &[Transfer],
    ledger: &Ledger,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO ledger_transfers ({TRANSFER_COLUMNS}) SELECT * FROM UNNEST($1::uuid[], $2::uuid[], \
         $3::uuid[], $4::int8[], $5::uuid[], $6::uuid[], $7::int8[], $8::int8[], $9::int8[], $10::int8[], \
         $11::int8[], $12::int8[], $13::int8[], $14::int8[], $15::int8[])"
    );
    let pending = |t: &Transfer| {
        t.flags
            .contains(TransferFlags::PENDING)
            .then(|| ledger.pending(t.id))
            .flatten()
    };
    sqlx::query(AssertSqlSafe(sql.as_str()))
        .bind(col(t, |t| uuid(t.id)))
        .bind(col(t, |t| uuid(t.debit_account_id)))
        .bind(col(t, |t| uuid(t.credit_account_id)))
        .bind(col(t, |t| amount_to_i64(t.amount)))
        .bind(col(t, |t| uuid(t.pending_id)))
        .bind(col(t, |t| uuid(t.user_data_128)))
        .bind(col(t, |t| bits_to_i64(t.user_data_64)))
        .bind(col(t, |t| i64::from(t.user_data_32)))
        .bind(col(t, |t| i64::from(t.timeout)))
        .bind(col(t, |t| i64::from(t.ledger)))
        .bind(col(t, |t| i64::from(t.code)))
        .bind(col(t, |t| i64::from(t.flags.bits())))
        .bind(col(t, |t| amount_to_i64(t.timestamp)))
        .bind(col(t, |t| pending(t).map(|p| i64::from(p.status.code()))))
        .bind(col(t, |t| {
            pending(t).map_or(0, |p| amount_to_i64(p.expires_at))
        }))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn update_pending(
    tx: &mut Transaction<'_, Postgres>,
    u: &[(u128, PendingStatus)],
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE ledger_transfers AS t SET pending_status = u.status \
         FROM UNNEST($1::uuid[], $2::int8[]) AS u(id, status) WHERE t.id = u.id",
    )
    .bind(col(u, |(id, _)| uuid(*id)))
    .bind(col(u, |(_, s)| i64::from(s.code())))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_history(
    tx: &mut Transaction<'_, Postgres>,
    h: &[AccountBalance],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ledger_account_balances (account_id, timestamp, debits_pending, debits_posted, \
         credits_pending, credits_posted) SELECT * FROM UNNEST($1::uuid[], $2::int8[], $3::int8[], \
         $4::int8[], $5::int8[], $6::int8[]) ON CONFLICT DO NOTHING",
    )
    .bind(col(h, |r| uuid(r.account_id)))
    .bind(col(h, |r| amount_to_i64(r.timestamp)))
    .bind(col(h, |r| amount_to_i64(r.debits_pending)))
    .bind(col(h, |r| amount_to_i64(r.debits_posted)))
    .bind(col(h, |r| amount_to_i64(r.credits_pending)))
    .bind(col(h, |r| amount_to_i64(r.credits_posted)))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
