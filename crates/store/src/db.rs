//! Opening a store: the scheme of the database URL picks SQLite or PostgreSQL.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::error::StoreError;

/// The default embedded store: a file under `./data`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/cardlife.db";
/// Connections in a pool (readers; the ledger writer holds one more of its own).
const POOL_CONNECTIONS_MAX: u32 = 8;
/// How long a statement waits on a lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// An open store.
#[derive(Clone, Debug)]
pub enum Db {
    /// Embedded SQLite (one process owns the file).
    Sqlite(SqlitePool),
    /// PostgreSQL (any number of processes may share it).
    Postgres(PgPool),
}

impl Db {
    /// Opens the store at `url`, creating an embedded file (and its folder) when needed, and
    /// verifies the embedded store is durable (WAL, `synchronous=FULL`).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // Plan every statement for the data it meets: a generic plan cached while a table
            // was small would keep scanning it whole after it grew. Never compile a plan: the
            // store's statements each touch a few rows, and a table not yet analysed can make
            // one look dear enough for the JIT, which then spends milliseconds compiling what
            // runs in microseconds (docs/benchmarks.md, "pay").
            let options = PgConnectOptions::from_str(url)?
                .options([("plan_cache_mode", "force_custom_plan"), ("jit", "off")]);
            let pool = PgPoolOptions::new()
                .max_connections(POOL_CONNECTIONS_MAX)
                .acquire_timeout(BUSY_TIMEOUT)
                .connect_with(options)
                .await?;
            return Ok(Self::Postgres(pool));
        }
        if url.starts_with("sqlite:") {
            return open_sqlite(url).await.map(Self::Sqlite);
        }
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }

    /// Applies every migration not yet applied (one folder per backend).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Self::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection.
    pub async fn close(&self) {
        match self {
            Self::Sqlite(pool) => pool.close().await,
            Self::Postgres(pool) => pool.close().await,
        }
    }
}

/// The same PostgreSQL server URL naming another database (tests and benchmarks create fresh ones).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Connection options for an embedded file: WAL, `synchronous=FULL`, foreign keys on, and no
/// checkpoint inside a commit (the pool's own task checkpoints, `crate::checkpoint`).
pub(crate) fn sqlite_options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        .pragma("wal_autocheckpoint", "0"))
}

async fn open_sqlite(url: &str) -> Result<SqlitePool, StoreError> {
    let options = sqlite_options(url)?;
    let path = options.get_filename();
    if let Some(dir) = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(POOL_CONNECTIONS_MAX)
        .acquire_timeout(BUSY_TIMEOUT)
        // A pooled connection to a file in this process cannot have gone away; the ping sqlx
        // sends before handing one out was a round trip to the connection's thread on every
        // read and every transaction (docs/benchmarks.md, "Round trips to the store").
        .test_before_acquire(false)
        // SQLite's own busy handler sleeps whole milliseconds; ours wakes within microseconds of
        // the write lock coming free (`cardlife_sqlite_wait`).
        .after_connect(|conn, _| {
            Box::pin(async move { cardlife_sqlite_wait::install(conn, BUSY_TIMEOUT).await })
        })
        .connect_with(options)
        .await?;
    check_durable(&pool).await?;
    crate::checkpoint::spawn(pool.clone());
    Ok(pool)
}

/// Refuses to run an embedded store that would lose acknowledged writes on power loss.
async fn check_durable(pool: &SqlitePool) -> Result<(), StoreError> {
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(pool)
        .await?;
    let (sync,): (i64,) = sqlx::query_as("PRAGMA synchronous").fetch_one(pool).await?;
    // synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
    if !mode.eq_ignore_ascii_case("wal") || sync < 2 {
        return Err(StoreError::NotDurable(format!(
            "journal_mode={mode}, synchronous={sync}"
        )));
    }
    Ok(())
}
