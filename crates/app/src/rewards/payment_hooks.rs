//! Where card payments meet points and referral (docs/rewards.md, "Points", "Referral"): the
//! merchants use cases call these after a capture or a refund is committed. Rewards never fail a
//! payment: an error is logged, and every call is idempotent per order (and refund number), so
//! running it again changes nothing.

use cardlife_kernel::Money;
use cardlife_store::merchants::MerchantRecord;
use cardlife_store::merchants::orders::OrderRecord;

use crate::App;

impl App {
    /// After `record` was captured: credit the points its cash earns, and settle the payer's
    /// pending referral.
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
        if let Err(e) = self.referral_after_spend(payer, record.id, amount).await {
            tracing::error!(error = %e, order = %record.id, "referral settlement failed");
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
