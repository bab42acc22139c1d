//! Storage errors.

/// What went wrong below the domain.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value is out of its range: the store was written by something else.
    #[error("stored {0} is out of range")]
    Corrupt(&'static str),
    /// The database URL names no supported store.
    #[error("unsupported database URL (use sqlite://PATH or postgres://…): {0}")]
    UnsupportedUrl(String),
    /// The embedded store is not configured as durable as required.
    #[error("SQLite must run with journal_mode=wal and synchronous=FULL, found {0}")]
    NotDurable(String),
    /// The ledger writer stopped; no request can be served.
    #[error("the ledger writer is not running")]
    WriterStopped,
    /// A batch has more events than allowed.
    #[error("a batch holds at most {max} events, got {got}")]
    BatchTooLarge {
        /// The limit.
        max: usize,
        /// What was sent.
        got: usize,
    },
    /// The commit holding this batch failed; nothing of it was applied.
    #[error("commit failed: {0}")]
    CommitFailed(String),
    /// A statement of a batch was asked for after one before it failed: it never ran.
    #[error("statement {0} of the batch never ran (one before it failed)")]
    NotRun(usize),
    /// Too many concurrent conflicts; the batch was not applied.
    #[error("gave up after {0} conflicting attempts")]
    Contention(u32),
}

impl StoreError {
    /// Whether the store was closed (`Db::close`, at shutdown): nothing can be written any more.
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Database(sqlx::Error::PoolClosed))
    }
}
