//! Copying the embedded store's write-ahead log back into the database file, off the request
//! path.
//!
//! Left to itself, SQLite checkpoints inside the commit that takes the log past 1,000 pages: that
//! commit writes every page the log holds into the database file and syncs the file before its
//! caller hears back. The ledger writer's connection had long been spared this by a task of its
//! own; the pool's connections (every payment's transactions) were not (docs/benchmarks.md,
//! "Round trips to the store"). Every connection of the store now opens with
//! `wal_autocheckpoint` off ([`crate::db`]), and one task per open store runs a `PASSIVE`
//! checkpoint every [`CHECKPOINT_EVERY`] (the ledger task's interval) on a connection of the
//! pool, on that connection's own thread: commits only ever append to the log and sync it. A passive
//! checkpoint takes no lock a writer or a reader waits for; it copies what no reader still needs,
//! and once it has copied the whole log the next writer starts the log again from its beginning,
//! so the file stays the size a few hundred milliseconds of writes need.
//!
//! The task ends when the pool is closed ([`crate::Db::close`]) or its runtime stops.

use std::time::Duration;

use sqlx::SqlitePool;

/// How many times [`crate::Db::checkpoint`] tries before giving up.
const FULL_CHECKPOINT_TRIES: u32 = 1_000;

/// How often the log is copied back.
pub(crate) const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// Starts the checkpoint task for `pool` on the current runtime.
pub(crate) fn spawn(pool: SqlitePool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if pool.is_closed() {
                return;
            }
            if let Err(e) = checkpoint(&pool).await {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(error = %e, "write-ahead log checkpoint failed; retried next tick");
            }
        }
    });
}

impl crate::Db {
    /// Copies the embedded store's whole write-ahead log into the database file and empties the
    /// log, waiting for readers and writers as needed (`TRUNCATE`); nothing on PostgreSQL. For
    /// a bulk load's end (a benchmark's setup), so what follows starts from a short log.
    /// Another checkpoint under way (the task's) makes SQLite answer busy at once: tried again,
    /// [`FULL_CHECKPOINT_TRIES`] times at most.
    pub async fn checkpoint(&self) -> Result<(), crate::StoreError> {
        let Self::Sqlite(pool) = self else {
            return Ok(());
        };
        for _ in 0..FULL_CHECKPOINT_TRIES {
            let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(pool)
                .await?;
            if busy == 0 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err(crate::StoreError::Contention(FULL_CHECKPOINT_TRIES))
    }
}

/// One passive checkpoint: (frames in the log, frames copied into the database file).
pub(crate) async fn checkpoint(pool: &SqlitePool) -> Result<(i64, i64), sqlx::Error> {
    let (_busy, log, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(pool)
        .await?;
    Ok((log, copied))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::Db;

    async fn open(dir: &tempfile::TempDir) -> (SqlitePool, std::path::PathBuf) {
        let file = dir.path().join("c.db");
        let Db::Sqlite(pool) = Db::open(&format!("sqlite://{}", file.display()))
            .await
            .unwrap()
        else {
            unreachable!("a sqlite URL opens the embedded store")
        };
        (pool, file)
    }

    /// Creates the test table if needed and adds `rows` rows of 4,000 random bytes in one
    /// commit.
    async fn write(pool: &SqlitePool, rows: u32) {
        sqlx::query("CREATE TABLE IF NOT EXISTS t (v BLOB)")
            .execute(pool)
            .await
            .unwrap();
        sqlx::query(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $1) \
             INSERT INTO t SELECT randomblob(4000) FROM s WHERE $1 > 0",
        )
        .bind(i64::from(rows))
        .execute(pool)
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn the_pool_neither_pings_nor_checkpoints_inside_a_commit() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, _) = open(&dir).await;
        // Every connection the pool may hand out, held at once.
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(pool.acquire().await.unwrap());
        }
        for conn in &mut held {
            let (pages,): (i64,) = sqlx::query_as("PRAGMA wal_autocheckpoint")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(pages, 0);
        }
        drop(held);
        // Nor does it ping a connection before handing it out (a round trip to its thread).
        assert!(!pool.options().get_test_before_acquire());
        pool.close().await;
    }

    #[tokio::test]
    async fn the_task_copies_the_log_into_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, file) = open(&dir).await;
        write(&pool, 0).await;
        let before = std::fs::metadata(&file).unwrap().len();
        // ~2,000 pages of 4 KiB in 50 commits: above the 1,000 pages at which a commit would
        // otherwise have checkpointed.
        for _ in 0..50 {
            write(&pool, 40).await;
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let now = std::fs::metadata(&file).unwrap().len();
            if now > before + 4_000 * 1_900 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the database file is still {now} bytes (was {before})"
            );
            tokio::time::sleep(CHECKPOINT_EVERY).await;
        }
        pool.close().await;
    }

    #[tokio::test]
    async fn a_full_checkpoint_empties_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, file) = open(&dir).await;
        write(&pool, 25).await;
        let wal = |f: &std::path::Path| {
            let mut w = f.as_os_str().to_owned();
            w.push("-wal");
            std::fs::metadata(std::path::PathBuf::from(w)).map_or(0, |m| m.len())
        };
        assert!(wal(&file) > 100_000);
        Db::Sqlite(pool.clone()).checkpoint().await.unwrap();
        assert_eq!(wal(&file), 0);
        pool.close().await;
    }
}
