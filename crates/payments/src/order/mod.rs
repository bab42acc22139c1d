//! The payment order: one state machine from creation to the last refund (docs/domain.md §7, §6).
//!
//! ```text
//! Created ──authorise──▶ Authorised ──capture──▶ Captured ──refund──▶ PartiallyRefunded ─┐
//!    │  └──expire (now ≥ expires_at)──▶ Expired      │                    │  ▲ refund ─┘
//!    └──────────cancel──────────┴──▶ Cancelled       └───refund (all)─────┴──▶ FullyRefunded
//! ```
//!
//! Rules (defaults in [`OrderPolicy`], all of them parameters):
//! - Amounts are [`Money`]; coupon and points deductions are priced in ([`OrderPricing`]): the
//!   payer pays `goods − coupon − points value`, and that payable part is what is authorised and
//!   captured. Capture is for the whole authorisation.
//! - An order can be authorised only before `expires_at`; after it, only `expire` (or `cancel`).
//!   Cancel voids an authorisation; a captured order is refunded, never cancelled.
//! - Refunds are asked for in goods terms. The cash returned is `requested × paid ÷ goods total`,
//!   half-up to the fen; the refund that completes the goods total takes the remainder, so the
//!   refunds sum to exactly what was paid (docs/domain.md §6).
//! - At most `max_refunds` (50) refunds per order, counting the one that completes it; refunds
//!   are accepted up to `refund_window_days` (365) after capture, judged on business dates in
//!   the issuer's zone from an injected `now` (docs/domain.md §7, §2).
//! - Every illegal move returns a precise [`OrderError`] and leaves the order unchanged.

mod pricing;
mod restore;

pub use pricing::{OrderPricing, PointsDeduction};
pub use restore::StoredOrder;

use cardlife_kernel::{BusinessZone, CustomerId, MerchantId, Money};
use jiff::civil::Date;
use jiff::{Span, Timestamp};

use crate::error::OrderError;

cardlife_kernel::id_kind!(PaymentOrderKind, PaymentOrderId, "ord", "a payment order");

/// Refund rules; the defaults are docs/domain.md §7's.
#[derive(Debug, Clone)]
pub struct OrderPolicy {
    /// Refunds are accepted until capture's business date plus this many days, inclusive.
    pub refund_window_days: i32,
    /// The most refunds one order may have, the completing one included.
    pub max_refunds: u32,
    /// The zone in which instants become business dates.
    pub zone: BusinessZone,
}

impl Default for OrderPolicy {
    fn default() -> Self {
        Self {
            refund_window_days: 365,
            max_refunds: 50,
            zone: BusinessZone::shanghai(),
        }
    }
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Waiting for the payer.
    Created,
    /// The payable amount is held on the payer's account.
    Authorised,
    /// The payable amount is taken; no refund yet.
    Captured,
    /// Some, not all, of the goods total is refunded.
    PartiallyRefunded,
    /// The whole goods total is refunded; everything paid went back.
    FullyRefunded,
    /// Voided before capture.
    Cancelled,
    /// Not paid before its expiry.
    Expired,
}

/// One accepted refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refund {
    /// 1 for the first refund of the order.
    pub number: u32,
    /// What was asked for, in goods terms.
    pub requested: Money,
    /// The cash returned to the payer's card.
    pub cash: Money,
    /// When it was accepted.
    pub at: Timestamp,
}

/// What [`PaymentOrder::create`] needs.
#[derive(Debug, Clone, Copy)]
pub struct NewOrder {
    /// The order's id.
    pub id: PaymentOrderId,
    /// Who is paid.
    pub merchant: MerchantId,
    /// Who pays.
    pub payer: CustomerId,
    /// The price and its deductions.
    pub pricing: OrderPricing,
    /// When it was created.
    pub created_at: Timestamp,
    /// The last instant it can be authorised (exclusive).
    pub expires_at: Timestamp,
}

/// A payment order and its history of amounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentOrder {
    id: PaymentOrderId,
    merchant: MerchantId,
    payer: CustomerId,
    pricing: OrderPricing,
    status: OrderStatus,
    created_at: Timestamp,
    expires_at: Timestamp,
    authorised: Money,
    captured: Money,
    captured_at: Option<Timestamp>,
    refunds: Vec<Refund>,
    refunded_goods: Money,
    refunded_cash: Money,
}

impl PaymentOrder {
    /// A new order in [`OrderStatus::Created`].
    pub fn create(new: NewOrder) -> Result<Self, OrderError> {
        if new.expires_at <= new.created_at {
            return Err(OrderError::ExpiryNotAfterCreation);
        }
        let zero = Money::zero(new.pricing.payable().currency());
        Ok(Self {
            id: new.id,
            merchant: new.merchant,
            payer: new.payer,
            pricing: new.pricing,
            status: OrderStatus::Created,
            created_at: new.created_at,
            expires_at: new.expires_at,
            authorised: zero,
            captured: zero,
            captured_at: None,
            refunds: Vec::new(),
            refunded_goods: zero,
            refunded_cash: zero,
        })
    }

    /// Holds the payable amount; returns it. Only a `Created` order before its expiry.
    pub fn authorise(&mut self, now: Timestamp) -> Result<Money, OrderError> {
        match self.status {
            OrderStatus::Created if now >= self.expires_at => Err(self.expired()),
            OrderStatus::Created => {
                self.authorised = self.pricing.payable();
                self.status = OrderStatus::Authorised;
                Ok(self.authorised)
            }
            OrderStatus::Authorised => Err(OrderError::AlreadyAuthorised),
            OrderStatus::Captured | OrderStatus::PartiallyRefunded | OrderStatus::FullyRefunded => {
                Err(OrderError::AlreadyCaptured)
            }
            OrderStatus::Cancelled => Err(OrderError::OrderCancelled),
            OrderStatus::Expired => Err(self.expired()),
        }
    }

    /// Takes the whole authorised amount; returns it. Only an `Authorised` order.
    pub fn capture(&mut self, now: Timestamp) -> Result<Money, OrderError> {
        match self.status {
            OrderStatus::Authorised => {
                self.captured = self.authorised;
                self.captured_at = Some(now);
                self.status = OrderStatus::Captured;
                Ok(self.captured)
            }
            OrderStatus::Created => Err(OrderError::NotAuthorised),
            OrderStatus::Captured | OrderStatus::PartiallyRefunded | OrderStatus::FullyRefunded => {
                Err(OrderError::AlreadyCaptured)
            }
            OrderStatus::Cancelled => Err(OrderError::OrderCancelled),
            OrderStatus::Expired => Err(self.expired()),
        }
    }

    /// Voids the order before capture; returns the hold released (zero if never authorised).
    pub fn cancel(&mut self) -> Result<Money, OrderError> {
        match self.status {
            OrderStatus::Created | OrderStatus::Authorised => {
                let released = self.authorised;
                self.authorised = Money::zero(released.currency());
                self.status = OrderStatus::Cancelled;
                Ok(released)
            }
            OrderStatus::Captured | OrderStatus::PartiallyRefunded | OrderStatus::FullyRefunded => {
                Err(OrderError::AlreadyCaptured)
            }
            OrderStatus::Cancelled => Err(OrderError::OrderCancelled),
            OrderStatus::Expired => Err(self.expired()),
        }
    }

    /// Marks an unpaid order expired; only a `Created` order at or after its expiry.
    pub fn expire(&mut self, now: Timestamp) -> Result<(), OrderError> {
        match self.status {
            OrderStatus::Created if now >= self.expires_at => {
                self.status = OrderStatus::Expired;
                Ok(())
            }
            OrderStatus::Created => Err(OrderError::NotYetExpired {
                expires_at: self.expires_at,
            }),
            OrderStatus::Authorised => Err(OrderError::AlreadyAuthorised),
            OrderStatus::Captured | OrderStatus::PartiallyRefunded | OrderStatus::FullyRefunded => {
                Err(OrderError::AlreadyCaptured)
            }
            OrderStatus::Cancelled => Err(OrderError::OrderCancelled),
            OrderStatus::Expired => Err(self.expired()),
        }
    }

    /// Refunds `requested` (goods terms); returns the accepted refund with the cash it returns.
    pub fn refund(
        &mut self,
        requested: Money,
        now: Timestamp,
        policy: &OrderPolicy,
    ) -> Result<Refund, OrderError> {
        let captured_at = self.refundable_since()?;
        if !requested.is_positive() {
            return Err(OrderError::NonPositiveAmount);
        }
        let refundable = self
            .pricing
            .goods_total()
            .checked_sub(self.refunded_goods)?;
        // checked_sub first so a foreign currency is an error, not a false comparison.
        if refundable.checked_sub(requested)?.is_negative() {
            return Err(OrderError::RefundExceedsCaptured {
                requested,
                refundable,
            });
        }
        check_window(captured_at, now, policy)?;
        let count = u32::try_from(self.refunds.len()).unwrap_or(u32::MAX);
        if count >= policy.max_refunds {
            return Err(OrderError::TooManyRefunds {
                max: policy.max_refunds,
            });
        }
        let cash = pricing::refund_cash(
            &self.pricing,
            self.captured,
            requested,
            self.refunded_goods,
            self.refunded_cash,
        )?;
        let refunded_goods = self.refunded_goods.checked_add(requested)?;
        let refunded_cash = self.refunded_cash.checked_add(cash)?;
        // Invariant, asserted before the write: refunds never exceed what was captured.
        debug_assert!(refunded_cash.fen() <= self.captured.fen());
        let refund = Refund {
            number: count.saturating_add(1),
            requested,
            cash,
            at: now,
        };
        self.refunded_goods = refunded_goods;
        self.refunded_cash = refunded_cash;
        self.refunds.push(refund);
        self.status = if refunded_goods == self.pricing.goods_total() {
            OrderStatus::FullyRefunded
        } else {
            OrderStatus::PartiallyRefunded
        };
        Ok(refund)
    }

    fn refundable_since(&self) -> Result<Timestamp, OrderError> {
        match (self.status, self.captured_at) {
            (OrderStatus::Captured | OrderStatus::PartiallyRefunded, Some(at)) => Ok(at),
            (OrderStatus::FullyRefunded, _) => Err(OrderError::AlreadyFullyRefunded),
            (OrderStatus::Cancelled, _) => Err(OrderError::OrderCancelled),
            (OrderStatus::Expired, _) => Err(self.expired()),
            _ => Err(OrderError::NotCaptured),
        }
    }

    fn expired(&self) -> OrderError {
        OrderError::OrderExpired {
            expires_at: self.expires_at,
        }
    }

    /// The order's id.
    pub fn id(&self) -> PaymentOrderId {
        self.id
    }
    /// The merchant paid.
    pub fn merchant(&self) -> MerchantId {
        self.merchant
    }
    /// The payer.
    pub fn payer(&self) -> CustomerId {
        self.payer
    }
    /// Price and deductions.
    pub fn pricing(&self) -> &OrderPricing {
        &self.pricing
    }
    /// Current status.
    pub fn status(&self) -> OrderStatus {
        self.status
    }
    /// When it was created.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }
    /// When it expires if unpaid.
    pub fn expires_at(&self) -> Timestamp {
        self.expires_at
    }
    /// Amount held (zero before authorisation and after a cancel).
    pub fn authorised(&self) -> Money {
        self.authorised
    }
    /// Amount captured (zero before capture).
    pub fn captured(&self) -> Money {
        self.captured
    }
    /// When it was captured.
    pub fn captured_at(&self) -> Option<Timestamp> {
        self.captured_at
    }
    /// Accepted refunds, oldest first.
    pub fn refunds(&self) -> &[Refund] {
        &self.refunds
    }
    /// Σ refund requests, in goods terms.
    pub fn refunded_goods(&self) -> Money {
        self.refunded_goods
    }
    /// Σ cash returned.
    pub fn refunded_cash(&self) -> Money {
        self.refunded_cash
    }
}

/// Refunds are accepted through capture's business date + `refund_window_days`, inclusive.
fn check_window(
    captured_at: Timestamp,
    now: Timestamp,
    policy: &OrderPolicy,
) -> Result<(), OrderError> {
    let captured_on = policy.zone.date_of(captured_at);
    // A window too large for a Span never closes.
    let last_day = match Span::new().try_days(policy.refund_window_days) {
        Ok(span) => captured_on.saturating_add(span),
        Err(_) => Date::MAX,
    };
    if policy.zone.date_of(now) > last_day {
        return Err(OrderError::RefundWindowClosed {
            captured_on,
            last_day,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
