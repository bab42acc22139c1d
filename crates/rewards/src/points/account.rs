//! A customer's points account: lots in crediting order plus running totals (docs/domain.md §6).
//!
//! - Redemption is FIFO by expiry: the lot expiring soonest goes first, permanent lots last,
//!   ties in crediting order. Only lots usable on the redemption date count.
//! - The expiry step on date `d` zeroes every lot whose `expires_at ≤ d` and reports it;
//!   [`PointsAccount::expiring_within`] lists what lapses in the next N days, for notices.
//! - Claw-back takes from lots earned by the refunded payment first, then from the newest lots
//!   (latest expiry first: the points the customer would have kept longest), never below zero;
//!   what cannot be recovered is reported as a shortfall, not carried as a negative balance.
//!
//! Invariant, checked after every change: every lot has `0 ≤ remaining ≤ original`, and
//! Σ earned − Σ redeemed − Σ expired − Σ clawed = Σ remaining.

use cardlife_kernel::{Points, PointsError, TransferId};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::RewardsError;
use crate::points::lot::{Lot, LotId, LotValidity};

/// Points taken from (or lapsed in) one lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotTake {
    /// The lot.
    pub lot: LotId,
    /// Points taken.
    pub points: Points,
}

/// A lot that lapses soon, for an advance notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryNotice {
    /// The lot.
    pub lot: LotId,
    /// Points that will lapse.
    pub points: Points,
    /// First date they are no longer usable.
    pub expires_at: Date,
}

/// The outcome of a claw-back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClawBack {
    /// Points taken, lot by lot.
    pub taken: Vec<LotTake>,
    /// Points that could not be taken back (already spent or expired).
    pub shortfall: Points,
}

/// Lifetime totals of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PointsTotals {
    /// Σ credited.
    pub earned: Points,
    /// Σ redeemed.
    pub redeemed: Points,
    /// Σ expired.
    pub expired: Points,
    /// Σ clawed back.
    pub clawed: Points,
}

/// One customer's points: lots and totals.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PointsAccount {
    lots: Vec<Lot>,
    totals: PointsTotals,
}

impl PointsAccount {
    /// An empty account.
    pub fn new() -> Self {
        Self::default()
    }

    /// An account rebuilt from stored lots (ids 1, 2, … in crediting order) and totals;
    /// refused when they break the account's invariants.
    pub fn restore(lots: Vec<Lot>, totals: PointsTotals) -> Result<Self, RewardsError> {
        let account = Self { lots, totals };
        let numbered = account
            .lots
            .iter()
            .enumerate()
            .all(|(i, l)| l.id == LotId(i as u64 + 1));
        let in_range = account
            .lots
            .iter()
            .all(|l| !l.remaining.is_negative() && l.remaining <= l.original);
        if !numbered || !in_range || account.net_of_totals() != Ok(account.balance()) {
            return Err(RewardsError::InvalidConfig {
                reason: "stored points lots do not match their totals",
            });
        }
        Ok(account)
    }

    /// The lots, in crediting order (spent lots stay, with `remaining` 0).
    pub fn lots(&self) -> &[Lot] {
        &self.lots
    }

    /// Lifetime totals.
    pub fn totals(&self) -> PointsTotals {
        self.totals
    }

    /// Σ remaining over all lots (including lapsed lots the expiry step has not swept yet).
    pub fn balance(&self) -> Points {
        Points::new(self.lots.iter().map(|l| l.remaining.value()).sum())
    }

    /// Points spendable on `on`.
    pub fn usable_on(&self, on: Date) -> Points {
        Points::new(
            self.lots
                .iter()
                .filter(|l| l.is_usable_on(on))
                .map(|l| l.remaining.value())
                .sum(),
        )
    }

    /// Credits a new lot of `points` earned on `earned_on`, valid per `validity`.
    pub fn credit(
        &mut self,
        points: Points,
        earned_on: Date,
        validity: LotValidity,
        source: Option<TransferId>,
    ) -> Result<LotId, RewardsError> {
        positive(points)?;
        let expires_at = validity.expires_at(earned_on)?;
        let earned = self.totals.earned.checked_add(points)?;
        let id = LotId(self.lots.len() as u64 + 1);
        self.lots.push(Lot {
            id,
            earned_on,
            expires_at,
            source,
            original: points,
            remaining: points,
        });
        self.totals.earned = earned;
        self.check();
        Ok(id)
    }

    /// Redeems `points` on `on`, FIFO by expiry; all or nothing.
    pub fn redeem(&mut self, points: Points, on: Date) -> Result<Vec<LotTake>, RewardsError> {
        positive(points)?;
        let available = self.usable_on(on);
        if points > available {
            return Err(RewardsError::InsufficientPoints {
                requested: points,
                available,
            });
        }
        let mut order: Vec<usize> = (0..self.lots.len())
            .filter(|&i| self.lots[i].is_usable_on(on))
            .collect();
        order.sort_by_key(|&i| self.lots[i].fifo_key());
        let taken = self.take(&order, points);
        self.totals.redeemed = self.totals.redeemed.checked_add(points)?;
        self.check();
        Ok(taken)
    }

    /// The expiry step for business date `on`: lapses every lot with `expires_at ≤ on`.
    pub fn expire(&mut self, on: Date) -> Result<Vec<LotTake>, RewardsError> {
        let mut lapsed = Vec::new();
        let mut total = Points::ZERO;
        for lot in &mut self.lots {
            if !lot.is_usable_on(on) && !lot.remaining.is_zero() {
                lapsed.push(LotTake {
                    lot: lot.id,
                    points: lot.remaining,
                });
                total = total.checked_add(lot.remaining)?;
                lot.remaining = Points::ZERO;
            }
        }
        self.totals.expired = self.totals.expired.checked_add(total)?;
        self.check();
        Ok(lapsed)
    }

    /// Lots usable on `on` that lapse within `days` days (`expires_at ≤ on + days`), soonest first.
    pub fn expiring_within(&self, on: Date, days: i32) -> Vec<ExpiryNotice> {
        let horizon = on
            .checked_add(i64::from(days.max(0)).days())
            .unwrap_or(Date::MAX);
        let mut notices: Vec<ExpiryNotice> = self
            .lots
            .iter()
            .filter(|l| l.is_usable_on(on) && !l.remaining.is_zero())
            .filter_map(|l| {
                l.expires_at
                    .filter(|&at| at <= horizon)
                    .map(|expires_at| ExpiryNotice {
                        lot: l.id,
                        points: l.remaining,
                        expires_at,
                    })
            })
            .collect();
        notices.sort_by_key(|n| (n.expires_at, n.lot));
        notices
    }

    /// Claws back up to `points` usable on `on`: from lots earned by `source` first, then newest
    /// first. Never takes a lot below zero; the rest is reported as `shortfall`.
    pub fn claw_back(
        &mut self,
        points: Points,
        source: Option<TransferId>,
        on: Date,
    ) -> Result<ClawBack, RewardsError> {
        if points.is_negative() {
            return Err(RewardsError::NonPositivePoints { points });
        }
        let mut order: Vec<usize> = (0..self.lots.len())
            .filter(|&i| self.lots[i].is_usable_on(on))
            .collect();
        // Own lots first; then latest expiry (permanent latest), then newest credit.
        order.sort_by_key(|&i| {
            let lot = &self.lots[i];
            let own = source.is_some() && lot.source == source;
            std::cmp::Reverse((own, lot.fifo_key()))
        });
        let can = points.min(self.usable_on(on));
        let taken = self.take(&order, can);
        self.totals.clawed = self.totals.clawed.checked_add(can)?;
        self.check();
        Ok(ClawBack {
            taken,
            shortfall: points.checked_sub(can)?,
        })
    }

    /// Takes `points` (≤ what the lots in `order` hold) from the lots in `order`.
    fn take(&mut self, order: &[usize], points: Points) -> Vec<LotTake> {
        let mut left = points.value();
        let mut taken = Vec::new();
        for &i in order {
            if left == 0 {
                break;
            }
            let lot = &mut self.lots[i];
            let n = left.min(lot.remaining.value());
            if n > 0 {
                lot.remaining = Points::new(lot.remaining.value() - n);
                left -= n;
                taken.push(LotTake {
                    lot: lot.id,
                    points: Points::new(n),
                });
            }
        }
        assert_eq!(left, 0, "take: callers check availability first");
        taken
    }

    /// The account invariants; a failure is a bug in this module.
    fn check(&self) {
        assert!(
            self.lots
                .iter()
                .all(|l| !l.remaining.is_negative() && l.remaining <= l.original),
            "points lot out of range"
        );
        assert_eq!(
            self.net_of_totals(),
            Ok(self.balance()),
            "points totals do not balance"
        );
    }

    fn net_of_totals(&self) -> Result<Points, PointsError> {
        let t = self.totals;
        t.earned
            .checked_sub(t.redeemed)?
            .checked_sub(t.expired)?
            .checked_sub(t.clawed)
    }
}

fn positive(points: Points) -> Result<(), RewardsError> {
    if points.value() > 0 {
        Ok(())
    } else {
        Err(RewardsError::NonPositivePoints { points })
    }
}

#[cfg(test)]
mod tests;
