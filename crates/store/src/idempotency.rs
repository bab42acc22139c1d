//! Idempotency keys of money-moving requests, on either backend (docs/loans.md, "Idempotency").
//!
//! A small, self-contained helper: one row per `(scope, key)`. [`IdempotencyStore::begin`]
//! claims the key by inserting the row with the request's hash (the unique key makes exactly
//! one concurrent caller the winner); the winner runs the request and either
//! [`IdempotencyStore::finish`]es (stores the answer) or [`IdempotencyStore::release`]s the key
//! (the request changed nothing, so a retry may run it again). Everyone else gets the stored
//! answer, `InFlight`, or `Mismatch` when the same key came with another request.

use jiff::Timestamp;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new and now held by this caller: run the request.
    Claimed,
    /// The same request finished before: its status and body.
    Done {
        /// The HTTP status answered.
        status: u16,
        /// The body answered.
        response: String,
    },
    /// The same request is running now (a concurrent duplicate).
    InFlight,
    /// The key was used with a different request.
    Mismatch,
}

/// The `idempotency_keys` table.
#[derive(Debug, Clone)]
pub struct IdempotencyStore {
    db: Db,
}

fn ns(t: Timestamp) -> i64 {
    i64::try_from(t.as_nanosecond()).unwrap_or(i64::MAX)
}

impl IdempotencyStore {
    /// The table of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Claims `key` in `scope` for the request hashing to `hash`, or says who has it.
    pub async fn begin(
        &self,
        scope: &str,
        key: &str,
        hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<Claim, StoreError> {
        let insert = "INSERT INTO idempotency_keys (scope, idem_key, request_hash, created_at_ns) \
                      VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
        let inserted = on_pool!(&self.db, |pool| {
            sqlx::query(insert)
                .bind(scope)
                .bind(key)
                .bind(hash.as_slice())
                .bind(ns(now))
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        if inserted == 1 {
            return Ok(Claim::Claimed);
        }
        // Released between our insert and this read: the caller may retry.
        Ok(self
            .peek(scope, key, hash)
            .await?
            .unwrap_or(Claim::InFlight))
    }

    /// What is stored under `key` in `scope` for the request hashing to `hash`, without
    /// claiming it: `None` when the key is free.
    pub async fn peek(
        &self,
        scope: &str,
        key: &str,
        hash: &[u8; 32],
    ) -> Result<Option<Claim>, StoreError> {
        let select = "SELECT request_hash, status, response FROM idempotency_keys \
                      WHERE scope = $1 AND idem_key = $2";
        let row: Option<(Vec<u8>, Option<i64>, Option<String>)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(select)
                .bind(scope)
                .bind(key)
                .fetch_optional(pool)
                .await
        })?;
        Ok(match row {
            None => None,
            Some((stored, _, _)) if stored.as_slice() != hash.as_slice() => Some(Claim::Mismatch),
            Some((_, Some(status), Some(response))) => Some(Claim::Done {
                status: u16::try_from(status).map_err(|_| StoreError::Corrupt("status"))?,
                response,
            }),
            Some(_) => Some(Claim::InFlight),
        })
    }

    /// Stores the answer of a claimed key.
    pub async fn finish(
        &self,
        scope: &str,
        key: &str,
        status: u16,
        response: &str,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE idempotency_keys SET status = $3, response = $4 \
                   WHERE scope = $1 AND idem_key = $2";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(scope)
                .bind(key)
                .bind(i64::from(status))
                .bind(response)
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Forgets a claimed key whose request changed nothing (refused or failed before writing).
    pub async fn release(&self, scope: &str, key: &str) -> Result<(), StoreError> {
        let sql = "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 \
                   AND status IS NULL";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(scope)
                .bind(key)
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }
}
