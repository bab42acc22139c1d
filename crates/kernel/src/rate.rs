//! Rates as exact decimals, and the single place where decimal amounts are rounded to fen.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{DecimalParseError, MoneyError, RateError};
use crate::money::Money;
use crate::numeral::Numeral;

/// The most decimal places a [`Rate`] can hold (rust_decimal's limit).
const RATE_SCALE_MAX: usize = 28;

/// How an exact amount is rounded to whole fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rounding {
    /// To nearest; ties away from zero (2.5 → 3, -2.5 → -3). The platform default.
    HalfUp,
    /// Towards negative infinity.
    Floor,
    /// Towards positive infinity.
    Ceiling,
    /// Towards zero (truncate).
    Down,
}

impl Rounding {
    const fn strategy(self) -> RoundingStrategy {
        match self {
            Self::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Self::Floor => RoundingStrategy::ToNegativeInfinity,
            Self::Ceiling => RoundingStrategy::ToPositiveInfinity,
            Self::Down => RoundingStrategy::ToZero,
        }
    }
}

/// Rounds an exact amount in fen (possibly fractional) to whole fen with `rounding`.
pub fn round_to_fen(exact_fen: Decimal, rounding: Rounding) -> Result<i64, MoneyError> {
    let whole = exact_fen.round_dp_with_strategy(0, rounding.strategy());
    i64::try_from(whole).map_err(|_| MoneyError::Overflow)
}

/// Rounds an exact amount in fen half-up (ties away from zero) to whole fen.
pub fn round_half_up_to_fen(exact_fen: Decimal) -> Result<i64, MoneyError> {
    round_to_fen(exact_fen, Rounding::HalfUp)
}

/// An exact decimal rate such as `0.0005` per day or `0.006` per period; keeps its scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Rate(Decimal);

impl Rate {
    /// The zero rate.
    pub const ZERO: Self = Self(Decimal::ZERO);

    /// A rate of any sign.
    pub const fn new(value: Decimal) -> Self {
        Self(value)
    }

    /// A rate that must not be negative.
    pub fn non_negative(value: Decimal) -> Result<Self, RateError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(RateError::Negative);
        }
        Ok(Self(value.abs()))
    }

    /// Parses plain decimal text (`"0.0005"`, `"-0.01"`, `"1"`): no '+', spaces or exponents.
    pub fn parse(text: &str) -> Result<Self, RateError> {
        Numeral::lex(text, RATE_SCALE_MAX)?;
        let mut value = Decimal::from_str_exact(text).map_err(|_| DecimalParseError::OutOfRange)?;
        if value.is_zero() {
            // "-0" and "0" are the same rate; do not print "-0".
            value.set_sign_positive(true);
        }
        Ok(Self(value))
    }

    /// The exact decimal value.
    pub const fn as_decimal(self) -> Decimal {
        self.0
    }

    /// The rate in percent (`0.0005` → `0.05`); `None` only for rates beyond 10^26.
    pub fn percent(self) -> Option<Decimal> {
        self.0.checked_mul(Decimal::ONE_HUNDRED)
    }

    /// Whether the rate is zero.
    pub const fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// Whether the rate is below zero.
    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// `amount * self`, rounded once to whole fen; same as [`Money::checked_mul_rate`].
    pub fn apply(self, amount: Money, rounding: Rounding) -> Result<Money, MoneyError> {
        amount.checked_mul_rate(self, rounding)
    }
}

impl fmt::Display for Rate {
    /// Prints the decimal with the scale it was given (`"0.0060"` stays `"0.0060"`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Rate {
    type Err = RateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// Serialises as a decimal string (`"0.0005"`).
impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Deserialises a decimal string with [`Rate::parse`]; negative rates are allowed here.
impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rate_parse_keeps_the_exact_value_and_text() {
        let r = Rate::parse("0.0005").unwrap();
        assert_eq!(r.as_decimal(), dec!(0.0005));
        assert_eq!(r.to_string(), "0.0005");
        assert_eq!(r.percent(), Some(dec!(0.05)));
        assert_eq!("0.006".parse::<Rate>().unwrap().to_string(), "0.006");
    }

    #[test]
    fn rate_parse_rejects_anything_but_plain_decimals() {
        for bad in ["", "+0.1", " 0.1", "1e-3", ".5", "5.", "0,1", "1_000"] {
            assert!(
                matches!(Rate::parse(bad), Err(RateError::Parse(_))),
                "{bad:?} was accepted"
            );
        }
        assert!(Rate::parse("0.00000000000000000000000000001").is_err());
        assert!(Rate::parse("79228162514264337593543950336").is_err());
    }

    #[test]
    fn rate_parse_treats_negative_zero_as_zero() {
        assert_eq!(Rate::parse("-0").unwrap().to_string(), "0");
        assert!(!Rate::parse("-0.0").unwrap().is_negative());
    }

    #[test]
    fn rate_non_negative_rejects_negative_rates() {
        assert_eq!(Rate::non_negative(dec!(-0.01)), Err(RateError::Negative));
        assert_eq!(
            Rate::non_negative(dec!(0.01)).unwrap(),
            Rate::new(dec!(0.01))
        );
        assert!(Rate::parse("-0.01").unwrap().is_negative());
    }

    #[test]
    fn rate_serde_uses_a_string() {
        let r = Rate::parse("0.006").unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"0.006\"");
        assert_eq!(serde_json::from_str::<Rate>("\"0.006\"").unwrap(), r);
        assert!(serde_json::from_str::<Rate>("0.006").is_err());
    }

    #[test]
    fn rate_apply_multiplies_money_and_rounds_once() {
        let r = Rate::parse("0.006").unwrap();
        assert_eq!(
            r.apply(Money::cny(1_200_000), Rounding::HalfUp).unwrap(),
            Money::cny(7_200)
        );
    }

    #[test]
    fn round_to_fen_honours_each_mode() {
        let cases = [
            (dec!(2.5), Rounding::HalfUp, 3),
            (dec!(-2.5), Rounding::HalfUp, -3),
            (dec!(2.4999), Rounding::HalfUp, 2),
            (dec!(-2.1), Rounding::Floor, -3),
            (dec!(-2.9), Rounding::Down, -2),
            (dec!(2.1), Rounding::Ceiling, 3),
        ];
        for (exact, mode, fen) in cases {
            assert_eq!(round_to_fen(exact, mode).unwrap(), fen, "{exact} {mode:?}");
        }
    }

    #[test]
    fn round_to_fen_reports_overflow() {
        assert_eq!(
            round_half_up_to_fen(dec!(9223372036854775807.5)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            round_half_up_to_fen(dec!(-9223372036854775808.4)).unwrap(),
            i64::MIN
        );
    }

    proptest! {
        #[test]
        fn round_half_up_sends_every_half_fen_away_from_zero(x in 0i64..i64::MAX / 10) {
            let positive = Decimal::new(x * 10 + 5, 1);
            prop_assert_eq!(round_half_up_to_fen(positive).unwrap(), x + 1);
            prop_assert_eq!(round_half_up_to_fen(-positive).unwrap(), -(x + 1));
        }

        #[test]
        fn rate_parse_inverts_display(mantissa in any::<i64>(), scale in 0u32..=18) {
            let r = Rate::new(Decimal::new(mantissa, scale));
            prop_assert_eq!(Rate::parse(&r.to_string()).unwrap(), r);
        }
    }
}
