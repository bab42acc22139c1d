//! A mainland-China mobile number (C2 data, §8): 11 digits starting 13–19, parsed at the edge from
//! `13812345678`, `+86 13812345678` or `+8613812345678` (spaces allowed around it), stored
//! normalised without the country code, and shown masked (`138****5678`) by `Display` and `Debug`.

use std::fmt;

use cardlife_kernel::{Secret, mask_phone};

use crate::crypto::hmac_sha256;
use crate::error::CustomerError;

/// Digits in a mainland mobile number.
const PHONE_DIGITS: usize = 11;

/// A validated mainland mobile number.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

impl Phone {
    /// Parses a mainland mobile number, accepting an optional `+86` prefix (optionally followed by
    /// spaces) and surrounding whitespace; nothing else (no inner spaces, no full-width digits).
    pub fn parse(text: &str) -> Result<Self, CustomerError> {
        let trimmed = text.trim();
        let digits = trimmed.strip_prefix("+86").map_or(trimmed, str::trim_start);
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CustomerError::PhoneNotDigits);
        }
        if digits.len() != PHONE_DIGITS {
            return Err(CustomerError::PhoneWrongLength {
                digits: digits.len(),
            });
        }
        let bytes = digits.as_bytes();
        if bytes[0] != b'1' || !(b'3'..=b'9').contains(&bytes[1]) {
            return Err(CustomerError::PhoneNotMobile);
        }
        Ok(Self(digits.to_owned()))
    }

    /// The 11 digits, for sending an SMS or comparing; every call site uses the number on purpose.
    pub fn expose_digits(&self) -> &str {
        &self.0
    }

    /// The masked form `138****5678`.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

/// The secret keying phone lookup tokens: the store finds a customer by this HMAC of the number
/// and keeps only the masked form beside it, never the number in clear.
pub struct PhoneLookupKey(Secret<[u8; 32]>);

impl PhoneLookupKey {
    /// Wraps the key bytes.
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(Secret::new(bytes))
    }

    /// The lookup token of `phone`: equal numbers give equal tokens under one key.
    pub fn token_for(&self, phone: &Phone) -> [u8; 32] {
        hmac_sha256(
            self.0.expose_secret(),
            &[
                b"cardlife-phone-lookup-v1",
                phone.expose_digits().as_bytes(),
            ],
        )
    }
}

impl fmt::Debug for PhoneLookupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PhoneLookupKey(***)")
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn phone_parse_accepts_plain_and_plus_86_forms_and_normalises_them() {
        for text in [
            "13812345678",
            "+8613812345678",
            "+86 13812345678",
            "  13812345678\t",
            " +86  13812345678 ",
        ] {
            assert_eq!(Phone::parse(text).unwrap().expose_digits(), "13812345678");
        }
    }

    #[test]
    fn phone_displays_and_debugs_masked() {
        let phone = Phone::parse("13812345678").unwrap();
        assert_eq!(phone.to_string(), "138****5678");
        assert_eq!(format!("{phone:?}"), "Phone(138****5678)");
    }

    #[test]
    fn phone_parse_rejects_non_digits_and_inner_spaces() {
        for bad in [
            "138 1234 5678",
            "1381234567a",
            "１３８１２３４５６７８",
            "86-13812345678",
        ] {
            assert_eq!(
                Phone::parse(bad).err(),
                Some(CustomerError::PhoneNotDigits),
                "{bad}"
            );
        }
    }

    #[test]
    fn phone_parse_rejects_wrong_lengths() {
        assert_eq!(
            Phone::parse("1381234567"),
            Err(CustomerError::PhoneWrongLength { digits: 10 })
        );
        assert_eq!(
            Phone::parse(" "),
            Err(CustomerError::PhoneWrongLength { digits: 0 })
        );
        assert_eq!(
            Phone::parse("8613812345678"),
            Err(CustomerError::PhoneWrongLength { digits: 13 })
        );
    }

    #[test]
    fn phone_parse_rejects_numbers_outside_13_to_19() {
        for bad in ["12812345678", "10012345678", "23812345678"] {
            assert_eq!(
                Phone::parse(bad),
                Err(CustomerError::PhoneNotMobile),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn every_mainland_mobile_number_parses_with_or_without_prefix(n in "1[3-9][0-9]{9}") {
            let plain = Phone::parse(&n).unwrap();
            prop_assert_eq!(plain.expose_digits(), n.as_str());
            let prefixed = Phone::parse(&format!("+86 {n}")).unwrap();
            prop_assert_eq!(prefixed.expose_digits(), n.as_str());
            let masked = prefixed.to_string();
            prop_assert_eq!(&masked[..3], &n[..3]);
            prop_assert_eq!(&masked[3..7], "****");
            prop_assert_eq!(&masked[7..], &n[7..]);
        }
    }
}
