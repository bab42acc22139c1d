//! Real-name details at rest (C2, §8): the resident ID as an HMAC under its own lookup key (so
//! "is this ID already some customer's?" is an equality lookup without the number), and the name
//! and ID together sealed with AES-256-GCM in the vault. Only the masked forms are kept in clear.

use std::fmt;

use cardlife_kernel::Secret;

use crate::card_vault::{VaultKey, VaultKeyId, VaultKeyring};
use crate::crypto::hmac_sha256;
use crate::entropy::Entropy;
use crate::error::CustomerError;
use crate::profile::RealName;
use crate::resident_id::ResidentId;
use crate::sealing;

/// Domain separation for the AES-GCM associated data of real-name details.
const SEAL_PURPOSE: &[u8] = b"cardlife-real-name-v1:";

/// The secret keying resident-ID lookup tokens.
pub struct ResidentIdLookupKey(Secret<[u8; 32]>);

impl ResidentIdLookupKey {
    /// Wraps the key bytes.
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(Secret::new(bytes))
    }

    /// The lookup token of `id`: equal numbers give equal tokens under one key.
    pub fn token_for(&self, id: &ResidentId) -> [u8; 32] {
        hmac_sha256(
            self.0.expose_secret(),
            &[
                b"cardlife-resident-id-lookup-v1",
                id.expose_secret().as_bytes(),
            ],
        )
    }
}

impl fmt::Debug for ResidentIdLookupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResidentIdLookupKey(***)")
    }
}

/// A name and resident ID sealed together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedRealName {
    /// The key that sealed it.
    pub key_id: VaultKeyId,
    /// The random nonce.
    pub nonce: [u8; 12],
    /// Ciphertext followed by the authentication tag.
    pub ciphertext: Vec<u8>,
}

impl SealedRealName {
    /// Seals `name` and `id` under `key`. A name holds no control character, so a newline
    /// separates the two unambiguously.
    pub fn seal(
        name: &RealName,
        id: &ResidentId,
        key: &VaultKey,
        entropy: &mut impl Entropy,
    ) -> Result<Self, CustomerError> {
        let plain = format!("{}\n{}", name.expose_secret(), id.expose_secret());
        let (nonce, ciphertext) = sealing::seal(SEAL_PURPOSE, key, plain.as_bytes(), entropy)?;
        Ok(Self {
            key_id: key.id(),
            nonce,
            ciphertext,
        })
    }

    /// The name and ID, decrypted with the keyring's key of this ciphertext's id.
    pub fn open(&self, keyring: &VaultKeyring) -> Result<(RealName, ResidentId), CustomerError> {
        let plain = sealing::open(
            SEAL_PURPOSE,
            keyring,
            self.key_id,
            &self.nonce,
            &self.ciphertext,
        )?;
        let text = String::from_utf8(plain).map_err(|_| CustomerError::VaultDecryptFailed)?;
        let (name, id) = text
            .split_once('\n')
            .ok_or(CustomerError::VaultDecryptFailed)?;
        Ok((
            RealName::parse(name).map_err(|_| CustomerError::VaultDecryptFailed)?,
            ResidentId::parse(id).map_err(|_| CustomerError::VaultDecryptFailed)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::card_vault::VaultedPan;
    use crate::entropy::test_entropy;

    fn keyring() -> VaultKeyring {
        VaultKeyring::new(VaultKey::new(VaultKeyId(7), [9; 32]))
    }
    fn details() -> (RealName, ResidentId) {
        (
            RealName::parse("张三").unwrap(),
            ResidentId::parse("11010519491231002X").unwrap(),
        )
    }

    #[test]
    fn sealed_details_open_to_the_same_name_and_id_and_hide_both() {
        let (name, id) = details();
        let ring = keyring();
        let sealed = SealedRealName::seal(&name, &id, ring.active(), &mut test_entropy(3)).unwrap();
        let text = String::from_utf8_lossy(&sealed.ciphertext);
        assert!(!text.contains("张三") && !text.contains("11010519491231002X"));
        let (n, i) = sealed.open(&ring).unwrap();
        assert_eq!((n, i.expose_secret()), (name, "11010519491231002X"));
    }

    #[test]
    fn a_tampered_ciphertext_or_another_key_does_not_open() {
        let (name, id) = details();
        let ring = keyring();
        let mut sealed =
            SealedRealName::seal(&name, &id, ring.active(), &mut test_entropy(3)).unwrap();
        let other = VaultKeyring::new(VaultKey::new(VaultKeyId(7), [8; 32]));
        assert!(matches!(
            sealed.open(&other),
            Err(CustomerError::VaultDecryptFailed)
        ));
        sealed.ciphertext[0] ^= 1;
        assert!(matches!(
            sealed.open(&ring),
            Err(CustomerError::VaultDecryptFailed)
        ));
    }

    #[test]
    fn a_sealed_card_number_does_not_open_as_real_name_details() {
        let ring = keyring();
        let pan = crate::card::Pan::parse("4111111111111111").unwrap();
        let vaulted = VaultedPan::seal(&pan, ring.active(), &mut test_entropy(3)).unwrap();
        let moved = SealedRealName {
            key_id: vaulted.key_id,
            nonce: vaulted.nonce,
            ciphertext: vaulted.ciphertext,
        };
        assert!(
            moved.open(&ring).is_err(),
            "the purpose is bound in the tag"
        );
    }

    #[test]
    fn lookup_tokens_are_equal_for_equal_ids_and_differ_by_key() {
        let id = details().1;
        let key = ResidentIdLookupKey::new([1; 32]);
        let again = ResidentId::parse("11010519491231002x").unwrap();
        assert_eq!(key.token_for(&id), key.token_for(&again));
        assert_ne!(
            key.token_for(&id),
            ResidentIdLookupKey::new([2; 32]).token_for(&id)
        );
    }
}
