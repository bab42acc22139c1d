//! Idempotency keys for money-moving requests (docs/loans.md, "Idempotency"): the same key with
//! the same request answers the same, once; with another request it is refused; a concurrent
//! duplicate is told to wait. Small and self-contained so it can be unified with other
//! contexts' helpers: a caller passes a scope (whose keys these are, e.g. the customer and the
//! route), the key and the request's bytes.
//!
//! 1. [`App::idempotency_begin`]: `Ok(None)` — the key is now held, run the request;
//!    `Ok(Some(stored))` — the stored answer of the same request; `Err` — reused or in flight.
//! 2. After running: [`App::idempotency_finish`] with the answer when something was written, or
//!    [`App::idempotency_release`] when the request was refused and changed nothing (a retry
//!    with the same key may then run again).

use cardlife_store::idempotency::{Claim, IdempotencyStore};
use sha2::{Digest, Sha256};

use crate::{App, AppError};

/// The longest idempotency key, in bytes.
pub const KEY_LEN_MAX: usize = 255;

/// Why an idempotency key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyError {
    /// A money-moving request came without an `Idempotency-Key`.
    #[error("send an Idempotency-Key header with this request")]
    KeyRequired,
    /// The key is empty, longer than [`KEY_LEN_MAX`] or not visible ASCII.
    #[error("an Idempotency-Key is 1 to {KEY_LEN_MAX} visible ASCII characters")]
    KeyMalformed,
    /// The key was used before with a different request.
    #[error("this Idempotency-Key was used with a different request")]
    KeyReused,
    /// The same request with this key is still running.
    #[error("a request with this Idempotency-Key is in progress; retry shortly")]
    InFlight,
}

/// An answer stored under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: String,
}

pub(crate) fn request_hash(scope: &str, request: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(scope.as_bytes());
    h.update([0]);
    h.update(request);
    h.finalize().into()
}

pub(crate) fn check_key(key: &str) -> Result<(), AppError> {
    let ok =
        !key.is_empty() && key.len() <= KEY_LEN_MAX && key.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(IdempotencyError::KeyMalformed.into())
    }
}

impl App {
    fn idempotency(&self) -> IdempotencyStore {
        IdempotencyStore::new(self.db().clone())
    }

    /// Claims `key` in `scope` for `request` (the request's method, path and body bytes).
    pub async fn idempotency_begin(
        &self,
        scope: &str,
        key: Option<&str>,
        request: &[u8],
    ) -> Result<Option<StoredAnswer>, AppError> {
        let key = key.ok_or(IdempotencyError::KeyRequired)?;
        check_key(key)?;
        let hash = request_hash(scope, request);
        match self
            .idempotency()
            .begin(scope, key, &hash, self.clock().now())
            .await?
        {
            Claim::Claimed => Ok(None),
            Claim::Done { status, response } => Ok(Some(StoredAnswer {
                status,
                body: response,
            })),
            Claim::InFlight => Err(IdempotencyError::InFlight.into()),
            Claim::Mismatch => Err(IdempotencyError::KeyReused.into()),
        }
    }

    /// Stores the answer of a request that ran under `key`.
    pub async fn idempotency_finish(
        &self,
        scope: &str,
        key: &str,
        answer: &StoredAnswer,
    ) -> Result<(), AppError> {
        self.idempotency()
            .finish(scope, key, answer.status, &answer.body)
            .await?;
        Ok(())
    }

    /// Frees `key` after a request that changed nothing.
    pub async fn idempotency_release(&self, scope: &str, key: &str) -> Result<(), AppError> {
        self.idempotency().release(scope, key).await?;
        Ok(())
    }
}
