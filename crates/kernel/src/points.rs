//! Reward points (积分): whole points, never mixed with money.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::PointsError;

/// A whole number of points; no operators, only checked methods.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Points(i64);

impl Points {
    /// No points.
    pub const ZERO: Self = Self(0);

    /// `value` points.
    pub const fn new(value: i64) -> Self {
        Self(value)
    }

    /// The number of points.
    pub const fn value(self) -> i64 {
        self.0
    }

    /// `self + other`, or an error on overflow.
    pub fn checked_add(self, other: Self) -> Result<Self, PointsError> {
        self.0
            .checked_add(other.0)
            .map(Self)
            .ok_or(PointsError::Overflow)
    }

    /// `self - other`, or an error on overflow.
    pub fn checked_sub(self, other: Self) -> Result<Self, PointsError> {
        self.0
            .checked_sub(other.0)
            .map(Self)
            .ok_or(PointsError::Overflow)
    }

    /// Whether there are no points.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Whether the value is below zero (a debit or an overdrawn balance).
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn points_display_and_serialise_as_a_plain_integer() {
        assert_eq!(Points::new(-1200).to_string(), "-1200");
        assert_eq!(serde_json::to_string(&Points::new(1200)).unwrap(), "1200");
        assert_eq!(
            serde_json::from_str::<Points>("1200").unwrap(),
            Points::new(1200)
        );
        assert!(serde_json::from_str::<Points>("\"1200\"").is_err());
    }

    #[test]
    fn points_checked_sub_reports_overflow() {
        assert_eq!(
            Points::new(i64::MIN).checked_sub(Points::new(1)),
            Err(PointsError::Overflow)
        );
        assert_eq!(
            Points::new(5).checked_sub(Points::new(7)).unwrap(),
            Points::new(-2)
        );
    }

    proptest! {
        #[test]
        fn points_checked_add_matches_i128_arithmetic(a in any::<i64>(), b in any::<i64>()) {
            let exact = i128::from(a) + i128::from(b);
            let got = Points::new(a).checked_add(Points::new(b));
            match i64::try_from(exact) {
                Ok(v) => prop_assert_eq!(got.unwrap(), Points::new(v)),
                Err(_) => prop_assert_eq!(got, Err(PointsError::Overflow)),
            }
        }
    }
}
