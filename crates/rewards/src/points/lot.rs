//! Points lots: each credit is a lot with its own expiry, so redemption can go oldest-expiry
//! first and the expiry step knows exactly what lapses (docs/domain.md §6 "Validity").

use cardlife_kernel::{Points, TransferId};
use jiff::civil::Date;
use jiff::{Span, ToSpan};
use serde::{Deserialize, Serialize};

use crate::error::RewardsError;

/// A lot's number within its account, in crediting order (1, 2, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LotId(pub u64);

/// How long points of a programme stay valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LotValidity {
    /// Never expire (CMB standard cards).
    Permanent,
    /// Expire this many years after they are earned (ICBC: 5).
    Years(i16),
    /// Expire this many days after they are earned (campaign bonus points).
    Days(i32),
}

impl LotValidity {
    /// The `expires_at` of points earned on `earned_on`: the first business date on which they
    /// are no longer usable; `None` for permanent points.
    pub fn expires_at(self, earned_on: Date) -> Result<Option<Date>, RewardsError> {
        let span: Span = match self {
            Self::Permanent => return Ok(None),
            Self::Years(n) if n > 0 => i64::from(n).years(),
            Self::Days(n) if n > 0 => i64::from(n).days(),
            Self::Years(_) | Self::Days(_) => {
                return Err(RewardsError::InvalidConfig {
                    reason: "a points validity must be positive",
                });
            }
        };
        earned_on
            .checked_add(span)
            .map(Some)
            .map_err(|_| RewardsError::InvalidConfig {
                reason: "points expiry is out of the calendar's range",
            })
    }
}

/// One credit of points and what is left of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    /// Its number in the account.
    pub id: LotId,
    /// Business date it was earned.
    pub earned_on: Date,
    /// First business date it is no longer usable; `None` = permanent.
    pub expires_at: Option<Date>,
    /// The transfer (payment) that earned it, so a refund can claw from it first.
    pub source: Option<TransferId>,
    /// Points credited.
    pub original: Points,
    /// Points still held; `0 ≤ remaining ≤ original`.
    pub remaining: Points,
}

impl Lot {
    /// Whether the lot can be spent on `on` (it has not reached `expires_at`).
    pub fn is_usable_on(&self, on: Date) -> bool {
        self.expires_at.is_none_or(|at| on < at)
    }

    /// FIFO order: soonest expiry first, permanent last, then crediting order.
    pub(crate) fn fifo_key(&self) -> (bool, Option<Date>, LotId) {
        (self.expires_at.is_none(), self.expires_at, self.id)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use jiff::civil::date;

    #[test]
    fn icbc_points_expire_five_years_after_they_are_earned() {
        let at = LotValidity::Years(5).expires_at(date(2026, 2, 28)).unwrap();
        assert_eq!(at, Some(date(2031, 2, 28)));
        assert_eq!(
            LotValidity::Permanent.expires_at(date(2026, 1, 1)).unwrap(),
            None
        );
        assert_eq!(
            LotValidity::Days(30).expires_at(date(2026, 1, 15)).unwrap(),
            Some(date(2026, 2, 14))
        );
    }

    #[test]
    fn a_non_positive_validity_is_rejected() {
        assert!(LotValidity::Years(0).expires_at(date(2026, 1, 1)).is_err());
        assert!(LotValidity::Days(-1).expires_at(date(2026, 1, 1)).is_err());
    }

    #[test]
    fn a_lot_is_unusable_from_its_expires_at_date() {
        let lot = Lot {
            id: LotId(1),
            earned_on: date(2026, 1, 1),
            expires_at: Some(date(2026, 3, 1)),
            source: None,
            original: Points::new(10),
            remaining: Points::new(10),
        };
        assert!(lot.is_usable_on(date(2026, 2, 28)));
        assert!(!lot.is_usable_on(date(2026, 3, 1)));
    }
}
