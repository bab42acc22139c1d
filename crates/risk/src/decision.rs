//! What a rule check answers: an outcome, a score and the reasons that fired.

use serde::Serialize;

/// What happens to the action, from the mildest to the strictest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Goes ahead.
    Allow,
    /// Goes ahead, and an operator should look at it.
    Review,
    /// Refused.
    Deny,
}

impl Outcome {
    /// The stored, stable spelling: `allow`, `review`, `deny`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Review => "review",
            Self::Deny => "deny",
        }
    }

    /// The outcome spelled `text`, if any.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Allow, Self::Review, Self::Deny]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

/// Why a rule fired; the codes are stable UPPER_SNAKE strings stored with the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Reason {
    /// Too many payments by the customer in the short window.
    VelocityShort,
    /// Too many payments by the customer in the long window.
    VelocityLong,
    /// The amount is far above what the customer usually pays.
    AmountAboveUsual,
    /// A large amount from a device first seen recently.
    NewDeviceAmount,
    /// A large amount at night in the business zone.
    NightAmount,
    /// Many registrations from one device.
    DeviceRegistrations,
    /// Many logins from one device.
    DeviceLogins,
}

impl Reason {
    /// Every reason, for reading stored codes back.
    pub const ALL: [Self; 7] = [
        Self::VelocityShort,
        Self::VelocityLong,
        Self::AmountAboveUsual,
        Self::NewDeviceAmount,
        Self::NightAmount,
        Self::DeviceRegistrations,
        Self::DeviceLogins,
    ];

    /// The stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::VelocityShort => "VELOCITY_10_MIN",
            Self::VelocityLong => "VELOCITY_1_HOUR",
            Self::AmountAboveUsual => "AMOUNT_ABOVE_USUAL",
            Self::NewDeviceAmount => "NEW_DEVICE_AMOUNT",
            Self::NightAmount => "NIGHT_LARGE_AMOUNT",
            Self::DeviceRegistrations => "DEVICE_REGISTRATIONS",
            Self::DeviceLogins => "DEVICE_LOGINS",
        }
    }

    /// The reason whose code is `code`, if any.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// One rule that fired: why, what it asks for, and what it adds to the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Why.
    pub reason: Reason,
    /// The outcome the rule asks for.
    pub outcome: Outcome,
    /// Points added to the score.
    pub score: u32,
}

/// The most a score reaches.
pub const SCORE_MAX: u32 = 100;

/// A decision: the strictest outcome any fired rule asked for (allow when none fired), the
/// fired rules' scores summed (capped at [`SCORE_MAX`]), and their reasons in rule order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// What happens.
    pub outcome: Outcome,
    /// 0 (nothing fired) to [`SCORE_MAX`].
    pub score: u32,
    /// The reasons that fired.
    pub reasons: Vec<Reason>,
}

impl Decision {
    /// The decision made of these fired rules.
    pub fn of(hits: &[Hit]) -> Self {
        Self {
            outcome: hits
                .iter()
                .map(|h| h.outcome)
                .max()
                .unwrap_or(Outcome::Allow),
            score: hits
                .iter()
                .fold(0u32, |s, h| s.saturating_add(h.score))
                .min(SCORE_MAX),
            reasons: hits.iter().map(|h| h.reason).collect(),
        }
    }

    /// The reason codes joined by commas, as stored.
    pub fn codes(&self) -> String {
        self.reasons
            .iter()
            .map(|r| r.code())
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_hit_allows_with_score_zero() {
        let d = Decision::of(&[]);
        assert_eq!(d.outcome, Outcome::Allow);
        assert_eq!(d.score, 0);
        assert_eq!(d.codes(), "");
    }

    #[test]
    fn the_strictest_hit_decides_and_scores_add_up_to_the_cap() {
        let hits = [
            Hit {
                reason: Reason::NightAmount,
                outcome: Outcome::Review,
                score: 30,
            },
            Hit {
                reason: Reason::VelocityShort,
                outcome: Outcome::Deny,
                score: 80,
            },
        ];
        let d = Decision::of(&hits);
        assert_eq!(d.outcome, Outcome::Deny);
        assert_eq!(d.score, SCORE_MAX);
        assert_eq!(d.codes(), "NIGHT_LARGE_AMOUNT,VELOCITY_10_MIN");
    }

    #[test]
    fn every_code_reads_back_as_its_reason() {
        for r in Reason::ALL {
            assert_eq!(Reason::from_code(r.code()), Some(r));
        }
        for o in [Outcome::Allow, Outcome::Review, Outcome::Deny] {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(Reason::from_code("NOPE"), None);
    }
}
