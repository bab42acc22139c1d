//! Customer-presented pay codes (付款码): the one-time code the payer's app shows and the
//! merchant scans (docs/domain.md §7: single use, valid about 60 s, no account data in clear).
//!
//! A code is 24 ASCII digits, so it prints as a Code 128 barcode and a QR code alike:
//!
//! ```text
//! 28 TTT RRRRRRRR NNN MMMMMMMM
//! │  │   │        │   └ MAC: HMAC-SHA256 over the fields, first 8 bytes as u64 mod 10^8
//! │  │   │        └ nonce (000–999), random per code, chosen by the app
//! │  │   └ token reference (00000000–99999999): a random handle the issuer maps to the
//! │  │     payer's device binding; it is not a card or account number and can be revoked
//! │  └ issue time: Unix seconds mod 1000
//! └ fixed prefix `28`
//! ```
//!
//! The MAC is keyed with the secret of that token reference (one per bound device, shared by the
//! app and the issuer), and covers a domain tag, the prefix, the **full** issue second, the
//! token reference and the nonce. The verifier rebuilds the full issue second as the latest
//! second ≤ now + skew with the sent remainder, so a code can be checked only within 1000 s of
//! issue; older or future-dated codes fail the MAC (or the validity check).
//!
//! Verification, in order ([`verify`]): shape (length, digits, prefix) → key lookup and MAC
//! compare in constant time (`subtle`); an unknown token answers [`PayCodeError::BadSignature`]
//! too, so probing learns nothing → validity (≤ 60 s old, default) → single use through a
//! caller-owned [`SeenSet`], touched only once everything else passed.
//!
//! Strength: the MAC has ~26.6 bits, so a blind guess passes with p = 10⁻⁸. That is acceptable
//! only because every guess is an online, signed merchant request (see [`crate::signing`]) that
//! the API rate-limits, and a code lives 60 s; the 24-digit length is what barcode scanners at
//! tills accept. Nonces are an input: this crate does no I/O and draws no randomness.

use std::collections::HashMap;

use cardlife_kernel::Secret;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::PayCodeError;
use crate::seen::SeenSet;

/// Digits in a pay code.
pub const PAY_CODE_DIGITS: usize = 24;
/// The fixed first two digits.
pub const PAY_CODE_PREFIX: &str = "28";
/// Token references are below this.
pub const TOKEN_REF_LIMIT: u32 = 100_000_000;
/// Nonces are below this.
pub const NONCE_LIMIT: u16 = 1_000;

const DOMAIN_TAG: &[u8] = b"cardlife-paycode-v1";
const TIME_MODULUS: i64 = 1_000;
const MAC_MODULUS: u64 = 100_000_000;

/// A random handle for the payer's device binding; not account data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenRef(u32);

impl TokenRef {
    /// A reference below [`TOKEN_REF_LIMIT`].
    pub fn new(value: u32) -> Result<Self, PayCodeError> {
        if value < TOKEN_REF_LIMIT {
            Ok(Self(value))
        } else {
            Err(PayCodeError::FieldOutOfRange)
        }
    }

    /// Its value.
    pub fn value(self) -> u32 {
        self.0
    }
}

/// Where the verifier finds each token's secret.
pub trait PayCodeKeys {
    /// The secret bound to `token`, if it is active.
    fn secret(&self, token: TokenRef) -> Option<&Secret<Vec<u8>>>;
}

impl PayCodeKeys for HashMap<TokenRef, Secret<Vec<u8>>> {
    fn secret(&self, token: TokenRef) -> Option<&Secret<Vec<u8>>> {
        self.get(&token)
    }
}

/// Validity rules; defaults are docs/domain.md §7's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayCodePolicy {
    /// How long a code is accepted after issue (60 s).
    pub validity_secs: i64,
    /// How far ahead of the verifier's clock an issuer's clock may be (5 s).
    pub skew_secs: i64,
}

impl Default for PayCodePolicy {
    fn default() -> Self {
        Self {
            validity_secs: 60,
            skew_secs: 5,
        }
    }
}

/// The single-use key of a code: one (token, issue second, nonce) pays once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UsedPayCode {
    /// The token reference.
    pub token: TokenRef,
    /// The issue second (Unix).
    pub issued_at: i64,
    /// The nonce.
    pub nonce: u16,
}

/// A code that passed every check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedPayCode {
    /// Whose device made it.
    pub token: TokenRef,
    /// When it was made.
    pub issued_at: Timestamp,
    /// Its nonce.
    pub nonce: u16,
}

/// Makes the 24-digit code for `token` at `issued_at` with `nonce` (< 1000).
pub fn issue(
    secret: &Secret<Vec<u8>>,
    token: TokenRef,
    nonce: u16,
    issued_at: Timestamp,
) -> Result<String, PayCodeError> {
    let second = issued_at.as_second();
    if nonce >= NONCE_LIMIT || second < 0 {
        return Err(PayCodeError::FieldOutOfRange);
    }
    let mac = mac_digits(secret, second, token, nonce);
    Ok(format!(
        "{PAY_CODE_PREFIX}{:03}{:08}{nonce:03}{mac}",
        second.rem_euclid(TIME_MODULUS),
        token.0
    ))
}

/// Checks `code` at `now`; marks it used in `seen` only if it is valid.
pub fn verify(
    code: &str,
    keys: &impl PayCodeKeys,
    seen: &mut impl SeenSet<UsedPayCode>,
    policy: &PayCodePolicy,
    now: Timestamp,
) -> Result<VerifiedPayCode, PayCodeError> {
    let fields = parse(code)?;
    let base = now.as_second().saturating_add(policy.skew_secs);
    let issued_at = base.saturating_sub(
        base.saturating_sub(fields.time_mod)
            .rem_euclid(TIME_MODULUS),
    );
    let secret = keys
        .secret(fields.token)
        .ok_or(PayCodeError::BadSignature)?;
    let expected = mac_digits(secret, issued_at, fields.token, fields.nonce);
    if !bool::from(expected.as_bytes().ct_eq(fields.mac.as_bytes())) {
        return Err(PayCodeError::BadSignature);
    }
    let issued = Timestamp::from_second(issued_at).map_err(|_| PayCodeError::BadSignature)?;
    if now.as_second().saturating_sub(issued_at) > policy.validity_secs {
        return Err(PayCodeError::Expired { issued_at: issued });
    }
    let used = UsedPayCode {
        token: fields.token,
        issued_at,
        nonce: fields.nonce,
    };
    let keep_until = issued_at
        .saturating_add(policy.validity_secs)
        .saturating_add(policy.skew_secs);
    let keep_until = Timestamp::from_second(keep_until).unwrap_or(Timestamp::MAX);
    if !seen.first_sighting(used, keep_until) {
        return Err(PayCodeError::AlreadyUsed);
    }
    Ok(VerifiedPayCode {
        token: fields.token,
        issued_at: issued,
        nonce: fields.nonce,
    })
}

struct Fields<'a> {
    time_mod: i64,
    token: TokenRef,
    nonce: u16,
    mac: &'a str,
}

fn parse(code: &str) -> Result<Fields<'_>, PayCodeError> {
    if code.len() != PAY_CODE_DIGITS {
        return Err(PayCodeError::WrongLength {
            expected: PAY_CODE_DIGITS,
        });
    }
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PayCodeError::NotDigits);
    }
    // All ASCII digits, so every byte index below is a char boundary.
    if !code.starts_with(PAY_CODE_PREFIX) {
        return Err(PayCodeError::WrongPrefix);
    }
    let number = |range: std::ops::Range<usize>| -> u64 {
        code.bytes()
            .skip(range.start)
            .take(range.len())
            .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'))
    };
    let bad = |_| PayCodeError::FieldOutOfRange;
    Ok(Fields {
        time_mod: i64::try_from(number(2..5)).map_err(bad)?,
        token: TokenRef(u32::try_from(number(5..13)).map_err(bad)?),
        nonce: u16::try_from(number(13..16)).map_err(bad)?,
        mac: code.get(16..).ok_or(PayCodeError::NotDigits)?,
    })
}

fn mac_digits(secret: &Secret<Vec<u8>>, second: i64, token: TokenRef, nonce: u16) -> String {
    // HMAC takes keys of any length, so this never falls back; an empty MAC would never verify.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret()) else {
        return String::new();
    };
    mac.update(DOMAIN_TAG);
    mac.update(PAY_CODE_PREFIX.as_bytes());
    mac.update(&second.to_be_bytes());
    mac.update(&token.0.to_be_bytes());
    mac.update(&nonce.to_be_bytes());
    let tag = mac.finalize().into_bytes();
    let mut head = [0u8; 8];
    head.copy_from_slice(&tag[..8]);
    format!("{:08}", u64::from_be_bytes(head) % MAC_MODULUS)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::collections::HashSet;

    use proptest::prelude::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    const ISSUED: &str = "2026-04-01T04:00:07Z";

    fn keys() -> HashMap<TokenRef, Secret<Vec<u8>>> {
        HashMap::from([(
            TokenRef::new(12_345_678).unwrap(),
            Secret::new(b"device-secret-0123456789abcdef!!".to_vec()),
        )])
    }

    fn code() -> String {
        let k = keys();
        let token = TokenRef::new(12_345_678).unwrap();
        issue(k.secret(token).unwrap(), token, 42, ts(ISSUED)).unwrap()
    }

    fn check(
        code: &str,
        now: &str,
        seen: &mut HashSet<UsedPayCode>,
    ) -> Result<VerifiedPayCode, PayCodeError> {
        verify(code, &keys(), seen, &PayCodePolicy::default(), ts(now))
    }

    #[test]
    fn a_code_is_24_digits_with_the_prefix_and_no_account_data() {
        let c = code();
        assert_eq!(c.len(), 24);
        assert!(c.starts_with("28"));
        assert!(c.bytes().all(|b| b.is_ascii_digit()));
        // 1775016007 mod 1000 = 007; token; nonce 042.
        assert_eq!(&c[2..16], "00712345678042");
    }

    #[test]
    fn a_fresh_code_verifies_once_and_then_is_already_used() {
        let mut seen = HashSet::new();
        let v = check(&code(), "2026-04-01T04:00:30Z", &mut seen).unwrap();
        assert_eq!(v.issued_at, ts(ISSUED));
        assert_eq!(v.nonce, 42);
        assert_eq!(
            check(&code(), "2026-04-01T04:00:31Z", &mut seen),
            Err(PayCodeError::AlreadyUsed)
        );
    }

    #[test]
    fn a_code_older_than_60_seconds_is_expired() {
        let mut seen = HashSet::new();
        assert!(check(&code(), "2026-04-01T04:01:07Z", &mut seen).is_ok());
        let mut seen = HashSet::new();
        assert_eq!(
            check(&code(), "2026-04-01T04:01:08Z", &mut seen),
            Err(PayCodeError::Expired {
                issued_at: ts(ISSUED)
            })
        );
        assert!(seen.is_empty(), "a refused code must not take a slot");
    }

    #[test]
    fn a_code_from_beyond_the_skew_fails_its_signature() {
        let mut seen = HashSet::new();
        assert!(check(&code(), "2026-04-01T04:00:02Z", &mut seen).is_ok());
        let mut seen = HashSet::new();
        assert_eq!(
            check(&code(), "2026-04-01T04:00:01Z", &mut seen),
            Err(PayCodeError::BadSignature)
        );
    }

    #[test]
    fn an_unknown_token_answers_like_a_bad_signature() {
        let other = TokenRef::new(1).unwrap();
        let c = issue(&Secret::new(b"x".to_vec()), other, 1, ts(ISSUED)).unwrap();
        let mut seen = HashSet::new();
        assert_eq!(
            check(&c, "2026-04-01T04:00:10Z", &mut seen),
            Err(PayCodeError::BadSignature)
        );
    }

    #[test]
    fn shape_errors_are_precise() {
        let mut seen = HashSet::new();
        let at = "2026-04-01T04:00:10Z";
        assert_eq!(
            check("28", at, &mut seen),
            Err(PayCodeError::WrongLength { expected: 24 })
        );
        assert_eq!(
            check(&format!("28{}", "x".repeat(22)), at, &mut seen),
            Err(PayCodeError::NotDigits)
        );
        assert_eq!(
            check(&"1".repeat(24), at, &mut seen),
            Err(PayCodeError::WrongPrefix)
        );
        // 24 bytes of multi-byte characters must not panic on slicing.
        assert_eq!(
            check("二八二八二八二八", at, &mut seen),
            Err(PayCodeError::NotDigits)
        );
    }

    #[test]
    fn issue_rejects_out_of_range_fields() {
        assert_eq!(
            TokenRef::new(100_000_000),
            Err(PayCodeError::FieldOutOfRange)
        );
        let s = Secret::new(vec![1]);
        let t = TokenRef::new(1).unwrap();
        assert_eq!(
            issue(&s, t, 1_000, ts(ISSUED)),
            Err(PayCodeError::FieldOutOfRange)
        );
    }

    proptest! {
        #[test]
        fn random_strings_never_panic_the_verifier(text in "\\PC{0,40}", digits in "28[0-9]{22}") {
            let mut seen = HashSet::new();
            let _ = check(&text, "2026-04-01T04:00:10Z", &mut seen);
            prop_assert!(check(&digits, "2026-04-01T04:00:10Z", &mut seen).is_err() || digits == code());
        }

        #[test]
        fn any_tampered_digit_fails(pos in 0usize..24, bump in 1u8..10) {
            let good = code();
            let mut bytes = good.clone().into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + bump) % 10;
            let bad = String::from_utf8(bytes).unwrap();
            let mut seen = HashSet::new();
            prop_assert!(check(&bad, "2026-04-01T04:00:10Z", &mut seen).is_err());
            prop_assert!(seen.is_empty());
            prop_assert!(check(&good, "2026-04-01T04:00:10Z", &mut seen).is_ok());
        }
    }
}
