//! Storage for cardlife: embedded SQLite (the default) and PostgreSQL, chosen by the scheme of
//! the database URL, with one migration folder per backend applied at start-up.
//!
//! - [`db`]: opening a store, checking the embedded one is durable, migrating.
//! - [`ledger`]: the ledger service — the group committer in front of two writers (embedded:
//!   the whole ledger in memory, appended to SQLite; PostgreSQL: lock, apply, write per commit)
//!   and the reads both share.
//! - [`customers`]: customers, one-time-code challenges and sessions.
//! - [`merchants`]: operators, merchants, signing keys, QR codes, payment orders and refunds;
//!   [`tx`]: a transaction on either backend; [`audit`]: the audit log written inside it.
//! - [`loans`], [`debit_cards`], [`idempotency`]: consumer loans and credit lines as event
//!   histories, the debit cards they pay to, and the idempotency keys of money-moving requests.
//! - `rows`: the row types both backends decode.

pub mod audit;
mod both;
pub mod console;
pub mod customers;
pub mod db;
pub mod debit_cards;
pub mod error;
pub mod idempotency;
pub mod ledger;
pub mod loans;
pub mod merchants;
mod postgres;
mod rows;
mod sqlite;
pub mod tx;

pub use db::{DEFAULT_DATABASE_URL, Db};
pub use error::StoreError;
pub use ledger::{AccountFilter, LedgerOptions, LedgerService, PAGE_SIZE_MAX, Reader};
