//! Consumer loans.
