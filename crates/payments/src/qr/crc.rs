//! CRC-16/CCITT-FALSE, the checksum EMVCo puts in tag 63.

/// The generator polynomial x¹⁶ + x¹² + x⁵ + 1.
const POLY: u16 = 0x1021;
/// The register's starting value.
const INIT: u16 = 0xFFFF;

/// CRC-16/CCITT-FALSE of `bytes`: polynomial 0x1021, initial value 0xFFFF, no reflection of
/// input or output, no final XOR.
pub fn crc16_ccitt_false(bytes: &[u8]) -> u16 {
    bytes.iter().fold(INIT, |crc, byte| {
        (0..8).fold(crc ^ (u16::from(*byte) << 8), |crc, _| {
            if crc & 0x8000 != 0 {
                (crc << 1) ^ POLY
            } else {
                crc << 1
            }
        })
    })
}

/// The CRC as EMVCo writes it: four upper-case hex digits.
pub fn crc_hex(bytes: &[u8]) -> String {
    format!("{:04X}", crc16_ccitt_false(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn crc_of_the_standard_check_string_is_29b1() {
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
    }

    #[test]
    fn crc_of_nothing_is_the_initial_value() {
        assert_eq!(crc16_ccitt_false(b""), 0xFFFF);
    }

    #[test]
    fn crc_is_written_as_four_upper_case_hex_digits() {
        assert_eq!(crc_hex(b"123456789"), "29B1");
        // A small CRC keeps its leading zeros.
        let small = (0u16..=u16::MAX)
            .map(u16::to_be_bytes)
            .find(|bytes| crc16_ccitt_false(bytes) < 0x0100)
            .unwrap();
        assert!(crc_hex(&small).starts_with("00"), "{}", crc_hex(&small));
    }

    #[test]
    fn crc_tells_apart_a_one_bit_change() {
        assert_ne!(
            crc16_ccitt_false(b"0002015802CN"),
            crc16_ccitt_false(b"0002015802CO")
        );
    }
}
