//! Text encodings for tokens shown to clients: unpadded base64url (RFC 4648 §5) and lowercase hex.
//! Small and local because the crate takes no encoding dependency.

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Encodes `bytes` as unpadded base64url.
pub(crate) fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let symbols = chunk.len() + 1;
        for i in 0..symbols {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(BASE64URL[index as usize]));
        }
    }
    out
}

/// Decodes unpadded base64url; `None` for any other alphabet, padding or a non-canonical tail.
pub(crate) fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let mut n: u32 = 0;
        for (i, &c) in chunk.iter().enumerate() {
            let value = BASE64URL.iter().position(|&a| a == c)?;
            n |= (value as u32) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        let len = chunk.len() - 1;
        // Bits below the last whole byte must be zero, so each byte string has one encoding.
        if bytes[1 + len..].iter().any(|&b| b != 0) {
            return None;
        }
        out.extend_from_slice(&bytes[1..=len]);
    }
    Some(out)
}

/// Encodes `bytes` as lowercase hex.
pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// Decodes lowercase hex into exactly `N` bytes.
pub(crate) fn hex_decode<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn base64url_matches_rfc_4648_vectors_without_padding() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url_encode(plain.as_bytes()), encoded);
            assert_eq!(base64url_decode(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn base64url_decode_rejects_padding_other_alphabets_and_loose_tails() {
        for bad in ["Zg==", "Zm9v+", "Zm9v/A", "Z", "Zh"] {
            assert_eq!(base64url_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn hex_decode_rejects_uppercase_and_wrong_lengths() {
        assert_eq!(hex_decode::<2>("0aff"), Some([0x0a, 0xff]));
        assert_eq!(hex_decode::<2>("0AFF"), None);
        assert_eq!(hex_decode::<2>("0af"), None);
    }

    proptest! {
        #[test]
        fn base64url_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let text = base64url_encode(&bytes);
            prop_assert_eq!(base64url_decode(&text), Some(bytes));
        }

        #[test]
        fn hex_round_trips(bytes in any::<[u8; 32]>()) {
            prop_assert_eq!(hex_decode::<32>(&hex_encode(&bytes)), Some(bytes));
        }
    }
}
