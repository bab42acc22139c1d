//! Applying a [`Policy`] to facts: which rules fire, and the decision they make.

use cardlife_kernel::{BusinessZone, Money};
use jiff::Timestamp;

use crate::decision::{Decision, Hit, Reason};
use crate::policy::{DeviceBurst, Policy, Velocity};
use crate::profile::{Profile, Window};

/// What is known when a customer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentFacts {
    /// When.
    pub at: Timestamp,
    /// What the card would be charged.
    pub amount: Money,
    /// The payer's summary before this payment.
    pub profile: Profile,
    /// When the paying device was first seen, when the payment names one.
    pub device_first_seen: Option<Timestamp>,
}

/// What is known when a device registers a customer or logs one in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceFacts {
    /// Registrations from the device in the policy's registrations window, before this one.
    pub registrations: u32,
    /// Logins from the device in the policy's logins window, before this one.
    pub logins: u32,
}

fn velocity(rule: &Velocity, reason: Reason, window: &Window, at: Timestamp) -> Option<Hit> {
    // This payment would be number `live + 1` of the window.
    (window.live(at, rule.window) >= rule.max_payments).then_some(Hit {
        reason,
        outcome: rule.outcome,
        score: rule.score,
    })
}

fn burst(rule: &DeviceBurst, reason: Reason, before: u32) -> Option<Hit> {
    (before >= rule.max_events).then_some(Hit {
        reason,
        outcome: rule.outcome,
        score: rule.score,
    })
}

fn above_usual(policy: &Policy, f: &PaymentFacts) -> Option<Hit> {
    let rule = &policy.above_usual;
    let p = &f.profile;
    let far = p
        .usual
        .checked_mul_int(i64::from(rule.times))
        .is_ok_and(|limit| f.amount > limit);
    (p.payments >= rule.min_history && f.amount >= rule.at_least && far).then_some(Hit {
        reason: Reason::AmountAboveUsual,
        outcome: rule.outcome,
        score: rule.score,
    })
}

fn new_device(policy: &Policy, f: &PaymentFacts) -> Option<Hit> {
    let rule = &policy.new_device;
    let young = f
        .device_first_seen
        .is_some_and(|seen| f.at.duration_since(seen) < rule.younger_than);
    (young && f.amount > rule.above).then_some(Hit {
        reason: Reason::NewDeviceAmount,
        outcome: rule.outcome,
        score: rule.score,
    })
}

fn night(policy: &Policy, f: &PaymentFacts) -> Option<Hit> {
    let rule = &policy.night;
    let hour = BusinessZone::shanghai()
        .time_zone()
        .to_datetime(f.at)
        .hour();
    let dark = hour >= rule.from_hour && hour < rule.until_hour;
    (dark && f.amount > rule.above).then_some(Hit {
        reason: Reason::NightAmount,
        outcome: rule.outcome,
        score: rule.score,
    })
}

/// The decision on a payment.
pub fn decide_payment(policy: &Policy, f: &PaymentFacts) -> Decision {
    let hits: Vec<Hit> = [
        velocity(
            &policy.velocity_short,
            Reason::VelocityShort,
            &f.profile.short,
            f.at,
        ),
        velocity(
            &policy.velocity_long,
            Reason::VelocityLong,
            &f.profile.long,
            f.at,
        ),
        above_usual(policy, f),
        new_device(policy, f),
        night(policy, f),
    ]
    .into_iter()
    .flatten()
    .collect();
    Decision::of(&hits)
}

/// The decision on a registration (`registering`) or a login from a device.
pub fn decide_device(policy: &Policy, f: &DeviceFacts, registering: bool) -> Decision {
    let hit = if registering {
        burst(
            &policy.registrations,
            Reason::DeviceRegistrations,
            f.registrations,
        )
    } else {
        burst(&policy.logins, Reason::DeviceLogins, f.logins)
    };
    Decision::of(&hit.into_iter().collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use jiff::SignedDuration;
    use proptest::prelude::*;

    use super::*;
    use crate::decision::Outcome;

    const P: Policy = Policy::DEFAULT;

    /// Midday in Shanghai.
    fn noon() -> Timestamp {
        "2026-03-02T04:00:00Z".parse().unwrap()
    }

    fn lengths() -> (SignedDuration, SignedDuration) {
        (P.velocity_short.window, P.velocity_long.window)
    }

    fn facts(amount_fen: i64, profile: Profile) -> PaymentFacts {
        PaymentFacts {
            at: noon(),
            amount: Money::cny(amount_fen),
            profile,
            device_first_seen: None,
        }
    }

    fn after(n: u32, at: Timestamp, fen: i64) -> Profile {
        (0..n).fold(Profile::default(), |p, _| {
            p.after(at, Money::cny(fen), lengths())
        })
    }

    #[test]
    fn the_payment_at_the_short_limit_is_allowed_and_the_next_one_denied() {
        let max = P.velocity_short.max_payments;
        let at_limit = decide_payment(&P, &facts(1_000, after(max - 1, noon(), 1_000)));
        assert_eq!(at_limit.outcome, Outcome::Allow);
        let over = decide_payment(&P, &facts(1_000, after(max, noon(), 1_000)));
        assert_eq!(over.outcome, Outcome::Deny);
        assert_eq!(over.reasons, vec![Reason::VelocityShort]);
    }

    #[test]
    fn the_short_window_forgets_payments_once_it_closes() {
        let max = P.velocity_short.max_payments;
        let mut f = facts(1_000, after(max, noon(), 1_000));
        f.at = noon().checked_add(P.velocity_short.window).unwrap();
        assert_eq!(decide_payment(&P, &f).outcome, Outcome::Allow);
    }

    #[test]
    fn an_amount_exactly_ten_times_the_usual_passes_and_one_fen_more_is_reviewed() {
        let history = after(3, noon(), 20_000);
        assert_eq!(
            decide_payment(&P, &facts(200_000, history)).outcome,
            Outcome::Allow
        );
        let d = decide_payment(&P, &facts(200_001, history));
        assert_eq!(d.outcome, Outcome::Review);
        assert_eq!(d.reasons, vec![Reason::AmountAboveUsual]);
    }

    #[test]
    fn an_unusual_amount_is_not_judged_before_enough_history() {
        let history = after(P.above_usual.min_history - 1, noon(), 100);
        assert_eq!(
            decide_payment(&P, &facts(500_000, history)).outcome,
            Outcome::Allow
        );
    }

    #[test]
    fn a_large_amount_from_a_device_first_seen_today_is_reviewed_but_not_from_yesterdays() {
        let mut f = facts(200_001, Profile::default());
        f.device_first_seen = noon().checked_sub(SignedDuration::from_hours(23)).ok();
        assert_eq!(
            decide_payment(&P, &f).reasons,
            vec![Reason::NewDeviceAmount]
        );
        f.device_first_seen = noon().checked_sub(SignedDuration::from_hours(24)).ok();
        assert_eq!(decide_payment(&P, &f).outcome, Outcome::Allow);
        f.device_first_seen = noon().checked_sub(SignedDuration::from_hours(1)).ok();
        f.amount = Money::cny(200_000);
        assert_eq!(decide_payment(&P, &f).outcome, Outcome::Allow);
    }

    #[test]
    fn a_large_amount_between_midnight_and_six_in_shanghai_is_reviewed() {
        // 23:59:59 and 06:00:00 Shanghai are outside the night; 00:00:00 and 05:59:59 inside.
        let at = |s: &str| -> Timestamp { s.parse().unwrap() };
        let mut f = facts(100_001, Profile::default());
        for (when, night) in [
            ("2026-03-01T15:59:59Z", false),
            ("2026-03-01T16:00:00Z", true),
            ("2026-03-01T21:59:59Z", true),
            ("2026-03-01T22:00:00Z", false),
        ] {
            f.at = at(when);
            let fired = decide_payment(&P, &f).reasons == vec![Reason::NightAmount];
            assert_eq!(fired, night, "{when}");
        }
        f.at = at("2026-03-01T16:00:00Z");
        f.amount = Money::cny(100_000);
        assert_eq!(decide_payment(&P, &f).outcome, Outcome::Allow);
    }

    #[test]
    fn the_fourth_registration_from_a_device_in_an_hour_is_denied() {
        let f = |n| DeviceFacts {
            registrations: n,
            logins: 0,
        };
        assert_eq!(decide_device(&P, &f(2), true).outcome, Outcome::Allow);
        let d = decide_device(&P, &f(3), true);
        assert_eq!(d.outcome, Outcome::Deny);
        assert_eq!(d.codes(), "DEVICE_REGISTRATIONS");
        let logins = DeviceFacts {
            registrations: 9,
            logins: 20,
        };
        assert_eq!(
            decide_device(&P, &logins, false).reasons,
            vec![Reason::DeviceLogins]
        );
    }

    proptest! {
        #[test]
        fn a_payment_over_a_velocity_limit_is_never_allowed(
            short in 0u32..50, long in 0u32..100, fen in 1i64..10_000_000, mins in 0i64..600,
        ) {
            let start = noon();
            let profile = Profile {
                short: Window { start: Some(start), count: short },
                long: Window { start: Some(start), count: long },
                payments: long,
                usual: Money::cny(fen),
            };
            let mut f = facts(fen, profile);
            f.at = start.checked_add(SignedDuration::from_mins(mins)).unwrap();
            let d = decide_payment(&P, &f);
            let denied_short = short >= P.velocity_short.max_payments
                && mins < 10;
            let denied_long = long >= P.velocity_long.max_payments && mins < 60;
            prop_assert_eq!(d.outcome == Outcome::Deny, denied_short || denied_long);
            prop_assert!(d.score <= crate::decision::SCORE_MAX);
            prop_assert_eq!(d.reasons.is_empty(), d.outcome == Outcome::Allow);
        }

        #[test]
        fn no_decision_allows_what_a_deny_rule_matched(
            short in 0u32..40, fen in 1i64..1_000_000_000, hour in 0i64..24,
            seen in proptest::option::of(0i64..48),
        ) {
            let at = noon().checked_add(SignedDuration::from_hours(hour)).unwrap();
            let profile = Profile {
                short: Window { start: Some(at), count: short },
                ..Profile::default()
            };
            let f = PaymentFacts {
                at,
                amount: Money::cny(fen),
                profile,
                device_first_seen: seen.and_then(|h| at.checked_sub(SignedDuration::from_hours(h)).ok()),
            };
            let d = decide_payment(&P, &f);
            if short >= P.velocity_short.max_payments {
                prop_assert_eq!(d.outcome, Outcome::Deny);
                prop_assert!(d.reasons.contains(&Reason::VelocityShort));
            }
        }
    }
}
