//! Session activity written behind: the last-seen instants of many sessions in one transaction
//! (docs/rewards.md, "Sessions"). Only `last_seen_at_ns` is written, and only forward, so a
//! logout or a rotation written meanwhile is never undone. Many sessions go in one multi-row
//! `UPDATE … FROM` statement, and the work is cut into short transactions
//! ([`TOUCH_ROWS_PER_TX`]) so other writers (a flash sale's claims) are not held behind a long
//! one.

use cardlife_customers::SessionId;
use jiff::Timestamp;
use sqlx::AssertSqlSafe;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;

/// Sessions per statement (2 parameters each).
const TOUCH_ROWS_PER_STATEMENT: usize = 500;
/// Sessions per transaction.
pub const TOUCH_ROWS_PER_TX: usize = 2_000;

/// `WITH v(id, at) AS (VALUES ($1, $2), …) UPDATE customer_sessions … FROM v` for `rows` rows:
/// one text for both backends.
fn touch_sql(rows: usize) -> String {
    let mut sql = String::from("WITH v (id, at) AS (VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(${}, ${})", 2 * r + 1, 2 * r + 2));
    }
    sql.push_str(
        ") UPDATE customer_sessions SET last_seen_at_ns = CASE \
         WHEN customer_sessions.last_seen_at_ns < v.at THEN v.at \
         ELSE customer_sessions.last_seen_at_ns END \
         FROM v WHERE customer_sessions.id = v.id",
    );
    sql
}

/// Moves each session's last activity forward to the instant given (never back).
pub async fn touch_sessions(db: &Db, touched: &[(SessionId, Timestamp)]) -> Result<(), StoreError> {
    for tx_rows in touched.chunks(TOUCH_ROWS_PER_TX) {
        on_pool!(db, |pool| {
            let mut tx = pool.begin().await?;
            for rows in tx_rows.chunks(TOUCH_ROWS_PER_STATEMENT) {
                let sql = touch_sql(rows.len());
                let mut q = sqlx::query(AssertSqlSafe(sql.as_str()));
                for (id, at) in rows {
                    let ns = i64::try_from(at.as_nanosecond()).unwrap_or(i64::MAX);
                    q = q.bind(id.as_uuid().to_string()).bind(ns);
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
    }
    Ok(())
}
