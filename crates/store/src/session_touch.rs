//! Session activity written behind: the last-seen instants of many sessions in one transaction
//! (docs/rewards.md, "Sessions"). Only `last_seen_at_ns` is written, and only forward, so a
//! logout or a rotation written meanwhile is never undone. Many sessions go in one `UPDATE …
//! FROM` statement with **one** bound parameter — every (session, instant) packed end to end in
//! one blob, cut apart in SQL as the session reads cut their hashes
//! (`crate::customers::session_lookup`): a parameter per value made sqlx resolve each one's name
//! on every execution (`sqlite3_bind_parameter_name` in the flash-sale profile). The work is cut
//! into short transactions ([`TOUCH_ROWS_PER_TX`]) so other writers (a flash sale's claims) are
//! not held behind a long one, and none of them syncs the log ([`touch_sessions`]).

use cardlife_customers::SessionId;
use jiff::Timestamp;

use crate::db::Db;
use crate::durability::{Durability, carried_connection};
use crate::error::StoreError;

/// Sessions per transaction (one statement each).
pub const TOUCH_ROWS_PER_TX: usize = 2_000;

/// Bytes of one packed row: the session id as hyphenated text (36), then the instant in
/// nanoseconds as 20 zero-padded decimal digits.
const ROW_LEN: usize = 56;
const ID_LEN: usize = 36;

const SQLITE: &str = "WITH RECURSIVE h(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM h \
                      WHERE i + 1 < length($1) / 56), \
                      v(id, at) AS (SELECT CAST(substr($1, i * 56 + 1, 36) AS TEXT), \
                      CAST(CAST(substr($1, i * 56 + 37, 20) AS TEXT) AS INTEGER) FROM h) \
                      UPDATE customer_sessions SET last_seen_at_ns = v.at FROM v \
                      WHERE customer_sessions.id = v.id AND customer_sessions.last_seen_at_ns < v.at";

const POSTGRES: &str = "WITH v(id, at) AS (SELECT \
                        convert_from(substring($1::bytea FROM i * 56 + 1 FOR 36), 'UTF8'), \
                        convert_from(substring($1::bytea FROM i * 56 + 37 FOR 20), 'UTF8')::bigint \
                        FROM generate_series(0, length($1::bytea) / 56 - 1) AS i) \
                        UPDATE customer_sessions SET last_seen_at_ns = v.at FROM v \
                        WHERE customer_sessions.id = v.id AND customer_sessions.last_seen_at_ns < v.at";

/// `rows` packed as [`ROW_LEN`]-byte records.
fn packed(rows: &[(SessionId, Timestamp)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() * ROW_LEN);
    for (id, at) in rows {
        let ns = i64::try_from(at.as_nanosecond()).unwrap_or(i64::MAX).max(0);
        let id = id.as_uuid().hyphenated().to_string();
        debug_assert_eq!(id.len(), ID_LEN);
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(format!("{ns:020}").as_bytes());
    }
    out
}

/// Moves each session's last activity forward to the instant given (never back).
///
/// Nobody waits for these commits to reach the disk — a crash may lose a flush's worth of
/// activity anyway — so they do not sync the log ([`Durability::Carried`]): on the embedded
/// store they hold the write lock only while written, and the next commit that syncs takes them
/// to disk. A flush of 2,000 sessions rewrote ~2,000 random pages and synced them under the
/// lock, and a flash sale's claims waited behind it (docs/benchmarks.md, "flash-sale"). On
/// SQLite the flush runs on a connection of its own ([`carried_connection`]).
pub async fn touch_sessions(db: &Db, touched: &[(SessionId, Timestamp)]) -> Result<(), StoreError> {
    match db {
        Db::Sqlite(pool) => {
            let mut conn = carried_connection(pool).await?;
            let result = async {
                for tx_rows in touched.chunks(TOUCH_ROWS_PER_TX) {
                    sqlx::query(SQLITE)
                        .bind(packed(tx_rows))
                        .execute(&mut conn)
                        .await?;
                }
                Ok::<(), StoreError>(())
            }
            .await;
            let _ = sqlx::Connection::close(conn).await;
            result
        }
        Db::Postgres(pool) => {
            for tx_rows in touched.chunks(TOUCH_ROWS_PER_TX) {
                let mut tx = pool
                    .begin_with(Durability::Carried.postgres_begin())
                    .await?;
                sqlx::query(POSTGRES)
                    .bind(packed(tx_rows))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_row_packs_as_its_id_text_then_twenty_digits() {
        let id = SessionId::from_uuid(uuid::Uuid::from_u128(0x0123_4567_89ab_cdef));
        let at = Timestamp::from_nanosecond(1_790_000_000_123_456_789).unwrap();
        let rows = packed(&[(id, at), (id, Timestamp::UNIX_EPOCH)]);
        assert_eq!(rows.len(), 2 * ROW_LEN);
        assert_eq!(&rows[..ID_LEN], b"00000000-0000-0000-0123-456789abcdef");
        assert_eq!(&rows[ID_LEN..ROW_LEN], b"01790000000123456789");
        assert_eq!(&rows[ROW_LEN + ID_LEN..], b"00000000000000000000");
    }
}
