//! PIPL consents (§8): processing sensitive personal information (financial accounts), marketing
//! and sharing with third parties each need their own explicit consent. A grant records when and
//! for which version of the consent text; it can be withdrawn at any time; nothing is ever
//! granted by default, and the history is kept as evidence.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::CustomerError;

/// What a consent covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    /// Marketing messages and offers.
    Marketing,
    /// Processing sensitive personal information (financial accounts, ID, biometrics).
    SensitivePersonalInformation,
    /// Providing personal information to a third party (e.g. a co-brand partner).
    ThirdPartySharing,
}

impl ConsentKind {
    /// Every kind, in a stable order.
    pub const ALL: [Self; 3] = [
        Self::Marketing,
        Self::SensitivePersonalInformation,
        Self::ThirdPartySharing,
    ];

    /// A stable snake_case code, e.g. for storage.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Marketing => "marketing",
            Self::SensitivePersonalInformation => "sensitive_personal_information",
            Self::ThirdPartySharing => "third_party_sharing",
        }
    }
}

impl fmt::Display for ConsentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The version of the consent text the customer saw and agreed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConsentTextVersion(pub u32);

/// How a grant stopped being in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "at")]
pub enum ConsentEnd {
    /// The customer withdrew it.
    Withdrawn(Timestamp),
    /// A later grant (e.g. of a newer text version) replaced it.
    Superseded(Timestamp),
}

impl ConsentEnd {
    /// When the grant stopped being in force.
    pub const fn at(self) -> Timestamp {
        match self {
            Self::Withdrawn(at) | Self::Superseded(at) => at,
        }
    }
}

/// One explicit grant of one kind of consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentGrant {
    /// What was consented to.
    pub kind: ConsentKind,
    /// The text version agreed to.
    pub text_version: ConsentTextVersion,
    /// When the customer agreed.
    pub granted_at: Timestamp,
    /// When and how it stopped, if it has.
    pub ended: Option<ConsentEnd>,
}

impl ConsentGrant {
    /// Whether the grant was in force at `now`.
    pub fn in_force_at(&self, now: Timestamp) -> bool {
        self.granted_at <= now && self.ended.is_none_or(|end| end.at() > now)
    }
}

/// A customer's consents with their full history. `Default` is "nothing granted".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consents {
    history: Vec<ConsentGrant>,
}

impl Consents {
    /// No consent granted.
    pub const fn none() -> Self {
        Self {
            history: Vec::new(),
        }
    }

    /// Records an explicit grant of `kind` for `text_version` at `now`; a grant already in force
    /// for the kind is marked superseded.
    pub fn grant(&mut self, kind: ConsentKind, text_version: ConsentTextVersion, now: Timestamp) {
        if let Some(open) = self.open_mut(kind) {
            open.ended = Some(ConsentEnd::Superseded(now));
        }
        self.history.push(ConsentGrant {
            kind,
            text_version,
            granted_at: now,
            ended: None,
        });
    }

    /// Withdraws the grant of `kind` in force; errors if there is none.
    pub fn withdraw(&mut self, kind: ConsentKind, now: Timestamp) -> Result<(), CustomerError> {
        let open = self
            .open_mut(kind)
            .ok_or(CustomerError::ConsentNotGranted { kind })?;
        open.ended = Some(ConsentEnd::Withdrawn(now));
        Ok(())
    }

    /// Whether data may be used for `kind` at `now`: only under an explicit grant in force then.
    pub fn may_use(&self, kind: ConsentKind, now: Timestamp) -> bool {
        self.in_force(kind, now).is_some()
    }

    /// The grant of `kind` in force at `now`, if any (e.g. to check its text version).
    pub fn in_force(&self, kind: ConsentKind, now: Timestamp) -> Option<&ConsentGrant> {
        self.history
            .iter()
            .rev()
            .find(|g| g.kind == kind && g.in_force_at(now))
    }

    /// Every grant ever made, oldest first.
    pub fn history(&self) -> &[ConsentGrant] {
        &self.history
    }

    fn open_mut(&mut self, kind: ConsentKind) -> Option<&mut ConsentGrant> {
        self.history
            .iter_mut()
            .rev()
            .find(|g| g.kind == kind && g.ended.is_none())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use jiff::SignedDuration;
    use proptest::prelude::*;

    fn t(mins: i64) -> Timestamp {
        "2025-03-01T00:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_mins(mins)
    }

    #[test]
    fn no_consent_is_granted_by_default() {
        let consents = Consents::default();
        for kind in ConsentKind::ALL {
            assert!(!consents.may_use(kind, t(0)));
        }
    }

    #[test]
    fn a_grant_covers_only_its_own_kind_and_only_from_its_time() {
        let mut c = Consents::none();
        c.grant(ConsentKind::Marketing, ConsentTextVersion(3), t(10));
        assert!(c.may_use(ConsentKind::Marketing, t(10)));
        assert!(!c.may_use(ConsentKind::Marketing, t(9)));
        assert!(!c.may_use(ConsentKind::SensitivePersonalInformation, t(10)));
        assert!(!c.may_use(ConsentKind::ThirdPartySharing, t(10)));
    }

    #[test]
    fn withdrawing_stops_use_from_then_and_keeps_the_history() {
        let mut c = Consents::none();
        c.grant(
            ConsentKind::SensitivePersonalInformation,
            ConsentTextVersion(1),
            t(0),
        );
        c.withdraw(ConsentKind::SensitivePersonalInformation, t(5))
            .unwrap();
        assert!(c.may_use(ConsentKind::SensitivePersonalInformation, t(4)));
        assert!(!c.may_use(ConsentKind::SensitivePersonalInformation, t(5)));
        assert_eq!(c.history().len(), 1);
        assert_eq!(c.history()[0].ended, Some(ConsentEnd::Withdrawn(t(5))));
    }

    #[test]
    fn withdrawing_what_was_never_granted_is_an_error() {
        let mut c = Consents::none();
        assert_eq!(
            c.withdraw(ConsentKind::Marketing, t(0)),
            Err(CustomerError::ConsentNotGranted {
                kind: ConsentKind::Marketing
            })
        );
    }

    #[test]
    fn granting_a_new_text_version_supersedes_the_old_grant() {
        let mut c = Consents::none();
        c.grant(ConsentKind::ThirdPartySharing, ConsentTextVersion(1), t(0));
        c.grant(ConsentKind::ThirdPartySharing, ConsentTextVersion(2), t(60));
        let now = c.in_force(ConsentKind::ThirdPartySharing, t(61)).unwrap();
        assert_eq!(now.text_version, ConsentTextVersion(2));
        assert_eq!(c.history()[0].ended, Some(ConsentEnd::Superseded(t(60))));
        c.withdraw(ConsentKind::ThirdPartySharing, t(90)).unwrap();
        assert!(!c.may_use(ConsentKind::ThirdPartySharing, t(91)));
    }

    proptest! {
        #[test]
        fn may_use_matches_a_simple_model(ops in proptest::collection::vec((0..3usize, any::<bool>()), 0..30)) {
            // Model: a kind is usable iff its last operation was a grant.
            let mut c = Consents::none();
            let mut model = [false; 3];
            for (i, (k, grant)) in ops.iter().enumerate() {
                let kind = ConsentKind::ALL[*k];
                let now = t(i as i64);
                if *grant {
                    c.grant(kind, ConsentTextVersion(1), now);
                    model[*k] = true;
                } else {
                    prop_assert_eq!(c.withdraw(kind, now).is_ok(), model[*k]);
                    model[*k] = false;
                }
            }
            let end = t(ops.len() as i64);
            for (k, kind) in ConsentKind::ALL.into_iter().enumerate() {
                prop_assert_eq!(c.may_use(kind, end), model[k]);
            }
        }
    }
}
