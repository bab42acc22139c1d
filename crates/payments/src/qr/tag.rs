//! The two-digit tag of a data object, and which tags the payload names.

use std::fmt;

/// A data object's tag: `00`–`99`, shown with two digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(u8);

impl Tag {
    /// `00`: payload format indicator (`01` today).
    pub const PAYLOAD_FORMAT: Tag = Tag(0);
    /// `01`: point of initiation method (`11` static, `12` dynamic).
    pub const POINT_OF_INITIATION: Tag = Tag(1);
    /// `26`: the first merchant account information template (GUID in `00`, account in `01`).
    pub const MERCHANT_ACCOUNT: Tag = Tag(26);
    /// `52`: merchant category code (ISO 18245).
    pub const MCC: Tag = Tag(52);
    /// `53`: transaction currency (ISO 4217 numeric, `156` for CNY).
    pub const CURRENCY: Tag = Tag(53);
    /// `54`: transaction amount, present on dynamic codes.
    pub const AMOUNT: Tag = Tag(54);
    /// `58`: country code (ISO 3166-1 alpha-2).
    pub const COUNTRY: Tag = Tag(58);
    /// `59`: merchant name.
    pub const MERCHANT_NAME: Tag = Tag(59);
    /// `60`: merchant city.
    pub const MERCHANT_CITY: Tag = Tag(60);
    /// `62`: additional data field template (bill number in `01`).
    pub const ADDITIONAL_DATA: Tag = Tag(62);
    /// `63`: the CRC, four hex digits.
    pub const CRC: Tag = Tag(63);
    /// `64`: merchant information in an alternate language (a template).
    pub const ALTERNATE_LANGUAGE: Tag = Tag(64);

    /// `00` inside a merchant account template (26–51): the globally unique identifier of the
    /// scheme the account belongs to.
    pub const ACCOUNT_GUID: Tag = Tag(0);
    /// `01` inside a merchant account template: the merchant's account with that scheme.
    pub const ACCOUNT_ID: Tag = Tag(1);
    /// `01` inside the additional data template (62): the bill number.
    pub const BILL_NUMBER: Tag = Tag(1);

    /// The tag numbered `number`, if it has two digits.
    pub fn new(number: u8) -> Option<Tag> {
        (number <= 99).then_some(Tag(number))
    }

    /// The tag spelled by two ASCII digits (`"26"`); anything else is not a tag.
    pub fn from_digits(digits: &str) -> Option<Tag> {
        two_digits(digits).map(Tag)
    }

    /// The tag's number, `0`–`99`.
    pub fn number(self) -> u8 {
        self.0
    }

    /// Whether the tag's value is itself a list of data objects: merchant account information
    /// (26–51), additional data (62), alternate language (64) and the unreserved templates (80–99).
    pub fn is_template(self) -> bool {
        matches!(self.0, 26..=51 | 62 | 64 | 80..=99)
    }
}

/// The number spelled by exactly two ASCII digits (tags and lengths are both spelled so).
pub(super) fn two_digits(digits: &str) -> Option<u8> {
    match digits.as_bytes() {
        [tens @ b'0'..=b'9', units @ b'0'..=b'9'] => Some((tens - b'0') * 10 + (units - b'0')),
        _ => None,
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn tags_are_shown_with_two_digits() {
        assert_eq!(Tag::PAYLOAD_FORMAT.to_string(), "00");
        assert_eq!(Tag::new(7).unwrap().to_string(), "07");
        assert_eq!(Tag::new(99).unwrap().to_string(), "99");
    }

    #[test]
    fn a_tag_has_at_most_two_digits() {
        assert!(Tag::new(100).is_none());
        assert_eq!(Tag::from_digits("26"), Some(Tag::MERCHANT_ACCOUNT));
        for bad in ["", "2", "263", "2a", " 2", "２６", "-1"] {
            assert!(Tag::from_digits(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn templates_are_26_to_51_62_64_and_80_to_99() {
        let templates: Vec<u8> = (0..=99)
            .filter(|n| Tag::new(*n).unwrap().is_template())
            .collect();
        let expected: Vec<u8> = (26..=51).chain([62, 64]).chain(80..=99).collect();
        assert_eq!(templates, expected);
    }
}
