//! The peer every ledger figure is divided by: a double-entry ledger written the obvious way on
//! the same database — each transfer reads both accounts, updates both balances and inserts a
//! row, in its own transaction (or one transaction per batch), at the same durability.

use cardlife_ledger::Transfer;
use cardlife_store::Db;
use sqlx::{Connection, PgPool, SqlitePool};
use uuid::Uuid;

/// The obvious ledger on one store.
#[derive(Debug, Clone)]
pub struct Baseline {
    db: Db,
    /// SQLite takes one writer at a time; callers queue here rather than in SQLite's
    /// sleeping busy handler, as a sensible SQLite application would.
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

const SQLITE_SCHEMA: [&str; 2] = [
    "CREATE TABLE accounts (id BLOB PRIMARY KEY, debits_posted INTEGER NOT NULL, credits_posted INTEGER NOT NULL)",
    "CREATE TABLE transfers (id BLOB PRIMARY KEY, debit_account_id BLOB NOT NULL, \
     credit_account_id BLOB NOT NULL, amount INTEGER NOT NULL, created_at INTEGER NOT NULL)",
];
const PG_SCHEMA: [&str; 2] = [
    "CREATE TABLE accounts (id UUID PRIMARY KEY, debits_posted BIGINT NOT NULL, credits_posted BIGINT NOT NULL)",
    "CREATE TABLE transfers (id UUID PRIMARY KEY, debit_account_id UUID NOT NULL, \
     credit_account_id UUID NOT NULL, amount BIGINT NOT NULL, created_at BIGINT NOT NULL)",
];

impl Baseline {
    /// Creates the schema and `accounts` accounts with ids 1..=accounts.
    pub async fn create(db: Db, accounts: u128) -> anyhow::Result<Self> {
        let ids: Vec<Uuid> = (1..=accounts).map(Uuid::from_u128).collect();
        match &db {
            Db::Sqlite(p) => {
                for sql in SQLITE_SCHEMA {
                    sqlx::query(sql).execute(p).await?;
                }
                let mut tx = p.begin().await?;
                for id in &ids {
                    sqlx::query("INSERT INTO accounts VALUES ($1, 0, 0)")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
            Db::Postgres(p) => {
                for sql in PG_SCHEMA {
                    sqlx::query(sql).execute(p).await?;
                }
                sqlx::query(
                    "INSERT INTO accounts SELECT id, 0, 0 FROM UNNEST($1::uuid[]) AS u(id)",
                )
                .bind(&ids)
                .execute(p)
                .await?;
            }
        }
        Ok(Self {
            db,
            writer: std::sync::Arc::default(),
        })
    }

    /// Applies one transfer in its own transaction.
    pub async fn transfer_one(&self, t: &Transfer) -> anyhow::Result<()> {
        self.transfer_batch(std::slice::from_ref(t)).await
    }

    /// Applies a batch in one transaction, transfer by transfer.
    pub async fn transfer_batch(&self, batch: &[Transfer]) -> anyhow::Result<()> {
        match &self.db {
            Db::Sqlite(p) => {
                let _writer = self.writer.lock().await;
                sqlite_batch(p, batch).await
            }
            Db::Postgres(p) => pg_batch(p, batch).await,
        }
    }

    /// Whether money is conserved: debits = credits = the sum of transfers, `expected` rows.
    pub async fn check(&self, expected: u64) -> anyhow::Result<bool> {
        let sql = "SELECT (SELECT SUM(debits_posted) FROM accounts) = (SELECT SUM(credits_posted) FROM accounts) \
                   AND (SELECT SUM(credits_posted) FROM accounts) = (SELECT COALESCE(SUM(amount), 0) FROM transfers), \
                   (SELECT COUNT(*) FROM transfers)";
        let (ok, n): (bool, i64) = match &self.db {
            Db::Sqlite(p) => sqlx::query_as(sql).fetch_one(p).await?,
            Db::Postgres(p) => sqlx::query_as(sql).fetch_one(p).await?,
        };
        Ok(ok && u64::try_from(n).ok() == Some(expected))
    }
}

async fn sqlite_batch(p: &SqlitePool, batch: &[Transfer]) -> anyhow::Result<()> {
    let mut conn = p.acquire().await?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    apply_batch::<sqlx::Sqlite>(
        &mut tx,
        batch,
        "SELECT id FROM accounts WHERE id IN ($1, $2)",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn pg_batch(p: &PgPool, batch: &[Transfer]) -> anyhow::Result<()> {
    let mut tx = p.begin().await?;
    let lock = "SELECT id FROM accounts WHERE id IN ($1, $2) ORDER BY id FOR UPDATE";
    apply_batch::<sqlx::Postgres>(&mut tx, batch, lock).await?;
    tx.commit().await?;
    Ok(())
}

/// Transfer by transfer inside the caller's transaction: read (and on PostgreSQL lock) both
/// accounts with `lock`, update both balances, insert the row. The same SQL on both stores.
async fn apply_batch<DB>(
    conn: &mut DB::Connection,
    batch: &[Transfer],
    lock: &'static str,
) -> anyhow::Result<()>
where
    DB: sqlx::Database,
    for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
    for<'q> Uuid: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'r> (Uuid,): sqlx::FromRow<'r, DB::Row>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    for t in batch {
        let (debit, credit) = (
            Uuid::from_u128(t.debit_account_id),
            Uuid::from_u128(t.credit_account_id),
        );
        let found: Vec<(Uuid,)> = sqlx::query_as(lock)
            .bind(debit)
            .bind(credit)
            .fetch_all(&mut *conn)
            .await?;
        anyhow::ensure!(found.len() == 2, "unknown account");
        let amount = i64::try_from(t.amount)?;
        sqlx::query("UPDATE accounts SET debits_posted = debits_posted + $1 WHERE id = $2")
            .bind(amount)
            .bind(debit)
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE accounts SET credits_posted = credits_posted + $1 WHERE id = $2")
            .bind(amount)
            .bind(credit)
            .execute(&mut *conn)
            .await?;
        sqlx::query("INSERT INTO transfers VALUES ($1, $2, $3, $4, $5)")
            .bind(Uuid::from_u128(t.id))
            .bind(debit)
            .bind(credit)
            .bind(amount)
            .bind(i64::try_from(t.id % (1 << 62))?)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
