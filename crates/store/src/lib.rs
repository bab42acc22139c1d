//! Storage for cardlife: embedded SQLite (the default) and PostgreSQL, chosen by the scheme of
//! the database URL, with one migration folder per backend applied at start-up.
//!
//! - [`db`]: opening a store, checking the embedded one is durable, migrating.
//! - [`ledger`]: the ledger service — the group committer in front of two writers (embedded:
//!   the whole ledger in memory, appended to SQLite; PostgreSQL: lock, apply, write per commit)
//!   and the reads both share.
//! - [`customers`]: customers, one-time-code challenges and sessions.
//! - [`rewards`]: flash sales and their claims, committed a batch per transaction.
//! - [`seed`]: bulk seeding of customers with sessions, for benchmarks and the demo world.
//! - [`session_touch`]: session activity written behind, many sessions per transaction.
//! - `rows`: the row types both backends decode.

mod both;
pub mod customers;
pub mod db;
pub mod error;
pub mod ledger;
mod postgres;
pub mod rewards;
mod rows;
pub mod seed;
pub mod session_touch;
mod sqlite;

pub use db::{DEFAULT_DATABASE_URL, Db};
pub use error::StoreError;
pub use ledger::{AccountFilter, LedgerOptions, LedgerService, PAGE_SIZE_MAX, Reader};
