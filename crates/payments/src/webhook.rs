//! Merchant webhooks: signed, retried with exponential backoff and jitter, deduplicated by event
//! id on the receiving side.
//!
//! # Signature
//!
//! Every delivery attempt carries one header, [`SIGNATURE_HEADER`]:
//!
//! ```text
//! Cardlife-Webhook-Signature: t=<unix seconds>,e=<event id>,s=<64 lowercase hex>
//! ```
//!
//! in exactly that order, at most [`HEADER_CHARS_MAX`] characters. `t` is the time of this
//! attempt (each retry is signed afresh), `e` the event id (`evt_<32 hex>`), and `s` is
//! HMAC-SHA256, keyed with the merchant's webhook secret, over the canonical string (lines joined
//! by `\n`, no trailing newline), built the same way as merchant request signing
//! ([`crate::signing`]):
//!
//! ```text
//! CARDLIFE-WEBHOOK-HMAC-SHA256
//! <unix seconds>
//! <event id>
//! <hex SHA-256 of the raw body>
//! ```
//!
//! [`verify`] is what a merchant mirrors: header shape → signature, compared in constant time →
//! timestamp within ±[`ReceiverPolicy::tolerance_secs`] of now → event id first seen? A repeat
//! is a [`Receipt::Duplicate`]: the receiver answers 2xx and does nothing (a no-op), so retries
//! after a lost 2xx never apply an event twice. Forged or stale deliveries never take a slot in
//! the caller-owned [`SeenSet`], which must keep ids for [`ReceiverPolicy::dedup_retention_secs`]
//! (longer than the whole retry schedule).
//!
//! # Delivery
//!
//! A [`Delivery`] is due at the event's creation. Each attempt is recorded with its outcome: a
//! 2xx delivers it; anything else (other status, timeout, connection error) schedules the next
//! attempt after the policy's delay for that attempt, unless it was the last attempt, which
//! dead-letters it. Delay `n` (after the `n`th failure) is `delays[min(n, len) - 1]` plus an
//! upward jitter of at most `jitter_permille` ‰ of it, clamped to `cap_secs`; the jitter sample is
//! an input (0–1000 ‰ of that maximum) so the schedule is deterministic and testable.

use cardlife_kernel::{MerchantId, Secret};
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::WebhookError;
use crate::seen::SeenSet;
use crate::signing::{hex, unhex};

cardlife_kernel::id_kind!(WebhookEventKind, WebhookEventId, "evt", "a webhook event");

/// The header carrying the webhook signature.
pub const SIGNATURE_HEADER: &str = "Cardlife-Webhook-Signature";
/// The longest signature header value accepted.
pub const HEADER_CHARS_MAX: usize = 256;
/// The shortest webhook secret accepted, in bytes.
pub const SECRET_BYTES_MIN: usize = 32;
/// The longest event type.
pub const EVENT_TYPE_CHARS_MAX: usize = 64;
/// The largest payload, in bytes.
pub const PAYLOAD_BYTES_MAX: usize = 256 * 1024;

const SCHEME: &str = "CARDLIFE-WEBHOOK-HMAC-SHA256";

/// An outgoing event for one merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    id: WebhookEventId,
    merchant: MerchantId,
    event_type: String,
    payload: Vec<u8>,
    created_at: Timestamp,
}

impl WebhookEvent {
    /// An event; the type must be 1–64 of `[a-z0-9_.]` (e.g. `payment.captured`), the payload at
    /// most [`PAYLOAD_BYTES_MAX`] bytes.
    pub fn new(
        id: WebhookEventId,
        merchant: MerchantId,
        event_type: &str,
        payload: Vec<u8>,
        created_at: Timestamp,
    ) -> Result<Self, WebhookError> {
        let type_ok = (1..=EVENT_TYPE_CHARS_MAX).contains(&event_type.len())
            && event_type
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
        if !type_ok {
            return Err(WebhookError::InvalidEventType {
                max: EVENT_TYPE_CHARS_MAX,
            });
        }
        if payload.len() > PAYLOAD_BYTES_MAX {
            return Err(WebhookError::PayloadTooLarge {
                max: PAYLOAD_BYTES_MAX,
            });
        }
        Ok(Self {
            id,
            merchant,
            event_type: event_type.to_owned(),
            payload,
            created_at,
        })
    }

    /// The event id.
    pub fn id(&self) -> WebhookEventId {
        self.id
    }

    /// The merchant it is for.
    pub fn merchant(&self) -> MerchantId {
        self.merchant
    }

    /// The event type.
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// The body sent.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// When it happened.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }
}

/// A merchant's webhook secret (at least [`SECRET_BYTES_MIN`] bytes).
#[derive(Debug, Clone)]
pub struct WebhookSecret(Secret<Vec<u8>>);

impl WebhookSecret {
    /// Wraps `secret`, rejecting one that is too short.
    pub fn new(secret: Secret<Vec<u8>>) -> Result<Self, WebhookError> {
        if secret.expose_secret().len() < SECRET_BYTES_MIN {
            return Err(WebhookError::SecretTooShort {
                min: SECRET_BYTES_MIN,
            });
        }
        Ok(Self(secret))
    }
}

/// The header value for delivering `event` at `timestamp`.
pub fn sign(event: &WebhookEvent, secret: &WebhookSecret, timestamp: Timestamp) -> String {
    let t = timestamp.as_second();
    let tag = mac(secret, t, &event.id, &event.payload);
    format!("t={t},e={},s={}", event.id, hex(&tag))
}

/// The receiver's tolerances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverPolicy {
    /// How far the header's timestamp may be from now, either way (default 300 s).
    pub tolerance_secs: i64,
    /// How long an event id must be remembered (default 3 days, beyond any retry schedule).
    pub dedup_retention_secs: i64,
}

impl Default for ReceiverPolicy {
    fn default() -> Self {
        Self {
            tolerance_secs: 300,
            dedup_retention_secs: 3 * 86_400,
        }
    }
}

/// What a verified delivery means to the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// First sighting of this event: process it.
    First(WebhookEventId),
    /// Already processed: answer 2xx and do nothing.
    Duplicate(WebhookEventId),
}

/// Verifies a delivery's `header` and raw `body` with the merchant's `secret` at `now`, then
/// deduplicates by event id through `seen`.
pub fn verify(
    header: &str,
    body: &[u8],
    secret: &WebhookSecret,
    policy: &ReceiverPolicy,
    now: Timestamp,
    seen: &mut impl SeenSet<WebhookEventId>,
) -> Result<Receipt, WebhookError> {
    let malformed = |reason| WebhookError::MalformedHeader { reason };
    if header.len() > HEADER_CHARS_MAX {
        return Err(malformed("too long"));
    }
    let parts: Vec<&str> = header.splitn(4, ',').collect();
    let [t, e, s] = parts[..] else {
        return Err(malformed("expected t=…,e=…,s=…"));
    };
    let t = t.strip_prefix("t=").ok_or(malformed("t= missing"))?;
    let e = e.strip_prefix("e=").ok_or(malformed("e= missing"))?;
    let s = s.strip_prefix("s=").ok_or(malformed("s= missing"))?;
    let digits_only = !t.is_empty() && t.len() <= 12 && t.bytes().all(|b| b.is_ascii_digit());
    let timestamp = digits_only
        .then(|| t.parse::<i64>().ok())
        .flatten()
        .ok_or(malformed("t is not Unix seconds"))?;
    let event_id = WebhookEventId::parse(e).map_err(|_| malformed("e is not an event id"))?;
    let signature = unhex(s).ok_or(malformed("s is not 64 lowercase hex digits"))?;
    let expected = mac(secret, timestamp, &event_id, body);
    if !bool::from(expected.ct_eq(&signature)) {
        return Err(WebhookError::BadSignature);
    }
    let skew = now.as_second().saturating_sub(timestamp);
    if skew.saturating_abs() > policy.tolerance_secs {
        return Err(WebhookError::StaleTimestamp {
            timestamp,
            tolerance_secs: policy.tolerance_secs,
        });
    }
    let keep_until = Timestamp::from_second(
        timestamp
            .saturating_add(policy.tolerance_secs)
            .saturating_add(policy.dedup_retention_secs),
    )
    .unwrap_or(Timestamp::MAX);
    if seen.first_sighting(event_id, keep_until) {
        Ok(Receipt::First(event_id))
    } else {
        Ok(Receipt::Duplicate(event_id))
    }
}

fn mac(secret: &WebhookSecret, timestamp: i64, event: &WebhookEventId, body: &[u8]) -> [u8; 32] {
    let body_hash = hex(&Sha256::digest(body));
    let canonical = format!("{SCHEME}\n{timestamp}\n{event}\n{body_hash}");
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.0.expose_secret())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(canonical.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Backoff: the delays after each failure, a cap, the attempt budget and the jitter bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    delays_secs: Vec<i64>,
    cap_secs: i64,
    max_attempts: u32,
    jitter_permille: u16,
}

impl Default for RetryPolicy {
    /// 10 s, 30 s, 2 min, 10 min, 1 h, then 1 h again (the cap) up to 8 attempts, jitter ≤ 20 %.
    fn default() -> Self {
        Self {
            delays_secs: vec![10, 30, 120, 600, 3_600],
            cap_secs: 3_600,
            max_attempts: 8,
            jitter_permille: 200,
        }
    }
}

impl RetryPolicy {
    /// A policy; delays must be positive, non-decreasing and at most `cap_secs`, `max_attempts`
    /// at least 1 and `jitter_permille` at most 1000.
    pub fn new(
        delays_secs: Vec<i64>,
        cap_secs: i64,
        max_attempts: u32,
        jitter_permille: u16,
    ) -> Result<Self, WebhookError> {
        let invalid = |reason| WebhookError::InvalidRetryPolicy { reason };
        if delays_secs.is_empty() {
            return Err(invalid("no delays"));
        }
        if delays_secs.iter().any(|&d| d <= 0 || d > cap_secs) {
            return Err(invalid("every delay must be positive and at most the cap"));
        }
        if delays_secs.windows(2).any(|w| w[1] < w[0]) {
            return Err(invalid("delays must not decrease"));
        }
        if max_attempts == 0 {
            return Err(invalid("at least one attempt"));
        }
        if jitter_permille > 1_000 {
            return Err(invalid("jitter above 100 %"));
        }
        Ok(Self {
            delays_secs,
            cap_secs,
            max_attempts,
            jitter_permille,
        })
    }

    /// The most attempts, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The cap on any one delay.
    pub fn cap_secs(&self) -> i64 {
        self.cap_secs
    }

    /// The delay after the `failures`th failure (1-based), with `jitter` ‰ (0–1000) of the
    /// policy's jitter bound added, clamped to the cap.
    pub fn delay_after(&self, failures: u32, jitter: u16) -> Result<i64, WebhookError> {
        if jitter > 1_000 {
            return Err(WebhookError::JitterOutOfRange);
        }
        let index = usize::try_from(failures.max(1) - 1)
            .unwrap_or(usize::MAX)
            .min(self.delays_secs.len() - 1);
        let base = self.delays_secs[index];
        // base ≤ cap ≤ i64::MAX and the factors are ≤ 10^6, so i128 cannot overflow.
        let extra =
            i128::from(base) * i128::from(self.jitter_permille) * i128::from(jitter) / 1_000_000;
        let delay = (i128::from(base) + extra).min(i128::from(self.cap_secs));
        Ok(i64::try_from(delay).unwrap_or(self.cap_secs))
    }
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The merchant answered with this HTTP status.
    Status(u16),
    /// Timeout, connection refused, TLS failure: no status.
    NoResponse,
}

impl AttemptOutcome {
    fn succeeded(self) -> bool {
        matches!(self, Self::Status(200..=299))
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Pending {
        /// Attempts made so far.
        attempts: u32,
        /// When the next attempt is due.
        next_attempt_at: Timestamp,
    },
    /// A 2xx was received.
    Delivered {
        /// Attempts made, the successful one included.
        attempts: u32,
        /// When.
        at: Timestamp,
    },
    /// The last attempt failed: parked for an operator.
    DeadLettered {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last_outcome: AttemptOutcome,
        /// When.
        at: Timestamp,
    },
}

/// The delivery of one event to its merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    event: WebhookEventId,
    state: DeliveryState,
}

impl Delivery {
    /// A delivery of `event`, due at its creation.
    pub fn new(event: &WebhookEvent) -> Self {
        Self {
            event: event.id,
            state: DeliveryState::Pending {
                attempts: 0,
                next_attempt_at: event.created_at,
            },
        }
    }

    /// A delivery as it was stored: the event and where it stood.
    pub fn restore(event: WebhookEventId, state: DeliveryState) -> Self {
        Self { event, state }
    }

    /// The event delivered.
    pub fn event(&self) -> WebhookEventId {
        self.event
    }

    /// Where it stands.
    pub fn state(&self) -> DeliveryState {
        self.state
    }

    /// When the next attempt is due, if any is left.
    pub fn next_attempt_at(&self) -> Option<Timestamp> {
        match self.state {
            DeliveryState::Pending {
                next_attempt_at, ..
            } => Some(next_attempt_at),
            _ => None,
        }
    }

    /// Records an attempt made at `now` with `outcome`; `jitter` (0–1000 ‰) spreads the next
    /// attempt if one is scheduled. Errors change nothing.
    pub fn record_attempt(
        &mut self,
        outcome: AttemptOutcome,
        now: Timestamp,
        jitter: u16,
        policy: &RetryPolicy,
    ) -> Result<DeliveryState, WebhookError> {
        let (attempts, next_attempt_at) = match self.state {
            DeliveryState::Pending {
                attempts,
                next_attempt_at,
            } => (attempts, next_attempt_at),
            DeliveryState::Delivered { .. } => return Err(WebhookError::AlreadyDelivered),
            DeliveryState::DeadLettered { attempts, .. } => {
                return Err(WebhookError::DeadLettered { attempts });
            }
        };
        if now < next_attempt_at {
            return Err(WebhookError::AttemptTooEarly { next_attempt_at });
        }
        if jitter > 1_000 {
            return Err(WebhookError::JitterOutOfRange);
        }
        let attempts = attempts.saturating_add(1);
        self.state = if outcome.succeeded() {
            DeliveryState::Delivered { attempts, at: now }
        } else if attempts >= policy.max_attempts {
            DeliveryState::DeadLettered {
                attempts,
                last_outcome: outcome,
                at: now,
            }
        } else {
            let delay = policy.delay_after(attempts, jitter)?;
            DeliveryState::Pending {
                attempts,
                next_attempt_at: now
                    .checked_add(SignedDuration::from_secs(delay))
                    .unwrap_or(Timestamp::MAX),
            }
        };
        Ok(self.state)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    const NOW: &str = "2026-04-01T04:00:00Z";

    fn secret(fill: u8) -> WebhookSecret {
        WebhookSecret::new(Secret::new(vec![fill; 32])).unwrap()
    }

    fn event() -> WebhookEvent {
        WebhookEvent::new(
            WebhookEventId::from_u128(42),
            MerchantId::from_u128(7),
            "payment.captured",
            br#"{"order":"ord_1","amount":"12.34"}"#.to_vec(),
            ts(NOW),
        )
        .unwrap()
    }

    fn receive(
        header: &str,
        body: &[u8],
        now: &str,
        seen: &mut HashSet<WebhookEventId>,
    ) -> Result<Receipt, WebhookError> {
        verify(
            header,
            body,
            &secret(1),
            &ReceiverPolicy::default(),
            ts(now),
            seen,
        )
    }

    #[test]
    fn a_signed_event_verifies_and_its_first_delivery_is_processed() {
        let e = event();
        let header = sign(&e, &secret(1), ts(NOW));
        assert!(header.starts_with("t=1775016000,e=evt_"));
        let mut seen = HashSet::new();
        assert_eq!(
            receive(&header, e.payload(), NOW, &mut seen),
            Ok(Receipt::First(e.id()))
        );
    }

    #[test]
    fn the_same_event_delivered_twice_is_a_no_op_the_second_time() {
        let e = event();
        let mut seen = HashSet::new();
        let first = sign(&e, &secret(1), ts(NOW));
        let retry = sign(&e, &secret(1), ts("2026-04-01T04:00:10Z"));
        receive(&first, e.payload(), NOW, &mut seen).unwrap();
        assert_eq!(
            receive(&retry, e.payload(), "2026-04-01T04:00:10Z", &mut seen),
            Ok(Receipt::Duplicate(e.id()))
        );
    }

    #[test]
    fn a_tampered_body_wrong_secret_or_swapped_event_id_is_refused_and_takes_no_slot() {
        let e = event();
        let header = sign(&e, &secret(1), ts(NOW));
        let mut seen = HashSet::new();
        assert_eq!(
            receive(&header, b"{}", NOW, &mut seen),
            Err(WebhookError::BadSignature)
        );
        let forged = sign(&e, &secret(2), ts(NOW));
        assert_eq!(
            receive(&forged, e.payload(), NOW, &mut seen),
            Err(WebhookError::BadSignature)
        );
        let other = WebhookEventId::from_u128(43).to_string();
        let swapped = header.replace(&e.id().to_string(), &other);
        assert_eq!(
            receive(&swapped, e.payload(), NOW, &mut seen),
            Err(WebhookError::BadSignature)
        );
        assert!(seen.is_empty());
    }

    #[test]
    fn a_delivery_outside_the_tolerance_is_stale() {
        let e = event();
        let header = sign(&e, &secret(1), ts(NOW));
        let mut seen = HashSet::new();
        assert!(matches!(
            receive(&header, e.payload(), "2026-04-01T04:05:01Z", &mut seen),
            Err(WebhookError::StaleTimestamp { .. })
        ));
        assert!(seen.is_empty());
    }

    #[test]
    fn malformed_headers_get_a_precise_error() {
        let mut seen = HashSet::new();
        for header in ["", "t=1,e=x", "x=1,e=evt_0,s=00", "t=abc,e=evt_0,s=00"] {
            assert!(matches!(
                receive(header, b"", NOW, &mut seen),
                Err(WebhookError::MalformedHeader { .. })
            ));
        }
    }

    #[test]
    fn a_bad_event_type_short_secret_or_huge_payload_is_rejected() {
        let new = |t: &str, len| {
            WebhookEvent::new(
                WebhookEventId::from_u128(1),
                MerchantId::from_u128(1),
                t,
                vec![0; len],
                ts(NOW),
            )
        };
        assert!(new("Payment Captured", 0).is_err());
        assert!(new("", 0).is_err());
        assert_eq!(
            new("a", PAYLOAD_BYTES_MAX + 1),
            Err(WebhookError::PayloadTooLarge {
                max: PAYLOAD_BYTES_MAX
            })
        );
        assert!(WebhookSecret::new(Secret::new(vec![0; 31])).is_err());
    }

    #[test]
    fn failures_back_off_10s_30s_2min_10min_1h_then_stay_at_the_cap() {
        let p = RetryPolicy::default();
        let delays: Vec<i64> = (1..=7).map(|n| p.delay_after(n, 0).unwrap()).collect();
        assert_eq!(delays, [10, 30, 120, 600, 3_600, 3_600, 3_600]);
        assert_eq!(p.delay_after(1, 1_000), Ok(12));
        assert_eq!(p.delay_after(5, 1_000), Ok(3_600));
        assert_eq!(p.delay_after(1, 1_001), Err(WebhookError::JitterOutOfRange));
    }

    #[test]
    fn a_2xx_delivers_and_further_attempts_are_refused() {
        let p = RetryPolicy::default();
        let mut d = Delivery::new(&event());
        assert_eq!(d.next_attempt_at(), Some(ts(NOW)));
        let state = d
            .record_attempt(AttemptOutcome::Status(500), ts(NOW), 0, &p)
            .unwrap();
        assert_eq!(
            state,
            DeliveryState::Pending {
                attempts: 1,
                next_attempt_at: ts("2026-04-01T04:00:10Z")
            }
        );
        assert!(matches!(
            d.record_attempt(
                AttemptOutcome::Status(204),
                ts("2026-04-01T04:00:09Z"),
                0,
                &p
            ),
            Err(WebhookError::AttemptTooEarly { .. })
        ));
        d.record_attempt(
            AttemptOutcome::Status(204),
            ts("2026-04-01T04:00:10Z"),
            0,
            &p,
        )
        .unwrap();
        assert!(matches!(
            d.state(),
            DeliveryState::Delivered { attempts: 2, .. }
        ));
        assert_eq!(d.next_attempt_at(), None);
        assert_eq!(
            d.record_attempt(AttemptOutcome::Status(200), ts(NOW), 0, &p),
            Err(WebhookError::AlreadyDelivered)
        );
    }

    #[test]
    fn the_last_failed_attempt_dead_letters_the_delivery() {
        let p = RetryPolicy::new(vec![10, 60], 60, 3, 0).unwrap();
        let mut d = Delivery::new(&event());
        let mut now = ts(NOW);
        for outcome in [
            AttemptOutcome::NoResponse,
            AttemptOutcome::Status(301),
            AttemptOutcome::Status(404),
        ] {
            d.record_attempt(outcome, now, 0, &p).unwrap();
            now = d.next_attempt_at().unwrap_or(now);
        }
        assert!(matches!(
            d.state(),
            DeliveryState::DeadLettered {
                attempts: 3,
                last_outcome: AttemptOutcome::Status(404),
                ..
            }
        ));
        assert_eq!(
            d.record_attempt(AttemptOutcome::Status(200), now, 0, &p),
            Err(WebhookError::DeadLettered { attempts: 3 })
        );
    }

    #[test]
    fn invalid_retry_policies_are_rejected() {
        assert!(RetryPolicy::new(vec![], 60, 3, 0).is_err());
        assert!(RetryPolicy::new(vec![0], 60, 3, 0).is_err());
        assert!(RetryPolicy::new(vec![30, 10], 60, 3, 0).is_err());
        assert!(RetryPolicy::new(vec![120], 60, 3, 0).is_err());
        assert!(RetryPolicy::new(vec![10], 60, 0, 0).is_err());
        assert!(RetryPolicy::new(vec![10], 60, 3, 1_001).is_err());
    }

    fn policies() -> impl Strategy<Value = RetryPolicy> {
        (
            proptest::collection::vec(1i64..100_000, 1..8),
            1u32..20,
            0u16..=1_000,
        )
            .prop_map(|(mut delays, attempts, jitter)| {
                delays.sort_unstable();
                let cap = *delays.last().unwrap();
                RetryPolicy::new(delays, cap, attempts, jitter).unwrap()
            })
    }

    proptest! {
        #[test]
        fn the_schedule_is_non_decreasing_bounded_and_ends_within_max_attempts(
            p in policies(),
            jitters in proptest::collection::vec(0u16..=1_000, 20),
            same in 0u16..=1_000,
        ) {
            // For one jitter sample, delays never decrease and never exceed the cap.
            let mut last = 0;
            for n in 1..=p.max_attempts() + 3 {
                let d = p.delay_after(n, same).unwrap();
                prop_assert!(d >= last && d > 0 && d <= p.cap_secs());
                last = d;
            }
            // With any jitter, attempts are strictly later each time, the delivery stops after
            // max_attempts, and the whole schedule fits in (max_attempts - 1) × cap.
            let start = ts(NOW);
            let mut d = Delivery::new(&event());
            let mut now = start;
            let mut made = 0;
            while let Some(at) = d.next_attempt_at() {
                prop_assert!(at >= now);
                now = at;
                d.record_attempt(AttemptOutcome::NoResponse, now, jitters[made % 20], &p).unwrap();
                made += 1;
            }
            prop_assert_eq!(u32::try_from(made).unwrap(), p.max_attempts());
            let total = now.as_second() - start.as_second();
            prop_assert!(total <= i64::from(p.max_attempts() - 1) * p.cap_secs());
            let is_dead = matches!(d.state(), DeliveryState::DeadLettered { .. });
            prop_assert!(is_dead);
        }

        #[test]
        fn verify_never_panics_on_random_headers(header in "\\PC{0,120}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut seen = HashSet::new();
            prop_assert!(receive(&header, &body, NOW, &mut seen).is_err());
        }
    }
}
