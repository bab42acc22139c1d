//! Recovery of payments interrupted between their two transactions, expiry of unpaid orders, and
//! a merchant's cancellation of an unpaid order (docs/merchants.md, "Recovery").
//!
//! A payment writes a `payment_attempts` row with its authorisation and deletes it with its
//! capture (or cancellation), and its idempotency key stays held while the row exists. A row
//! older than [`RECOVERY_GRACE`] therefore belongs to a payment whose process stopped half-way.
//! The sweep asks the funding seam to capture the order's authorisation (the one noted in
//! `payment_authorisations` when it was placed, else the hold id derived from the order; a
//! capture already made answers `exists`): if that works the capture is recorded
//! exactly as the payment would have recorded it, and the key answers the order from then on; if
//! the funding side refuses (no hold was placed, or it was voided) the hold is voided for good
//! measure, the order is cancelled, the payer's daily spend is given back and the key is freed.

use cardlife_kernel::MerchantId;
use cardlife_payments::error::OrderError;
use cardlife_payments::order::PaymentOrderId;
use cardlife_store::Durability;
use cardlife_store::audit;
use cardlife_store::merchants::authorisations::AuthorisationStore;
use cardlife_store::merchants::orders::OrderStore;
use cardlife_store::merchants::settlement::SettlementStore;
use cardlife_store::tx::Tx;
use jiff::SignedDuration;

use super::MerchantsError;
use super::credit_funding::placed_authorisation;
use super::funding::{AuthId, FundingRequest, hold_id};
use super::orders::{OrderView, audit_entry_for};
use crate::{App, AppError};

/// How old an unfinished payment must be before the sweep treats it as interrupted.
pub const RECOVERY_GRACE: SignedDuration = SignedDuration::from_secs(60);
/// The most payments (and, separately, expired orders) one sweep handles.
pub const SWEEP_BATCH: u32 = 200;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Interrupted payments finished (captured).
    pub finished: u32,
    /// Interrupted payments voided (cancelled, spend given back, key freed).
    pub voided: u32,
    /// Unpaid orders marked expired.
    pub expired: u32,
}

impl App {
    /// Finishes or voids interrupted payments and expires unpaid orders past their time. Run at
    /// start-up and periodically; safe to run concurrently with payments and with itself.
    pub async fn recover_payments(&self) -> Result<RecoveryReport, AppError> {
        let now = self.clock().now();
        let store = SettlementStore::new(self.db().clone());
        let orders = OrderStore::new(self.db().clone());
        let mut report = RecoveryReport::default();
        let before = now.checked_sub(RECOVERY_GRACE).unwrap_or(now);
        for a in store.stale_attempts(before, SWEEP_BATCH).await? {
            let Some(mut record) = orders.order(a.order).await? else {
                continue;
            };
            if record.status != "authorised" {
                // Finished meanwhile by another sweep; its transaction removed the attempt.
                continue;
            }
            let merchant = self.merchant_record(record.merchant).await?;
            let request = FundingRequest {
                customer: a.payer,
                amount: cardlife_kernel::Money::cny(record.authorised_fen),
                merchant: merchant.id,
                merchant_account: merchant.payable_account,
                idempotency_key: record.id.as_u128(),
                paid_with: None,
                durability: Durability::Synced,
            };
            let auth = self.authorisation_of(record.id).await?;
            match self.funding().capture(auth, request).await {
                Ok(()) => {
                    let plan = self.fee_plan_for(&merchant, &record.channel).await?;
                    self.record_capture(
                        (&merchant, plan),
                        &mut record,
                        auth,
                        ("system", "recovery".to_owned()),
                        (&a.scope, &a.key),
                        now,
                    )
                    .await?;
                    report.finished += 1;
                }
                Err(AppError::Merchants(MerchantsError::Funding(_))) => {
                    // No hold to take: make sure none is left, then undo the payment.
                    match self.funding().void(auth, request).await {
                        Ok(()) | Err(AppError::Merchants(MerchantsError::Funding(_))) => {}
                        Err(e) => return Err(e),
                    }
                    self.cancel_authorised(
                        &mut record,
                        "interrupted before capture",
                        Some((&a.scope, &a.key)),
                        now,
                    )
                    .await?;
                    report.voided += 1;
                }
                Err(e) => return Err(e),
            }
        }
        let left = self.run_stale_follow_ups(before, SWEEP_BATCH).await?;
        if left > 0 {
            tracing::info!(
                orders = left,
                "payment follow-ups left by a stopped process ran"
            );
        }
        for id in store.expired_orders(now, SWEEP_BATCH).await? {
            let Some(mut record) = orders.order(id).await? else {
                continue;
            };
            record.status = "expired".to_owned();
            let mut tx = Tx::begin(self.db()).await?;
            if OrderStore::update(&mut tx, &record).await? {
                record.version += 1;
                let entry = audit_entry_for(
                    ("system", "expiry".to_owned()),
                    now,
                    "order.expire",
                    &record,
                    serde_json::json!({}),
                );
                audit::record(&mut tx, &entry).await?;
                report.expired += 1;
            }
            tx.commit().await?;
        }
        Ok(report)
    }

    /// The authorisation that pays `order`: the credit authorisation stored under the order's
    /// key with the hold itself; one noted in `payment_authorisations` (how payments linked
    /// them before); else the hold id derived from the order (the ledger-only funding's own,
    /// or nothing, and the funding side then refuses).
    async fn authorisation_of(&self, order: uuid::Uuid) -> Result<AuthId, AppError> {
        if let Some(id) = placed_authorisation(self.db(), order.as_u128()).await? {
            return Ok(AuthId(id));
        }
        Ok(AuthorisationStore::new(self.db().clone())
            .of_order(order)
            .await?
            .map_or(AuthId(hold_id(order)), AuthId))
    }

    /// The merchant cancels one of its unpaid orders; its code stops paying. A paid, cancelled
    /// or expired order is refused with its state.
    pub async fn cancel_order(
        &self,
        merchant: MerchantId,
        id: PaymentOrderId,
    ) -> Result<OrderView, AppError> {
        let mut record = self.owned_order(merchant, id).await?;
        let now = self.clock().now();
        match record.status.as_str() {
            "created" if now < record.expires_at => {}
            "created" | "expired" => {
                return Err(MerchantsError::Order(OrderError::OrderExpired {
                    expires_at: record.expires_at,
                })
                .into());
            }
            "cancelled" => return Err(MerchantsError::Order(OrderError::OrderCancelled).into()),
            _ => return Err(MerchantsError::Order(OrderError::AlreadyCaptured).into()),
        }
        record.status = "cancelled".to_owned();
        let mut tx = Tx::begin(self.db()).await?;
        if !OrderStore::update(&mut tx, &record).await? {
            return Err(MerchantsError::Conflict.into());
        }
        record.version += 1;
        let entry = audit_entry_for(
            ("merchant", merchant.as_uuid().to_string()),
            now,
            "order.cancel",
            &record,
            serde_json::json!({ "why": "merchant" }),
        );
        audit::record(&mut tx, &entry).await?;
        tx.commit().await?;
        self.order_view(record).await
    }
}
