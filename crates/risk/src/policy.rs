//! The rules as data: each rule names its thresholds with their units, the outcome it asks for
//! when it fires, and what it adds to the score (docs/risk.md, "Rules").

use cardlife_kernel::Money;
use jiff::SignedDuration;

use crate::decision::Outcome;

/// Too many payments by one customer in a window: fires when this payment would be payment
/// number `max_payments + 1` of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Velocity {
    /// How long the window is.
    pub window: SignedDuration,
    /// Payments allowed in it.
    pub max_payments: u32,
    /// Asked for when it fires.
    pub outcome: Outcome,
    /// Added to the score when it fires.
    pub score: u32,
}

/// An amount far above the customer's usual: fires when the amount is more than `times` ×
/// the usual amount and at least `at_least`, once `min_history` payments made a usual.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AboveUsual {
    /// The multiple of the usual amount that must be exceeded.
    pub times: u32,
    /// Payments needed before the usual amount means anything.
    pub min_history: u32,
    /// Smaller amounts never fire, however unusual.
    pub at_least: Money,
    /// Asked for when it fires.
    pub outcome: Outcome,
    /// Added to the score when it fires.
    pub score: u32,
}

/// A payment above `above` from a device first seen less than `younger_than` ago.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewDevice {
    /// How new the device must be.
    pub younger_than: SignedDuration,
    /// The amount that must be exceeded.
    pub above: Money,
    /// Asked for when it fires.
    pub outcome: Outcome,
    /// Added to the score when it fires.
    pub score: u32,
}

/// A payment above `above` between `from_hour` (inclusive) and `until_hour` (exclusive), local
/// time in the business zone (Asia/Shanghai).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Night {
    /// First hour of the night, 0–23.
    pub from_hour: i8,
    /// First hour after it, 0–24.
    pub until_hour: i8,
    /// The amount that must be exceeded.
    pub above: Money,
    /// Asked for when it fires.
    pub outcome: Outcome,
    /// Added to the score when it fires.
    pub score: u32,
}

/// Too many registrations or logins from one device in a window: fires on event number
/// `max_events + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceBurst {
    /// How long the window is.
    pub window: SignedDuration,
    /// Events allowed in it.
    pub max_events: u32,
    /// Asked for when it fires.
    pub outcome: Outcome,
    /// Added to the score when it fires.
    pub score: u32,
}

/// Every rule with its thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Payments per customer in 10 minutes.
    pub velocity_short: Velocity,
    /// Payments per customer in an hour.
    pub velocity_long: Velocity,
    /// Far above the customer's usual amount.
    pub above_usual: AboveUsual,
    /// Large amounts from a new device.
    pub new_device: NewDevice,
    /// Large amounts at night.
    pub night: Night,
    /// Registrations per device.
    pub registrations: DeviceBurst,
    /// Logins per device.
    pub logins: DeviceBurst,
}

impl Policy {
    /// The thresholds the platform runs with (docs/risk.md has the table).
    pub const DEFAULT: Self = Self {
        velocity_short: Velocity {
            window: SignedDuration::from_mins(10),
            max_payments: 20,
            outcome: Outcome::Deny,
            score: 80,
        },
        velocity_long: Velocity {
            window: SignedDuration::from_hours(1),
            max_payments: 60,
            outcome: Outcome::Deny,
            score: 80,
        },
        above_usual: AboveUsual {
            times: 10,
            min_history: 3,
            at_least: Money::cny(100_000),
            outcome: Outcome::Review,
            score: 40,
        },
        new_device: NewDevice {
            younger_than: SignedDuration::from_hours(24),
            above: Money::cny(200_000),
            outcome: Outcome::Review,
            score: 40,
        },
        night: Night {
            from_hour: 0,
            until_hour: 6,
            above: Money::cny(100_000),
            outcome: Outcome::Review,
            score: 30,
        },
        registrations: DeviceBurst {
            window: SignedDuration::from_hours(1),
            max_events: 3,
            outcome: Outcome::Deny,
            score: 80,
        },
        logins: DeviceBurst {
            window: SignedDuration::from_hours(1),
            max_events: 20,
            outcome: Outcome::Review,
            score: 40,
        },
    };
}

impl Default for Policy {
    fn default() -> Self {
        Self::DEFAULT
    }
}
