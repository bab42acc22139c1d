//! AES-256-GCM sealing of every C2 value kept encrypted at rest (§8): card numbers and real-name
//! details. Each seal takes a fresh random 96-bit nonce; the associated data names the kind of
//! value and the key id, so a ciphertext opens neither under another key nor as another kind.

use aes_gcm::aead::{Aead, Payload};

use crate::card_vault::{VaultKey, VaultKeyId, VaultKeyring};
use crate::entropy::Entropy;
use crate::error::CustomerError;

/// A nonce and the ciphertext with its tag, sealed under `key` for `purpose`.
pub(crate) fn seal(
    purpose: &[u8],
    key: &VaultKey,
    plain: &[u8],
    entropy: &mut impl Entropy,
) -> Result<([u8; 12], Vec<u8>), CustomerError> {
    let mut nonce = [0u8; 12];
    entropy.fill(&mut nonce);
    let aad = aad(purpose, key.id());
    let ciphertext = key
        .cipher()
        .encrypt(
            &nonce.into(),
            Payload {
                msg: plain,
                aad: &aad,
            },
        )
        .map_err(|_| CustomerError::VaultEncryptFailed)?;
    Ok((nonce, ciphertext))
}

/// The plaintext of a [`seal`] for `purpose` under the keyring's key `key_id`.
pub(crate) fn open(
    purpose: &[u8],
    keyring: &VaultKeyring,
    key_id: VaultKeyId,
    nonce: &[u8; 12],
    ciphertext: &[u8],
) -> Result<Vec<u8>, CustomerError> {
    let key = keyring
        .get(key_id)
        .ok_or(CustomerError::VaultKeyUnknown { key_id })?;
    let aad = aad(purpose, key_id);
    key.cipher()
        .decrypt(
            nonce.into(),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| CustomerError::VaultDecryptFailed)
}

fn aad(purpose: &[u8], key_id: VaultKeyId) -> Vec<u8> {
    [purpose, &key_id.0.to_be_bytes()].concat()
}
