//! Typed ids: a UUIDv7 (time-ordered) tagged with its kind, shown as `<prefix>_<32 hex>`.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::error::IdError;

/// What an [`Id`] identifies; other crates may declare their own kinds.
pub trait IdKind {
    /// The short lowercase prefix shown before the underscore, e.g. `"cus"`.
    const PREFIX: &'static str;
}

/// An id of kind `K`; ids of different kinds never mix.
pub struct Id<K: IdKind> {
    uuid: Uuid,
    // fn() -> K: K needs no Send/Sync/Eq/... of its own for Id<K> to have them.
    kind: PhantomData<fn() -> K>,
}

impl<K: IdKind> Id<K> {
    /// A fresh UUIDv7 id. Reads the wall clock, but only to order ids, never as business time.
    pub fn generate() -> Self {
        Self::from_uuid(Uuid::now_v7())
    }

    /// Wraps an existing UUID.
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self {
            uuid,
            kind: PhantomData,
        }
    }

    /// Wraps the UUID with this 128-bit value (handy for fixed ids in tests and fixtures).
    pub const fn from_u128(value: u128) -> Self {
        Self::from_uuid(Uuid::from_u128(value))
    }

    /// The underlying UUID.
    pub const fn as_uuid(&self) -> Uuid {
        self.uuid
    }

    /// The underlying UUID as a 128-bit integer.
    pub const fn as_u128(&self) -> u128 {
        self.uuid.as_u128()
    }

    /// Parses `"<prefix>_<32 lowercase hex>"`, rejecting any other prefix or UUID form.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let hex = text
            .strip_prefix(K::PREFIX)
            .and_then(|rest| rest.strip_prefix('_'))
            .ok_or(IdError::WrongPrefix {
                expected: K::PREFIX,
            })?;
        let well_formed =
            hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !well_formed {
            return Err(IdError::InvalidUuid);
        }
        Uuid::try_parse(hex)
            .map(Self::from_uuid)
            .map_err(|_| IdError::InvalidUuid)
    }
}

impl<K: IdKind> Clone for Id<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K: IdKind> Copy for Id<K> {}

impl<K: IdKind> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.uuid == other.uuid
    }
}

impl<K: IdKind> Eq for Id<K> {}

impl<K: IdKind> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// UUIDv7 order is creation-time order.
impl<K: IdKind> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.uuid.cmp(&other.uuid)
    }
}

impl<K: IdKind> Hash for Id<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.uuid.hash(state);
    }
}

impl<K: IdKind> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", K::PREFIX, self.uuid.simple())
    }
}

impl<K: IdKind> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<K: IdKind> FromStr for Id<K> {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// Serialises as `"<prefix>_<32 hex>"`.
impl<K: IdKind> Serialize for Id<K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Deserialises `"<prefix>_<32 hex>"` with [`Id::parse`].
impl<'de, K: IdKind> Deserialize<'de> for Id<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Declares an uninhabited kind marker, its [`IdKind`] impl and an `Id<Kind>` alias; every
/// context declares its own kinds with it (`cardlife_kernel::id_kind!(…)`).
#[macro_export]
macro_rules! id_kind {
    ($kind:ident, $alias:ident, $prefix:literal, $what:literal) => {
        #[doc = concat!("Marks ids of ", $what, " (prefix `", $prefix, "`).")]
        #[derive(Debug)]
        pub enum $kind {}

        impl $crate::IdKind for $kind {
            const PREFIX: &'static str = $prefix;
        }

        #[doc = concat!("Id of ", $what, ", shown as `", $prefix, "_…`.")]
        pub type $alias = $crate::Id<$kind>;
    };
}

id_kind!(CustomerKind, CustomerId, "cus", "a customer");
id_kind!(AccountKind, AccountId, "acc", "a ledger account");
id_kind!(CardKind, CardId, "card", "a card");
id_kind!(MerchantKind, MerchantId, "mer", "a merchant");
id_kind!(TransferKind, TransferId, "txn", "a ledger transfer");
id_kind!(StatementKind, StatementId, "stm", "a statement");

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn id_displays_prefix_and_simple_lowercase_hex() {
        let id = CustomerId::from_u128(0x0190_ABCD_0000_7000_8000_0000_0000_0001);
        assert_eq!(id.to_string(), "cus_0190abcd000070008000000000000001");
        assert_eq!(format!("{id:?}"), id.to_string());
    }

    #[test]
    fn id_generate_makes_version_7_uuids_in_creation_order() {
        let a = MerchantId::generate();
        let b = MerchantId::generate();
        assert_eq!(a.as_uuid().get_version_num(), 7);
        assert!(a < b);
    }

    #[test]
    fn id_parse_rejects_a_wrong_prefix() {
        let text = AccountId::from_u128(7).to_string();
        assert_eq!(
            CustomerId::parse(&text),
            Err(IdError::WrongPrefix { expected: "cus" })
        );
        assert_eq!(
            CardId::parse("cardx_00000000000000000000000000000007"),
            Err(IdError::WrongPrefix { expected: "card" })
        );
    }

    #[test]
    fn id_parse_rejects_other_uuid_forms() {
        for bad in [
            "cus_",
            "cus_0190ABCD000070008000000000000001",
            "cus_0190abcd-0000-7000-8000-000000000001",
            "cus_0190abcd00007000800000000000000",
            "cus_0190abcd0000700080000000000000012",
            "cus_0190abcd00007000800000000000000g",
        ] {
            assert_eq!(CustomerId::parse(bad), Err(IdError::InvalidUuid), "{bad}");
        }
    }

    #[test]
    fn id_serde_uses_the_prefixed_string() {
        let id = TransferId::from_u128(1);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"txn_00000000000000000000000000000001\"");
        assert_eq!(serde_json::from_str::<TransferId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<StatementId>(&json).is_err());
    }

    proptest! {
        #[test]
        fn id_parse_inverts_display(value in any::<u128>()) {
            let id = StatementId::from_u128(value);
            let back = StatementId::parse(&id.to_string()).unwrap();
            prop_assert_eq!(back, id);
            prop_assert_eq!(back.as_u128(), value);
        }

        #[test]
        fn id_parse_rejects_every_other_kind(value in any::<u128>()) {
            let text = CustomerId::from_u128(value).to_string();
            prop_assert!(MerchantId::parse(&text).is_err());
        }
    }
}
