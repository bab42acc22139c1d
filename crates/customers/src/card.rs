//! Card numbers at the edge (PCI DSS, JR/T 0171 C2/C3, §8). A [`Pan`] is 12–19 digits with a valid
//! Luhn check digit; it prints only as first 6 + last 4 (`622575******1496`). A [`CardInput`] is
//! what a binding form sends: it accepts the CVV (C3) only to check its format and drops it — no
//! type in this crate can hold a CVV after [`CardInput::validate`].

use std::fmt;

use cardlife_kernel::{Secret, mask_pan};

use crate::error::CustomerError;

/// Digits a PAN may have (ISO/IEC 7812).
const PAN_DIGITS: std::ops::RangeInclusive<usize> = 12..=19;
/// Digits a CVV/CVN may have.
const CVV_DIGITS: std::ops::RangeInclusive<usize> = 3..=4;

/// A validated primary account number; `Display` and `Debug` show it masked.
#[derive(Clone)]
pub struct Pan(Secret<String>);

impl PartialEq for Pan {
    fn eq(&self, other: &Self) -> bool {
        self.expose_digits() == other.expose_digits()
    }
}

impl Eq for Pan {}

impl Pan {
    /// Parses a card number: surrounding whitespace and single spaces between digit groups are
    /// allowed; 12–19 ASCII digits; Luhn check digit.
    pub fn parse(text: &str) -> Result<Self, CustomerError> {
        let digits: String = text.trim().chars().filter(|&c| c != ' ').collect();
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CustomerError::PanNotDigits);
        }
        if !PAN_DIGITS.contains(&digits.len()) {
            return Err(CustomerError::PanWrongLength {
                digits: digits.len(),
            });
        }
        if !luhn_valid(&digits) {
            return Err(CustomerError::PanLuhnMismatch);
        }
        Ok(Self(Secret::new(digits)))
    }

    /// The full digits; only the vault and the lookup HMAC should ever call this.
    pub fn expose_digits(&self) -> &str {
        self.0.expose_secret()
    }

    /// The issuer identification number shown on screen (first 6 digits).
    pub fn first6(&self) -> &str {
        &self.expose_digits()[..6]
    }

    /// The last 4 digits.
    pub fn last4(&self) -> &str {
        let d = self.expose_digits();
        &d[d.len() - 4..]
    }

    /// The masked form `622575******1496`.
    pub fn masked(&self) -> String {
        mask_pan(self.expose_digits())
    }
}

impl PartialEq<str> for Pan {
    fn eq(&self, other: &str) -> bool {
        self.expose_digits() == other
    }
}

impl fmt::Display for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pan({})", self.masked())
    }
}

/// Whether the last digit of `digits` (all ASCII digits) is its Luhn check digit.
fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A card as typed into a binding form. Not `Clone`, not `Serialize`; `Debug` shows nothing
/// sensitive. [`CardInput::validate`] consumes it, so the CVV is dropped with it.
pub struct CardInput {
    pan: String,
    cvv: Secret<String>,
}

impl CardInput {
    /// Takes the raw form fields.
    pub fn new(pan: String, cvv: String) -> Self {
        Self {
            pan,
            cvv: Secret::new(cvv),
        }
    }

    /// Checks the CVV's format (3–4 digits) and the card number, returning only the [`Pan`]; the
    /// CVV never leaves this function (C3 data is not kept after use).
    pub fn validate(self) -> Result<Pan, CustomerError> {
        let Self { pan, cvv } = self;
        let cvv = cvv.expose_secret().trim();
        if !CVV_DIGITS.contains(&cvv.len()) || !cvv.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CustomerError::CvvMalformed);
        }
        Pan::parse(&pan)
    }
}

impl fmt::Debug for CardInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardInput(pan: {}, cvv: ***)", mask_pan(self.pan.trim()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    /// Appends the Luhn check digit to `body`.
    fn with_check_digit(body: &str) -> String {
        (0..10)
            .map(|d| format!("{body}{d}"))
            .find(|candidate| luhn_valid(candidate))
            .unwrap()
    }

    #[test]
    fn pan_parse_accepts_luhn_valid_numbers_with_group_spaces() {
        let pan = Pan::parse(" 4111 1111 1111 1111 ").unwrap();
        assert_eq!(pan.expose_digits(), "4111111111111111");
        assert_eq!(pan.first6(), "411111");
        assert_eq!(pan.last4(), "1111");
    }

    #[test]
    fn pan_displays_and_debugs_only_first_six_and_last_four() {
        let pan = Pan::parse("4111111111111111").unwrap();
        assert_eq!(pan.to_string(), "411111******1111");
        assert_eq!(format!("{pan:?}"), "Pan(411111******1111)");
    }

    #[test]
    fn pan_parse_rejects_a_wrong_check_digit() {
        assert_eq!(
            Pan::parse("4111111111111112"),
            Err(CustomerError::PanLuhnMismatch)
        );
    }

    #[test]
    fn pan_parse_rejects_wrong_lengths_and_non_digits() {
        assert_eq!(
            Pan::parse("41111111111"),
            Err(CustomerError::PanWrongLength { digits: 11 })
        );
        assert_eq!(
            Pan::parse("41111111111111111111"),
            Err(CustomerError::PanWrongLength { digits: 20 })
        );
        assert_eq!(
            Pan::parse("4111-1111-1111-1111"),
            Err(CustomerError::PanNotDigits)
        );
        assert_eq!(
            Pan::parse(""),
            Err(CustomerError::PanWrongLength { digits: 0 })
        );
    }

    #[test]
    fn card_input_checks_the_cvv_format_and_returns_only_the_pan() {
        let input = CardInput::new("4111111111111111".into(), "123".into());
        assert_eq!(
            format!("{input:?}"),
            "CardInput(pan: 411111******1111, cvv: ***)"
        );
        let pan: Pan = input.validate().unwrap();
        assert_eq!(pan.last4(), "1111");
        for bad in ["12", "12345", "12a", ""] {
            assert_eq!(
                CardInput::new("4111111111111111".into(), bad.into()).validate(),
                Err(CustomerError::CvvMalformed),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn every_body_with_its_check_digit_parses(body in "[0-9]{11,18}") {
            let pan = with_check_digit(&body);
            prop_assert!(Pan::parse(&pan).is_ok());
        }

        #[test]
        fn changing_one_digit_breaks_the_luhn_check(body in "[0-9]{11,18}", pos in any::<prop::sample::Index>(), delta in 1u8..10) {
            let pan = with_check_digit(&body);
            let i = pos.index(pan.len());
            let mut bytes = pan.into_bytes();
            bytes[i] = b'0' + (bytes[i] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(Pan::parse(&changed), Err(CustomerError::PanLuhnMismatch));
        }
    }
}
