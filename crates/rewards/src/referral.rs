//! Referral (人传人 fission): invite codes, and rewards for both sides on the invitee's first
//! qualifying spend — one level only, exactly once, with abuse hooks.
//!
//! Rules:
//! - **Codes** are derived deterministically: 10 Crockford base-32 characters (50 bits) of
//!   SplitMix64(key, inviter id, nonce). The key is programme data; the registry tries nonce 0, 1,
//!   … until the code is free, so issuing is idempotent (an inviter keeps its code) and codes
//!   never collide. A code is an identifier, not a secret (the mixer is not a MAC): guessing one
//!   only names some inviter. [`InviteCode::link`] makes the share link.
//! - **Binding**: an invitee binds to one inviter, once ([`RewardsError::AlreadyReferred`]); not
//!   to itself nor to someone it invited ([`RewardsError::SelfReferral`]).
//! - **One level**: a reward goes to the invitee and its direct inviter only; the inviter's own
//!   inviter never earns from it.
//! - **Exactly once**: the invitee's first spend ≥ `min_spend` settles the referral — rewarded
//!   or refused — for good. Replaying that spend's event returns the same outcome; later spends
//!   answer [`SpendOutcome::AlreadySettled`]; smaller spends [`SpendOutcome::BelowMinimum`].
//! - **Abuse**: before rewarding, an [`AbuseCheck`] hook is asked; a reason settles the referral
//!   as refused with that reason reported. [`SharedSignals`] is the built-in check: the same
//!   device or the same card seen on inviter and invitee.
//! - Funding: the grants are [`Grant`]s; the budget that pays them is the caller's (e.g. a
//!   campaign), this module only decides who earns what, once.

use std::collections::BTreeMap;

use cardlife_kernel::{CardId, CustomerId, Money};
use serde::{Deserialize, Serialize};

use crate::campaign::Grant;
use crate::error::RewardsError;
use crate::ids::{DeviceId, TriggerEventId};

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_LEN: usize = 10;

/// An invite code: 10 Crockford base-32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InviteCode(String);

impl InviteCode {
    /// The code for `inviter` under `key` with collision `nonce`.
    pub fn derive(inviter: CustomerId, key: u64, nonce: u32) -> Self {
        let mut h =
            crate::campaign::mix_u128s(&[u128::from(key), inviter.as_u128(), u128::from(nonce)]);
        let mut s = String::with_capacity(CODE_LEN);
        for _ in 0..CODE_LEN {
            s.push(char::from(CROCKFORD[(h & 31) as usize]));
            h >>= 5;
        }
        Self(s)
    }

    /// Parses a code typed by a person: case-insensitive, `O`→`0`, `I`/`L`→`1`.
    pub fn parse(text: &str) -> Option<Self> {
        let s: String = text
            .trim()
            .chars()
            .map(|c| match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            })
            .collect();
        (s.len() == CODE_LEN && s.bytes().all(|b| CROCKFORD.contains(&b))).then_some(Self(s))
    }

    /// The code text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The share link: `base` + `?invite=` + code.
    pub fn link(&self, base: &str) -> String {
        format!("{base}?invite={}", self.0)
    }
}

/// Why a referral was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AbuseReason {
    /// Inviter and invitee were seen on the same device.
    SameDevice(DeviceId),
    /// Inviter and invitee used the same card.
    SameCard(CardId),
    /// Another check refused, with its reason.
    Other(String),
}

/// The abuse hook asked before a referral is rewarded.
pub trait AbuseCheck {
    /// A reason to refuse rewarding `invitee`'s referral by `inviter`, or `None`.
    fn verdict(&self, inviter: CustomerId, invitee: CustomerId) -> Option<AbuseReason>;
}

/// Devices and cards seen for one customer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Signals {
    /// Device fingerprints.
    pub devices: Vec<DeviceId>,
    /// Cards used or bound.
    pub cards: Vec<CardId>,
}

/// The built-in check: refuse when inviter and invitee share a device or a card.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SharedSignals {
    /// The inviter's signals.
    pub inviter: Signals,
    /// The invitee's signals.
    pub invitee: Signals,
}

impl AbuseCheck for SharedSignals {
    fn verdict(&self, _inviter: CustomerId, _invitee: CustomerId) -> Option<AbuseReason> {
        if let Some(d) = self
            .invitee
            .devices
            .iter()
            .find(|d| self.inviter.devices.contains(d))
        {
            return Some(AbuseReason::SameDevice(*d));
        }
        self.invitee
            .cards
            .iter()
            .find(|c| self.inviter.cards.contains(c))
            .map(|c| AbuseReason::SameCard(*c))
    }
}

/// Programme rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralRules {
    /// Key mixed into invite codes.
    pub code_key: u64,
    /// Minimum spend that qualifies.
    pub min_spend: Money,
    /// What the inviter earns.
    pub inviter_reward: Grant,
    /// What the invitee earns.
    pub invitee_reward: Grant,
}

/// The rewards for one referral, given once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralAward {
    /// The inviter (the only upstream customer who earns).
    pub inviter: CustomerId,
    /// The invitee.
    pub invitee: CustomerId,
    /// The qualifying spend's event.
    pub event: TriggerEventId,
    /// The inviter's grant.
    pub inviter_reward: Grant,
    /// The invitee's grant.
    pub invitee_reward: Grant,
}

/// Where a referral is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReferralState {
    /// Bound, waiting for a qualifying spend.
    Pending,
    /// Rewarded on this award's event.
    Rewarded(ReferralAward),
    /// Refused on this event for this reason.
    Refused {
        /// The spend that would have qualified.
        event: TriggerEventId,
        /// Why.
        reason: AbuseReason,
    },
}

/// A spend's effect on referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpendOutcome {
    /// The spender was not referred.
    NotReferred,
    /// Below the minimum; still pending.
    BelowMinimum,
    /// Both sides rewarded (returned again when the same event is replayed).
    Rewarded(ReferralAward),
    /// No reward, with the reason (returned again when the same event is replayed).
    Refused(AbuseReason),
    /// Settled earlier by another event.
    AlreadySettled,
}

/// The referral registry: codes, bindings, and their settlement.
#[derive(Debug, Clone)]
pub struct ReferralProgram {
    rules: ReferralRules,
    owners: BTreeMap<InviteCode, CustomerId>,
    codes: BTreeMap<CustomerId, InviteCode>,
    inviter_of: BTreeMap<CustomerId, CustomerId>,
    states: BTreeMap<CustomerId, ReferralState>,
}

impl ReferralProgram {
    /// An empty programme.
    pub fn new(rules: ReferralRules) -> Result<Self, RewardsError> {
        if rules.min_spend.fen() < 0 {
            return Err(RewardsError::InvalidConfig {
                reason: "the minimum qualifying spend is negative",
            });
        }
        Ok(Self {
            rules,
            owners: BTreeMap::new(),
            codes: BTreeMap::new(),
            inviter_of: BTreeMap::new(),
            states: BTreeMap::new(),
        })
    }

    /// `inviter`'s code, issued on first call (idempotent).
    pub fn code_for(&mut self, inviter: CustomerId) -> InviteCode {
        if let Some(c) = self.codes.get(&inviter) {
            return c.clone();
        }
        let mut nonce = 0_u32;
        let code = loop {
            let c = InviteCode::derive(inviter, self.rules.code_key, nonce);
            if !self.owners.contains_key(&c) {
                break c;
            }
            nonce = nonce.wrapping_add(1);
        };
        self.owners.insert(code.clone(), inviter);
        self.codes.insert(inviter, code.clone());
        code
    }

    /// Who invited `invitee`, if anyone.
    pub fn inviter_of(&self, invitee: CustomerId) -> Option<CustomerId> {
        self.inviter_of.get(&invitee).copied()
    }

    /// The state of `invitee`'s referral.
    pub fn state(&self, invitee: CustomerId) -> Option<&ReferralState> {
        self.states.get(&invitee)
    }

    /// Binds `invitee` to the owner of `code`; returns the inviter.
    pub fn register(
        &mut self,
        code: &InviteCode,
        invitee: CustomerId,
    ) -> Result<CustomerId, RewardsError> {
        let inviter = *self
            .owners
            .get(code)
            .ok_or(RewardsError::UnknownInviteCode)?;
        if inviter == invitee || self.inviter_of.get(&inviter) == Some(&invitee) {
            return Err(RewardsError::SelfReferral);
        }
        if self.inviter_of.contains_key(&invitee) {
            return Err(RewardsError::AlreadyReferred);
        }
        self.inviter_of.insert(invitee, inviter);
        self.states.insert(invitee, ReferralState::Pending);
        Ok(inviter)
    }

    /// A spend of `amount` by `invitee` (event `event`); see the module docs.
    pub fn on_spend(
        &mut self,
        invitee: CustomerId,
        event: TriggerEventId,
        amount: Money,
        abuse: &dyn AbuseCheck,
    ) -> SpendOutcome {
        let Some(&inviter) = self.inviter_of.get(&invitee) else {
            return SpendOutcome::NotReferred;
        };
        match self.states.get(&invitee) {
            Some(ReferralState::Rewarded(a)) if a.event == event => {
                return SpendOutcome::Rewarded(a.clone());
            }
            Some(ReferralState::Refused { event: e, reason }) if *e == event => {
                return SpendOutcome::Refused(reason.clone());
            }
            Some(ReferralState::Rewarded(_) | ReferralState::Refused { .. }) => {
                return SpendOutcome::AlreadySettled;
            }
            Some(ReferralState::Pending) | None => {}
        }
        let min = self.rules.min_spend;
        if amount.currency() != min.currency() || amount.fen() < min.fen() {
            return SpendOutcome::BelowMinimum;
        }
        if let Some(reason) = abuse.verdict(inviter, invitee) {
            self.states.insert(
                invitee,
                ReferralState::Refused {
                    event,
                    reason: reason.clone(),
                },
            );
            return SpendOutcome::Refused(reason);
        }
        let award = ReferralAward {
            inviter,
            invitee,
            event,
            inviter_reward: self.rules.inviter_reward.clone(),
            invitee_reward: self.rules.invitee_reward.clone(),
        };
        self.states
            .insert(invitee, ReferralState::Rewarded(award.clone()));
        SpendOutcome::Rewarded(award)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use cardlife_kernel::Points;
    use proptest::prelude::*;

    fn cus(n: u128) -> CustomerId {
        CustomerId::from_u128(n)
    }

    fn evt(n: u128) -> TriggerEventId {
        TriggerEventId::from_u128(n)
    }

    fn program() -> ReferralProgram {
        ReferralProgram::new(ReferralRules {
            code_key: 99,
            min_spend: Money::cny(5_000),
            inviter_reward: Grant::Points(Points::new(1_000)),
            invitee_reward: Grant::MoneyOff(Money::cny(1_000)),
        })
        .unwrap()
    }

    const CLEAN: SharedSignals = SharedSignals {
        inviter: Signals {
            devices: Vec::new(),
            cards: Vec::new(),
        },
        invitee: Signals {
            devices: Vec::new(),
            cards: Vec::new(),
        },
    };

    #[test]
    fn codes_are_stable_parseable_and_link() {
        let mut p = program();
        let c = p.code_for(cus(1));
        assert_eq!(p.code_for(cus(1)), c);
        assert_eq!(c, InviteCode::derive(cus(1), 99, 0));
        assert_ne!(c, InviteCode::derive(cus(1), 98, 0));
        assert_eq!(
            InviteCode::parse(&c.as_str().to_lowercase()),
            Some(c.clone())
        );
        assert_eq!(InviteCode::parse("short"), None);
        assert!(c.link("https://x/r").ends_with(c.as_str()));
    }

    #[test]
    fn both_sides_rewarded_once_one_level_only() {
        let mut p = program();
        let a = p.code_for(cus(1));
        p.register(&a, cus(2)).unwrap();
        let b = p.code_for(cus(2));
        p.register(&b, cus(3)).unwrap();
        assert_eq!(
            p.on_spend(cus(3), evt(1), Money::cny(4_999), &CLEAN),
            SpendOutcome::BelowMinimum
        );
        let SpendOutcome::Rewarded(award) = p.on_spend(cus(3), evt(2), Money::cny(5_000), &CLEAN)
        else {
            panic!("not rewarded")
        };
        // Customer 1 (inviter's inviter) earns nothing from customer 3.
        assert_eq!((award.inviter, award.invitee), (cus(2), cus(3)));
        assert_eq!(
            p.on_spend(cus(3), evt(2), Money::cny(5_000), &CLEAN),
            SpendOutcome::Rewarded(award)
        );
        assert_eq!(
            p.on_spend(cus(3), evt(3), Money::cny(9_000), &CLEAN),
            SpendOutcome::AlreadySettled
        );
        assert_eq!(
            p.on_spend(cus(9), evt(4), Money::cny(9_000), &CLEAN),
            SpendOutcome::NotReferred
        );
    }

    #[test]
    fn binding_errors() {
        let mut p = program();
        let a = p.code_for(cus(1));
        assert_eq!(p.register(&a, cus(1)), Err(RewardsError::SelfReferral));
        p.register(&a, cus(2)).unwrap();
        assert_eq!(p.register(&a, cus(2)), Err(RewardsError::AlreadyReferred));
        let b = p.code_for(cus(2));
        assert_eq!(p.register(&b, cus(1)), Err(RewardsError::SelfReferral));
        let unknown = InviteCode::derive(cus(5), 1, 0);
        assert_eq!(
            p.register(&unknown, cus(6)),
            Err(RewardsError::UnknownInviteCode)
        );
    }

    #[test]
    fn same_device_or_card_is_refused_with_reason_for_good() {
        let mut p = program();
        let a = p.code_for(cus(1));
        p.register(&a, cus(2)).unwrap();
        p.register(&a, cus(3)).unwrap();
        let dev = DeviceId::from_u128(77);
        let card = CardId::from_u128(88);
        let same_device = SharedSignals {
            inviter: Signals {
                devices: vec![dev],
                cards: vec![],
            },
            invitee: Signals {
                devices: vec![DeviceId::from_u128(1), dev],
                cards: vec![],
            },
        };
        let same_card = SharedSignals {
            inviter: Signals {
                devices: vec![],
                cards: vec![card],
            },
            invitee: Signals {
                devices: vec![],
                cards: vec![card],
            },
        };
        assert_eq!(
            p.on_spend(cus(2), evt(1), Money::cny(5_000), &same_device),
            SpendOutcome::Refused(AbuseReason::SameDevice(dev))
        );
        assert_eq!(
            p.on_spend(cus(2), evt(2), Money::cny(5_000), &CLEAN),
            SpendOutcome::AlreadySettled
        );
        assert_eq!(
            p.on_spend(cus(3), evt(3), Money::cny(5_000), &same_card),
            SpendOutcome::Refused(AbuseReason::SameCard(card))
        );
    }

    proptest! {
        #[test]
        fn each_invitee_is_rewarded_at_most_once(
            spends in prop::collection::vec((2_u128..12, 0_u128..30, 0_i64..10_000), 0..100)
        ) {
            let mut p = program();
            let a = p.code_for(cus(1));
            for n in 2..12 {
                p.register(&a, cus(n)).unwrap();
            }
            let mut rewarded = std::collections::BTreeMap::new();
            for (who, e, fen) in spends {
                if let SpendOutcome::Rewarded(aw) = p.on_spend(cus(who), evt(e), Money::cny(fen), &CLEAN) {
                    prop_assert_eq!(aw.inviter, cus(1));
                    let first = rewarded.entry(who).or_insert(aw.event);
                    prop_assert_eq!(*first, aw.event);
                }
            }
        }
    }
}
