//! The one grammar for decimal text shared by [`crate::Money`] and [`crate::Rate`]:
//! an optional leading '-', one or more ASCII digits, optionally '.' and one or more digits.

use crate::error::DecimalParseError;

/// A lexed decimal: sign and the digit runs either side of the point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Numeral<'a> {
    pub(crate) negative: bool,
    pub(crate) integer: &'a str,
    pub(crate) fraction: &'a str,
}

impl<'a> Numeral<'a> {
    /// Splits `text` into sign and digits, allowing at most `max_fraction` decimal places.
    pub(crate) fn lex(text: &'a str, max_fraction: usize) -> Result<Self, DecimalParseError> {
        let (negative, body, offset) = match text.strip_prefix('-') {
            Some(rest) => (true, rest, 1),
            None => (false, text, 0),
        };
        if body.is_empty() {
            return Err(DecimalParseError::Empty);
        }
        let mut point = None;
        for (i, ch) in body.char_indices() {
            match ch {
                '0'..='9' => {}
                '.' if point.is_none() => point = Some(i),
                _ => {
                    return Err(DecimalParseError::UnexpectedChar {
                        ch,
                        index: i + offset,
                    });
                }
            }
        }
        let (integer, fraction) = match point {
            Some(i) => (&body[..i], &body[i + 1..]),
            None => (body, ""),
        };
        if integer.is_empty() {
            return Err(DecimalParseError::MissingIntegerDigits);
        }
        if point.is_some() && fraction.is_empty() {
            return Err(DecimalParseError::MissingFractionDigits);
        }
        if fraction.len() > max_fraction {
            return Err(DecimalParseError::TooManyFractionDigits {
                max: max_fraction,
                found: fraction.len(),
            });
        }
        Ok(Self {
            negative,
            integer,
            fraction,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn numeral_lex_splits_sign_integer_and_fraction() {
        let n = Numeral::lex("-12.5", 2).unwrap();
        assert_eq!(
            n,
            Numeral {
                negative: true,
                integer: "12",
                fraction: "5"
            }
        );
    }

    #[test]
    fn numeral_lex_reports_the_byte_offset_of_a_bad_character() {
        assert_eq!(
            Numeral::lex("-1.2x", 2),
            Err(DecimalParseError::UnexpectedChar { ch: 'x', index: 4 })
        );
    }

    #[test]
    fn numeral_lex_rejects_a_second_point() {
        assert_eq!(
            Numeral::lex("1.2.3", 5),
            Err(DecimalParseError::UnexpectedChar { ch: '.', index: 3 })
        );
    }

    #[test]
    fn numeral_lex_rejects_a_lone_sign() {
        assert_eq!(Numeral::lex("-", 2), Err(DecimalParseError::Empty));
    }
}
