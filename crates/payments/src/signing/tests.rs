#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use std::collections::HashSet;

use proptest::prelude::*;

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

const NOW: &str = "2026-04-01T04:00:00Z";
const NONCE: &str = "n0nce-0000000001";

fn key(id: &str, fill: u8) -> SigningKey {
    SigningKey::new(id, Secret::new(vec![fill; 32])).unwrap()
}

fn ring() -> MerchantKeyring {
    MerchantKeyring::new(MerchantId::from_u128(7), key("key_a", 1))
}

fn req(body: &[u8]) -> Request<'_> {
    Request {
        method: "POST",
        path: "/v1/orders?store=1",
        body,
    }
}

fn check(
    header: &str,
    body: &[u8],
    keyring: &MerchantKeyring,
    now: &str,
    seen: &mut HashSet<NonceKey>,
) -> Result<VerifiedRequest, SigningError> {
    verify(
        &req(body),
        header,
        keyring,
        &SigningPolicy::default(),
        ts(now),
        seen,
    )
}

#[test]
fn a_signed_request_verifies_and_names_its_merchant_and_key() {
    let h = sign(
        &req(b"{\"amount\":\"1.00\"}"),
        &key("key_a", 1),
        ts(NOW),
        NONCE,
    )
    .unwrap();
    assert!(h.starts_with("k=key_a,t=1775016000,n=n0nce-0000000001,s="));
    let v = check(
        &h,
        b"{\"amount\":\"1.00\"}",
        &ring(),
        NOW,
        &mut HashSet::new(),
    )
    .unwrap();
    assert_eq!(v.merchant, MerchantId::from_u128(7));
    assert_eq!(v.key_id, "key_a");
}

#[test]
fn a_forged_signature_or_changed_body_is_bad_signature() {
    let h = sign(&req(b"a"), &key("key_a", 1), ts(NOW), NONCE).unwrap();
    let mut seen = HashSet::new();
    assert_eq!(
        check(&h, b"b", &ring(), NOW, &mut seen),
        Err(SigningError::BadSignature)
    );
    let forged = sign(&req(b"a"), &key("key_a", 2), ts(NOW), NONCE).unwrap();
    assert_eq!(
        check(&forged, b"a", &ring(), NOW, &mut seen),
        Err(SigningError::BadSignature)
    );
    assert!(
        seen.is_empty(),
        "a forged request must not take a nonce slot"
    );
    let other_path = Request {
        path: "/v1/refunds",
        ..req(b"a")
    };
    assert_eq!(
        verify(
            &other_path,
            &h,
            &ring(),
            &SigningPolicy::default(),
            ts(NOW),
            &mut seen
        ),
        Err(SigningError::BadSignature)
    );
}

#[test]
fn a_timestamp_outside_300_seconds_is_stale() {
    let h = sign(&req(b""), &key("key_a", 1), ts(NOW), NONCE).unwrap();
    assert!(
        check(
            &h,
            b"",
            &ring(),
            "2026-04-01T04:05:00Z",
            &mut HashSet::new()
        )
        .is_ok()
    );
    assert!(
        check(
            &h,
            b"",
            &ring(),
            "2026-04-01T03:55:00Z",
            &mut HashSet::new()
        )
        .is_ok()
    );
    assert_eq!(
        check(
            &h,
            b"",
            &ring(),
            "2026-04-01T04:05:01Z",
            &mut HashSet::new()
        ),
        Err(SigningError::StaleTimestamp {
            timestamp: 1_775_016_000,
            window_secs: 300
        })
    );
    assert!(matches!(
        check(
            &h,
            b"",
            &ring(),
            "2026-04-01T03:54:59Z",
            &mut HashSet::new()
        ),
        Err(SigningError::StaleTimestamp { .. })
    ));
}

#[test]
fn a_replayed_request_is_refused() {
    let h = sign(&req(b"x"), &key("key_a", 1), ts(NOW), NONCE).unwrap();
    let mut seen = HashSet::new();
    check(&h, b"x", &ring(), NOW, &mut seen).unwrap();
    assert_eq!(
        check(&h, b"x", &ring(), NOW, &mut seen),
        Err(SigningError::Replayed)
    );
}

#[test]
fn rotation_keeps_two_keys_active_and_retires_the_oldest() {
    let mut r = ring();
    let old = sign(&req(b""), &key("key_a", 1), ts(NOW), "nonce-old-000000a").unwrap();
    assert_eq!(r.rotate(key("key_b", 2)).unwrap(), None);
    let new = sign(&req(b""), &key("key_b", 2), ts(NOW), "nonce-new-000000b").unwrap();
    let mut seen = HashSet::new();
    assert!(check(&old, b"", &r, NOW, &mut seen).is_ok());
    assert!(check(&new, b"", &r, NOW, &mut seen).is_ok());
    assert_eq!(r.rotate(key("key_c", 3)).unwrap(), Some("key_a".into()));
    assert_eq!(r.key_ids().collect::<Vec<_>>(), ["key_b", "key_c"]);
    let old2 = sign(&req(b""), &key("key_a", 1), ts(NOW), "nonce-old-000000c").unwrap();
    assert_eq!(
        check(&old2, b"", &r, NOW, &mut seen),
        Err(SigningError::UnknownKey)
    );
}

#[test]
fn keyring_limits_and_key_rules_are_enforced() {
    let mut r = ring();
    assert_eq!(r.add(key("key_a", 9)), Err(SigningError::DuplicateKeyId));
    r.add(key("key_b", 2)).unwrap();
    assert_eq!(
        r.add(key("key_c", 3)),
        Err(SigningError::TooManyKeys { max: 2 })
    );
    assert!(r.retire("key_a"));
    assert!(!r.retire("key_b"), "the last key cannot be retired");
    assert_eq!(
        SigningKey::new("k", Secret::new(vec![0; 31])).unwrap_err(),
        SigningError::SecretTooShort { min: 32 }
    );
    assert_eq!(
        SigningKey::new("bad id", Secret::new(vec![0; 32])).unwrap_err(),
        SigningError::MalformedToken
    );
}

#[test]
fn malformed_headers_and_requests_are_precise_errors() {
    let mut seen = HashSet::new();
    assert!(matches!(
        check("k=key_a,t=1", b"", &ring(), NOW, &mut seen),
        Err(SigningError::MalformedHeader { .. })
    ));
    let h = sign(&req(b""), &key("key_a", 1), ts(NOW), NONCE).unwrap();
    assert!(matches!(
        check(&h.replace("s=", "s=Z"), b"", &ring(), NOW, &mut seen),
        Err(SigningError::MalformedHeader { .. })
    ));
    assert_eq!(
        sign(&req(b""), &key("key_a", 1), ts(NOW), "short"),
        Err(SigningError::MalformedToken)
    );
    let bad = Request {
        method: "post",
        ..req(b"")
    };
    assert_eq!(
        sign(&bad, &key("key_a", 1), ts(NOW), NONCE),
        Err(SigningError::MalformedRequest)
    );
    let newline = Request {
        path: "/v1/a\nb",
        ..req(b"")
    };
    assert_eq!(
        sign(&newline, &key("key_a", 1), ts(NOW), NONCE),
        Err(SigningError::MalformedRequest)
    );
}

proptest! {
    #[test]
    fn random_headers_never_panic_or_verify(header in "\\PC{0,300}", good in "k=key_a,t=[0-9]{1,12},n=[a-z0-9]{16},s=[0-9a-f]{64}") {
        let mut seen = HashSet::new();
        let _ = check(&header, b"", &ring(), NOW, &mut seen);
        prop_assert!(check(&good, b"", &ring(), NOW, &mut seen).is_err());
        prop_assert!(seen.is_empty());
    }

    #[test]
    fn any_changed_signature_character_fails(pos in 0usize..64, body in proptest::collection::vec(any::<u8>(), 0..64)) {
        let h = sign(&req(&body), &key("key_a", 1), ts(NOW), NONCE).unwrap();
        let at = h.len() - 64 + pos;
        let c = h.as_bytes()[at];
        let swapped = if c == b'0' { '1' } else { '0' };
        let bad = format!("{}{}{}", &h[..at], swapped, &h[at + 1..]);
        prop_assert_eq!(check(&bad, &body, &ring(), NOW, &mut HashSet::new()), Err(SigningError::BadSignature));
        prop_assert!(check(&h, &body, &ring(), NOW, &mut HashSet::new()).is_ok());
    }
}
