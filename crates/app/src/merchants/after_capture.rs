//! The work a captured payment leaves for after its answer (docs/merchants.md, "After the
//! answer"): the points its cash earns and the payer's pending referral, the cashier's reward,
//! and the campaigns the payment counts for. None of it decides the payment, every step is
//! idempotent per order, and none may fail it.
//!
//! [`AfterCapture::Queued`] (what `cardlife serve` and the `pay` bench run) writes a row in the
//! capture's own transaction and answers the payer at once; a task runs the work and deletes
//! the row, and the recovery sweep runs any row a stopped process left behind.
//! [`AfterCapture::Inline`] runs the work before answering, so a read right after the answer
//! sees its effects (the default, which tests and simulated days rely on).

use cardlife_kernel::Money;
use cardlife_store::Durability;
use cardlife_store::batch::Stmt;
use cardlife_store::merchants::MerchantRecord;
use cardlife_store::merchants::follow_ups::FollowUpStore;
use cardlife_store::merchants::orders::{OrderRecord, OrderStore};
use jiff::Timestamp;

use crate::{App, AppError};

/// When a captured payment's follow-up work runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AfterCapture {
    /// Before the payment answers.
    #[default]
    Inline,
    /// After it answers, from a durable queue.
    Queued,
}

impl App {
    /// Called inside the capture's transaction: the statement queueing the follow-ups when they
    /// run later.
    pub(crate) fn queue_after_capture(&self, order: uuid::Uuid, now: Timestamp) -> Option<Stmt> {
        (self.merchants().config.after_capture == AfterCapture::Queued)
            .then(|| FollowUpStore::enqueue_stmt(order, now))
    }

    /// Called once the capture committed: runs the follow-ups now, or hands them to a task.
    pub(crate) async fn run_after_capture(&self, merchant: &MerchantRecord, record: &OrderRecord) {
        match self.merchants().config.after_capture {
            AfterCapture::Inline => self.follow_up(merchant, record).await,
            AfterCapture::Queued => {
                let (app, merchant, record) = (self.clone(), merchant.clone(), record.clone());
                tokio::spawn(async move {
                    app.follow_up(&merchant, &record).await;
                    app.follow_up_done(record.id).await;
                });
            }
        }
    }

    /// The follow-ups of one captured order (each logs its own failure).
    async fn follow_up(&self, merchant: &MerchantRecord, record: &OrderRecord) {
        self.points_after_capture(merchant, record).await;
        self.incentive_after_capture(record).await;
        if let Some(payer) = record.payer {
            let goods = Money::cny(record.goods_fen);
            self.campaigns_on_payment(payer, record.id, goods, &merchant.mcc)
                .await;
        }
    }

    /// The row's delete commits with whatever else is queued for the group writer, carried
    /// (`cardlife_store::durability`): nobody waits on it, and a delete a crash loses leaves
    /// the row, whose follow-ups the recovery sweep runs again (each is idempotent).
    async fn follow_up_done(&self, order: uuid::Uuid) {
        let mut batch = cardlife_store::batch::Batch::new();
        batch.push(FollowUpStore::done_stmt(order));
        let done = self
            .grouped()
            .commit_as(batch, Durability::Carried, |ran| ran.finish())
            .await;
        if let Err(e) = done.and_then(|finished| finished) {
            // The row stays; the recovery sweep runs the (idempotent) work again.
            tracing::warn!(error = %e, %order, "a payment's follow-ups were not marked done");
        }
    }

    /// The recovery sweep's part: runs the follow-ups queued before `before` that no task
    /// finished (a stopped process). Returns how many orders it ran.
    pub(crate) async fn run_stale_follow_ups(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<u32, AppError> {
        let queue = FollowUpStore::new(self.db().clone());
        let orders = OrderStore::new(self.db().clone());
        let mut ran = 0;
        for id in queue.queued_before(before, limit).await? {
            if let Some(record) = orders.order(id).await? {
                let merchant = self.merchant_record(record.merchant).await?;
                self.follow_up(&merchant, &record).await;
            }
            queue.done(id).await?;
            ran += 1;
        }
        Ok(ran)
    }
}
