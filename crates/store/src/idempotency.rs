//! Idempotency keys of money-moving requests: the first request with a key claims it (a row
//! with no response yet), runs, and stores its response; a retry with the same key and the
//! same request gets the stored response; the same key with another request is refused; a
//! retry while the first is still running is told so.

use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::error::StoreError;

/// The longest key accepted, in bytes.
pub const IDEMPOTENCY_KEY_LEN_MAX: usize = 255;

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new and now claimed: run the request, then [`finish`] or [`release`].
    Fresh,
    /// The same request already ran: its stored status and body.
    Replay {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: String,
    },
    /// The key was used for a different request.
    Reused,
    /// The same request is still running.
    InFlight,
}

/// SHA-256 of the request, hex.
pub fn request_hash(request: &[u8]) -> String {
    Sha256::digest(request)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

/// Claims `key` for the request hashed `hash` in `scope` (the caller: a customer, or the
/// internal API).
pub async fn claim(db: &Db, scope: &str, key: &str, hash: &str) -> Result<Claim, StoreError> {
    let insert = "INSERT INTO idempotency_keys (scope, key, request_hash, status, body) \
         VALUES ($1, $2, $3, NULL, NULL) ON CONFLICT (scope, key) DO NOTHING";
    let inserted = on_pool!(db, pool => {
        sqlx::query(insert).bind(scope).bind(key).bind(hash).execute(pool).await?.rows_affected()
    });
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let select =
        "SELECT request_hash, status, body FROM idempotency_keys WHERE scope = $1 AND key = $2";
    let row: Option<(String, Option<i64>, Option<String>)> = on_pool!(db, pool => {
        sqlx::query_as(select).bind(scope).bind(key).fetch_optional(pool).await?
    });
    Ok(match row {
        // Released between the insert and the read: the caller may retry.
        None => Claim::InFlight,
        Some((stored, _, _)) if stored != hash => Claim::Reused,
        Some((_, Some(status), Some(body))) => Claim::Replay {
            status: u16::try_from(status).map_err(|_| StoreError::Corrupt("idempotency status"))?,
            body,
        },
        Some(_) => Claim::InFlight,
    })
}

/// Stores the response of a claimed key.
pub async fn finish(
    db: &Db,
    scope: &str,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), StoreError> {
    let sql = "UPDATE idempotency_keys SET status = $1, body = $2 WHERE scope = $3 AND key = $4";
    on_pool!(db, pool => {
        sqlx::query(sql).bind(i64::from(status)).bind(body).bind(scope).bind(key).execute(pool).await?;
    });
    Ok(())
}

/// Releases a claimed key whose request was refused (a refused request writes nothing, so a
/// corrected retry may use the same key).
pub async fn release(db: &Db, scope: &str, key: &str) -> Result<(), StoreError> {
    let sql = "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status IS NULL";
    on_pool!(db, pool => { sqlx::query(sql).bind(scope).bind(key).execute(pool).await?; });
    Ok(())
}
