//! The embedded store on SQLite.

pub(crate) mod ledger;
pub(crate) mod memory;
pub(crate) mod record;
