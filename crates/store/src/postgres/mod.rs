//! The shared store on PostgreSQL.

pub(crate) mod ledger;
