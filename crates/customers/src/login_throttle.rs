//! Login lockout (§8): after N consecutive failed logins (N ≤ 10) the customer is locked for at
//! least 30 minutes; a success resets the count. [`LoginThrottle`] is the per-customer state;
//! [`LockoutPolicy`] holds the limits as data, validated against §8.

use jiff::{SignedDuration, Timestamp};

use crate::error::CustomerError;

/// How many failures lock the login, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    max_failures: u32,
    lock_for: SignedDuration,
}

impl LockoutPolicy {
    /// Most consecutive failures §8 allows before locking.
    pub const MAX_FAILURES_LIMIT: u32 = 10;
    /// Shortest lock §8 allows.
    pub const LOCK_FOR_MIN: SignedDuration = SignedDuration::from_mins(30);
    /// The platform default: lock after 5 failures for 30 minutes.
    pub const DEFAULT: Self = Self {
        max_failures: 5,
        lock_for: Self::LOCK_FOR_MIN,
    };

    /// A policy; `max_failures` in 1..=10 and `lock_for` ≥ 30 min.
    pub fn new(max_failures: u32, lock_for: SignedDuration) -> Result<Self, CustomerError> {
        if !(1..=Self::MAX_FAILURES_LIMIT).contains(&max_failures) {
            return Err(CustomerError::PolicyOutOfBounds {
                field: "lockout.max_failures",
            });
        }
        if lock_for < Self::LOCK_FOR_MIN {
            return Err(CustomerError::PolicyOutOfBounds {
                field: "lockout.lock_for",
            });
        }
        Ok(Self {
            max_failures,
            lock_for,
        })
    }

    /// Consecutive failures that lock.
    pub const fn max_failures(&self) -> u32 {
        self.max_failures
    }

    /// How long a lock lasts.
    pub const fn lock_for(&self) -> SignedDuration {
        self.lock_for
    }
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Per-customer failed-login state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginThrottle {
    consecutive_failures: u32,
    locked_until: Option<Timestamp>,
}

impl LoginThrottle {
    /// No failures, not locked.
    pub const fn new() -> Self {
        Self {
            consecutive_failures: 0,
            locked_until: None,
        }
    }

    /// Restores stored state.
    pub const fn from_parts(consecutive_failures: u32, locked_until: Option<Timestamp>) -> Self {
        Self {
            consecutive_failures,
            locked_until,
        }
    }

    /// Failures since the last success or lock.
    pub const fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// When the current or last lock lifts.
    pub const fn locked_until(&self) -> Option<Timestamp> {
        self.locked_until
    }

    /// Call before checking credentials: errors while locked (do not even verify the password).
    pub fn check(&self, now: Timestamp) -> Result<(), CustomerError> {
        match self.locked_until {
            Some(until) if now < until => Err(CustomerError::LoginLocked { until }),
            _ => Ok(()),
        }
    }

    /// Records a failed login; returns the lock's end if this failure locked the login.
    pub fn record_failure(&mut self, policy: &LockoutPolicy, now: Timestamp) -> Option<Timestamp> {
        if self.check(now).is_err() {
            return None;
        }
        self.consecutive_failures += 1;
        if self.consecutive_failures < policy.max_failures {
            return None;
        }
        let until = now.checked_add(policy.lock_for).unwrap_or(Timestamp::MAX);
        self.consecutive_failures = 0;
        self.locked_until = Some(until);
        Some(until)
    }

    /// Records a successful login: the failure count starts over.
    pub fn record_success(&mut self) {
        self.consecutive_failures = 0;
        self.locked_until = None;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn t(mins: i64) -> Timestamp {
        "2025-03-01T00:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_mins(mins)
    }

    #[test]
    fn fifth_consecutive_failure_locks_for_thirty_minutes() {
        let mut th = LoginThrottle::new();
        let policy = LockoutPolicy::DEFAULT;
        for _ in 0..4 {
            assert_eq!(th.record_failure(&policy, t(0)), None);
            assert_eq!(th.check(t(0)), Ok(()));
        }
        assert_eq!(th.record_failure(&policy, t(1)), Some(t(31)));
        assert_eq!(
            th.check(t(30)),
            Err(CustomerError::LoginLocked { until: t(31) })
        );
        assert_eq!(th.check(t(31)), Ok(()));
    }

    #[test]
    fn success_resets_the_failure_count() {
        let mut th = LoginThrottle::new();
        let policy = LockoutPolicy::DEFAULT;
        for _ in 0..4 {
            th.record_failure(&policy, t(0));
        }
        th.record_success();
        for _ in 0..4 {
            assert_eq!(th.record_failure(&policy, t(0)), None);
        }
        assert_eq!(th.consecutive_failures(), 4);
    }

    #[test]
    fn failures_during_a_lock_do_not_extend_it() {
        let mut th = LoginThrottle::new();
        let policy = LockoutPolicy::DEFAULT;
        for _ in 0..5 {
            th.record_failure(&policy, t(0));
        }
        assert_eq!(th.record_failure(&policy, t(10)), None);
        assert_eq!(th.locked_until(), Some(t(30)));
        assert_eq!(th.consecutive_failures(), 0);
    }

    #[test]
    fn lockout_policy_rejects_more_than_ten_failures_or_shorter_than_thirty_minutes() {
        assert!(LockoutPolicy::new(10, SignedDuration::from_mins(30)).is_ok());
        assert_eq!(
            LockoutPolicy::new(11, SignedDuration::from_mins(30)),
            Err(CustomerError::PolicyOutOfBounds {
                field: "lockout.max_failures"
            })
        );
        assert_eq!(
            LockoutPolicy::new(0, SignedDuration::from_mins(30)),
            Err(CustomerError::PolicyOutOfBounds {
                field: "lockout.max_failures"
            })
        );
        assert_eq!(
            LockoutPolicy::new(5, SignedDuration::from_mins(29)),
            Err(CustomerError::PolicyOutOfBounds {
                field: "lockout.lock_for"
            })
        );
    }

    proptest! {
        #[test]
        fn never_more_than_max_failures_guesses_per_lock_window(
            max in 1u32..=10,
            outcomes in proptest::collection::vec(any::<bool>(), 0..60),
        ) {
            // All attempts at one instant: at most `max` failures get checked before the lock.
            let policy = LockoutPolicy::new(max, SignedDuration::from_mins(30)).unwrap();
            let mut th = LoginThrottle::new();
            let mut failures_checked = 0;
            for ok in outcomes {
                if th.check(t(0)).is_err() { break; }
                if ok { th.record_success(); failures_checked = 0; } else {
                    failures_checked += 1;
                    th.record_failure(&policy, t(0));
                }
                prop_assert!(failures_checked <= max);
            }
        }
    }
}
