//! The QR decoder and the pay-code verifier meet untrusted input from cameras and tills
//! (docs/merchants.md): random bytes, truncations and altered checksums must give a precise
//! error or a verdict, never a panic, and a valid payload altered in its CRC must not hold.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};

use cardlife_kernel::Secret;
use cardlife_payments::paycode::{self, PayCodePolicy, TokenRef};
use cardlife_payments::qr::{DEFAULT_ACCOUNT_GUID, MerchantPresented, Payload, crc16_ccitt_false};
use jiff::Timestamp;
use proptest::prelude::*;

fn sample() -> String {
    MerchantPresented {
        merchant_name: "LAOWANG NOODLES".to_owned(),
        merchant_city: "SHANGHAI".to_owned(),
        mcc: "5812".to_owned(),
        currency: "156".to_owned(),
        country: "CN".to_owned(),
        amount: Some("36.50".to_owned()),
        account_guid: DEFAULT_ACCOUNT_GUID.to_owned(),
        account: "qr0123456789abcdef".to_owned(),
        bill_number: None,
    }
    .encode()
    .unwrap()
}

#[test]
fn crc16_ccitt_false_known_answers() {
    assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
    assert_eq!(crc16_ccitt_false(b""), 0xFFFF);
    assert_eq!(crc16_ccitt_false(b"A"), 0xB915);
}

proptest! {
    #[test]
    fn random_text_never_panics_the_qr_decoder(input in any::<String>()) {
        if let Ok(p) = Payload::decode(&input) {
            let _ = p.crc_valid();
        }
    }

    #[test]
    fn random_bytes_read_lossily_never_panic_the_qr_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = Payload::decode(&text).map(|p| p.crc_valid());
    }

    #[test]
    fn every_truncation_of_a_valid_payload_is_an_error_or_fails_its_crc(cut in 0usize..120) {
        let full = sample();
        let cut = cut.min(full.len().saturating_sub(1));
        let truncated = &full[..cut];
        if let Ok(p) = Payload::decode(truncated) {
            prop_assert!(!p.crc_valid());
        }
    }

    #[test]
    fn a_changed_crc_never_holds(crc in 0u16..=u16::MAX) {
        let full = sample();
        let (body, found) = full.split_at(full.len() - 4);
        prop_assume!(!found.eq_ignore_ascii_case(&format!("{crc:04X}")));
        let altered = format!("{body}{crc:04X}");
        prop_assert!(!Payload::decode(&altered).unwrap().crc_valid());
    }

    #[test]
    fn random_digits_never_panic_nor_pass_the_pay_code_verifier(code in "[0-9]{0,30}", t in 0i64..4_000_000_000) {
        let keys: HashMap<TokenRef, Secret<Vec<u8>>> =
            HashMap::from([(TokenRef::new(12_345_678).unwrap(), Secret::new(vec![9; 32]))]);
        let mut seen = HashSet::new();
        let now = Timestamp::from_second(t).unwrap();
        let verdict = paycode::verify(&code, &keys, &mut seen, &PayCodePolicy::default(), now);
        // A blind 24-digit guess passes with p = 1e-8; proptest's few hundred cases never do.
        prop_assert!(verdict.is_err());
    }
}
