//! The customer profile: phone plus optional real-name details (实名信息: name and resident ID,
//! C2 data, §8), each masked on display (`张*`, `110***********1234`), with a verified flag set only
//! when the real-name check passes. Changing the details clears verification.

use std::fmt;

use cardlife_kernel::{CustomerId, Secret, mask_name};
use jiff::Timestamp;

use crate::error::CustomerError;
use crate::phone::Phone;
use crate::resident_id::ResidentId;

/// Longest accepted name, in characters (long minority and transliterated names fit).
const NAME_CHARS_MAX: usize = 64;

/// A legal name; `Display` and `Debug` show `张*`.
#[derive(Clone)]
pub struct RealName(Secret<String>);

impl RealName {
    /// Trims and checks a name: not empty, at most 64 characters, no (ASCII or full-width) digits or control characters.
    pub fn parse(text: &str) -> Result<Self, CustomerError> {
        let name = text.trim();
        if name.is_empty() {
            return Err(CustomerError::RealNameEmpty);
        }
        if name.chars().count() > NAME_CHARS_MAX {
            return Err(CustomerError::RealNameTooLong {
                max: NAME_CHARS_MAX,
            });
        }
        if name
            .chars()
            .any(|c| c.is_control() || c.is_ascii_digit() || ('０'..='９').contains(&c))
        {
            return Err(CustomerError::RealNameInvalidCharacter);
        }
        Ok(Self(Secret::new(name.to_owned())))
    }

    /// The full name, for the verification service and statements.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// The masked form `张*`.
    pub fn masked(&self) -> String {
        mask_name(self.expose_secret())
    }
}

impl PartialEq for RealName {
    fn eq(&self, other: &Self) -> bool {
        self.expose_secret() == other.expose_secret()
    }
}

impl Eq for RealName {}

impl fmt::Display for RealName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for RealName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RealName({})", self.masked())
    }
}

/// Name and resident ID, and when (if ever) they were verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealNameDetails {
    name: RealName,
    resident_id: ResidentId,
    verified_at: Option<Timestamp>,
}

impl RealNameDetails {
    /// Unverified details.
    pub const fn new(name: RealName, resident_id: ResidentId) -> Self {
        Self {
            name,
            resident_id,
            verified_at: None,
        }
    }
    /// The name.
    pub const fn name(&self) -> &RealName {
        &self.name
    }
    /// The resident ID.
    pub const fn resident_id(&self) -> &ResidentId {
        &self.resident_id
    }
    /// Whether the real-name check passed.
    pub const fn is_verified(&self) -> bool {
        self.verified_at.is_some()
    }
    /// When the real-name check passed.
    pub const fn verified_at(&self) -> Option<Timestamp> {
        self.verified_at
    }
}

/// A customer as the identity layer sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerProfile {
    id: CustomerId,
    phone: Phone,
    real_name: Option<RealNameDetails>,
}

impl CustomerProfile {
    /// A newly registered customer: phone only, no real-name details.
    pub const fn new(id: CustomerId, phone: Phone) -> Self {
        Self {
            id,
            phone,
            real_name: None,
        }
    }
    /// The customer id.
    pub const fn id(&self) -> CustomerId {
        self.id
    }
    /// The login phone.
    pub const fn phone(&self) -> &Phone {
        &self.phone
    }
    /// The real-name details, if given.
    pub const fn real_name(&self) -> Option<&RealNameDetails> {
        self.real_name.as_ref()
    }
    /// Whether the customer is real-name verified.
    pub fn is_verified(&self) -> bool {
        self.real_name
            .as_ref()
            .is_some_and(RealNameDetails::is_verified)
    }

    /// Sets (or corrects, a PIPL right) the details; verification must then be redone.
    pub fn set_real_name(&mut self, name: RealName, resident_id: ResidentId) {
        self.real_name = Some(RealNameDetails::new(name, resident_id));
    }

    /// Records that the real-name check passed for the current details; false if there are none.
    pub fn mark_verified(&mut self, now: Timestamp) -> bool {
        match &mut self.real_name {
            Some(details) => {
                details.verified_at = Some(now);
                true
            }
            None => false,
        }
    }

    /// Changes the login phone (after OTP on the new number).
    pub fn change_phone(&mut self, phone: Phone) {
        self.phone = phone;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn profile() -> CustomerProfile {
        CustomerProfile::new(
            CustomerId::from_u128(1),
            Phone::parse("13812345678").unwrap(),
        )
    }
    fn now() -> Timestamp {
        "2025-03-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn profile_debug_output_shows_only_masked_personal_data() {
        let mut p = profile();
        p.set_real_name(
            RealName::parse("张三").unwrap(),
            ResidentId::parse("11010519491231002X").unwrap(),
        );
        let debug = format!("{p:?}");
        for hidden in ["张三", "11010519491231002X", "13812345678"] {
            assert!(!debug.contains(hidden), "{debug}");
        }
        for shown in ["张*", "110***********002X", "138****5678"] {
            assert!(debug.contains(shown), "{debug}");
        }
    }

    #[test]
    fn a_new_customer_is_not_verified_and_cannot_be_without_details() {
        let mut p = profile();
        assert!(!p.is_verified());
        assert!(!p.mark_verified(now()));
        assert!(!p.is_verified());
    }

    #[test]
    fn verification_holds_until_the_details_change() {
        let mut p = profile();
        let id = ResidentId::parse("11010519491231002X").unwrap();
        p.set_real_name(RealName::parse("张三").unwrap(), id.clone());
        assert!(p.mark_verified(now()));
        assert!(p.is_verified());
        assert_eq!(p.real_name().unwrap().verified_at(), Some(now()));
        p.set_real_name(RealName::parse("张四").unwrap(), id);
        assert!(!p.is_verified());
    }

    #[test]
    fn real_name_rejects_empty_overlong_and_odd_characters() {
        assert_eq!(
            RealName::parse("  ").err(),
            Some(CustomerError::RealNameEmpty)
        );
        assert_eq!(
            RealName::parse(&"名".repeat(65)).err(),
            Some(CustomerError::RealNameTooLong { max: 64 })
        );
        assert_eq!(
            RealName::parse("张3").err(),
            Some(CustomerError::RealNameInvalidCharacter)
        );
        assert_eq!(
            RealName::parse("张\n三").err(),
            Some(CustomerError::RealNameInvalidCharacter)
        );
        assert_eq!(
            RealName::parse(" 阿依古丽·买买提 ")
                .unwrap()
                .expose_secret(),
            "阿依古丽·买买提"
        );
    }

    proptest! {
        #[test]
        fn real_name_display_never_shows_more_than_the_first_character(name in "[\\p{Han}]{2,8}") {
            let n = RealName::parse(&name).unwrap();
            let shown = n.to_string();
            prop_assert_eq!(shown.chars().next(), name.chars().next());
            prop_assert!(shown.chars().skip(1).all(|c| c == '*'));
        }
    }
}
