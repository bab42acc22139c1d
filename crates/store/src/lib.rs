//! Storage for cardlife: embedded SQLite (the default) and PostgreSQL, chosen by the scheme of
//! the database URL, with one migration folder per backend applied at start-up.
//!
//! - [`db`]: opening a store, checking the embedded one is durable, migrating.
//! - [`ledger`]: the ledger service — the group committer in front of two writers (embedded:
//!   the whole ledger in memory, appended to SQLite; PostgreSQL: lock, apply, write per commit)
//!   and the reads both share.
//! - [`statement_run`]: the batch statement run, a cycle's posted lines to statement rows for
//!   every account at once, and the plain-SQL baseline it is measured against.
//! - `rows`: the row types both backends decode.

pub mod db;
pub mod error;
pub mod ledger;
mod postgres;
mod rows;
mod sqlite;
pub mod statement_run;

pub use db::{DEFAULT_DATABASE_URL, Db};
pub use error::StoreError;
pub use ledger::{AccountFilter, LedgerOptions, LedgerService, PAGE_SIZE_MAX, Reader};
