//! Merchant API request signing: HMAC-SHA256 over the request, a replay window, single-use
//! nonces and two active keys per merchant for rotation (docs/domain.md §8).
//!
//! The merchant sends one header, [`SIGNATURE_HEADER`]:
//!
//! ```text
//! Cardlife-Signature: k=<key id>,t=<unix seconds>,n=<nonce>,s=<64 lowercase hex>
//! ```
//!
//! in exactly that order, at most [`HEADER_CHARS_MAX`] characters. Key ids are 1–64 and nonces
//! 16–64 characters of `[A-Za-z0-9_-]`. `s` is HMAC-SHA256, keyed with the key's secret, over
//! the canonical string (lines joined by `\n`, no trailing newline):
//!
//! ```text
//! CARDLIFE-HMAC-SHA256
//! <METHOD>                 uppercase, e.g. POST
//! <path>                   as sent, query included, e.g. /v1/orders?x=1
//! <unix seconds>
//! <nonce>
//! <hex SHA-256 of the raw body>   (of the empty string for no body)
//! ```
//!
//! [`verify`] checks, in order: header shape → method and path shape → key id among the
//! merchant's active keys → signature, compared in constant time (`subtle`) → timestamp within
//! ±[`SigningPolicy::window_secs`] (300 s) of the injected `now` → nonce not seen before with
//! this key, through a caller-owned [`SeenSet`] kept until the window has passed. A forged or
//! stale request never takes a nonce slot.
//!
//! Rotation: a [`MerchantKeyring`] holds at most two active keys. [`MerchantKeyring::rotate`]
//! adds the new key and, if two were active, retires the older one; requests signed with either
//! active key verify, so a merchant can switch keys without downtime.

use cardlife_kernel::{MerchantId, Secret};
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::SigningError;
use crate::seen::SeenSet;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Cardlife-Signature";
/// The longest signature header value accepted.
pub const HEADER_CHARS_MAX: usize = 256;
/// Active keys a merchant may hold at once.
pub const ACTIVE_KEYS_MAX: usize = 2;
/// The shortest secret accepted, in bytes.
pub const SECRET_BYTES_MIN: usize = 32;
/// The longest key id or nonce.
pub const TOKEN_CHARS_MAX: usize = 64;
/// The shortest nonce.
pub const NONCE_CHARS_MIN: usize = 16;
/// The longest method name.
pub const METHOD_CHARS_MAX: usize = 16;
/// The longest path, query included.
pub const PATH_CHARS_MAX: usize = 2_048;

const SCHEME: &str = "CARDLIFE-HMAC-SHA256";

/// One signing key: its public id and its secret.
#[derive(Debug, Clone)]
pub struct SigningKey {
    id: String,
    secret: Secret<Vec<u8>>,
}

impl SigningKey {
    /// A key; the id must be 1–64 of `[A-Za-z0-9_-]`, the secret at least 32 bytes.
    pub fn new(id: &str, secret: Secret<Vec<u8>>) -> Result<Self, SigningError> {
        check_token(id, 1)?;
        if secret.expose_secret().len() < SECRET_BYTES_MIN {
            return Err(SigningError::SecretTooShort {
                min: SECRET_BYTES_MIN,
            });
        }
        Ok(Self {
            id: id.to_owned(),
            secret,
        })
    }

    /// The key id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A merchant's active keys: one or two.
#[derive(Debug, Clone)]
pub struct MerchantKeyring {
    merchant: MerchantId,
    keys: Vec<SigningKey>,
}

impl MerchantKeyring {
    /// A keyring with one active key.
    pub fn new(merchant: MerchantId, key: SigningKey) -> Self {
        Self {
            merchant,
            keys: vec![key],
        }
    }

    /// Adds a second active key.
    pub fn add(&mut self, key: SigningKey) -> Result<(), SigningError> {
        if self.keys.iter().any(|k| k.id == key.id) {
            return Err(SigningError::DuplicateKeyId);
        }
        if self.keys.len() >= ACTIVE_KEYS_MAX {
            return Err(SigningError::TooManyKeys {
                max: ACTIVE_KEYS_MAX,
            });
        }
        self.keys.push(key);
        Ok(())
    }

    /// Adds `key`, retiring the oldest if two were active; returns the retired key's id.
    pub fn rotate(&mut self, key: SigningKey) -> Result<Option<String>, SigningError> {
        if self.keys.iter().any(|k| k.id == key.id) {
            return Err(SigningError::DuplicateKeyId);
        }
        let retired = (self.keys.len() >= ACTIVE_KEYS_MAX).then(|| self.keys.remove(0).id);
        self.keys.push(key);
        Ok(retired)
    }

    /// Retires the key `id` unless it is the last one; returns whether it was retired.
    pub fn retire(&mut self, id: &str) -> bool {
        let before = self.keys.len();
        if before > 1 {
            self.keys.retain(|k| k.id != id);
        }
        self.keys.len() < before
    }

    /// The merchant.
    pub fn merchant(&self) -> MerchantId {
        self.merchant
    }

    /// The active key ids, oldest first.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.id.as_str())
    }

    fn key(&self, id: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.id == id)
    }
}

/// The parts of an HTTP request that are signed.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The path as sent, query included.
    pub path: &'a str,
    /// The raw body.
    pub body: &'a [u8],
}

/// The replay window; the default is ±300 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningPolicy {
    /// How far the request's timestamp may be from now, either way.
    pub window_secs: i64,
}

impl Default for SigningPolicy {
    fn default() -> Self {
        Self { window_secs: 300 }
    }
}

/// A request that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRequest {
    /// The merchant that signed it.
    pub merchant: MerchantId,
    /// The key it was signed with.
    pub key_id: String,
}

/// The nonce slot a verified request takes: (key id, nonce).
pub type NonceKey = (String, String);

/// The header value for `request`, signed with `key` at `timestamp` with `nonce`.
pub fn sign(
    request: &Request<'_>,
    key: &SigningKey,
    timestamp: Timestamp,
    nonce: &str,
) -> Result<String, SigningError> {
    check_request(request)?;
    check_token(nonce, NONCE_CHARS_MIN)?;
    let t = timestamp.as_second();
    let tag = mac(key, request, t, nonce).ok_or(SigningError::BadSignature)?;
    Ok(format!("k={},t={t},n={nonce},s={}", key.id, hex(&tag)))
}

/// Verifies `header` for `request` against the merchant's keys at `now`.
pub fn verify(
    request: &Request<'_>,
    header: &str,
    keyring: &MerchantKeyring,
    policy: &SigningPolicy,
    now: Timestamp,
    seen: &mut impl SeenSet<NonceKey>,
) -> Result<VerifiedRequest, SigningError> {
    let parsed = parse_header(header)?;
    check_request(request)?;
    let key = keyring.key(parsed.key_id).ok_or(SigningError::UnknownKey)?;
    let expected =
        mac(key, request, parsed.timestamp, parsed.nonce).ok_or(SigningError::BadSignature)?;
    if !bool::from(expected.ct_eq(&parsed.signature)) {
        return Err(SigningError::BadSignature);
    }
    let skew = now.as_second().saturating_sub(parsed.timestamp);
    if skew.saturating_abs() > policy.window_secs {
        return Err(SigningError::StaleTimestamp {
            timestamp: parsed.timestamp,
            window_secs: policy.window_secs,
        });
    }
    let keep_until = Timestamp::from_second(parsed.timestamp.saturating_add(policy.window_secs))
        .unwrap_or(Timestamp::MAX);
    let slot = (parsed.key_id.to_owned(), parsed.nonce.to_owned());
    if !seen.first_sighting(slot, keep_until) {
        return Err(SigningError::Replayed);
    }
    Ok(VerifiedRequest {
        merchant: keyring.merchant,
        key_id: parsed.key_id.to_owned(),
    })
}

struct Header<'a> {
    key_id: &'a str,
    timestamp: i64,
    nonce: &'a str,
    signature: [u8; 32],
}

fn parse_header(header: &str) -> Result<Header<'_>, SigningError> {
    let malformed = |reason| SigningError::MalformedHeader { reason };
    if header.len() > HEADER_CHARS_MAX {
        return Err(malformed("too long"));
    }
    let parts: Vec<&str> = header.splitn(5, ',').collect();
    let [k, t, n, s] = parts[..] else {
        return Err(malformed("expected k=…,t=…,n=…,s=…"));
    };
    let key_id = k.strip_prefix("k=").ok_or(malformed("k= missing"))?;
    let t = t.strip_prefix("t=").ok_or(malformed("t= missing"))?;
    let nonce = n.strip_prefix("n=").ok_or(malformed("n= missing"))?;
    let s = s.strip_prefix("s=").ok_or(malformed("s= missing"))?;
    check_token(key_id, 1)?;
    check_token(nonce, NONCE_CHARS_MIN)?;
    let digits_only = !t.is_empty() && t.len() <= 12 && t.bytes().all(|b| b.is_ascii_digit());
    let timestamp = digits_only
        .then(|| t.parse::<i64>().ok())
        .flatten()
        .ok_or(malformed("t is not Unix seconds"))?;
    let signature = unhex(s).ok_or(malformed("s is not 64 lowercase hex digits"))?;
    Ok(Header {
        key_id,
        timestamp,
        nonce,
        signature,
    })
}

fn check_token(text: &str, min: usize) -> Result<(), SigningError> {
    let ok = (min..=TOKEN_CHARS_MAX).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(SigningError::MalformedToken)
    }
}

fn check_request(request: &Request<'_>) -> Result<(), SigningError> {
    let method_ok = (1..=METHOD_CHARS_MAX).contains(&request.method.len())
        && request.method.bytes().all(|b| b.is_ascii_uppercase());
    // No whitespace or controls: the canonical string is line-based and must be unambiguous.
    let path_ok = request.path.starts_with('/')
        && request.path.len() <= PATH_CHARS_MAX
        && request.path.bytes().all(|b| b.is_ascii_graphic());
    if method_ok && path_ok {
        Ok(())
    } else {
        Err(SigningError::MalformedRequest)
    }
}

fn mac(key: &SigningKey, request: &Request<'_>, timestamp: i64, nonce: &str) -> Option<[u8; 32]> {
    let body_hash = hex(&Sha256::digest(request.body));
    let canonical = format!(
        "{SCHEME}\n{}\n{}\n{timestamp}\n{nonce}\n{body_hash}",
        request.method, request.path
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(key.secret.expose_secret()).ok()?;
    mac.update(canonical.as_bytes());
    Some(mac.finalize().into_bytes().into())
}

/// Lowercase hex of `bytes` (shared with webhook signatures).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A 32-byte MAC back from 64 lowercase hex digits (shared with webhook signatures).
pub(crate) fn unhex(text: &str) -> Option<[u8; 32]> {
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *slot = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests;
