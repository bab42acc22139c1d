//! What a use case can fail with. Each variant is one precise predicate, so the server can map
//! every one of them to a stable code with an exhaustive `match`.

use std::fmt;

use cardlife_credit::billing::DeclineCode;
use cardlife_credit::loan::LoanError;
use cardlife_credit::quote::QuoteError;
use cardlife_customers::CustomerError;
use cardlife_rewards::RewardsError;
use cardlife_store::StoreError;
use jiff::civil::Date;

use crate::idempotency::IdempotencyError;
use crate::loans::LoanRefusal;

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
    /// A quote's terms are refused (amount, periods, rate, fee mode or method).
    #[error(transparent)]
    Quote(#[from] QuoteError),
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
    /// A merchants, QR payments or operator rule refused the request.
    #[error(transparent)]
    Merchants(#[from] crate::merchants::MerchantsError),

    /// Refused by a risk rule, or a bad risk query (docs/risk.md).
    #[error(transparent)]
    Risk(#[from] crate::risk::RiskError),
    /// A card installment request was refused (docs/api.md, "Card installments"); nothing
    /// changed.
    #[error(transparent)]
    Installment(crate::installments::InstallmentError),
    /// The loan state machine refused (term, amount, cap, consent, overpayment, …); nothing
    /// changed.
    #[error(transparent)]
    Loan(#[from] LoanError),
    /// A lending use case refused (quote expired or used, consent missing, card not theirs, …);
    /// nothing changed.
    #[error(transparent)]
    Lending(#[from] LoanRefusal),
    /// An idempotency key was missing, malformed, reused or in flight.
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    /// The ledger refused a mirrored posting (a bug: postings are valid by construction).
    #[error("the ledger refused a loan posting: {0}")]
    LedgerRefused(&'static str),
    /// A rewards rule refused the request (a flash sale not open, sold out, already claimed;
    /// bad terms); nothing changed.
    #[error(transparent)]
    Rewards(RewardsError),
    /// The store failed (database error, failed commit, corrupt row); the cause is the source.
    #[error("storage failed")]
    Storage(#[source] StoreError),
    /// An amount that is not a positive number of fen; nothing was done.
    #[error("invalid amount: {0}")]
    InvalidAmount(String),
    /// An authorisation, purchase or cash advance declined (rule 10, status, expiry, cash
    /// limit); nothing was done.
    #[error("declined [{code}]: {detail}")]
    Declined {
        /// Why.
        code: DeclineCode,
        /// In words.
        detail: String,
    },
    /// Product parameters out of range (a statement day of 31, say); nothing was done.
    #[error("invalid product: {0}")]
    InvalidProduct(String),
    /// A payment on a closed account; nothing was done.
    #[error("a payment on a closed account is refused")]
    PaymentOnClosedAccount,
    /// A card number or expiry that does not parse; nothing was done.
    #[error("invalid card: {0}")]
    InvalidCard(String),
    /// The card number is already issued; nothing was done.
    #[error("the card number is already issued")]
    CardAlreadyIssued,
    /// A capture of more than the authorisation holds; nothing was done.
    #[error("{0}")]
    CaptureExceedsAuthorisation(String),
    /// A command the account's state does not allow (freeze a frozen account, close with a
    /// balance, …); nothing was done.
    #[error("{0}")]
    CommandRefused(String),
    /// The credit engine or its mirror failed (a bug or a storage fault); the cause is the
    /// source.
    #[error("credit processing failed")]
    Credit(#[source] cardlife_store::credit::CreditError),
}

/// Which record was missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// A ledger account, by id.
    Account(u128),
    /// A ledger transfer, by id.
    Transfer(u128),
    /// A loan quote of the customer's.
    LoanQuote,
    /// A loan of the customer's.
    Loan,
    /// A credit line of the customer's.
    CreditLine,
    /// A credit account (or another customer's: the two answer the same), by id.
    CreditAccount(u128),
    /// A card, by number or id.
    Card,
    /// An authorisation, by id.
    Authorisation(u128),
    /// A statement, by date.
    Statement(Date),
    /// A customer (never says which: another customer's records are simply not there).
    Customer,
    /// A flash sale.
    FlashSale,
    /// The customer's real-name details (none given).
    RealName,
    /// A device of the customer's.
    Device,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Account(id) => write!(f, "account {id:032x}"),
            Self::Transfer(id) => write!(f, "transfer {id:032x}"),
            Self::CreditAccount(id) => write!(f, "credit account {id:032x}"),
            Self::Card => f.write_str("card"),
            Self::Authorisation(id) => write!(f, "authorisation {id:032x}"),
            Self::Statement(d) => write!(f, "statement {d}"),
            Self::Customer => f.write_str("customer"),
            Self::LoanQuote => f.write_str("loan quote"),
            Self::Loan => f.write_str("loan"),
            Self::CreditLine => f.write_str("credit line"),
            Self::FlashSale => f.write_str("flash sale"),
            Self::RealName => f.write_str("real-name details"),
            Self::Device => f.write_str("device"),
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
            | StoreError::CommitFailed(_)
            | StoreError::NotRun(_) => Self::Storage(e),
        }
    }
}
