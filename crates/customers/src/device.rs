//! Devices (docs/identity.md, "Devices"): the app or browser a customer logs in from. The client
//! keeps a random device id of its own and sends it with its name at login; the platform keeps
//! only a hash of the id, bound to the customer, so the list of devices cannot be used to follow
//! one device across customers.

use sha2::{Digest, Sha256};

use cardlife_kernel::CustomerId;

use crate::error::CustomerError;

/// Shortest device id accepted (a client's random id is far longer).
const ID_MIN: usize = 16;
/// Longest device id accepted.
const ID_MAX: usize = 128;
/// Longest device name, in characters.
const NAME_MAX: usize = 64;

/// What a client says about the device it runs on.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceHint {
    id: String,
    name: String,
}

impl DeviceHint {
    /// Checks a device id (16–128 visible ASCII characters) and a name (1–64 characters after
    /// trimming, no control characters).
    pub fn parse(id: &str, name: &str) -> Result<Self, CustomerError> {
        if !(ID_MIN..=ID_MAX).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CustomerError::DeviceIdMalformed);
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control)
        {
            return Err(CustomerError::DeviceNameInvalid { max: NAME_MAX });
        }
        Ok(Self {
            id: id.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The name shown in the customer's list of devices.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The stored form of the id: SHA-256 over the customer and the id, so the same device
    /// gives different values for different customers.
    pub fn fingerprint(&self, customer: CustomerId) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(b"cardlife-device-v1:");
        hash.update(customer.as_uuid().as_bytes());
        hash.update(self.id.as_bytes());
        hash.finalize().into()
    }
}

impl std::fmt::Debug for DeviceHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceHint({:?})", self.name)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const ID: &str = "d3b07384d113edec49eaa6238ad5ff00";

    #[test]
    fn ids_of_16_to_128_visible_characters_are_accepted() {
        assert!(DeviceHint::parse(&"a".repeat(16), "phone").is_ok());
        assert!(DeviceHint::parse(&"a".repeat(128), "phone").is_ok());
        for bad in [
            "a".repeat(15),
            "a".repeat(129),
            format!("{ID} x"),
            format!("{ID}\n"),
        ] {
            assert!(
                matches!(
                    DeviceHint::parse(&bad, "phone"),
                    Err(CustomerError::DeviceIdMalformed)
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            DeviceHint::parse(ID, "  华为 Mate 60 ").unwrap().name(),
            "华为 Mate 60"
        );
        for bad in ["", "   ", "a\u{7}b", &"名".repeat(65)] {
            assert!(DeviceHint::parse(ID, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_fingerprint_depends_on_customer_and_id_and_debug_hides_the_id() {
        let hint = DeviceHint::parse(ID, "phone").unwrap();
        let (a, b) = (CustomerId::from_u128(1), CustomerId::from_u128(2));
        assert_eq!(hint.fingerprint(a), hint.fingerprint(a));
        assert_ne!(hint.fingerprint(a), hint.fingerprint(b));
        let other = DeviceHint::parse(&ID.replace('d', "e"), "phone").unwrap();
        assert_ne!(hint.fingerprint(a), other.fingerprint(a));
        assert!(!format!("{hint:?}").contains(ID));
    }
}
