//! Card tokenisation (PCI DSS, §8): a stored PAN is unreadable. A [`CardLookupToken`] is
//! HMAC-SHA256(lookup key; PAN), so "is this card already bound?" is an equality lookup without
//! the PAN; a [`VaultedPan`] is AES-256-GCM(PAN) under a [`VaultKey`] named by its id, with a random
//! 96-bit nonce and the key id as associated data, so keys can rotate and ciphertexts cannot be
//! moved between keys. Decrypting needs the key of that id from a [`VaultKeyring`]. Only the masked
//! first 6 + last 4 is kept in the clear.

use std::fmt;

use aes_gcm::{Aes256Gcm, KeyInit};
use serde::{Deserialize, Serialize};

use cardlife_kernel::Secret;

use crate::card::Pan;
use crate::crypto::hmac_sha256;
use crate::encoding::{hex_decode, hex_encode};
use crate::entropy::Entropy;
use crate::error::CustomerError;
use crate::sealing;

/// Domain separation for the AES-GCM associated data.
const VAULT_AAD_PREFIX: &[u8] = b"cardlife-pan-vault-v1:";

/// The secret keying lookup tokens (never rotated without re-tokenising every card).
pub struct CardLookupKey(Secret<[u8; 32]>);

impl CardLookupKey {
    /// Wraps the key bytes.
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(Secret::new(bytes))
    }

    /// The lookup token of `pan`: equal PANs give equal tokens under one key.
    pub fn token_for(&self, pan: &Pan) -> CardLookupToken {
        CardLookupToken(hmac_sha256(
            self.0.expose_secret(),
            &[b"cardlife-pan-lookup-v1", pan.expose_digits().as_bytes()],
        ))
    }
}

impl fmt::Debug for CardLookupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardLookupKey(***)")
    }
}

/// HMAC-SHA256 of a PAN; safe to index and store. Shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CardLookupToken([u8; 32]);

impl CardLookupToken {
    /// The raw bytes, for storage.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Restores a stored token.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses the 64-hex-digit form.
    pub fn from_hex(text: &str) -> Option<Self> {
        hex_decode(text).map(Self)
    }
}

impl fmt::Display for CardLookupToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex_encode(&self.0))
    }
}

impl fmt::Debug for CardLookupToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardLookupToken({self})")
    }
}

/// Names a vault key; stored next to every ciphertext it produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VaultKeyId(pub u32);

impl fmt::Display for VaultKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vk{}", self.0)
    }
}

/// An AES-256 key with its id.
pub struct VaultKey {
    id: VaultKeyId,
    key: Secret<[u8; 32]>,
}

impl VaultKey {
    /// Wraps the key bytes under `id`.
    pub const fn new(id: VaultKeyId, bytes: [u8; 32]) -> Self {
        Self {
            id,
            key: Secret::new(bytes),
        }
    }

    /// The key's id.
    pub const fn id(&self) -> VaultKeyId {
        self.id
    }

    pub(crate) fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&(*self.key.expose_secret()).into())
    }
}

impl fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VaultKey({}, ***)", self.id)
    }
}

/// The active key (encrypts) and retired keys (only decrypt, until re-encryption finishes).
#[derive(Debug)]
pub struct VaultKeyring {
    active: VaultKey,
    retired: Vec<VaultKey>,
}

impl VaultKeyring {
    /// A keyring whose only key is `active`.
    pub const fn new(active: VaultKey) -> Self {
        Self {
            active,
            retired: Vec::new(),
        }
    }

    /// Makes `key` active; the previous active key is kept for decryption.
    pub fn rotate_to(&mut self, key: VaultKey) {
        let old = std::mem::replace(&mut self.active, key);
        self.retired.push(old);
    }

    /// Keeps `key` for decryption only.
    pub fn add_retired(&mut self, key: VaultKey) {
        self.retired.push(key);
    }

    /// The key used for new ciphertexts.
    pub const fn active(&self) -> &VaultKey {
        &self.active
    }

    /// The key named `id`, active or retired.
    pub fn get(&self, id: VaultKeyId) -> Option<&VaultKey> {
        std::iter::once(&self.active)
            .chain(&self.retired)
            .find(|k| k.id == id)
    }
}

/// A PAN encrypted with AES-256-GCM: key id, 96-bit nonce, ciphertext with its 16-byte tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultedPan {
    /// The key that sealed it.
    pub key_id: VaultKeyId,
    /// The random nonce (never reused: 96 random bits per seal).
    pub nonce: [u8; 12],
    /// Ciphertext followed by the authentication tag.
    pub ciphertext: Vec<u8>,
}

impl VaultedPan {
    /// Encrypts `pan` under `key` with a fresh random nonce.
    pub fn seal(
        pan: &Pan,
        key: &VaultKey,
        entropy: &mut impl Entropy,
    ) -> Result<Self, CustomerError> {
        let (nonce, ciphertext) = sealing::seal(
            VAULT_AAD_PREFIX,
            key,
            pan.expose_digits().as_bytes(),
            entropy,
        )?;
        Ok(Self {
            key_id: key.id,
            nonce,
            ciphertext,
        })
    }

    /// Decrypts with the keyring's key of this ciphertext's id.
    pub fn open(&self, keyring: &VaultKeyring) -> Result<Pan, CustomerError> {
        let plain = sealing::open(
            VAULT_AAD_PREFIX,
            keyring,
            self.key_id,
            &self.nonce,
            &self.ciphertext,
        )?;
        let text = String::from_utf8(plain).map_err(|_| CustomerError::VaultDecryptFailed)?;
        Pan::parse(&text).map_err(|_| CustomerError::VaultDecryptFailed)
    }

    /// Re-encrypts under the keyring's active key (key rotation); a no-op copy if already there.
    pub fn reseal(
        &self,
        keyring: &VaultKeyring,
        entropy: &mut impl Entropy,
    ) -> Result<Self, CustomerError> {
        if self.key_id == keyring.active.id {
            return Ok(self.clone());
        }
        Self::seal(&self.open(keyring)?, &keyring.active, entropy)
    }
}

/// What is stored for a bound card: lookup token, vaulted PAN and the masked display form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenisedCard {
    lookup: CardLookupToken,
    vaulted: VaultedPan,
    masked: String,
}

impl TokenisedCard {
    /// Tokenises `pan` with the lookup key and the keyring's active vault key.
    pub fn tokenise(
        pan: &Pan,
        lookup_key: &CardLookupKey,
        keyring: &VaultKeyring,
        entropy: &mut impl Entropy,
    ) -> Result<Self, CustomerError> {
        Ok(Self {
            lookup: lookup_key.token_for(pan),
            vaulted: VaultedPan::seal(pan, keyring.active(), entropy)?,
            masked: pan.masked(),
        })
    }

    /// Restores a stored card.
    pub const fn from_parts(lookup: CardLookupToken, vaulted: VaultedPan, masked: String) -> Self {
        Self {
            lookup,
            vaulted,
            masked,
        }
    }

    /// The lookup token.
    pub const fn lookup(&self) -> &CardLookupToken {
        &self.lookup
    }

    /// The vaulted PAN.
    pub const fn vaulted(&self) -> &VaultedPan {
        &self.vaulted
    }

    /// The display form, first 6 + last 4: `622575******1496`.
    pub fn masked(&self) -> &str {
        &self.masked
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::entropy::test_entropy;
    use proptest::prelude::*;

    fn pan() -> Pan {
        Pan::parse("4111111111111111").unwrap()
    }
    fn keyring() -> VaultKeyring {
        VaultKeyring::new(VaultKey::new(VaultKeyId(1), [1; 32]))
    }

    #[test]
    fn tokenised_card_round_trips_through_the_vault_and_shows_only_first_six_and_last_four() {
        let ring = keyring();
        let card = TokenisedCard::tokenise(
            &pan(),
            &CardLookupKey::new([7; 32]),
            &ring,
            &mut test_entropy(1),
        )
        .unwrap();
        assert_eq!(card.masked(), "411111******1111");
        assert_eq!(card.vaulted().open(&ring).unwrap(), pan());
        let debug = format!("{card:?}");
        assert!(!debug.contains("4111111111111111"), "{debug}");
        assert!(
            !card
                .vaulted()
                .ciphertext
                .windows(16)
                .any(|w| w == b"4111111111111111")
        );
    }

    #[test]
    fn lookup_tokens_are_equal_for_equal_pans_and_differ_across_keys() {
        let a = CardLookupKey::new([7; 32]);
        let b = CardLookupKey::new([8; 32]);
        assert_eq!(a.token_for(&pan()), a.token_for(&pan()));
        assert_ne!(a.token_for(&pan()), b.token_for(&pan()));
        let other = Pan::parse("5555555555554444").unwrap();
        assert_ne!(a.token_for(&pan()), a.token_for(&other));
        let token = a.token_for(&pan());
        assert_eq!(CardLookupToken::from_hex(&token.to_string()), Some(token));
    }

    #[test]
    fn sealing_twice_uses_different_nonces() {
        let ring = keyring();
        let mut e = test_entropy(2);
        let x = VaultedPan::seal(&pan(), ring.active(), &mut e).unwrap();
        let y = VaultedPan::seal(&pan(), ring.active(), &mut e).unwrap();
        assert_ne!(x.nonce, y.nonce);
        assert_ne!(x.ciphertext, y.ciphertext);
    }

    #[test]
    fn opening_needs_the_key_with_the_ciphertexts_id() {
        let sealed = VaultedPan::seal(&pan(), keyring().active(), &mut test_entropy(3)).unwrap();
        let other = VaultKeyring::new(VaultKey::new(VaultKeyId(2), [1; 32]));
        assert_eq!(
            sealed.open(&other),
            Err(CustomerError::VaultKeyUnknown {
                key_id: VaultKeyId(1)
            })
        );
    }

    #[test]
    fn opening_fails_for_a_tampered_ciphertext_or_a_relabelled_key_id() {
        let ring = keyring();
        let sealed = VaultedPan::seal(&pan(), ring.active(), &mut test_entropy(4)).unwrap();
        let mut tampered = sealed.clone();
        tampered.ciphertext[0] ^= 1;
        assert_eq!(tampered.open(&ring), Err(CustomerError::VaultDecryptFailed));

        // Same key bytes under another id: the key id is authenticated, so this fails too.
        let mut both = keyring();
        both.add_retired(VaultKey::new(VaultKeyId(9), [1; 32]));
        let mut relabelled = sealed;
        relabelled.key_id = VaultKeyId(9);
        assert_eq!(
            relabelled.open(&both),
            Err(CustomerError::VaultDecryptFailed)
        );
    }

    #[test]
    fn rotation_keeps_old_ciphertexts_readable_and_reseal_moves_them_to_the_new_key() {
        let mut ring = keyring();
        let mut e = test_entropy(5);
        let old = VaultedPan::seal(&pan(), ring.active(), &mut e).unwrap();
        ring.rotate_to(VaultKey::new(VaultKeyId(2), [2; 32]));
        assert_eq!(old.open(&ring).unwrap(), pan());
        let new = old.reseal(&ring, &mut e).unwrap();
        assert_eq!(new.key_id, VaultKeyId(2));
        assert_eq!(new.open(&ring).unwrap(), pan());
    }

    #[test]
    fn keys_never_print_their_bytes() {
        assert_eq!(
            format!("{:?}", VaultKey::new(VaultKeyId(3), [0xab; 32])),
            "VaultKey(vk3, ***)"
        );
        assert_eq!(
            format!("{:?}", CardLookupKey::new([0xab; 32])),
            "CardLookupKey(***)"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn vault_round_trips_any_valid_pan(body in "[0-9]{15}", key in any::<[u8; 32]>(), seed in any::<u64>()) {
            let digits = (0..10).map(|d| format!("{body}{d}")).find(|c| Pan::parse(c).is_ok()).unwrap();
            let pan = Pan::parse(&digits).unwrap();
            let ring = VaultKeyring::new(VaultKey::new(VaultKeyId(1), key));
            let sealed = VaultedPan::seal(&pan, ring.active(), &mut test_entropy(seed)).unwrap();
            prop_assert_eq!(sealed.open(&ring).unwrap(), pan);
        }
    }
}
