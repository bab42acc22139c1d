//! A decoded payload: its data objects, the fields it names, and whether its CRC holds.

use super::crc::crc16_ccitt_false;
use super::tag::Tag;
use super::tlv::{DataObject, HEADER_CHARS, TlvError, parse_payload};

/// Characters in the CRC's value: four hex digits.
const CRC_CHARS: usize = 4;

/// A merchant-presented payload that is valid TLV. Its CRC may still be wrong: see
/// [`Payload::crc_valid`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    objects: Vec<DataObject>,
    crc_valid: bool,
}

/// How the code is used (tag 01).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointOfInitiation {
    /// `11`: printed once, the payer types the amount.
    Static,
    /// `12`: made for one order, carries the amount.
    Dynamic,
}

impl PointOfInitiation {
    /// Its value in tag 01.
    pub fn code(self) -> &'static str {
        match self {
            PointOfInitiation::Static => "11",
            PointOfInitiation::Dynamic => "12",
        }
    }

    /// Its name in output: `static` or `dynamic`.
    pub fn as_str(self) -> &'static str {
        match self {
            PointOfInitiation::Static => "static",
            PointOfInitiation::Dynamic => "dynamic",
        }
    }

    /// The method a tag-01 value names; any other value names none.
    pub fn from_code(code: &str) -> Option<PointOfInitiation> {
        match code {
            "11" => Some(PointOfInitiation::Static),
            "12" => Some(PointOfInitiation::Dynamic),
            _ => None,
        }
    }
}

impl Payload {
    /// Decodes a payload. Fails only if it is not valid TLV; a wrong or missing CRC is reported
    /// by [`Payload::crc_valid`], not as an error.
    pub fn decode(input: &str) -> Result<Payload, TlvError> {
        let objects = parse_payload(input)?;
        let crc_valid = crc_holds(input, &objects);
        Ok(Payload { objects, crc_valid })
    }

    /// Every top-level data object, in order, repeats included.
    pub fn objects(&self) -> &[DataObject] {
        &self.objects
    }

    /// The value of the first top-level object with `tag`.
    pub fn first(&self, tag: Tag) -> Option<&str> {
        self.objects
            .iter()
            .find(|object| object.tag == tag)
            .map(|object| object.value.as_str())
    }

    /// Tag 00.
    pub fn payload_format(&self) -> Option<&str> {
        self.first(Tag::PAYLOAD_FORMAT)
    }

    /// Tag 01, if it is `11` or `12`.
    pub fn point_of_initiation(&self) -> Option<PointOfInitiation> {
        self.first(Tag::POINT_OF_INITIATION)
            .and_then(PointOfInitiation::from_code)
    }

    /// Tag 59.
    pub fn merchant_name(&self) -> Option<&str> {
        self.first(Tag::MERCHANT_NAME)
    }

    /// Tag 60.
    pub fn merchant_city(&self) -> Option<&str> {
        self.first(Tag::MERCHANT_CITY)
    }

    /// Tag 52.
    pub fn mcc(&self) -> Option<&str> {
        self.first(Tag::MCC)
    }

    /// Tag 53.
    pub fn currency(&self) -> Option<&str> {
        self.first(Tag::CURRENCY)
    }

    /// Tag 58.
    pub fn country(&self) -> Option<&str> {
        self.first(Tag::COUNTRY)
    }

    /// Tag 54, verbatim.
    pub fn amount(&self) -> Option<&str> {
        self.first(Tag::AMOUNT)
    }

    /// Tag 63 as found (any case, any length).
    pub fn crc(&self) -> Option<&str> {
        self.first(Tag::CRC)
    }

    /// Whether the first tag 63 has length 04 and holds, in hex of any case, the
    /// CRC-16/CCITT-FALSE of the payload's UTF-8 bytes up to and including its `6304`.
    pub fn crc_valid(&self) -> bool {
        self.crc_valid
    }
}

/// Checks the first tag 63 against the bytes before its value.
fn crc_holds(input: &str, objects: &[DataObject]) -> bool {
    let Some(index) = objects.iter().position(|object| object.tag == Tag::CRC) else {
        return false;
    };
    let Some(carried) = parse_crc(&objects[index].value) else {
        return false;
    };
    // Headers are ASCII digits, so each object takes HEADER_CHARS bytes plus its value's bytes.
    let start: usize = objects[..index]
        .iter()
        .map(|object| HEADER_CHARS + object.value.len())
        .sum();
    input
        .as_bytes()
        .get(..start + HEADER_CHARS)
        .is_some_and(|covered| crc16_ccitt_false(covered) == carried)
}

/// Four hex digits of either case; nothing else (not even a sign `u16::from_str_radix` accepts).
fn parse_crc(value: &str) -> Option<u16> {
    if value.len() != CRC_CHARS || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(value, 16).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::super::crc::crc_hex;
    use super::*;

    /// `body` + `6304` + its CRC.
    fn signed(body: &str) -> String {
        let covered = format!("{body}6304");
        let crc = crc_hex(covered.as_bytes());
        format!("{covered}{crc}")
    }

    const STATIC_BODY: &str = "000201010211\
        26280012com.cardlife0108mer_0001\
        52045812530315658\
        02CN5915LAOWANG NOODLES6008SHANGHAI";

    #[test]
    fn a_signed_static_payload_names_its_fields_and_its_crc_holds() {
        let payload = Payload::decode(&signed(STATIC_BODY)).unwrap();
        assert_eq!(payload.payload_format(), Some("01"));
        assert_eq!(
            payload.point_of_initiation(),
            Some(PointOfInitiation::Static)
        );
        assert_eq!(payload.merchant_name(), Some("LAOWANG NOODLES"));
        assert_eq!(payload.merchant_city(), Some("SHANGHAI"));
        assert_eq!(payload.mcc(), Some("5812"));
        assert_eq!(payload.currency(), Some("156"));
        assert_eq!(payload.country(), Some("CN"));
        assert_eq!(payload.amount(), None);
        assert!(payload.crc_valid());
    }

    #[test]
    fn the_crc_covers_utf8_bytes_of_multi_byte_names() {
        let payload = Payload::decode(&signed("0002015904老王面馆")).unwrap();
        assert_eq!(payload.merchant_name(), Some("老王面馆"));
        assert!(payload.crc_valid());
    }

    #[test]
    fn a_lower_case_crc_holds_and_is_reported_as_found() {
        let upper = signed(STATIC_BODY);
        let lower = format!(
            "{}{}",
            &upper[..upper.len() - 4],
            upper[upper.len() - 4..].to_ascii_lowercase()
        );
        let payload = Payload::decode(&lower).unwrap();
        assert!(payload.crc_valid());
        assert_eq!(
            payload.crc(),
            Some(upper[upper.len() - 4..].to_ascii_lowercase().as_str())
        );
    }

    #[test]
    fn a_wrong_crc_decodes_but_does_not_hold() {
        let good = signed(STATIC_BODY);
        let crc = u16::from_str_radix(&good[good.len() - 4..], 16).unwrap();
        let bad = format!("{}{:04X}", &good[..good.len() - 4], crc ^ 1);
        let payload = Payload::decode(&bad).unwrap();
        assert!(!payload.crc_valid());
        assert_eq!(payload.merchant_name(), Some("LAOWANG NOODLES"));
    }

    #[test]
    fn a_missing_or_malformed_crc_does_not_hold() {
        assert!(!Payload::decode("000201").unwrap().crc_valid());
        assert!(!Payload::decode("0002016302AB").unwrap().crc_valid());
        assert!(!Payload::decode("0002016304+1AB").unwrap().crc_valid());
        assert!(!Payload::decode("0002016304ZZZZ").unwrap().crc_valid());
    }

    #[test]
    fn named_fields_take_the_first_of_repeated_tags() {
        let payload = Payload::decode(&signed("5901A5901B")).unwrap();
        assert_eq!(payload.merchant_name(), Some("A"));
        assert_eq!(payload.objects().len(), 3);
        assert!(payload.crc_valid());
    }

    #[test]
    fn point_of_initiation_is_none_for_other_values() {
        assert_eq!(
            Payload::decode("010212").unwrap().point_of_initiation(),
            Some(PointOfInitiation::Dynamic)
        );
        assert_eq!(
            Payload::decode("010213").unwrap().point_of_initiation(),
            None
        );
        assert_eq!(
            Payload::decode("000201").unwrap().point_of_initiation(),
            None
        );
    }

    #[test]
    fn the_emvco_specification_example_decodes_and_its_crc_holds() {
        // The worked example of the EMVCo MPM specification: a dynamic code with a Chinese
        // alternate-language template (64); its published CRC is A13A.
        let example = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678\
            520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.72\
            53031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708\
            123456786304A13A";
        let payload = Payload::decode(example).unwrap();
        assert!(payload.crc_valid());
        assert_eq!(payload.merchant_name(), Some("BEST TRANSPORT"));
        assert_eq!(payload.amount(), Some("23.72"));
        let alternate = payload
            .objects()
            .iter()
            .find(|o| o.tag == Tag::ALTERNATE_LANGUAGE)
            .unwrap();
        assert_eq!(alternate.length(), 20);
        assert_eq!(alternate.children().unwrap()[1].value, "最佳运输");
    }

    #[test]
    fn a_payload_that_is_not_tlv_is_an_error() {
        assert!(Payload::decode("00020").is_err());
        assert!(Payload::decode("").is_err());
    }
}
