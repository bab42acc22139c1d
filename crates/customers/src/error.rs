//! The one error enum of the customers context. Each variant is a precise predicate, so the HTTP
//! layer can map it to a stable code with an exhaustive `match`. No variant carries a secret
//! (code, password, PAN, token): the messages are safe to log.

use jiff::{SignedDuration, Timestamp};

use crate::card_vault::VaultKeyId;
use crate::consent::ConsentKind;

/// Why a customers-and-identity operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    // --- Phone ---
    /// The phone number holds something other than ASCII digits (after an optional `+86`).
    #[error("phone number must be digits")]
    PhoneNotDigits,
    /// A mainland mobile number has 11 digits.
    #[error("phone number has {digits} digits, expected 11")]
    PhoneWrongLength {
        /// Digits found.
        digits: usize,
    },
    /// A mainland mobile number starts with 13–19.
    #[error("not a mainland mobile number (must start 13-19)")]
    PhoneNotMobile,

    // --- One-time codes (§8: 6 digits, ≤ 5 min, single use, ≤ 5 attempts, ≥ 60 s, daily cap) ---
    /// The code's validity period has passed.
    #[error("one-time code expired")]
    OtpExpired,
    /// The challenge has used up its attempts; a new code is needed.
    #[error("too many attempts for this one-time code")]
    OtpTooManyAttempts,
    /// The code was already used once.
    #[error("one-time code already used")]
    OtpAlreadyUsed,
    /// The code is wrong; the attempt was counted.
    #[error("one-time code does not match ({attempts_left} attempts left)")]
    OtpMismatch {
        /// Attempts still allowed for this challenge.
        attempts_left: u32,
    },
    /// A new code was asked for sooner than the resend spacing allows.
    #[error("a new code may be sent in {retry_after}")]
    OtpResendTooSoon {
        /// How long until a resend is allowed.
        retry_after: SignedDuration,
    },
    /// The phone has received its daily number of codes.
    #[error("daily limit of {cap} codes reached for this phone")]
    OtpDailyCapReached {
        /// The daily cap.
        cap: u32,
    },

    // --- Policies ---
    /// A policy value lies outside the bounds §8 allows.
    #[error("policy value {field} is outside the allowed bounds")]
    PolicyOutOfBounds {
        /// The offending field, e.g. `"otp.ttl"`.
        field: &'static str,
    },

    // --- Passwords ---
    /// Shorter than the policy minimum (in characters).
    #[error("password shorter than {min} characters")]
    PasswordTooShort {
        /// Minimum length in characters.
        min: usize,
    },
    /// Longer than the policy maximum (in characters).
    #[error("password longer than {max} characters")]
    PasswordTooLong {
        /// Maximum length in characters.
        max: usize,
    },
    /// Only digits, e.g. a birthday or a PIN.
    #[error("password must not be only digits")]
    PasswordAllDigits,
    /// The same as the customer's phone number.
    #[error("password must not be the phone number")]
    PasswordEqualsPhone,
    /// The password does not match the stored hash.
    #[error("password does not match")]
    PasswordMismatch,
    /// The stored text is not an argon2id PHC string.
    #[error("stored password hash is malformed")]
    PasswordHashMalformed,
    /// argon2 refused to hash (bad parameters or salt).
    #[error("password hashing failed")]
    PasswordHashFailed,

    // --- Lockout ---
    /// Too many consecutive failed logins; locked until the given instant.
    #[error("login locked until {until}")]
    LoginLocked {
        /// When the lock lifts.
        until: Timestamp,
    },

    // --- Sessions ---
    /// The presented token is not base64url of 32 bytes.
    #[error("session token is malformed")]
    SessionTokenMalformed,
    /// The presented token does not belong to this session (or was rotated away).
    #[error("session token does not match")]
    SessionTokenMismatch,
    /// No request within the idle timeout.
    #[error("session idle for too long")]
    SessionIdleTimeout,
    /// Older than the absolute timeout.
    #[error("session reached its absolute lifetime")]
    SessionAbsoluteTimeout,
    /// The customer logged out everywhere after this session started.
    #[error("session revoked by logout everywhere")]
    SessionRevoked,
    /// The session was logged out.
    #[error("session ended")]
    SessionEnded,

    // --- Cards ---
    /// The card number holds something other than digits (spaces between groups are allowed).
    #[error("card number must be digits")]
    PanNotDigits,
    /// Card numbers have 12–19 digits.
    #[error("card number has {digits} digits, expected 12-19")]
    PanWrongLength {
        /// Digits found.
        digits: usize,
    },
    /// The Luhn check digit is wrong.
    #[error("card number fails the Luhn check")]
    PanLuhnMismatch,
    /// A CVV is 3 or 4 digits.
    #[error("security code must be 3 or 4 digits")]
    CvvMalformed,
    /// The vault key the ciphertext names is not in the keyring.
    #[error("vault key {key_id} is not available")]
    VaultKeyUnknown {
        /// The missing key's id.
        key_id: VaultKeyId,
    },
    /// Encryption failed (message too long for AES-GCM).
    #[error("card vault encryption failed")]
    VaultEncryptFailed,
    /// The ciphertext failed authentication or did not hold a card number.
    #[error("card vault decryption failed")]
    VaultDecryptFailed,

    // --- Consents ---
    /// Withdrawing a consent that is not currently granted.
    #[error("consent {kind} is not granted")]
    ConsentNotGranted {
        /// The consent kind.
        kind: ConsentKind,
    },

    // --- Devices ---
    /// A device id is 16–128 visible ASCII characters.
    #[error("device id must be 16-128 visible ASCII characters")]
    DeviceIdMalformed,
    /// A device name is 1 to `max` characters without control characters.
    #[error("device name must be 1-{max} characters without control characters")]
    DeviceNameInvalid {
        /// The longest name.
        max: usize,
    },

    // --- Real-name details ---
    /// Another customer already holds real-name details with this resident ID.
    #[error("this resident ID is already verified for another account")]
    ResidentIdInUse,
    /// Real-name details cannot be erased while a credit account, loan or credit line is held.
    #[error("real-name details are kept while a credit account, loan or credit line is held")]
    RealNameKeptForCredit,
    /// A resident ID has 18 characters.
    #[error("resident ID has {chars} characters, expected 18")]
    ResidentIdWrongLength {
        /// Characters found.
        chars: usize,
    },
    /// The first 17 characters must be digits, the last a digit or `X`.
    #[error("resident ID must be 17 digits and a check digit or X")]
    ResidentIdNotDigits,
    /// Characters 7–14 are not a real date of birth.
    #[error("resident ID holds an invalid date of birth")]
    ResidentIdBadBirthDate,
    /// The ISO 7064 MOD 11-2 check character is wrong.
    #[error("resident ID check character does not match")]
    ResidentIdChecksumMismatch,
    /// The name is empty after trimming.
    #[error("name is empty")]
    RealNameEmpty,
    /// The name is longer than allowed.
    #[error("name longer than {max} characters")]
    RealNameTooLong {
        /// Maximum length in characters.
        max: usize,
    },
    /// The name holds control characters or (ASCII or full-width) digits.
    #[error("name holds characters that are not allowed")]
    RealNameInvalidCharacter,
}
