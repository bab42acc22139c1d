//! The 18-character mainland resident identity card number (居民身份证号, GB 11643-1999; C2 data,
//! §8): 6-digit area code, 8-digit birth date, 3-digit sequence, ISO 7064 MOD 11-2 check character
//! (`0`–`9` or `X`). Stored as a [`Secret`]; shown masked as `110***********1234`.

use std::fmt;

use cardlife_kernel::Secret;
use jiff::civil::Date;

use crate::error::CustomerError;

/// Characters in a resident ID.
const ID_CHARS: usize = 18;
/// ISO 7064 MOD 11-2 weights for the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder mod 11.
const CHECK: &[u8; 11] = b"10X98765432";

/// A validated resident ID number; `Display` and `Debug` show it masked.
#[derive(Clone)]
pub struct ResidentId(Secret<String>);

impl ResidentId {
    /// Parses an 18-character ID (surrounding whitespace trimmed; a lowercase `x` is accepted and
    /// normalised to `X`), checking the birth date and the check character.
    pub fn parse(text: &str) -> Result<Self, CustomerError> {
        let text = text.trim().to_ascii_uppercase();
        let chars = text.chars().count();
        if chars != ID_CHARS {
            return Err(CustomerError::ResidentIdWrongLength { chars });
        }
        let bytes = text.as_bytes();
        let (body, check) = (&bytes[..17], bytes[17]);
        if !body.iter().all(u8::is_ascii_digit) || !(check.is_ascii_digit() || check == b'X') {
            return Err(CustomerError::ResidentIdNotDigits);
        }
        if birth_date(&text).is_none() {
            return Err(CustomerError::ResidentIdBadBirthDate);
        }
        if check_char(body) != check {
            return Err(CustomerError::ResidentIdChecksumMismatch);
        }
        Ok(Self(Secret::new(text)))
    }

    /// The full number, for the real-name verification service only.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// The date of birth it encodes.
    pub fn birth_date(&self) -> Option<Date> {
        birth_date(self.expose_secret())
    }

    /// First 3 and last 4 characters: `110***********1234`.
    pub fn masked(&self) -> String {
        let id = self.expose_secret();
        format!(
            "{}{}{}",
            &id[..3],
            "*".repeat(ID_CHARS - 7),
            &id[ID_CHARS - 4..]
        )
    }
}

impl PartialEq for ResidentId {
    fn eq(&self, other: &Self) -> bool {
        self.expose_secret() == other.expose_secret()
    }
}

impl Eq for ResidentId {}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

/// The check character of 17 ASCII digits.
fn check_char(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

/// Characters 7–14 (`YYYYMMDD`) as a date, if real and not before 1900.
fn birth_date(id: &str) -> Option<Date> {
    let year: i16 = id.get(6..10)?.parse().ok()?;
    let month: i8 = id.get(10..12)?.parse().ok()?;
    let day: i8 = id.get(12..14)?.parse().ok()?;
    if year < 1900 {
        return None;
    }
    Date::new(year, month, day).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    /// The GB 11643 worked example.
    const SAMPLE: &str = "11010519491231002X";

    #[test]
    fn resident_id_accepts_the_standard_example_and_masks_it() {
        let id = ResidentId::parse(SAMPLE).unwrap();
        assert_eq!(id.to_string(), "110***********002X");
        assert_eq!(format!("{id:?}"), "ResidentId(110***********002X)");
        assert_eq!(id.birth_date(), Some(jiff::civil::date(1949, 12, 31)));
    }

    #[test]
    fn resident_id_normalises_a_lowercase_x() {
        let id = ResidentId::parse(" 11010519491231002x ").unwrap();
        assert_eq!(id.expose_secret(), SAMPLE);
    }

    #[test]
    fn resident_id_rejects_a_wrong_check_character() {
        assert_eq!(
            ResidentId::parse("110105194912310021"),
            Err(CustomerError::ResidentIdChecksumMismatch)
        );
    }

    #[test]
    fn resident_id_rejects_bad_lengths_characters_and_dates() {
        assert_eq!(
            ResidentId::parse("11010519491231002"),
            Err(CustomerError::ResidentIdWrongLength { chars: 17 })
        );
        assert_eq!(
            ResidentId::parse("1101051949123100XX"),
            Err(CustomerError::ResidentIdNotDigits)
        );
        assert_eq!(
            ResidentId::parse("110105194902300021"),
            Err(CustomerError::ResidentIdBadBirthDate)
        );
    }

    proptest! {
        #[test]
        fn any_body_with_its_check_character_parses(area in "[1-6][0-9]{5}", days in 0i32..36_000, seq in "[0-9]{3}") {
            let date = jiff::civil::date(1920, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
            let body = format!("{area}{}{seq}", date.strftime("%Y%m%d"));
            let id = format!("{body}{}", char::from(check_char(body.as_bytes())));
            let parsed = ResidentId::parse(&id).unwrap();
            prop_assert_eq!(parsed.birth_date(), Some(date));
            prop_assert_eq!(&parsed.masked()[3..14], "***********");
        }
    }
}
