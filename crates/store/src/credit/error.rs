//! What a credit command or read can fail with.

use cardlife_credit::billing::BillingError;

use crate::error::StoreError;

/// Why a credit command did not complete. A refused command wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum CreditError {
    /// The billing rules refused it (a decline, an invalid product or event, a payment on a
    /// closed account, …).
    #[error(transparent)]
    Billing(BillingError),
    /// No such account (or not the caller's: the two answer the same).
    #[error("no such credit account")]
    AccountNotFound,
    /// No card has this number or id.
    #[error("no such card")]
    CardNotFound,
    /// No authorisation has this id.
    #[error("no such authorisation")]
    AuthorisationNotFound,
    /// No statement has this date on this account.
    #[error("no such statement")]
    StatementNotFound,
    /// The card number is already issued on an account.
    #[error("the card number is already issued")]
    CardAlreadyIssued,
    /// The card number or expiry is malformed.
    #[error("invalid card: {0}")]
    InvalidCard(String),
    /// The product parameters do not parse.
    #[error("invalid product: {0}")]
    InvalidProduct(String),
    /// The card's ledger could not be mirrored to the main ledger (the event is durable and
    /// the mirror is retried by the next command or at start-up).
    #[error("mirroring to the ledger failed: {0}")]
    Mirror(String),
    /// The event writer could not commit (nothing of the command was written; the account
    /// was rebuilt from its stored events).
    #[error("writing the credit event failed: {0}")]
    WriteFailed(String),
    /// The `Idempotency-Key` was used before with another request.
    #[error("this Idempotency-Key was used with a different request")]
    KeyReused,
    /// The same request with this `Idempotency-Key` is running now.
    #[error("a request with this Idempotency-Key is in progress")]
    KeyInFlight,
    /// A stored row does not decode.
    #[error("stored credit data is corrupt: {0}")]
    Corrupt(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CreditError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(e))
    }
}

impl From<BillingError> for CreditError {
    fn from(e: BillingError) -> Self {
        Self::Billing(e)
    }
}
