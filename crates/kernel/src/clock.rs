//! The injected source of "now": the system clock in production, a fake one in tests.

use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use jiff::{SignedDuration, Timestamp};

/// A source of the current instant.
pub trait Clock: Send + Sync + Debug {
    /// The current instant (UTC).
    fn now(&self) -> Timestamp;
}

/// A clock shared between services.
pub type SharedClock = Arc<dyn Clock>;

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> Timestamp {
        // The only place in cardlife allowed to read the wall clock.
        Timestamp::now()
    }
}

/// A clock that moves only when told to; clones share the same time.
#[derive(Debug, Clone)]
pub struct FakeClock {
    now: Arc<Mutex<Timestamp>>,
}

impl FakeClock {
    /// A clock stopped at `now`.
    pub fn new(now: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(now)),
        }
    }

    /// A [`SharedClock`] handle that sees every later `set` and `advance` on `self`.
    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }

    /// Moves the clock to `now` (backwards is allowed).
    pub fn set(&self, now: Timestamp) {
        *self.lock() = now;
    }

    /// Moves the clock by `by`, saturating at jiff's timestamp range; returns the new time.
    pub fn advance(&self, by: SignedDuration) -> Timestamp {
        let mut now = self.lock();
        // Adding a SignedDuration saturates and cannot fail (only calendar Spans can).
        *now = now.saturating_add(by).unwrap_or(*now);
        *now
    }

    /// Moves the clock by `days` periods of 24 hours; returns the new time.
    pub fn advance_days(&self, days: i64) -> Timestamp {
        self.advance(SignedDuration::from_secs(days.saturating_mul(86_400)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Timestamp> {
        // A Timestamp cannot be left half-written, so a poisoned lock is still usable.
        self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        *self.lock()
    }
}

/// The wall clock moved ahead by an offset that only grows: development mode's clock, so a
/// browser walk can reach a statement date and its installment window without waiting for the
/// calendar (docs/web.md, "Development clock"). Clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct AheadClock {
    ahead_secs: Arc<AtomicI64>,
}

impl AheadClock {
    /// The wall clock, not yet moved.
    pub fn new() -> Self {
        Self::default()
    }

    /// A [`SharedClock`] handle that sees every later `advance_days` on `self`.
    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }

    /// Moves the clock `days` (not negative) periods of 24 hours further ahead; returns the
    /// new time. Time never goes back: business days already closed stay closed.
    pub fn advance_days(&self, days: u32) -> Timestamp {
        let secs = i64::from(days).saturating_mul(86_400);
        self.ahead_secs.fetch_add(secs, Ordering::SeqCst);
        self.now()
    }
}

impl Clock for AheadClock {
    fn now(&self) -> Timestamp {
        let ahead = SignedDuration::from_secs(self.ahead_secs.load(Ordering::SeqCst));
        let wall = SystemClock.now();
        wall.saturating_add(ahead).unwrap_or(wall)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn fake_clock_moves_only_when_told() {
        let clock = FakeClock::new(ts("2026-03-31T16:30:00Z"));
        assert_eq!(clock.now(), ts("2026-03-31T16:30:00Z"));
        clock.advance(SignedDuration::from_mins(30));
        assert_eq!(clock.now(), ts("2026-03-31T17:00:00Z"));
        assert_eq!(clock.advance_days(2), ts("2026-04-02T17:00:00Z"));
        clock.set(ts("2026-01-01T00:00:00Z"));
        assert_eq!(clock.now(), ts("2026-01-01T00:00:00Z"));
    }

    #[test]
    fn ahead_clock_runs_with_the_wall_clock_plus_whole_days_shared_by_its_handles() {
        let clock = AheadClock::new();
        let shared = clock.shared();
        let before = SystemClock.now();
        let moved = clock.advance_days(3);
        let after = SystemClock.now();
        let three = SignedDuration::from_secs(3 * 86_400);
        assert!(moved >= before.saturating_add(three).unwrap());
        assert!(shared.now() >= moved, "a handle sees the move");
        assert!(shared.now() <= SystemClock.now().saturating_add(three).unwrap());
        assert!(moved <= after.saturating_add(three).unwrap());
    }

    #[test]
    fn fake_clock_shared_handles_see_the_same_time() {
        let clock = FakeClock::new(ts("2026-01-01T00:00:00Z"));
        let shared: SharedClock = clock.shared();
        clock.advance_days(1);
        assert_eq!(shared.now(), ts("2026-01-02T00:00:00Z"));
    }

    #[test]
    fn fake_clock_advance_saturates_instead_of_panicking() {
        let clock = FakeClock::new(ts("2026-01-01T00:00:00Z"));
        assert_eq!(clock.advance_days(i64::MAX), Timestamp::MAX);
        assert_eq!(clock.advance(SignedDuration::MIN), Timestamp::MIN);
    }

    #[test]
    fn system_clock_reads_a_time_after_2025() {
        assert!(SystemClock.now() > ts("2025-01-01T00:00:00Z"));
    }
}
