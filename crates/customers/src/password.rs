//! Passwords (§8, C3): a [`PasswordPolicy`] (8–128 characters, not only digits, not the phone
//! number) guards new passwords; a [`PasswordHash`] is an argon2id PHC string
//! (`$argon2id$v=19$m=19456,t=2,p=1$…`) with a random 16-byte salt. The password itself is only
//! ever held in a [`Secret`] and never stored.

use std::fmt;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use cardlife_kernel::Secret;

use crate::entropy::Entropy;
use crate::error::CustomerError;
use crate::phone::Phone;

/// Salt length in bytes (the PHC recommendation).
const SALT_BYTES: usize = 16;

/// Rules for a new password. Lengths are in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    min_chars: usize,
    max_chars: usize,
}

impl PasswordPolicy {
    /// 8 to 128 characters.
    pub const DEFAULT: Self = Self {
        min_chars: 8,
        max_chars: 128,
    };

    /// Shortest allowed password.
    pub const fn min_chars(&self) -> usize {
        self.min_chars
    }

    /// Longest allowed password (bounds argon2 work per request).
    pub const fn max_chars(&self) -> usize {
        self.max_chars
    }
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A new password that passed the policy.
pub struct Password(Secret<String>);

impl Password {
    /// Checks `text` against `policy` and the customer's `phone`.
    pub fn parse(
        text: String,
        phone: &Phone,
        policy: &PasswordPolicy,
    ) -> Result<Self, CustomerError> {
        let chars = text.chars().count();
        if chars < policy.min_chars {
            return Err(CustomerError::PasswordTooShort {
                min: policy.min_chars,
            });
        }
        if chars > policy.max_chars {
            return Err(CustomerError::PasswordTooLong {
                max: policy.max_chars,
            });
        }
        if text.chars().all(|c| c.is_ascii_digit()) {
            return Err(CustomerError::PasswordAllDigits);
        }
        if Phone::parse(&text).is_ok_and(|p| &p == phone) {
            return Err(CustomerError::PasswordEqualsPhone);
        }
        Ok(Self(Secret::new(text)))
    }

    /// The password, for hashing.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordHashParams {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

impl PasswordHashParams {
    /// §8 / OWASP: m = 19 MiB, t = 2, p = 1.
    pub const PRODUCTION: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// Other costs, e.g. cheap ones in tests; argon2's own bounds are checked when hashing.
    pub const fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Self {
        Self {
            memory_kib,
            iterations,
            parallelism,
        }
    }

    fn argon2(&self) -> Result<Argon2<'static>, CustomerError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|_| CustomerError::PasswordHashFailed)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

impl Default for PasswordHashParams {
    fn default() -> Self {
        Self::PRODUCTION
    }
}

/// An argon2id hash in PHC string form, the only password-derived value stored.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Hashes `password` with `params` and a random salt.
    pub fn create(
        password: &Password,
        params: &PasswordHashParams,
        entropy: &mut impl Entropy,
    ) -> Result<Self, CustomerError> {
        let mut salt = [0u8; SALT_BYTES];
        entropy.fill(&mut salt);
        let hash = params
            .argon2()?
            .hash_password_with_salt(password.expose_secret().as_bytes(), &salt)
            .map_err(|_| CustomerError::PasswordHashFailed)?;
        Ok(Self(hash.to_string()))
    }

    /// Restores a stored PHC string; it must be well-formed argon2id.
    pub fn from_phc(text: String) -> Result<Self, CustomerError> {
        let parsed =
            argon2::PasswordHash::new(&text).map_err(|_| CustomerError::PasswordHashMalformed)?;
        if parsed.algorithm.as_str() != "argon2id" || parsed.hash.is_none() {
            return Err(CustomerError::PasswordHashMalformed);
        }
        Ok(Self(text))
    }

    /// The PHC string, for storage.
    pub fn as_phc(&self) -> &str {
        &self.0
    }

    /// Checks a login attempt; the comparison inside argon2 is constant-time. The parameters come
    /// from the stored string, so hashes made under older costs still verify.
    pub fn verify(&self, candidate: &str) -> Result<(), CustomerError> {
        Argon2::default()
            .verify_password(candidate.as_bytes(), self.0.as_str())
            .map_err(|e| match e {
                argon2::password_hash::Error::PasswordInvalid => CustomerError::PasswordMismatch,
                _ => CustomerError::PasswordHashMalformed,
            })
    }

    /// Whether the hash was made with costs other than `params` (rehash after a good login).
    pub fn needs_rehash(&self, params: &PasswordHashParams) -> bool {
        let expected = format!(
            "m={},t={},p={}",
            params.memory_kib, params.iterations, params.parallelism
        );
        !self.0.contains(&format!("${expected}$"))
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::entropy::test_entropy;
    use proptest::prelude::*;

    /// Cheap costs so debug-build tests stay fast; production uses [`PasswordHashParams::PRODUCTION`].
    const FAST: PasswordHashParams = PasswordHashParams::new(64, 1, 1);

    fn phone() -> Phone {
        Phone::parse("13812345678").unwrap()
    }
    fn password(text: &str) -> Password {
        Password::parse(text.into(), &phone(), &PasswordPolicy::DEFAULT).unwrap()
    }

    #[test]
    fn production_params_are_argon2id_19_mib_two_passes_one_lane() {
        assert_eq!(
            PasswordHashParams::default(),
            PasswordHashParams::new(19456, 2, 1)
        );
    }

    #[test]
    fn password_policy_enforces_length_in_characters() {
        let p = |t: &str| Password::parse(t.into(), &phone(), &PasswordPolicy::DEFAULT).map(|_| ());
        assert_eq!(
            p("abc1234"),
            Err(CustomerError::PasswordTooShort { min: 8 })
        );
        assert_eq!(p("密码密码密码密码"), Ok(()));
        assert_eq!(
            p(&"a".repeat(129)),
            Err(CustomerError::PasswordTooLong { max: 128 })
        );
        assert_eq!(p(&"a".repeat(128)), Ok(()));
    }

    #[test]
    fn password_policy_rejects_all_digits_and_the_phone_number() {
        let p = |t: &str| Password::parse(t.into(), &phone(), &PasswordPolicy::DEFAULT).map(|_| ());
        assert_eq!(p("12345678"), Err(CustomerError::PasswordAllDigits));
        assert_eq!(p("+8613812345678"), Err(CustomerError::PasswordEqualsPhone));
        assert_eq!(p("+8613912345678"), Ok(()));
    }

    #[test]
    fn hash_is_an_argon2id_phc_string_that_verifies_only_the_right_password() {
        let hash =
            PasswordHash::create(&password("correct horse"), &FAST, &mut test_entropy(1)).unwrap();
        assert!(
            hash.as_phc().starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
            "{}",
            hash.as_phc()
        );
        assert_eq!(hash.verify("correct horse"), Ok(()));
        assert_eq!(
            hash.verify("correct horsE"),
            Err(CustomerError::PasswordMismatch)
        );
        assert_eq!(format!("{hash:?}"), "PasswordHash(***)");
    }

    #[test]
    fn hashing_twice_uses_different_salts() {
        let mut e = test_entropy(2);
        let a = PasswordHash::create(&password("correct horse"), &FAST, &mut e).unwrap();
        let b = PasswordHash::create(&password("correct horse"), &FAST, &mut e).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn stored_hashes_round_trip_and_garbage_is_rejected() {
        let hash =
            PasswordHash::create(&password("correct horse"), &FAST, &mut test_entropy(3)).unwrap();
        let restored = PasswordHash::from_phc(hash.as_phc().to_owned()).unwrap();
        assert_eq!(restored.verify("correct horse"), Ok(()));
        assert!(!restored.needs_rehash(&FAST));
        assert!(restored.needs_rehash(&PasswordHashParams::PRODUCTION));
        assert_eq!(
            PasswordHash::from_phc("not a hash".into()),
            Err(CustomerError::PasswordHashMalformed)
        );
        let argon2i = hash.as_phc().replacen("argon2id", "argon2i", 1);
        assert_eq!(
            PasswordHash::from_phc(argon2i),
            Err(CustomerError::PasswordHashMalformed)
        );
    }

    #[test]
    fn out_of_range_costs_fail_to_hash() {
        let bad = PasswordHashParams::new(1, 1, 1);
        assert_eq!(
            PasswordHash::create(&password("correct horse"), &bad, &mut test_entropy(4)),
            Err(CustomerError::PasswordHashFailed)
        );
    }

    proptest! {
        #[test]
        fn any_password_with_a_letter_and_enough_length_passes_the_policy(s in "[a-zA-Z][a-zA-Z0-9 !-~]{7,60}") {
            prop_assert!(Password::parse(s, &phone(), &PasswordPolicy::DEFAULT).is_ok());
        }
    }
}
