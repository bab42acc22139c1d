//! Storage for cardlife: embedded SQLite (the default) and PostgreSQL, chosen by the scheme of
//! the database URL, with one migration folder per backend applied at start-up.
//!
//! - [`db`]: opening a store, checking the embedded one is durable, migrating.
//! - [`ledger`]: the ledger service — the group committer in front of two writers (embedded:
//!   the whole ledger in memory, appended to SQLite; PostgreSQL: lock, apply, write per commit)
//!   and the reads both share.
//! - [`customers`]: customers, one-time-code challenges and sessions.
//! - [`loans`], [`debit_cards`], [`idempotency`]: consumer loans and credit lines as event
//!   histories, the debit cards they pay to, and the idempotency keys of money-moving requests.
//! - `rows`: the row types both backends decode.

mod both;
pub mod customers;
pub mod db;
pub mod debit_cards;
pub mod error;
pub mod idempotency;
pub mod ledger;
pub mod loans;
mod postgres;
mod rows;
mod sqlite;

pub use db::{DEFAULT_DATABASE_URL, Db};
pub use error::StoreError;
pub use ledger::{AccountFilter, LedgerOptions, LedgerService, PAGE_SIZE_MAX, Reader};
