//! Customers and identity: who a cardholder is and how they prove it. Pure domain logic: no I/O,
//! no wall clock, no ambient randomness — time arrives as a [`jiff::Timestamp`] and randomness
//! through an [`Entropy`] filler, so every rule here is deterministic under test.
//!
//! Rules are from `docs/domain.md` §8 (PIPL, JR/T 0171-2020 C2/C3, PCI DSS):
//!
//! - [`Phone`]: a mainland mobile number, parsed at the edge, masked on display (`138****5678`).
//! - [`OtpIssuer`] / [`OtpChallenge`]: SMS one-time codes — 6 digits, ≤ 5 min, single use,
//!   ≤ 5 attempts, resend ≥ 60 s apart, a daily cap; only a keyed HMAC of the code is stored.
//! - [`Password`] / [`PasswordHash`]: password policy and argon2id (m = 19 MiB, t = 2, p = 1).
//! - [`LoginThrottle`]: lock after ≤ 10 consecutive failures for ≥ 30 min.
//! - [`Session`] / [`SessionToken`]: 256-bit random tokens stored only as SHA-256, idle and
//!   absolute timeouts, rotation, logout everywhere via a [`SessionGeneration`].
//! - [`Pan`] / [`CardInput`] / [`TokenisedCard`]: Luhn-checked card numbers, HMAC lookup tokens,
//!   an AES-256-GCM vault with key ids for rotation; the CVV is never stored (C3).
//! - [`Consents`]: PIPL consents, explicit, versioned, withdrawable, never granted by default.
//! - [`CustomerProfile`] / [`ResidentId`] / [`RealName`]: real-name details, masked on display;
//!   at rest an HMAC of the ID ([`ResidentIdLookupKey`]) and both sealed ([`SealedRealName`]).
//! - [`LifecycleFacts`]: a customer's lifecycle stage and value tier.
//! - [`DeviceHint`]: the device a customer logs in from, stored only as a per-customer hash.
//!
//! Every failure is a variant of [`CustomerError`] (in `error.rs`).
#![warn(missing_docs)]

mod card;
mod card_vault;
mod consent;
mod crypto;
mod device;
mod encoding;
mod entropy;
mod error;
mod lifecycle;
mod login_throttle;
mod otp;
mod password;
mod phone;
mod profile;
mod real_name_seal;
mod resident_id;
mod sealing;
mod session;

pub use card::{CardInput, Pan};
pub use card_vault::{
    CardLookupKey, CardLookupToken, TokenisedCard, VaultKey, VaultKeyId, VaultKeyring, VaultedPan,
};
pub use consent::{ConsentEnd, ConsentGrant, ConsentKind, ConsentTextVersion, Consents};
pub use device::DeviceHint;
pub use entropy::Entropy;
pub use error::CustomerError;
pub use lifecycle::{LifecycleFacts, LifecyclePolicy, LifecycleStage, ValueTier};
pub use login_throttle::{LockoutPolicy, LoginThrottle};
pub use otp::{IssuedOtp, OtpChallenge, OtpIssuer, OtpKey, OtpPolicy};
pub use password::{Password, PasswordHash, PasswordHashParams, PasswordPolicy};
pub use phone::{Phone, PhoneLookupKey};
pub use profile::{CustomerProfile, RealName, RealNameDetails};
pub use real_name_seal::{ResidentIdLookupKey, SealedRealName};
pub use resident_id::ResidentId;
pub use session::{
    Session, SessionGeneration, SessionId, SessionKind, SessionPolicy, SessionToken,
    SessionTokenHash,
};
