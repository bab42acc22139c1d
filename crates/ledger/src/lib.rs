//! The cardlife ledger: double-entry accounts and transfers with the semantics of TigerBeetle,
//! written in Rust for this platform. Every fen and every point that moves anywhere in cardlife
//! moves here.
//!
//! - [`flags`], [`account`], [`transfer`]: the two records and their flags.
//! - [`result`]: the precise result code of every event (`exceeds_credits`, `exists`, …).
//! - [`state`]: the state machine that applies batches — holds, posts, voids, timeouts, linked
//!   chains, balance limits, idempotent ids — and records each batch's [`ChangeSet`].
//! - [`check`]: the invariant checker that rebuilds balances from transfers.
//!
//! No I/O happens here: `cardlife-store` persists change sets and drives the group commit.

pub mod account;
pub mod check;
pub mod flags;
pub mod result;
pub mod state;
pub mod transfer;

pub use account::{Account, AccountBalance};
pub use check::{Checker, Report, Violation};
pub use flags::{AccountFlags, TransferFlags};
pub use result::{CreateAccountResult, CreateTransferResult};
pub use state::{AMOUNT_MAX, BATCH_MAX, ChangeSet, Ledger, Pending};
pub use transfer::{PendingStatus, Transfer};
