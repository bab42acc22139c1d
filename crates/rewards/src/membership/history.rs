//! One customer's membership: evaluations in date order and the effective-dated tier history.
//!
//! On each evaluation the star value gives a qualified tier. Above the current tier: upgrade at
//! once, effective that day. Below: the customer is "below since" the first such evaluation and
//! keeps the current tier until a checkpoint date falls in `[below_since, on]` or `on` is at
//! least `months_below` whole months after `below_since`; then they move to the tier they
//! qualify for on that day. Qualifying again for the current tier clears "below since".

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::RewardsError;
use crate::membership::ladder::TierLadder;
use crate::membership::star::StarValue;
use crate::tier_code::TierCode;

/// When downgrades may happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DowngradePolicy {
    /// Yearly checkpoint dates as (month, day), e.g. `[(1, 1)]`.
    pub checkpoints: Vec<(i8, i8)>,
    /// Whole months below that allow a downgrade between checkpoints; `None`: only checkpoints.
    pub months_below: Option<u32>,
}

/// A tier held from `from` until the next span starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierSpan {
    /// The tier.
    pub tier: TierCode,
    /// First business date it is effective.
    pub from: Date,
}

/// What an evaluation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TierChange {
    /// Moved up, effective on the evaluation date.
    Upgraded {
        /// Old tier.
        from: TierCode,
        /// New tier.
        to: TierCode,
    },
    /// Moved down, effective on the evaluation date.
    Downgraded {
        /// Old tier.
        from: TierCode,
        /// New tier.
        to: TierCode,
    },
    /// Qualifies for less, but keeps the tier until a checkpoint or N months pass.
    Held {
        /// What the customer qualifies for now.
        qualified: TierCode,
        /// Since when they have been below.
        below_since: Date,
    },
    /// Still qualifies for the current tier.
    Unchanged,
}

/// One customer's tier over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    history: Vec<TierSpan>,
    below_since: Option<Date>,
    last_evaluated: Date,
}

impl Membership {
    /// Starts in `tier` from `from`.
    pub fn new(tier: TierCode, from: Date) -> Self {
        Self {
            history: vec![TierSpan { tier, from }],
            below_since: None,
            last_evaluated: from,
        }
    }

    /// The tier held now (after the last evaluation).
    pub fn current(&self) -> &TierCode {
        // `history` always holds the opening span.
        &self.history[self.history.len() - 1].tier
    }

    /// Every span, oldest first; dates strictly increase.
    pub fn history(&self) -> &[TierSpan] {
        &self.history
    }

    /// The tier effective on `date`, or `None` before membership began.
    pub fn tier_on(&self, date: Date) -> Option<&TierCode> {
        self.history
            .iter()
            .rev()
            .find(|span| span.from <= date)
            .map(|span| &span.tier)
    }

    /// Evaluates `star` on `on` (not before the last evaluation) and applies the rules.
    pub fn evaluate(
        &mut self,
        on: Date,
        star: StarValue,
        ladder: &TierLadder,
        policy: &DowngradePolicy,
    ) -> Result<TierChange, RewardsError> {
        if on < self.last_evaluated {
            return Err(RewardsError::EvaluationOutOfOrder {
                last: self.last_evaluated,
                given: on,
            });
        }
        let current = ladder.rank_of(self.current())?;
        let qualified = ladder.qualified_rank(star);
        self.last_evaluated = on;
        if qualified > current {
            self.below_since = None;
            return Ok(self.move_to(ladder.code_at(qualified), on, true));
        }
        if qualified == current {
            self.below_since = None;
            return Ok(TierChange::Unchanged);
        }
        let below_since = *self.below_since.get_or_insert(on);
        if may_downgrade(policy, below_since, on) {
            self.below_since = None;
            return Ok(self.move_to(ladder.code_at(qualified), on, false));
        }
        Ok(TierChange::Held {
            qualified: ladder.code_at(qualified).clone(),
            below_since,
        })
    }

    fn move_to(&mut self, to: &TierCode, on: Date, up: bool) -> TierChange {
        let from = self.current().clone();
        match self.history.last_mut() {
            // A second change on the same day replaces that day's span.
            Some(last) if last.from == on => last.tier = to.clone(),
            _ => self.history.push(TierSpan {
                tier: to.clone(),
                from: on,
            }),
        }
        let n = self.history.len();
        if n > 1 && self.history[n - 2].tier == self.history[n - 1].tier {
            self.history.pop();
        }
        let to = to.clone();
        if up {
            TierChange::Upgraded { from, to }
        } else {
            TierChange::Downgraded { from, to }
        }
    }
}

/// Whether a checkpoint falls in `[below_since, on]` or `months_below` whole months have passed.
fn may_downgrade(policy: &DowngradePolicy, below_since: Date, on: Date) -> bool {
    let months_passed = policy
        .months_below
        .is_some_and(|n| whole_months(below_since, on) >= i64::from(n));
    let checkpoint = (below_since.year()..=on.year()).any(|year| {
        policy
            .checkpoints
            .iter()
            .any(|&(m, d)| Date::new(year, m, d).is_ok_and(|c| below_since <= c && c <= on))
    });
    months_passed || checkpoint
}

/// Whole calendar months from `a` to `b` (`b ≥ a`): Jan 31 → Feb 28 is 0, → Mar 1 is 1.
fn whole_months(a: Date, b: Date) -> i64 {
    let months = (i64::from(b.year()) - i64::from(a.year())) * 12 + i64::from(b.month())
        - i64::from(a.month());
    if b.day() < a.day() {
        months - 1
    } else {
        months
    }
}

#[cfg(test)]
mod tests;
