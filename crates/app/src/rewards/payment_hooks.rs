//! Where card payments meet points (docs/rewards.md, "Points"): the merchants use cases call
//! these after a capture or a refund is committed. Points never fail a payment: an error is
//! logged, and both calls are idempotent per order (and refund number), so running them again
//! changes nothing.

use cardlife_kernel::Money;
use cardlife_store::merchants::MerchantRecord;
use cardlife_store::merchants::orders::OrderRecord;

use crate::App;

impl App {
    /// After `record` was captured: credit the points its cash earns.
    pub(crate) async fn points_after_capture(
        &self,
        merchant: &MerchantRecord,
        record: &OrderRecord,
    ) {
        let Some(payer) = record.payer else { return };
        let amount = Money::cny(record.captured_fen);
        if let Err(e) = self
            .accrue_points(payer, record.id, amount, &merchant.mcc)
            .await
        {
            tracing::error!(error = %e, order = %record.id, "points accrual failed");
        }
    }

    /// After refund `number` of `record` returned `cash` (already counted in the record's
    /// refunded cash): claw back its share of the points.
    pub(crate) async fn points_after_refund(&self, record: &OrderRecord, number: u32, cash: Money) {
        let Some(payer) = record.payer else { return };
        let after = Money::cny(record.refunded_cash_fen);
        let Ok(before) = after.checked_sub(cash) else {
            return;
        };
        if let Err(e) = self
            .claw_back_points(payer, record.id, number, before, after)
            .await
        {
            tracing::error!(error = %e, order = %record.id, "points claw-back failed");
        }
    }
}
