//! Sealing the merchants' secrets at rest (docs/merchants.md): settlement account numbers and
//! signing secrets are encrypted with AES-256-GCM under a numbered key (the key id is associated
//! data, so keys can rotate), and settlement accounts also get an HMAC-SHA256 lookup hash.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use cardlife_kernel::Secret;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::MerchantsError;

const AAD_PREFIX: &[u8] = b"cardlife-merchants-seal-v1:";

/// A value sealed with AES-256-GCM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sealed {
    pub(crate) key_id: i64,
    pub(crate) nonce: Vec<u8>,
    pub(crate) ciphertext: Vec<u8>,
}

/// The sealing key and its id.
#[derive(Debug)]
pub(crate) struct Sealer {
    key_id: i64,
    key: Secret<[u8; 32]>,
}

impl Sealer {
    pub(crate) fn new(key_id: i64, key: Secret<[u8; 32]>) -> Self {
        Self { key_id, key }
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&(*self.key.expose_secret()).into())
    }

    fn aad(key_id: i64) -> Vec<u8> {
        [AAD_PREFIX, &key_id.to_be_bytes()].concat()
    }

    /// Encrypts `plain` with a fresh random 96-bit nonce.
    pub(crate) fn seal(&self, plain: &[u8]) -> Result<Sealed, MerchantsError> {
        let nonce: [u8; 12] = rand::random();
        let aad = Self::aad(self.key_id);
        let ciphertext = self
            .cipher()
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| MerchantsError::Seal)?;
        Ok(Sealed {
            key_id: self.key_id,
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Decrypts a value sealed under this key.
    pub(crate) fn open(&self, sealed: &Sealed) -> Result<Vec<u8>, MerchantsError> {
        if sealed.key_id != self.key_id {
            return Err(MerchantsError::Seal);
        }
        let nonce: [u8; 12] = sealed
            .nonce
            .as_slice()
            .try_into()
            .map_err(|_| MerchantsError::Seal)?;
        let aad = Self::aad(sealed.key_id);
        self.cipher()
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| MerchantsError::Seal)
    }
}

/// HMAC-SHA256 of `parts` under `key`, parts length-prefixed so they cannot run together.
pub(crate) fn keyed_hash(key: &Secret<[u8; 32]>, parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes a key of any length: new_from_slice cannot fail here.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.expose_secret()) else {
        return [0; 32];
    };
    for p in parts {
        mac.update(&(p.len() as u64).to_be_bytes());
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_untampered() {
        let sealer = Sealer::new(1, Secret::new([7; 32]));
        let sealed = sealer.seal(b"6222020200112233445").unwrap();
        assert!(!sealed.ciphertext.windows(4).any(|w| w == b"6222"));
        assert_eq!(sealer.open(&sealed).unwrap(), b"6222020200112233445");
        let other = Sealer::new(1, Secret::new([8; 32]));
        assert!(other.open(&sealed).is_err());
        let mut tampered = sealed.clone();
        tampered.ciphertext[0] ^= 1;
        assert!(sealer.open(&tampered).is_err());
    }
}
