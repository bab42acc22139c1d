//! Session activity written behind: the last-seen instants of many sessions in one transaction
//! (docs/rewards.md, "Sessions"). Only `last_seen_at_ns` is written, and only forward, so a
//! logout or a rotation written meanwhile is never undone.

use cardlife_customers::SessionId;
use jiff::Timestamp;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;

/// Moves each session's last activity forward to the instant given (never back).
pub async fn touch_sessions(db: &Db, touched: &[(SessionId, Timestamp)]) -> Result<(), StoreError> {
    if touched.is_empty() {
        return Ok(());
    }
    let sql = "UPDATE customer_sessions SET last_seen_at_ns = \
               CASE WHEN last_seen_at_ns < $2 THEN $2 ELSE last_seen_at_ns END WHERE id = $1";
    on_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        for (id, at) in touched {
            let ns = i64::try_from(at.as_nanosecond()).unwrap_or(i64::MAX);
            sqlx::query(sql)
                .bind(id.as_uuid().to_string())
                .bind(ns)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}
