//! Restoring a stored order: the store keeps every field of a [`PaymentOrder`], and the use
//! cases rebuild the order from them to apply the next move (docs/merchants.md).

use cardlife_kernel::{CustomerId, MerchantId, Money};
use jiff::Timestamp;

use super::{OrderPricing, OrderStatus, PaymentOrder, PaymentOrderId, Refund};
use crate::error::OrderError;

/// Every field of a stored order.
#[derive(Debug, Clone)]
pub struct StoredOrder {
    /// The order's id.
    pub id: PaymentOrderId,
    /// Who is paid.
    pub merchant: MerchantId,
    /// Who paid.
    pub payer: CustomerId,
    /// Price and deductions.
    pub pricing: OrderPricing,
    /// Where it is.
    pub status: OrderStatus,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it expires if unpaid.
    pub expires_at: Timestamp,
    /// Held.
    pub authorised: Money,
    /// Taken.
    pub captured: Money,
    /// When it was taken.
    pub captured_at: Option<Timestamp>,
    /// Accepted refunds, oldest first.
    pub refunds: Vec<Refund>,
}

impl PaymentOrder {
    /// Rebuilds a stored order. The refund totals are recomputed from the refunds, and an order
    /// whose amounts contradict its status is refused rather than restored.
    pub fn restore(s: StoredOrder) -> Result<Self, OrderError> {
        let zero = Money::zero(s.pricing.payable().currency());
        let mut refunded_goods = zero;
        let mut refunded_cash = zero;
        for r in &s.refunds {
            refunded_goods = refunded_goods.checked_add(r.requested)?;
            refunded_cash = refunded_cash.checked_add(r.cash)?;
        }
        let captured_states = matches!(
            s.status,
            OrderStatus::Captured | OrderStatus::PartiallyRefunded | OrderStatus::FullyRefunded
        );
        if captured_states && s.captured_at.is_none() {
            return Err(OrderError::NotCaptured);
        }
        if refunded_cash.fen() > s.captured.fen() {
            return Err(OrderError::RefundExceedsCaptured {
                requested: refunded_cash,
                refundable: s.captured,
            });
        }
        Ok(Self {
            id: s.id,
            merchant: s.merchant,
            payer: s.payer,
            pricing: s.pricing,
            status: s.status,
            created_at: s.created_at,
            expires_at: s.expires_at,
            authorised: s.authorised,
            captured: s.captured,
            captured_at: s.captured_at,
            refunds: s.refunds,
            refunded_goods,
            refunded_cash,
        })
    }
}
