//! An open database transaction on either backend, for use cases that must write several rows —
//! the change and its audit entry (docs/merchants.md) — all or nothing.
//!
//! SQLite transactions start with `BEGIN IMMEDIATE`: they take the write lock at once, so two
//! writers never both read and then fail to upgrade (which `busy_timeout` cannot wait out).

use sqlx::{Postgres, Sqlite, Transaction};

use crate::db::Db;
use crate::error::StoreError;

/// An open transaction; dropped without [`Tx::commit`] it rolls back.
#[derive(Debug)]
pub enum Tx {
    /// On the embedded store.
    Sqlite(Transaction<'static, Sqlite>),
    /// On PostgreSQL.
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// Begins a transaction on `db`.
    pub async fn begin(db: &Db) -> Result<Self, StoreError> {
        Ok(match db {
            Db::Sqlite(pool) => Self::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Self::Postgres(pool.begin().await?),
        })
    }

    /// Commits every write made through it.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(t) => t.commit().await?,
            Self::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// Runs `$body` with `$conn` bound to the transaction's connection, whichever backend it is
/// (the body is compiled once per backend, like [`crate::both::on_pool`]).
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::tx::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::tx::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

pub(crate) use on_tx;
