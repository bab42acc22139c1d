//! When a commit may answer: once on disk, or once a later commit carries it there.
//!
//! Both stores write their log in order: SQLite's write-ahead log is appended frame after frame
//! under checksums that chain each frame to the ones before, and PostgreSQL's WAL is flushed up
//! to a position. A commit that is on disk therefore brings every commit logged before it, on
//! any connection. A request that commits several times before it answers (the pay path: the
//! booking, the card authorisation, the capture, the order's record) needs only its **last**
//! commit to wait for the disk: the earlier ones are carried by it. What a crash can leave is
//! then any prefix of the request's commits — exactly what it could leave when each commit
//! waited — and nothing answered is ever lost.
//!
//! The price: another request may read a carried commit before it is on disk (as it may read a
//! payment that is still running). Whoever is answered has been answered after a commit that
//! waited. A commit that is not followed by one that waits, before the answer, must be
//! [`Durability::Synced`] — or be written carried and then waited for by the file's log syncer
//! ([`crate::log_sync`]), which syncs the log off the write lock for everyone waiting (a flash
//! sale's claims).

use sqlx::{SqliteConnection, SqlitePool};

use crate::error::StoreError;

/// How a commit meets the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// The commit returns once it is on disk (SQLite `synchronous=FULL`, PostgreSQL
    /// `synchronous_commit=on`).
    Synced,
    /// The commit returns once written to the log, without waiting for the disk (SQLite
    /// `synchronous=NORMAL`, PostgreSQL `synchronous_commit=off`): the caller commits again,
    /// `Synced`, before it answers anyone, and that commit carries this one.
    Carried,
}

impl Durability {
    /// Whether a commit holding `parts` waits for the disk: when any of them must.
    pub fn of_group(parts: impl IntoIterator<Item = Self>) -> Self {
        if parts.into_iter().any(|d| d == Self::Synced) {
            Self::Synced
        } else {
            Self::Carried
        }
    }

    /// The statement that sets an embedded connection to this level (outside a transaction:
    /// SQLite refuses to change it inside one).
    pub(crate) fn sqlite_pragma(self) -> &'static str {
        match self {
            Self::Synced => "PRAGMA synchronous = FULL",
            Self::Carried => "PRAGMA synchronous = NORMAL",
        }
    }

    /// What begins a PostgreSQL transaction at this level, in one round trip: a carried commit
    /// returns before its flush (`SET LOCAL synchronous_commit = off`, sent with the `BEGIN`
    /// rather than as a statement of its own); a synced one keeps the server's default.
    pub(crate) fn postgres_begin(self) -> &'static str {
        match self {
            Self::Synced => "BEGIN",
            Self::Carried => "BEGIN; SET LOCAL synchronous_commit = off",
        }
    }
}

/// A connection taken out of `pool` for a writer of its own (the group writer, the ledger
/// writer, the flash-sale claims writer, the session-activity flush): it never returns to the
/// pool, and the writer closes it.
///
/// Its temporary files stay in memory. A statement that writes many rows inside a longer
/// transaction (a flash sale's claims, a thousand to an `INSERT`; a ledger commit's transfers)
/// may fail half way on a constraint, so SQLite journals the pages it changes in a statement
/// journal; past 64 KiB that journal spilled to a temporary file, opened, written and deleted
/// again at every commit. In a flash sale's sell-out phase that was a tenth of the server's
/// time (docs/benchmarks.md, "flash-sale"); in memory the journal holds one statement's
/// changed pages.
pub(crate) async fn writer_connection(pool: &SqlitePool) -> Result<SqliteConnection, StoreError> {
    let mut conn = pool.acquire().await?.detach();
    sqlx::query("PRAGMA temp_store = MEMORY")
        .execute(&mut conn)
        .await?;
    Ok(conn)
}

/// A [`writer_connection`] set to [`Durability::Carried`]: its commits do not sync the log, and
/// since it never returns to the pool, no other caller commits at that level (a writer whose
/// commits a log sync or a later synced commit takes to disk).
pub(crate) async fn carried_connection(pool: &SqlitePool) -> Result<SqliteConnection, StoreError> {
    let mut conn = writer_connection(pool).await?;
    sqlx::query(Durability::Carried.sqlite_pragma())
        .execute(&mut conn)
        .await?;
    Ok(conn)
}

/// The level an embedded connection of its own is at, so a writer sets it only on a change.
/// `None` until set, and again after a failure left it unknown.
#[derive(Debug, Default)]
pub(crate) struct SqliteLevel(Option<Durability>);

/// What opens a writer's transaction at a level: the level's pragma when the connection is not
/// known to be there (it must run outside a transaction), then `BEGIN IMMEDIATE`. A writer
/// sends these at the head of its transaction's first query, so opening costs no round trip to
/// the connection's thread of its own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opening {
    pragma: Option<&'static str>,
    want: Durability,
}

impl Opening {
    /// The statements, in order.
    pub(crate) fn statements(self) -> impl Iterator<Item = &'static str> {
        self.pragma.into_iter().chain(["BEGIN IMMEDIATE"])
    }

    /// The statements as the head of a multi-statement query's text, each ended by `;`.
    pub(crate) fn prefix(self) -> String {
        self.statements().map(|sql| format!("{sql};\n")).collect()
    }
}

impl SqliteLevel {
    /// The opening of a transaction at `want`; [`Self::opened`] once it ran. Until then the
    /// level counts as unknown (a failed query may or may not have changed it).
    pub(crate) fn opening(&mut self, want: Durability) -> Opening {
        let pragma = (self.0 != Some(want)).then(|| want.sqlite_pragma());
        if pragma.is_some() {
            self.0 = None;
        }
        Opening { pragma, want }
    }

    /// `opening` ran: the connection is at its level.
    pub(crate) fn opened(&mut self, opening: Opening) {
        self.0 = Some(opening.want);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::Durability::{Carried, Synced};
    use super::*;
    use crate::db::Db;

    /// A pragma's value as a number, on a pooled connection or one of a writer's.
    async fn pragma<'c, E: sqlx::SqliteExecutor<'c>>(on: E, name: &str) -> i64 {
        let (value,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
            .fetch_one(on)
            .await
            .unwrap();
        value
    }

    /// A fresh embedded store's pool, and the folder that holds it.
    async fn pool() -> (tempfile::TempDir, SqlitePool) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/d.db", dir.path().display());
        let Db::Sqlite(pool) = Db::open(&url).await.unwrap() else {
            unreachable!("a sqlite URL opens SQLite")
        };
        (dir, pool)
    }

    #[tokio::test]
    async fn a_carried_connection_does_not_sync_and_the_pool_still_does() {
        let (_dir, pool) = pool().await;
        let mut carried = carried_connection(&pool).await.unwrap();
        // synchronous: 1 NORMAL, 2 FULL.
        assert_eq!(pragma(&mut carried, "synchronous").await, 1);
        for _ in 0..8 {
            assert_eq!(pragma(&pool, "synchronous").await, 2);
        }
    }

    #[tokio::test]
    async fn a_writers_connection_keeps_its_temporary_files_in_memory_and_the_pools_do_not() {
        let (_dir, pool) = pool().await;
        // temp_store: 0 the build's default (files), 2 memory.
        let mut writer = writer_connection(&pool).await.unwrap();
        assert_eq!(pragma(&mut writer, "temp_store").await, 2);
        let mut carried = carried_connection(&pool).await.unwrap();
        assert_eq!(pragma(&mut carried, "temp_store").await, 2);
        for _ in 0..8 {
            assert_eq!(pragma(&pool, "temp_store").await, 0);
        }
    }

    #[test]
    fn a_group_waits_for_the_disk_when_any_part_must() {
        assert_eq!(Durability::of_group([Carried, Carried]), Carried);
        assert_eq!(Durability::of_group([Carried, Synced, Carried]), Synced);
        assert_eq!(Durability::of_group([Synced]), Synced);
        // Nothing to carry: nobody is answered by an empty group, nothing needs the disk.
        assert_eq!(Durability::of_group([]), Carried);
    }
}
