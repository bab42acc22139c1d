//! Error enums of the kernel, one per concept, each variant a precise predicate.

use crate::money::Currency;

/// Why a decimal text such as `"2000.00"` or `"0.0005"` was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalParseError {
    /// The text was empty (or only a sign).
    #[error("empty number")]
    Empty,
    /// A character other than a leading '-', digits and one '.' was found.
    #[error("unexpected character {ch:?} at byte {index}")]
    UnexpectedChar {
        /// The offending character.
        ch: char,
        /// Its byte offset in the input.
        index: usize,
    },
    /// No digit before the '.'.
    #[error("missing digits before the decimal point")]
    MissingIntegerDigits,
    /// A '.' with no digit after it.
    #[error("missing digits after the decimal point")]
    MissingFractionDigits,
    /// More decimal places than the type can hold.
    #[error("{found} decimal places, at most {max} allowed")]
    TooManyFractionDigits {
        /// The most decimal places allowed.
        max: usize,
        /// The number of decimal places found.
        found: usize,
    },
    /// The value does not fit the type.
    #[error("number out of range")]
    OutOfRange,
}

/// Why a money operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The two amounts are in different currencies.
    #[error("currency mismatch: {left} vs {right}")]
    CurrencyMismatch {
        /// Currency of the receiver.
        left: Currency,
        /// Currency of the argument.
        right: Currency,
    },
    /// The result does not fit in i64 fen.
    #[error("amount overflow")]
    Overflow,
    /// The text is not an amount with at most two decimals.
    #[error("invalid amount: {0}")]
    Parse(#[from] DecimalParseError),
}

/// Why a points operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointsError {
    /// The result does not fit in i64 points.
    #[error("points overflow")]
    Overflow,
}

/// Why a rate was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    /// The text is not a plain decimal.
    #[error("invalid rate: {0}")]
    Parse(#[from] DecimalParseError),
    /// A negative rate where only non-negative ones are allowed.
    #[error("rate must not be negative")]
    Negative,
}

/// Why a typed id was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The text does not start with `<expected>_`.
    #[error("id must start with \"{expected}_\"")]
    WrongPrefix {
        /// The prefix this id kind requires.
        expected: &'static str,
    },
    /// The part after the prefix is not 32 lowercase hex digits.
    #[error("id must end with 32 lowercase hex digits")]
    InvalidUuid,
}

/// Why a business time zone could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    /// No IANA time zone of that name is known on this machine.
    #[error("unknown time zone {name:?}")]
    UnknownZone {
        /// The name asked for.
        name: String,
    },
}
