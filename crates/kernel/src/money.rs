//! Money: integer fen (1/100 of the major unit) with its currency; every operation is checked.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{DecimalParseError, MoneyError};
use crate::numeral::Numeral;
use crate::rate::{Rate, Rounding, round_to_fen};

/// An ISO 4217 currency; all of them have two minor digits.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    /// Renminbi, the default.
    #[default]
    Cny,
    /// US dollar.
    Usd,
    /// Hong Kong dollar.
    Hkd,
}

impl Currency {
    /// The ISO 4217 alphabetic code, e.g. `"CNY"`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Cny => "CNY",
            Self::Usd => "USD",
            Self::Hkd => "HKD",
        }
    }

    /// The ISO 4217 numeric code, e.g. `"156"`.
    pub const fn numeric(self) -> &'static str {
        match self {
            Self::Cny => "156",
            Self::Usd => "840",
            Self::Hkd => "344",
        }
    }

    /// The currency with this alphabetic code, if it is one we support.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Cny, Self::Usd, Self::Hkd]
            .into_iter()
            .find(|c| c.code() == code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount of money in integer fen; no operators, only checked methods.
///
/// Amounts in different currencies are never equal and compare as unordered (`partial_cmp` is
/// `None`), so `<` and `>` between them are both false.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    fen: i64,
    currency: Currency,
}

impl Money {
    /// An amount of `fen` in `currency`.
    pub const fn new(fen: i64, currency: Currency) -> Self {
        Self { fen, currency }
    }

    /// An amount of `fen` in CNY.
    pub const fn cny(fen: i64) -> Self {
        Self::new(fen, Currency::Cny)
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// The amount in fen (minor units).
    pub const fn fen(self) -> i64 {
        self.fen
    }

    /// The currency.
    pub const fn currency(self) -> Currency {
        self.currency
    }

    /// Parses `"2000.00"`, `"-0.5"` or `"7"` in `currency`: optional '-', digits, up to 2 decimals.
    pub fn parse(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let numeral = Numeral::lex(text, 2)?;
        let units = digits_value(numeral.integer)?;
        let cents = match numeral.fraction.len() {
            0 => 0,
            1 => digits_value(numeral.fraction)? * 10,
            _ => digits_value(numeral.fraction)?,
        };
        let magnitude = units
            .checked_mul(100)
            .and_then(|m| m.checked_add(cents))
            .ok_or(DecimalParseError::OutOfRange)?;
        let fen = if numeral.negative {
            0i64.checked_sub_unsigned(magnitude)
        } else {
            i64::try_from(magnitude).ok()
        };
        let fen = fen.ok_or(DecimalParseError::OutOfRange)?;
        Ok(Self::new(fen, currency))
    }

    /// Parses an amount in CNY; see [`Money::parse`].
    pub fn parse_cny(text: &str) -> Result<Self, MoneyError> {
        Self::parse(text, Currency::Cny)
    }

    /// `self + other`, or an error on currency mismatch or overflow.
    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        let currency = self.same_currency(other)?;
        let fen = self
            .fen
            .checked_add(other.fen)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(fen, currency))
    }

    /// `self - other`, or an error on currency mismatch or overflow.
    pub fn checked_sub(self, other: Self) -> Result<Self, MoneyError> {
        let currency = self.same_currency(other)?;
        let fen = self
            .fen
            .checked_sub(other.fen)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(fen, currency))
    }

    /// `-self`, or an error for the most negative amount.
    pub fn checked_neg(self) -> Result<Self, MoneyError> {
        let fen = self.fen.checked_neg().ok_or(MoneyError::Overflow)?;
        Ok(Self::new(fen, self.currency))
    }

    /// `self * factor`, or an error on overflow.
    pub fn checked_mul_int(self, factor: i64) -> Result<Self, MoneyError> {
        let fen = self.fen.checked_mul(factor).ok_or(MoneyError::Overflow)?;
        Ok(Self::new(fen, self.currency))
    }

    /// `self * rate` computed exactly, then rounded once to whole fen with `rounding`.
    pub fn checked_mul_rate(self, rate: Rate, rounding: Rounding) -> Result<Self, MoneyError> {
        let exact = Decimal::from(self.fen)
            .checked_mul(rate.as_decimal())
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(round_to_fen(exact, rounding)?, self.currency))
    }

    /// Whether the amount is zero.
    pub const fn is_zero(self) -> bool {
        self.fen == 0
    }

    /// Whether the amount is below zero.
    pub const fn is_negative(self) -> bool {
        self.fen < 0
    }

    /// Whether the amount is above zero.
    pub const fn is_positive(self) -> bool {
        self.fen > 0
    }

    /// `|self|`, or an error for the most negative amount.
    pub fn abs(self) -> Result<Self, MoneyError> {
        let fen = self.fen.checked_abs().ok_or(MoneyError::Overflow)?;
        Ok(Self::new(fen, self.currency))
    }

    /// The smaller of two amounts in the same currency.
    pub fn min(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        Ok(if other.fen < self.fen { other } else { self })
    }

    /// The larger of two amounts in the same currency.
    pub fn max(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        Ok(if other.fen > self.fen { other } else { self })
    }

    fn same_currency(self, other: Self) -> Result<Currency, MoneyError> {
        if self.currency == other.currency {
            Ok(self.currency)
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }
}

/// The value of a run of ASCII digits, already checked by [`Numeral::lex`].
fn digits_value(digits: &str) -> Result<u64, DecimalParseError> {
    digits.bytes().try_fold(0u64, |acc, b| {
        acc.checked_mul(10)
            .and_then(|acc| acc.checked_add(u64::from(b - b'0')))
            .ok_or(DecimalParseError::OutOfRange)
    })
}

impl PartialOrd for Money {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        (self.currency == other.currency).then(|| self.fen.cmp(&other.fen))
    }
}

impl fmt::Display for Money {
    /// Always two decimals, no currency: `"2000.00"`, `"-0.05"`, `"0.00"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.fen < 0 { "-" } else { "" };
        let magnitude = self.fen.unsigned_abs();
        write!(f, "{sign}{}.{:02}", magnitude / 100, magnitude % 100)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Parses an amount in CNY.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_cny(text)
    }
}

/// Serialises as the two-decimal string (`"2000.00"`); the currency is not written.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Deserialises a two-decimal string as CNY.
impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse_cny(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn parse_err(text: &str) -> DecimalParseError {
        match Money::parse_cny(text) {
            Err(MoneyError::Parse(e)) => e,
            other => panic!("expected a parse error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn money_parse_accepts_zero_one_and_two_decimals() {
        assert_eq!(Money::parse_cny("2000.00").unwrap(), Money::cny(200_000));
        assert_eq!(Money::parse_cny("2000.5").unwrap(), Money::cny(200_050));
        assert_eq!(Money::parse_cny("7").unwrap(), Money::cny(700));
        assert_eq!(Money::parse_cny("-0.05").unwrap(), Money::cny(-5));
        assert_eq!("0.01".parse::<Money>().unwrap(), Money::cny(1));
    }

    #[test]
    fn money_parse_rejects_three_decimals() {
        assert_eq!(
            parse_err("1.005"),
            DecimalParseError::TooManyFractionDigits { max: 2, found: 3 }
        );
    }

    #[test]
    fn money_parse_rejects_spaces_plus_and_empty() {
        assert_eq!(
            parse_err(" 1.00"),
            DecimalParseError::UnexpectedChar { ch: ' ', index: 0 }
        );
        assert_eq!(
            parse_err("1.00 "),
            DecimalParseError::UnexpectedChar { ch: ' ', index: 4 }
        );
        assert_eq!(
            parse_err("+1.00"),
            DecimalParseError::UnexpectedChar { ch: '+', index: 0 }
        );
        assert_eq!(
            parse_err("1,000"),
            DecimalParseError::UnexpectedChar { ch: ',', index: 1 }
        );
        assert_eq!(parse_err(""), DecimalParseError::Empty);
        assert_eq!(parse_err(".5"), DecimalParseError::MissingIntegerDigits);
        assert_eq!(parse_err("5."), DecimalParseError::MissingFractionDigits);
        assert_eq!(
            parse_err("--5"),
            DecimalParseError::UnexpectedChar { ch: '-', index: 1 }
        );
    }

    #[test]
    fn money_parse_rejects_overflow_but_accepts_the_extremes() {
        assert_eq!(
            Money::parse_cny("92233720368547758.07").unwrap(),
            Money::cny(i64::MAX)
        );
        assert_eq!(
            Money::parse_cny("-92233720368547758.08").unwrap(),
            Money::cny(i64::MIN)
        );
        assert_eq!(
            parse_err("92233720368547758.08"),
            DecimalParseError::OutOfRange
        );
        assert_eq!(
            parse_err("-92233720368547758.09"),
            DecimalParseError::OutOfRange
        );
        assert_eq!(
            parse_err("99999999999999999999999"),
            DecimalParseError::OutOfRange
        );
    }

    #[test]
    fn money_display_always_prints_two_decimals() {
        assert_eq!(Money::cny(200_000).to_string(), "2000.00");
        assert_eq!(Money::cny(-5).to_string(), "-0.05");
        assert_eq!(Money::cny(0).to_string(), "0.00");
        assert_eq!(Money::cny(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn money_checked_add_rejects_mixed_currencies() {
        let err = Money::cny(1)
            .checked_add(Money::new(1, Currency::Usd))
            .unwrap_err();
        assert_eq!(
            err,
            MoneyError::CurrencyMismatch {
                left: Currency::Cny,
                right: Currency::Usd
            }
        );
    }

    #[test]
    fn money_neg_abs_and_mul_report_overflow() {
        assert_eq!(
            Money::cny(i64::MIN).checked_neg(),
            Err(MoneyError::Overflow)
        );
        assert_eq!(Money::cny(i64::MIN).abs(), Err(MoneyError::Overflow));
        assert_eq!(
            Money::cny(i64::MAX).checked_mul_int(2),
            Err(MoneyError::Overflow)
        );
        assert_eq!(Money::cny(-300).abs().unwrap(), Money::cny(300));
        assert_eq!(
            Money::cny(300).checked_mul_int(-3).unwrap(),
            Money::cny(-900)
        );
    }

    #[test]
    fn money_mul_rate_rounds_once_with_the_given_mode() {
        let daily = Rate::parse("0.0005").unwrap();
        // 12345 fen * 0.0005 = 6.1725 fen
        assert_eq!(
            Money::cny(12_345)
                .checked_mul_rate(daily, Rounding::HalfUp)
                .unwrap(),
            Money::cny(6)
        );
        let half = Rate::parse("0.5").unwrap();
        assert_eq!(
            Money::cny(5)
                .checked_mul_rate(half, Rounding::HalfUp)
                .unwrap(),
            Money::cny(3)
        );
        assert_eq!(
            Money::cny(-5)
                .checked_mul_rate(half, Rounding::HalfUp)
                .unwrap(),
            Money::cny(-3)
        );
        assert_eq!(
            Money::cny(-5)
                .checked_mul_rate(half, Rounding::Floor)
                .unwrap(),
            Money::cny(-3)
        );
        assert_eq!(
            Money::cny(-5)
                .checked_mul_rate(half, Rounding::Down)
                .unwrap(),
            Money::cny(-2)
        );
        assert_eq!(
            Money::cny(5)
                .checked_mul_rate(half, Rounding::Ceiling)
                .unwrap(),
            Money::cny(3)
        );
    }

    #[test]
    fn money_mul_rate_reports_overflow() {
        let two = Rate::parse("2").unwrap();
        assert_eq!(
            Money::cny(i64::MAX).checked_mul_rate(two, Rounding::HalfUp),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn money_min_max_and_ordering_need_the_same_currency() {
        let (a, b) = (Money::cny(1), Money::cny(2));
        assert_eq!(a.min(b).unwrap(), a);
        assert_eq!(a.max(b).unwrap(), b);
        assert!(a < b);
        let usd = Money::new(2, Currency::Usd);
        assert!(a.max(usd).is_err());
        assert_eq!(a.partial_cmp(&usd), None);
        assert_ne!(Money::cny(2), usd);
    }

    #[test]
    fn money_serde_uses_the_two_decimal_string() {
        assert_eq!(
            serde_json::to_string(&Money::cny(200_000)).unwrap(),
            "\"2000.00\""
        );
        let back: Money = serde_json::from_str("\"-0.05\"").unwrap();
        assert_eq!(back, Money::cny(-5));
        assert!(serde_json::from_str::<Money>("2000").is_err());
        assert!(serde_json::from_str::<Money>("\"1.005\"").is_err());
    }

    #[test]
    fn currency_has_iso_codes_and_serialises_as_its_code() {
        assert_eq!(Currency::default(), Currency::Cny);
        assert_eq!(
            (Currency::Cny.code(), Currency::Cny.numeric()),
            ("CNY", "156")
        );
        assert_eq!(Currency::from_code("HKD"), Some(Currency::Hkd));
        assert_eq!(Currency::from_code("cny"), None);
        assert_eq!(serde_json::to_string(&Currency::Usd).unwrap(), "\"USD\"");
    }

    proptest! {
        #[test]
        fn money_parse_inverts_display_over_all_of_i64(fen in any::<i64>()) {
            let m = Money::cny(fen);
            prop_assert_eq!(Money::parse_cny(&m.to_string()).unwrap(), m);
        }

        #[test]
        fn money_checked_add_matches_i128_arithmetic(a in any::<i64>(), b in any::<i64>()) {
            let exact = i128::from(a) + i128::from(b);
            let got = Money::cny(a).checked_add(Money::cny(b));
            match i64::try_from(exact) {
                Ok(fen) => prop_assert_eq!(got.unwrap(), Money::cny(fen)),
                Err(_) => prop_assert_eq!(got, Err(MoneyError::Overflow)),
            }
        }

        #[test]
        fn money_checked_sub_matches_i128_arithmetic(a in any::<i64>(), b in any::<i64>()) {
            let exact = i128::from(a) - i128::from(b);
            let got = Money::cny(a).checked_sub(Money::cny(b));
            match i64::try_from(exact) {
                Ok(fen) => prop_assert_eq!(got.unwrap(), Money::cny(fen)),
                Err(_) => prop_assert_eq!(got, Err(MoneyError::Overflow)),
            }
        }

        #[test]
        fn money_half_of_an_odd_amount_rounds_away_from_zero(k in -1_000_000_000_000i64..1_000_000_000_000) {
            let odd = 2 * k + 1;
            let half = Money::cny(odd).checked_mul_rate(Rate::parse("0.5").unwrap(), Rounding::HalfUp).unwrap();
            let expected = if odd > 0 { k + 1 } else { k };
            prop_assert_eq!(half.fen(), expected);
        }
    }
}
