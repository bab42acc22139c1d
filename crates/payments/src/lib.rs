//! Payments: merchants, QR codes and pay codes, payment orders, refunds, MDR and settlement.
//!
//! - [`qr`]: the EMVCo merchant-presented QR payload (TLV with a CRC-16/CCITT-FALSE in tag 63).
//! - [`order`]: the payment order state machine, discounts priced in, pro-rata refunds.
//! - [`mdr`]: merchant fees and their issuer / network / acquirer split.
//! - [`limits`]: per-payer daily QR limits by code type and authentication strength.
//! - [`settlement`]: T+1 netting of a merchant-day and the reconciliation CSV that ties out.
//! - [`paycode`]: the customer-presented 24-digit one-time pay code and its verifier.
//! - [`signing`]: merchant API request signing, replay window, nonces and key rotation.
//! - [`webhook`]: signed merchant webhooks, retried with backoff, deduplicated by event id.
//! - [`destination`]: which addresses a webhook may be delivered to (no private networks).
//! - [`incentive`]: rewards for cashiers per successful QR payment, paid from a budget.
//! - [`error`]: one error enum per concept.
//! - [`seen`]: the single-use hook ([`seen::SeenSet`]) pay codes and request signing share.

pub mod destination;
pub mod error;
pub mod incentive;
pub mod limits;
pub mod mdr;
pub mod order;
pub mod paycode;
pub mod qr;
pub mod seen;
pub mod settlement;
pub mod signing;
pub mod webhook;
