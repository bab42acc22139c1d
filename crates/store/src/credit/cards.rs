//! Card numbers at rest: an HMAC-SHA256 lookup token (unique, for finding the card by number)
//! and an AES-256-GCM ciphertext from the customers context's vault; only first 6 + last 4
//! are kept in the clear, and no CVV is ever accepted here.

use std::fmt;

use cardlife_customers::{CardLookupKey, Pan, VaultKey, VaultKeyId, VaultedPan};
use cardlife_kernel::Secret;

use super::error::CreditError;

/// The two card keys: lookup (HMAC) and vault (AES-256-GCM, key id 1).
#[derive(Clone)]
pub struct CardKeys {
    lookup: Secret<[u8; 32]>,
    vault: Secret<[u8; 32]>,
}

impl CardKeys {
    /// Keys from their bytes.
    pub const fn new(lookup: [u8; 32], vault: [u8; 32]) -> Self {
        Self {
            lookup: Secret::new(lookup),
            vault: Secret::new(vault),
        }
    }

    /// Both keys derived from one 32-byte secret (`CARDLIFE_CARD_KEY`), separated by label.
    pub fn derive(secret: &[u8]) -> Self {
        use sha2::{Digest, Sha256};
        let part = |label: &[u8]| -> [u8; 32] {
            let mut h = Sha256::new();
            h.update(label);
            h.update(secret);
            h.finalize().into()
        };
        Self::new(part(b"cardlife-card-lookup"), part(b"cardlife-card-vault"))
    }

    /// The lookup token of `pan`.
    pub fn lookup(&self, pan: &Pan) -> [u8; 32] {
        *CardLookupKey::new(*self.lookup.expose_secret())
            .token_for(pan)
            .as_bytes()
    }

    /// `pan` sealed under the vault key with a fresh random nonce.
    pub fn seal(&self, pan: &Pan) -> Result<VaultedPan, CreditError> {
        let key = VaultKey::new(VaultKeyId(1), *self.vault.expose_secret());
        let mut entropy = |buf: &mut [u8]| {
            for b in buf.iter_mut() {
                *b = rand::random();
            }
        };
        VaultedPan::seal(pan, &key, &mut entropy)
            .map_err(|e| CreditError::InvalidCard(e.to_string()))
    }
}

impl fmt::Debug for CardKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardKeys(***)")
    }
}
