//! What the merchants, QR payments and operator use cases refuse, one variant per predicate
//! (docs/merchants.md). The server maps each to a stable code.

use cardlife_payments::error::{LimitError, OrderError, PayCodeError, SigningError};
use cardlife_payments::qr::TlvError;

use super::operators::Role;

/// Why a merchants use case refused.
#[derive(Debug, thiserror::Error)]
pub enum MerchantsError {
    /// The operator's role does not allow this action.
    #[error("this action needs the {needed} role")]
    ForbiddenRole {
        /// The role it needs.
        needed: Role,
    },
    /// The operator login is taken.
    #[error("this operator login is taken")]
    LoginTaken,
    /// An unknown role name.
    #[error("unknown role {0:?}")]
    UnknownRole(String),
    /// A field of the request is not acceptable.
    #[error("{field}: {reason}")]
    InvalidField {
        /// Which field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// An amount that is not a positive amount of at most two decimals.
    #[error("the amount must be positive, with at most two decimals")]
    InvalidAmount,
    /// No such merchant, order, code or store (or not yours).
    #[error("no such {0}")]
    NotFound(&'static str),
    /// The merchant is not in a state that allows this review decision.
    #[error("the merchant is {status}; it cannot be {action}")]
    ReviewNotAllowed {
        /// Its status.
        status: String,
        /// The attempted decision.
        action: &'static str,
    },
    /// The merchant was not approved (yet, or was rejected).
    #[error("the merchant is not approved")]
    MerchantNotApproved,
    /// The merchant is suspended.
    #[error("the merchant is suspended")]
    MerchantSuspended,
    /// No `Cardlife-Signature` header.
    #[error("send a Cardlife-Signature header")]
    SignatureMissing,
    /// The signing key id belongs to no merchant.
    #[error("no merchant has this key")]
    UnknownMerchant,
    /// The signed request was refused.
    #[error(transparent)]
    Signing(#[from] SigningError),
    /// The QR payload is not valid TLV.
    #[error("the QR payload is not valid: {0}")]
    QrInvalid(#[from] TlvError),
    /// The QR payload's CRC does not match.
    #[error("the QR payload's checksum is wrong")]
    QrCrcInvalid,
    /// The QR payload is well formed but is not one of ours.
    #[error("this QR code is not known")]
    QrUnknown,
    /// A static code needs the amount from the payer.
    #[error("a static code needs the amount")]
    AmountRequired,
    /// A dynamic code carries its amount; the payer may not send one that differs.
    #[error("this code carries its own amount")]
    AmountMismatch,
    /// An order rule refused.
    #[error(transparent)]
    Order(#[from] OrderError),
    /// A per-payer daily QR limit refused.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// The pay code was refused.
    #[error(transparent)]
    PayCode(#[from] PayCodeError),
    /// No `Idempotency-Key` header on a money-moving request.
    #[error("send an Idempotency-Key header (1–64 visible characters)")]
    IdempotencyKeyRequired,
    /// The key was used before with another request.
    #[error("this Idempotency-Key was used with a different request")]
    IdempotencyKeyReused,
    /// The first request with this key is still being processed.
    #[error("a request with this Idempotency-Key is in progress; retry shortly")]
    IdempotencyInProgress,
    /// Another request changed the record first; nothing was written.
    #[error("the record changed meanwhile; retry")]
    Conflict,
    /// The merchant already used this reference for another order.
    #[error("this merchant_ref is already used")]
    MerchantRefTaken,
    /// The funding side (the payer's card account) refused or failed.
    #[error("the card account refused: {0}")]
    Funding(String),
    /// Settlement was asked for a business day that has not closed yet (today or later).
    #[error("only business days before today can be settled")]
    SettlementDayOpen,
    /// The payer holds no credit account to pay with (docs/merchants.md).
    #[error("the payer has no credit card to pay with")]
    NoCard,
    /// The webhook endpoint is not an acceptable destination (docs/merchants.md, "Webhook
    /// destinations").
    #[error(transparent)]
    WebhookDestination(#[from] super::webhook_destination::DestinationRefusal),
    /// A stored secret could not be sealed or opened.
    #[error("a sealed value could not be processed")]
    Seal,
}
