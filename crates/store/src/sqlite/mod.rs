//! The embedded store on SQLite.

pub(crate) mod ledger;
