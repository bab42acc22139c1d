//! Card BINs (the issuer identification prefix of a card number) used to scope coupons.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::RewardsError;

/// Shortest BIN accepted (the classic six digits).
const BIN_DIGITS_MIN: usize = 6;
/// Longest BIN accepted (the eight-digit BINs of ISO/IEC 7812-1:2017).
const BIN_DIGITS_MAX: usize = 8;

/// A card BIN: 6 to 8 ASCII digits, parsed at the edge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CardBin(String);

impl CardBin {
    /// Parses 6 to 8 digits.
    pub fn parse(text: &str) -> Result<Self, RewardsError> {
        let ok = (BIN_DIGITS_MIN..=BIN_DIGITS_MAX).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(RewardsError::InvalidCardBin)
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a card with BIN `card` falls under this (possibly shorter) BIN.
    pub fn covers(&self, card: &CardBin) -> bool {
        card.0.starts_with(&self.0)
    }
}

impl TryFrom<String> for CardBin {
    type Error = RewardsError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<CardBin> for String {
    fn from(bin: CardBin) -> Self {
        bin.0
    }
}

impl fmt::Display for CardBin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn card_bin_accepts_six_to_eight_digits_only() {
        assert!(CardBin::parse("622588").is_ok());
        assert!(CardBin::parse("62258801").is_ok());
        for bad in ["62258", "622588011", "62258a", ""] {
            assert_eq!(
                CardBin::parse(bad),
                Err(RewardsError::InvalidCardBin),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_six_digit_bin_covers_the_eight_digit_bins_under_it() {
        let six = CardBin::parse("622588").unwrap();
        assert!(six.covers(&CardBin::parse("62258801").unwrap()));
        assert!(!six.covers(&CardBin::parse("622589").unwrap()));
    }
}
