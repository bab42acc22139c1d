//! The queue of work a captured payment leaves for after its answer (`payment_follow_ups`,
//! docs/merchants.md, "After the answer"): a row written in the capture's transaction, deleted
//! once the work has run; the recovery sweep takes rows left behind by a stopped process.

use jiff::Timestamp;

use super::{ns, uuid_of};
use crate::batch::{Stmt, stmt};
use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;

/// The follow-up queue.
#[derive(Debug, Clone)]
pub struct FollowUpStore {
    db: Db,
}

impl FollowUpStore {
    /// The table of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Queues `order`'s follow-ups inside the capture's transaction.
    /// As a statement for a batch (`crate::batch`).
    pub fn enqueue_stmt(order: uuid::Uuid, at: Timestamp) -> Stmt {
        stmt!(
            "INSERT INTO payment_follow_ups (order_id, queued_at_ns) VALUES ($1, $2) \
             ON CONFLICT (order_id) DO NOTHING",
            order.to_string(),
            ns(at),
        )
    }

    /// Forgets `order`'s follow-ups: they have run.
    pub async fn done(&self, order: uuid::Uuid) -> Result<(), StoreError> {
        let mut tx = crate::tx::Tx::begin(&self.db).await?;
        tx.run_one(Self::done_stmt(order)).await?;
        tx.commit().await
    }

    /// [`Self::done`]'s statement, for a batch (`crate::batch`, `crate::group`).
    pub fn done_stmt(order: uuid::Uuid) -> Stmt {
        stmt!(
            "DELETE FROM payment_follow_ups WHERE order_id = $1",
            order.to_string()
        )
    }

    /// Orders whose follow-ups were queued before `before`, oldest first, at most `limit`.
    pub async fn queued_before(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<uuid::Uuid>, StoreError> {
        let sql = "SELECT order_id FROM payment_follow_ups WHERE queued_at_ns < $1 \
                   ORDER BY queued_at_ns LIMIT $2";
        let ids: Vec<String> = on_pool!(&self.db, |pool| {
            sqlx::query_scalar(sql)
                .bind(ns(before))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
        })?;
        ids.iter().map(|id| uuid_of(id, "order id")).collect()
    }
}
