//! Storage for cardlife: embedded SQLite (the default) and PostgreSQL, chosen by the scheme of
//! the database URL, with one migration folder per backend applied at start-up.
//!
//! - [`db`]: opening a store, checking the embedded one is durable, migrating.
//! - [`ledger`]: the ledger service — the group committer in front of two writers (embedded:
//!   the whole ledger in memory, appended to SQLite; PostgreSQL: lock, apply, write per commit)
//!   and the reads both share.
//! - [`credit`]: credit accounts, cards and authorisations, persisted as events and run by
//!   the billing engine, mirrored to the ledger.
//! - [`idempotency`]: idempotency keys of money-moving requests and their stored responses.
//! - [`customers`]: customers, one-time-code challenges and sessions.
//! - [`merchants`]: operators, merchants, signing keys, QR codes, payment orders and refunds;
//!   [`tx`]: a transaction on either backend; [`audit`]: the audit log written inside it.
//! - [`loans`], [`debit_cards`], [`idempotency`]: consumer loans and credit lines as event
//!   histories, the debit cards they pay to, and the idempotency keys of money-moving requests.
//! - [`statement_run`]: the batch statement run, a cycle's posted lines to statement rows for
//!   every account at once, and the plain-SQL baseline it is measured against.
//! - [`rewards`]: flash sales and their claims, committed a batch per transaction.
//! - [`seed`]: bulk seeding of customers with sessions, for benchmarks and the demo world.
//! - [`group`]: many callers' transactions in one commit on the embedded store.
//! - [`durability`]: commits that wait for the disk, and commits a later one carries there;
//!   [`log_sync`]: the embedded log synced outside the write lock for every waiting commit.
//! - [`session_touch`]: session activity written behind, many sessions per transaction.
//! - [`risk`]: risk decisions and the per-customer risk profile the payment path reads.
//! - `rows`: the row types both backends decode.

pub mod audit;
pub mod batch;
mod both;
mod checkpoint;
pub mod consents;
pub mod console;
pub mod credit;
pub mod customers;
pub mod db;
pub mod debit_cards;
pub mod durability;
pub mod error;
pub mod group;
pub mod idempotency;
pub mod ledger;
pub mod loans;
pub mod log_sync;
pub mod merchants;
mod postgres;
pub mod rewards;
pub mod risk;
mod rows;
pub mod seed;
pub mod session_touch;
pub mod special_installments;
mod sqlite;
pub mod statement_run;
pub mod tx;

pub use db::{DEFAULT_DATABASE_URL, Db};
pub use durability::Durability;
pub use error::StoreError;
pub use ledger::{AccountFilter, LedgerOptions, LedgerService, PAGE_SIZE_MAX, Reader};
