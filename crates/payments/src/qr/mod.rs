//! EMVCo merchant-presented QR payloads: the code a merchant prints at the till (static) or shows
//! for one order (dynamic), which the payer's app scans.
//!
//! A payload is a flat string of data objects, each `TT LL V…`: a two-digit tag, a two-digit
//! length, and a value of exactly that many **characters** — not bytes, so `5904老王面馆` is a
//! merchant name of length 4 even though it is twelve UTF-8 bytes. For example:
//!
//! ```text
//! 00 02 01               payload format indicator
//! 01 02 11               point of initiation: 11 static, 12 dynamic
//! 26 28 0012com.cardlife 0108mer_0001
//!                        merchant account template: GUID (00), account (01)
//! 52 04 5812             merchant category code
//! 53 03 156              currency (ISO 4217 numeric)
//! 54 05 36.50            amount (dynamic codes)
//! 58 02 CN               country
//! 59 15 LAOWANG NOODLES  merchant name
//! 60 08 SHANGHAI         merchant city
//! 63 04 7F21             CRC
//! ```
//!
//! Tags 26–51, 62, 64 and 80–99 are templates: their value is itself a list of data objects, which
//! we parse one level deep; a template whose value is not TLV is kept as found, not an error. Tag
//! 63 closes the payload with a CRC-16/CCITT-FALSE, in four hex digits, of the UTF-8 bytes of
//! everything before it up to and including its own `6304` header.
//!
//! - [`Tag`]: the two-digit tags, which of them are templates, and the ones we name.
//! - [`DataObject`], [`parse_payload`], [`TlvError`]: the character-counted TLV parser; it never
//!   panics, every malformed input is a precise error.
//! - [`crc16_ccitt_false`]: the checksum.
//! - [`Payload`]: a decoded payload, its named fields (first occurrence wins) and its CRC verdict.
//! - [`MerchantPresented`]: builds and signs a payload from validated fields.

mod crc;
mod encode;
mod payload;
mod tag;
mod tlv;

pub use crc::{crc_hex, crc16_ccitt_false};
pub use encode::{DEFAULT_ACCOUNT_GUID, EncodeError, Field, MerchantPresented, is_amount};
pub use payload::{Payload, PointOfInitiation};
pub use tag::Tag;
pub use tlv::{
    Contents, DataObject, HEADER_CHARS, TlvError, VALUE_CHARS_MAX, parse_flat, parse_payload,
    write_objects,
};
