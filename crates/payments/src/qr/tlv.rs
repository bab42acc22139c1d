//! Data objects: `TT LL V…`, lengths counted in characters.
//!
//! The parser walks the string by characters, never by bytes, so a length can never split a
//! multi-byte character and no input can make it index out of bounds: every failure is a
//! [`TlvError`] that says where and why.

use std::fmt::Write as _;

use super::tag::{Tag, two_digits};

/// Characters in a data object's header: two for the tag, two for the length.
pub const HEADER_CHARS: usize = 4;
/// The longest value a two-digit length can announce, in characters.
pub const VALUE_CHARS_MAX: usize = 99;

/// One data object as found in the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataObject {
    /// Its tag.
    pub tag: Tag,
    /// Its value, exactly as many characters as its length said.
    pub value: String,
    /// What its value holds: for a template, the data objects inside it.
    pub contents: Contents,
}

/// What a data object's value holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contents {
    /// A plain value: the tag is not a template, or the object is itself inside a template
    /// (templates are parsed one level deep).
    Primitive,
    /// A template whose value is a list of data objects.
    Template(Vec<DataObject>),
    /// A template whose value is not valid TLV. Not an error for the payload around it.
    NotTlv(TlvError),
}

impl DataObject {
    /// The value's length in characters, as the payload spelled it.
    pub fn length(&self) -> usize {
        self.value.chars().count()
    }

    /// The data objects inside a template; `None` for a primitive or a template that is not TLV.
    pub fn children(&self) -> Option<&[DataObject]> {
        match &self.contents {
            Contents::Template(children) => Some(children),
            Contents::Primitive | Contents::NotTlv(_) => None,
        }
    }

    /// The object written back as `TT LL V…`.
    pub fn to_tlv(&self) -> String {
        let mut out = String::with_capacity(HEADER_CHARS + self.value.len());
        // Writing to a String cannot fail.
        let _ = write!(out, "{}{:02}{}", self.tag, self.length(), self.value);
        out
    }
}

/// Why a string is not a list of data objects. Offsets count characters from the start of the
/// string being parsed (for a template, its value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlvError {
    /// Nothing to decode.
    #[error("the payload is empty")]
    Empty,
    /// Fewer than four characters left where a data object's tag and length should be.
    #[error(
        "truncated at character offset {offset}: {remaining} character(s) left where a 2-digit tag and 2-digit length should be"
    )]
    Truncated {
        /// Where the data object starts.
        offset: usize,
        /// Characters left in the string.
        remaining: usize,
    },
    /// The tag is not two ASCII digits.
    #[error("tag at character offset {offset} is {found:?}, not two digits")]
    NonDigitTag {
        /// Where the data object starts.
        offset: usize,
        /// The two characters found.
        found: String,
    },
    /// The length is not two ASCII digits.
    #[error("length of tag {tag} at character offset {offset} is {found:?}, not two digits")]
    NonDigitLength {
        /// Where the data object starts.
        offset: usize,
        /// Its tag.
        tag: Tag,
        /// The two characters found.
        found: String,
    },
    /// The length announces more characters than the string has left.
    #[error(
        "tag {tag} at character offset {offset} has length {length} but only {remaining} character(s) follow"
    )]
    LengthOverrun {
        /// Where the data object starts.
        offset: usize,
        /// Its tag.
        tag: Tag,
        /// The length it announced.
        length: usize,
        /// Characters left after its header.
        remaining: usize,
    },
}

/// Parses a whole payload: its data objects, with templates parsed one level deep.
pub fn parse_payload(input: &str) -> Result<Vec<DataObject>, TlvError> {
    if input.is_empty() {
        return Err(TlvError::Empty);
    }
    let mut objects = parse_flat(input)?;
    for object in &mut objects {
        if object.tag.is_template() {
            object.contents = match parse_flat(&object.value) {
                Ok(children) => Contents::Template(children),
                Err(error) => Contents::NotTlv(error),
            };
        }
    }
    Ok(objects)
}

/// Parses a string into data objects, all [`Contents::Primitive`]. An empty string is an empty
/// list (an empty template is valid).
pub fn parse_flat(input: &str) -> Result<Vec<DataObject>, TlvError> {
    let mut cursor = Cursor {
        rest: input,
        offset: 0,
    };
    let mut objects = Vec::new();
    while !cursor.rest.is_empty() {
        objects.push(cursor.data_object()?);
    }
    Ok(objects)
}

/// Writes a list of data objects back as TLV (templates from their values, as found).
pub fn write_objects(objects: &[DataObject]) -> String {
    objects.iter().map(DataObject::to_tlv).collect()
}

/// Where the parser is: what is left, and how many characters came before it.
struct Cursor<'a> {
    rest: &'a str,
    offset: usize,
}

impl<'a> Cursor<'a> {
    fn data_object(&mut self) -> Result<DataObject, TlvError> {
        let offset = self.offset;
        let remaining = self.rest.chars().count();
        if remaining < HEADER_CHARS {
            return Err(TlvError::Truncated { offset, remaining });
        }
        let tag_digits = self.take(2).unwrap_or_default();
        let tag = Tag::from_digits(tag_digits).ok_or_else(|| TlvError::NonDigitTag {
            offset,
            found: tag_digits.to_owned(),
        })?;
        let length_digits = self.take(2).unwrap_or_default();
        let length =
            two_digits(length_digits)
                .map(usize::from)
                .ok_or_else(|| TlvError::NonDigitLength {
                    offset,
                    tag,
                    found: length_digits.to_owned(),
                })?;
        let value = self.take(length).ok_or(TlvError::LengthOverrun {
            offset,
            tag,
            length,
            remaining: remaining - HEADER_CHARS,
        })?;
        Ok(DataObject {
            tag,
            value: value.to_owned(),
            contents: Contents::Primitive,
        })
    }

    /// The next `chars` characters, or `None` (consuming nothing) if fewer are left.
    fn take(&mut self, chars: usize) -> Option<&'a str> {
        let end = self
            .rest
            .char_indices()
            .map(|(byte, _)| byte)
            .chain(std::iter::once(self.rest.len()))
            .nth(chars)?;
        let taken = self.rest.get(..end)?;
        self.rest = self.rest.get(end..)?;
        self.offset += chars;
        Some(taken)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use proptest::prelude::*;

    use super::*;

    fn tag(n: u8) -> Tag {
        Tag::new(n).unwrap()
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let objects = parse_flat("5904老王面馆6008SHANGHAI").unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].value, "老王面馆");
        assert_eq!(objects[0].length(), 4);
        assert_eq!(objects[1].value, "SHANGHAI");
    }

    #[test]
    fn a_zero_length_value_is_empty() {
        let objects = parse_flat("62006304ABCD").unwrap();
        assert_eq!(objects[0].value, "");
        assert_eq!(objects[1].value, "ABCD");
    }

    #[test]
    fn templates_are_parsed_one_level_deep() {
        let objects = parse_payload("000201621005062601xx").unwrap();
        let children = objects[1].children().unwrap();
        assert_eq!(children[0].tag, tag(5));
        assert_eq!(children[0].value, "2601xx");
        // `05` holds what looks like TLV, but nothing below the first level is parsed.
        assert_eq!(children[0].contents, Contents::Primitive);
    }

    #[test]
    fn a_template_that_is_not_tlv_keeps_its_value_and_has_no_children() {
        let objects = parse_payload("2605hello").unwrap();
        assert_eq!(objects[0].value, "hello");
        assert!(objects[0].children().is_none());
        assert!(matches!(
            objects[0].contents,
            Contents::NotTlv(TlvError::NonDigitTag { .. })
        ));
    }

    #[test]
    fn a_non_template_is_never_parsed_even_if_it_looks_like_tlv() {
        let objects = parse_payload("59060002AB").unwrap();
        assert_eq!(objects[0].contents, Contents::Primitive);
    }

    #[test]
    fn repeated_tags_are_kept_in_order() {
        let objects = parse_flat("5901A5901B").unwrap();
        let values: Vec<&str> = objects.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(values, ["A", "B"]);
    }

    #[test]
    fn an_empty_payload_is_an_error_but_an_empty_template_is_not() {
        assert_eq!(parse_payload(""), Err(TlvError::Empty));
        assert_eq!(parse_flat(""), Ok(Vec::new()));
    }

    #[test]
    fn errors_say_where_and_why() {
        assert_eq!(
            parse_flat("000201590"),
            Err(TlvError::Truncated {
                offset: 6,
                remaining: 3
            })
        );
        assert_eq!(
            parse_flat("0002019X01A"),
            Err(TlvError::NonDigitTag {
                offset: 6,
                found: "9X".into()
            })
        );
        assert_eq!(
            parse_flat("00020159 1A"),
            Err(TlvError::NonDigitLength {
                offset: 6,
                tag: tag(59),
                found: " 1".into()
            })
        );
        assert_eq!(
            parse_flat("0002015910老王"),
            Err(TlvError::LengthOverrun {
                offset: 6,
                tag: tag(59),
                length: 10,
                remaining: 2
            })
        );
    }

    #[test]
    fn a_multi_byte_character_in_a_header_is_not_a_digit() {
        assert!(matches!(
            parse_flat("老王0101"),
            Err(TlvError::NonDigitTag { .. })
        ));
        assert!(matches!(
            parse_flat("59１2AB"),
            Err(TlvError::NonDigitLength { .. })
        ));
    }

    #[test]
    fn error_messages_are_one_line_even_for_control_characters() {
        let error = parse_flat("\n\r0101").unwrap_err();
        assert!(!error.to_string().contains('\n'), "{error}");
        assert!(!error.to_string().contains('\r'), "{error}");
    }

    fn data_object() -> impl Strategy<Value = (u8, String)> {
        (0u8..=99, "[A-Za-z0-9 .老王面馆é€😀]{0,99}")
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_strings_never_panics(input in any::<String>()) {
            let _ = parse_payload(&input);
        }

        #[test]
        fn parsing_near_tlv_strings_never_panics_and_what_parses_writes_back(
            input in "[0-9]{0,3}([0-9]{2}[0-9Aé老😀]{2}[0-9A-Z老é😀\n]{0,12}){0,6}"
        ) {
            if let Ok(objects) = parse_payload(&input) {
                prop_assert_eq!(write_objects(&objects), input);
            }
        }

        #[test]
        fn written_objects_parse_back_to_themselves(objects in prop::collection::vec(data_object(), 0..8)) {
            let input: String = objects
                .iter()
                .map(|(n, value)| format!("{:02}{:02}{value}", n, value.chars().count()))
                .collect();
            let parsed = parse_flat(&input).unwrap();
            let found: Vec<(u8, String)> = parsed
                .into_iter()
                .map(|object| (object.tag.number(), object.value))
                .collect();
            prop_assert_eq!(found, objects);
        }

        #[test]
        fn cutting_a_valid_payload_short_is_an_error_not_a_panic(
            objects in prop::collection::vec(data_object(), 1..6),
            cut in any::<prop::sample::Index>(),
        ) {
            let input: String = objects
                .iter()
                .map(|(n, value)| format!("{:02}{:02}{value}", n, value.chars().count()))
                .collect();
            let chars: Vec<char> = input.chars().collect();
            let kept: String = chars[..cut.index(chars.len())].iter().collect();
            // A cut on an object boundary is a shorter valid payload; anywhere else, an error.
            match parse_flat(&kept) {
                Ok(parsed) => prop_assert_eq!(write_objects(&parsed), kept),
                Err(error) => prop_assert!(!error.to_string().contains('\n')),
            }
        }
    }
}
