//! Customer sessions (docs/domain.md §8): a token is 32 random bytes, shown to the client once as
//! unpadded base64url (43 characters, for a `__Host-` cookie) and stored only as its SHA-256.
//! A session ends on an idle timeout, an absolute timeout, logout, or "logout everywhere", which
//! bumps the customer's [`SessionGeneration`] so every older session is revoked. Rotation (e.g.
//! after a privilege change) replaces the token; the old one stops matching.

use std::fmt;

use cardlife_kernel::{CustomerId, Secret};
use jiff::{SignedDuration, Timestamp};

use crate::crypto::{ct_eq, new_id, sha256};
use crate::encoding::{base64url_decode, base64url_encode, hex_encode};
use crate::entropy::Entropy;
use crate::error::CustomerError;

cardlife_kernel::id_kind!(SessionKind, SessionId, "ses", "a session");

/// Random bytes in a token (256 bits; at least 128 are required).
const TOKEN_BYTES: usize = 32;

/// Idle and absolute session lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    idle: SignedDuration,
    absolute: SignedDuration,
}

impl SessionPolicy {
    /// 30 minutes idle, 12 hours absolute.
    pub const DEFAULT: Self = Self {
        idle: SignedDuration::from_mins(30),
        absolute: SignedDuration::from_hours(12),
    };

    /// A policy with `0 < idle ≤ absolute`.
    pub fn new(idle: SignedDuration, absolute: SignedDuration) -> Result<Self, CustomerError> {
        if idle <= SignedDuration::ZERO || idle > absolute {
            return Err(CustomerError::PolicyOutOfBounds {
                field: "session.idle",
            });
        }
        Ok(Self { idle, absolute })
    }

    /// Longest gap between requests.
    pub const fn idle(&self) -> SignedDuration {
        self.idle
    }

    /// Longest lifetime regardless of activity.
    pub const fn absolute(&self) -> SignedDuration {
        self.absolute
    }
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The bearer secret of a session. `Debug` hides it; [`Self::reveal`] shows it once.
pub struct SessionToken(Secret<[u8; TOKEN_BYTES]>);

impl SessionToken {
    fn generate(entropy: &mut impl Entropy) -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        entropy.fill(&mut bytes);
        Self(Secret::new(bytes))
    }

    /// Parses the base64url form a client presents.
    pub fn parse(text: &str) -> Result<Self, CustomerError> {
        let bytes = base64url_decode(text).ok_or(CustomerError::SessionTokenMalformed)?;
        let bytes: [u8; TOKEN_BYTES] = bytes
            .try_into()
            .map_err(|_| CustomerError::SessionTokenMalformed)?;
        Ok(Self(Secret::new(bytes)))
    }

    /// The base64url text to send to the client (once, in a cookie); consumes the token.
    pub fn reveal(self) -> Secret<String> {
        Secret::new(base64url_encode(self.0.expose_secret()))
    }

    /// The stored form: SHA-256 of the token bytes.
    pub fn hash(&self) -> SessionTokenHash {
        SessionTokenHash(sha256(self.0.expose_secret()))
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(***)")
    }
}

/// SHA-256 of a session token: what the store keeps and looks sessions up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionTokenHash([u8; 32]);

impl SessionTokenHash {
    /// Restores a stored hash.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw bytes, for storage.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, for storage as text.
    pub fn to_hex(&self) -> String {
        hex_encode(&self.0)
    }
}

/// A per-customer counter; sessions started under an older generation are revoked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionGeneration(pub u64);

impl SessionGeneration {
    /// The generation after "logout everywhere".
    #[must_use]
    pub const fn bumped(self) -> Self {
        Self(self.0.saturating_add(1))
    }
}

/// One login session of a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    id: SessionId,
    customer: CustomerId,
    token_hash: SessionTokenHash,
    generation: SessionGeneration,
    created_at: Timestamp,
    last_seen_at: Timestamp,
    ended_at: Option<Timestamp>,
}

impl Session {
    /// Starts a session for `customer` under its current `generation`; returns the session to store
    /// and the token to hand to the client.
    pub fn start(
        customer: CustomerId,
        generation: SessionGeneration,
        now: Timestamp,
        entropy: &mut impl Entropy,
    ) -> (Self, SessionToken) {
        let token = SessionToken::generate(entropy);
        let session = Self {
            id: new_id(now, entropy),
            customer,
            token_hash: token.hash(),
            generation,
            created_at: now,
            last_seen_at: now,
            ended_at: None,
        };
        (session, token)
    }

    /// Restores a stored session (the store keeps every field; the token only as its hash).
    #[allow(clippy::too_many_arguments)]
    pub const fn from_parts(
        id: SessionId,
        customer: CustomerId,
        token_hash: SessionTokenHash,
        generation: SessionGeneration,
        created_at: Timestamp,
        last_seen_at: Timestamp,
        ended_at: Option<Timestamp>,
    ) -> Self {
        Self {
            id,
            customer,
            token_hash,
            generation,
            created_at,
            last_seen_at,
            ended_at,
        }
    }

    /// Records activity seen at `at` (written behind elsewhere); the last activity only moves
    /// forward.
    pub fn seen_at(&mut self, at: Timestamp) {
        self.last_seen_at = self.last_seen_at.max(at);
    }

    /// Checks `presented` against this session and, if valid, records activity at `now`.
    /// `current` is the customer's generation now (bumped by logout everywhere).
    pub fn validate(
        &mut self,
        presented: &SessionToken,
        current: SessionGeneration,
        policy: &SessionPolicy,
        now: Timestamp,
    ) -> Result<(), CustomerError> {
        if !ct_eq(presented.hash().as_bytes(), self.token_hash.as_bytes()) {
            return Err(CustomerError::SessionTokenMismatch);
        }
        if self.ended_at.is_some() {
            return Err(CustomerError::SessionEnded);
        }
        if self.generation < current {
            return Err(CustomerError::SessionRevoked);
        }
        if now.duration_since(self.created_at) >= policy.absolute {
            return Err(CustomerError::SessionAbsoluteTimeout);
        }
        if now.duration_since(self.last_seen_at) >= policy.idle {
            return Err(CustomerError::SessionIdleTimeout);
        }
        self.last_seen_at = self.last_seen_at.max(now);
        Ok(())
    }

    /// Replaces the token (the old one stops matching). The absolute lifetime is not extended.
    pub fn rotate(&mut self, now: Timestamp, entropy: &mut impl Entropy) -> SessionToken {
        let token = SessionToken::generate(entropy);
        self.token_hash = token.hash();
        self.last_seen_at = self.last_seen_at.max(now);
        token
    }

    /// Logs this session out.
    pub fn end(&mut self, now: Timestamp) {
        self.ended_at.get_or_insert(now);
    }

    /// The session id.
    pub const fn id(&self) -> SessionId {
        self.id
    }
    /// Whose session it is.
    pub const fn customer(&self) -> CustomerId {
        self.customer
    }
    /// The stored token hash.
    pub const fn token_hash(&self) -> SessionTokenHash {
        self.token_hash
    }
    /// The generation it started under.
    pub const fn generation(&self) -> SessionGeneration {
        self.generation
    }
    /// When it started.
    pub const fn created_at(&self) -> Timestamp {
        self.created_at
    }
    /// The last valid request.
    pub const fn last_seen_at(&self) -> Timestamp {
        self.last_seen_at
    }
    /// When it was logged out, if it was.
    pub const fn ended_at(&self) -> Option<Timestamp> {
        self.ended_at
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::entropy::test_entropy;
    use proptest::prelude::*;

    fn t(mins: i64) -> Timestamp {
        "2025-03-01T00:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_mins(mins)
    }
    const GEN: SessionGeneration = SessionGeneration(0);
    fn start() -> (Session, String) {
        let (s, token) = Session::start(CustomerId::from_u128(1), GEN, t(0), &mut test_entropy(1));
        (s, token.reveal().expose_secret().clone())
    }
    fn check(
        s: &mut Session,
        token: &str,
        generation: SessionGeneration,
        at: i64,
    ) -> Result<(), CustomerError> {
        s.validate(
            &SessionToken::parse(token).unwrap(),
            generation,
            &SessionPolicy::DEFAULT,
            t(at),
        )
    }

    #[test]
    fn token_is_43_base64url_characters_and_only_its_hash_is_stored() {
        let (session, token) = start();
        assert_eq!(token.len(), 43);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        let parsed = SessionToken::parse(&token).unwrap();
        assert_eq!(parsed.hash(), session.token_hash());
        assert!(!format!("{session:?}").contains(&token));
        assert_eq!(format!("{parsed:?}"), "SessionToken(***)");
        assert!(session.id().to_string().starts_with("ses_"));
    }

    #[test]
    fn activity_keeps_a_session_alive_until_the_absolute_timeout() {
        let (mut s, token) = start();
        for m in (20..720).step_by(20) {
            check(&mut s, &token, GEN, m).unwrap();
        }
        assert_eq!(
            check(&mut s, &token, GEN, 720),
            Err(CustomerError::SessionAbsoluteTimeout)
        );
    }

    #[test]
    fn thirty_idle_minutes_end_a_session() {
        let (mut s, token) = start();
        check(&mut s, &token, GEN, 29).unwrap();
        assert_eq!(
            check(&mut s, &token, GEN, 59),
            Err(CustomerError::SessionIdleTimeout)
        );
    }

    #[test]
    fn rotation_invalidates_the_old_token() {
        let (mut s, old) = start();
        let new = s
            .rotate(t(1), &mut test_entropy(9))
            .reveal()
            .expose_secret()
            .clone();
        assert_eq!(
            check(&mut s, &old, GEN, 2),
            Err(CustomerError::SessionTokenMismatch)
        );
        check(&mut s, &new, GEN, 2).unwrap();
    }

    #[test]
    fn logout_everywhere_revokes_sessions_of_older_generations() {
        let (mut s, token) = start();
        assert_eq!(
            check(&mut s, &token, GEN.bumped(), 1),
            Err(CustomerError::SessionRevoked)
        );
        let (mut fresh, token2) = Session::start(
            CustomerId::from_u128(1),
            GEN.bumped(),
            t(1),
            &mut test_entropy(2),
        );
        let token2 = token2.reveal().expose_secret().clone();
        check(&mut fresh, &token2, GEN.bumped(), 2).unwrap();
    }

    #[test]
    fn an_ended_session_rejects_its_token() {
        let (mut s, token) = start();
        s.end(t(1));
        assert_eq!(
            check(&mut s, &token, GEN, 2),
            Err(CustomerError::SessionEnded)
        );
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        for bad in ["", "abc", &"A".repeat(44), &format!("{}=", "A".repeat(42))] {
            assert_eq!(
                SessionToken::parse(bad).err(),
                Some(CustomerError::SessionTokenMalformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn session_policy_requires_idle_within_absolute() {
        assert!(
            SessionPolicy::new(SignedDuration::from_mins(30), SignedDuration::from_mins(10))
                .is_err()
        );
        assert!(SessionPolicy::new(SignedDuration::ZERO, SignedDuration::from_mins(10)).is_err());
    }

    proptest! {
        #[test]
        fn a_token_round_trips_through_its_text_form(seed in any::<u64>()) {
            let (session, token) = Session::start(CustomerId::from_u128(1), GEN, t(0), &mut test_entropy(seed));
            let text = token.reveal();
            let parsed = SessionToken::parse(text.expose_secret()).unwrap();
            prop_assert_eq!(parsed.hash(), session.token_hash());
        }

        #[test]
        fn a_different_token_never_validates(a in any::<u64>(), b in any::<u64>()) {
            prop_assume!(a != b);
            let (mut s, _) = Session::start(CustomerId::from_u128(1), GEN, t(0), &mut test_entropy(a));
            let (_, other) = Session::start(CustomerId::from_u128(1), GEN, t(0), &mut test_entropy(b));
            prop_assert_eq!(
                s.validate(&other, GEN, &SessionPolicy::DEFAULT, t(1)),
                Err(CustomerError::SessionTokenMismatch)
            );
        }
    }
}
