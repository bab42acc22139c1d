//! One template's issuance and the lifecycle of every coupon claimed from it (docs/domain.md §6).
//!
//! ```text
//! claim ─▶ Available ─reserve─▶ Reserved ─redeem─▶ Redeemed ─return_on_refund─▶ Available | Expired
//!              │  ▲                  │
//!              │  └──release (valid)─┤
//!              ▼                     └─release (lapsed)─▶ Expired
//!           Expired (expiry step, only from Available)
//! ```
//!
//! A reservation names its payment's pending transfer; it ends redeemed or released, never both.
//! Issuance stops at whichever comes first: stock, or budget (Σ face value issued ≤ budget).
//! Every failed call leaves the issuer unchanged.

use std::collections::BTreeMap;

use cardlife_kernel::{CustomerId, Money, TransferId};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::coupon::pricing::discount_for;
use crate::coupon::scope::Order;
use crate::coupon::template::{CouponTemplate, Validity};
use crate::error::RewardsError;
use crate::ids::{CouponId, CouponTemplateId};

/// Where a coupon is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CouponState {
    /// Claimed and usable.
    Available,
    /// Held by a payment in flight.
    Reserved {
        /// The payment's pending transfer.
        payment: TransferId,
        /// The discount priced at reservation.
        discount: Money,
    },
    /// Used.
    Redeemed {
        /// The payment that used it.
        payment: TransferId,
        /// The discount given.
        discount: Money,
    },
    /// Lapsed unused.
    Expired,
}

/// A claimed coupon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    /// Its id.
    pub id: CouponId,
    /// The template it came from.
    pub template: CouponTemplateId,
    /// Who holds it.
    pub owner: CustomerId,
    /// Business date of the claim.
    pub claimed_on: Date,
    /// First valid date.
    pub valid_from: Date,
    /// Last valid date.
    pub valid_until: Date,
    /// Lifecycle state.
    pub state: CouponState,
}

/// Issuance state of one template plus its coupons; a single writer drives it.
#[derive(Debug, Clone)]
pub struct CouponIssuer {
    template: CouponTemplate,
    issued_value: Money,
    coupons: BTreeMap<CouponId, Coupon>,
    per_user: BTreeMap<CustomerId, u32>,
    per_user_day: BTreeMap<(CustomerId, Date), u32>,
    per_day: BTreeMap<Date, u32>,
}

impl CouponIssuer {
    /// An issuer for a valid template, nothing issued yet.
    pub fn new(template: CouponTemplate) -> Result<Self, RewardsError> {
        template.validate()?;
        let issued_value = Money::zero(template.budget.currency());
        Ok(Self {
            template,
            issued_value,
            coupons: BTreeMap::new(),
            per_user: BTreeMap::new(),
            per_user_day: BTreeMap::new(),
            per_day: BTreeMap::new(),
        })
    }

    /// The template.
    pub fn template(&self) -> &CouponTemplate {
        &self.template
    }

    /// Coupons issued so far.
    pub fn issued(&self) -> u32 {
        u32::try_from(self.coupons.len()).unwrap_or(u32::MAX)
    }

    /// Face value issued so far.
    pub fn issued_value(&self) -> Money {
        self.issued_value
    }

    /// Coupons claimed by `owner` so far.
    pub fn claimed_by(&self, owner: CustomerId) -> u32 {
        self.per_user.get(&owner).copied().unwrap_or(0)
    }

    /// The coupon `id` if `owner` holds it (not-found and not-yours answer the same).
    pub fn coupon(&self, owner: CustomerId, id: CouponId) -> Result<&Coupon, RewardsError> {
        self.coupons
            .get(&id)
            .filter(|c| c.owner == owner)
            .ok_or(RewardsError::CouponNotFound)
    }

    /// Every coupon, by id.
    pub fn coupons(&self) -> impl Iterator<Item = &Coupon> {
        self.coupons.values()
    }

    /// Issues coupon `id` (generated at the edge) to `owner` on business date `today`.
    pub fn claim(
        &mut self,
        owner: CustomerId,
        id: CouponId,
        today: Date,
    ) -> Result<&Coupon, RewardsError> {
        if self.coupons.contains_key(&id) {
            return Err(RewardsError::DuplicateCouponId);
        }
        let issued_value = admit(&self.template, self.tally(owner, today), today)?;
        let (valid_from, valid_until) = self.template.validity.period(today)?;
        self.issued_value = issued_value;
        *self.per_user.entry(owner).or_default() += 1;
        *self.per_user_day.entry((owner, today)).or_default() += 1;
        *self.per_day.entry(today).or_default() += 1;
        let coupon = Coupon {
            id,
            template: self.template.id,
            owner,
            claimed_on: today,
            valid_from,
            valid_until,
            state: CouponState::Available,
        };
        Ok(self.coupons.entry(id).or_insert(coupon))
    }

    /// The discount coupon `id` would give `order`, without reserving it.
    pub fn quote(
        &self,
        owner: CustomerId,
        id: CouponId,
        order: &Order,
    ) -> Result<Money, RewardsError> {
        let coupon = self.coupon(owner, id)?;
        match coupon.state {
            CouponState::Available => {}
            CouponState::Reserved { .. } => return Err(RewardsError::CouponAlreadyReserved),
            CouponState::Redeemed { .. } => return Err(RewardsError::CouponAlreadyRedeemed),
            CouponState::Expired => {
                return Err(RewardsError::CouponExpired {
                    valid_until: coupon.valid_until,
                });
            }
        }
        let t = &self.template;
        discount_for(
            t.discount,
            &t.scope,
            (coupon.valid_from, coupon.valid_until),
            order,
        )
    }

    /// Reserves coupon `id` for `payment` on `order`; returns the discount to apply.
    pub fn reserve(
        &mut self,
        owner: CustomerId,
        id: CouponId,
        order: &Order,
        payment: TransferId,
    ) -> Result<Money, RewardsError> {
        let discount = self.quote(owner, id, order)?;
        self.set_state(id, CouponState::Reserved { payment, discount });
        Ok(discount)
    }

    /// Confirms the reservation by `payment`: the coupon is used.
    pub fn redeem(
        &mut self,
        owner: CustomerId,
        id: CouponId,
        payment: TransferId,
    ) -> Result<Money, RewardsError> {
        let discount = self.reservation(owner, id, payment)?;
        self.set_state(id, CouponState::Redeemed { payment, discount });
        Ok(discount)
    }

    /// Cancels the reservation by `payment`: usable again if still valid on `today`, else expired.
    pub fn release(
        &mut self,
        owner: CustomerId,
        id: CouponId,
        payment: TransferId,
        today: Date,
    ) -> Result<CouponState, RewardsError> {
        self.reservation(owner, id, payment)?;
        Ok(self.restore(id, today))
    }

    /// A full refund of the order `payment` paid with coupon `id`: the coupon returns if still
    /// valid on `today` (docs/domain.md §6), else it is expired.
    pub fn return_on_refund(
        &mut self,
        owner: CustomerId,
        id: CouponId,
        payment: TransferId,
        today: Date,
    ) -> Result<CouponState, RewardsError> {
        match self.coupon(owner, id)?.state {
            CouponState::Redeemed { payment: p, .. } if p == payment => Ok(self.restore(id, today)),
            CouponState::Redeemed { .. } => Err(RewardsError::ReservationMismatch),
            CouponState::Reserved { .. } => Err(RewardsError::CouponAlreadyReserved),
            CouponState::Available | CouponState::Expired => Err(RewardsError::CouponNotReserved),
        }
    }

    /// The expiry step for `today`: available coupons whose validity ended before `today`
    /// become expired. Reserved coupons wait for their payment to end.
    pub fn expire(&mut self, today: Date) -> Vec<CouponId> {
        let mut lapsed = Vec::new();
        for coupon in self.coupons.values_mut() {
            if coupon.state == CouponState::Available && coupon.valid_until < today {
                coupon.state = CouponState::Expired;
                lapsed.push(coupon.id);
            }
        }
        lapsed
    }

    /// The discount held by `payment`'s reservation of coupon `id`.
    fn reservation(
        &self,
        owner: CustomerId,
        id: CouponId,
        payment: TransferId,
    ) -> Result<Money, RewardsError> {
        match self.coupon(owner, id)?.state {
            CouponState::Reserved {
                payment: p,
                discount,
            } if p == payment => Ok(discount),
            CouponState::Reserved { .. } => Err(RewardsError::ReservationMismatch),
            CouponState::Redeemed { .. } => Err(RewardsError::CouponAlreadyRedeemed),
            CouponState::Available | CouponState::Expired => Err(RewardsError::CouponNotReserved),
        }
    }

    fn restore(&mut self, id: CouponId, today: Date) -> CouponState {
        let still_valid = self
            .coupons
            .get(&id)
            .is_some_and(|c| today <= c.valid_until);
        let state = if still_valid {
            CouponState::Available
        } else {
            CouponState::Expired
        };
        self.set_state(id, state);
        state
    }

    fn set_state(&mut self, id: CouponId, state: CouponState) {
        if let Some(coupon) = self.coupons.get_mut(&id) {
            coupon.state = state;
        }
    }

    /// What was issued so far, as [`admit`] needs it.
    fn tally(&self, owner: CustomerId, today: Date) -> Tally {
        Tally {
            issued: self.issued(),
            issued_value: self.issued_value,
            by_owner: self.claimed_by(owner),
            by_owner_today: self.per_user_day.get(&(owner, today)).copied().unwrap_or(0),
            all_today: self.per_day.get(&today).copied().unwrap_or(0),
        }
    }
}

/// What a template has issued so far, seen from one claim: the figures [`admit`] decides on.
/// A store reads them under the template's lock, so the same rule holds across processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Coupons issued.
    pub issued: u32,
    /// Face value issued.
    pub issued_value: Money,
    /// Coupons the claimant holds from the template.
    pub by_owner: u32,
    /// Coupons the claimant claimed on the claim's business date.
    pub by_owner_today: u32,
    /// Coupons everybody claimed on that date.
    pub all_today: u32,
}

/// Whether one more coupon of `template` may be issued on business date `today` given `tally`:
/// the window still open, stock and budget left (Σ face value ≤ budget), the caps not reached.
/// Returns the face value issued after it.
pub fn admit(template: &CouponTemplate, tally: Tally, today: Date) -> Result<Money, RewardsError> {
    if let Validity::Window { until, .. } = template.validity
        && today > until
    {
        return Err(RewardsError::CouponExpired { valid_until: until });
    }
    if tally.issued >= template.stock {
        return Err(RewardsError::StockExhausted);
    }
    let after = tally
        .issued_value
        .checked_add(template.discount.face_value())?;
    if template.budget.checked_sub(after)?.is_negative() {
        return Err(RewardsError::BudgetExhausted {
            budget: template.budget,
            issued: tally.issued_value,
        });
    }
    let caps = template.caps;
    if tally.by_owner >= caps.per_user {
        return Err(RewardsError::AlreadyClaimed {
            limit: caps.per_user,
        });
    }
    if let Some(limit) = caps.per_user_per_day.filter(|&l| tally.by_owner_today >= l) {
        return Err(RewardsError::DailyCapReached { limit, date: today });
    }
    if let Some(limit) = caps.per_day.filter(|&l| tally.all_today >= l) {
        return Err(RewardsError::DailyCapReached { limit, date: today });
    }
    Ok(after)
}

#[cfg(test)]
mod tests;
