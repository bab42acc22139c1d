//! What a use case can fail with. Each variant is one precise predicate, so the server can map
//! every one of them to a stable code with an exhaustive `match`.

use std::fmt;

use cardlife_customers::CustomerError;
use cardlife_rewards::RewardsError;
use cardlife_store::StoreError;

/// Why a use case did not complete.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A batch holds more events than the ledger applies at once; nothing was submitted.
    #[error("a batch holds at most {max} events, got {got}")]
    BatchTooLarge {
        /// The limit ([`crate::ledger::BATCH_MAX`]).
        max: usize,
        /// What was sent.
        got: usize,
    },
    /// A batch holds no events; nothing was submitted.
    #[error("a batch holds at least one event")]
    EmptyBatch,
    /// The record asked for does not exist.
    #[error("{0} not found")]
    NotFound(Missing),
    /// The ledger writer is not running; nothing can be written until it is restarted.
    #[error("the ledger writer is not running")]
    Unavailable,
    /// Too many concurrent writers conflicted; the batch was not applied and may be retried.
    #[error("gave up after {attempts} conflicting attempts")]
    Contention {
        /// Attempts made.
        attempts: u32,
    },
    /// A customers-and-identity rule refused the request (bad phone, weak password, one-time
    /// code expired or used up, resend too soon, locked out, …).
    #[error(transparent)]
    Customer(#[from] CustomerError),
    /// The phone number is already registered; nothing was written.
    #[error("this phone number is already registered")]
    PhoneTaken,
    /// A login failed: unknown phone, wrong password or wrong code (one answer for all, so a
    /// caller cannot learn which phones are registered).
    #[error("the phone number or the credential is wrong")]
    InvalidCredentials,
    /// No valid session: the token is missing, malformed, unknown, expired, ended or revoked.
    #[error("no valid session")]
    Unauthenticated,
    /// A rewards rule refused the request (a flash sale not open, sold out, already claimed;
    /// bad terms); nothing changed.
    #[error(transparent)]
    Rewards(RewardsError),
    /// The store failed (database error, failed commit, corrupt row); the cause is the source.
    #[error("storage failed")]
    Storage(#[source] StoreError),
}

/// Which record was missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// A ledger account, by id.
    Account(u128),
    /// A ledger transfer, by id.
    Transfer(u128),
    /// A customer (never says which: another customer's records are simply not there).
    Customer,
    /// A flash sale.
    FlashSale,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Account(id) => write!(f, "account {id:032x}"),
            Self::Transfer(id) => write!(f, "transfer {id:032x}"),
            Self::Customer => f.write_str("customer"),
            Self::FlashSale => f.write_str("flash sale"),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::BatchTooLarge { max, got } => Self::BatchTooLarge { max, got },
            StoreError::WriterStopped => Self::Unavailable,
            StoreError::Contention(attempts) => Self::Contention { attempts },
            StoreError::Database(_)
            | StoreError::Migrate(_)
            | StoreError::Corrupt(_)
            | StoreError::UnsupportedUrl(_)
            | StoreError::NotDurable(_)
            | StoreError::CommitFailed(_) => Self::Storage(e),
        }
    }
}
