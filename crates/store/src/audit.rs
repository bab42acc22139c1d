//! The audit log: who did what to which record, written through the open [`Tx`] of the change
//! it records, so an action and its entry commit or roll back together (docs/merchants.md).
//! Entries never hold secrets: callers pass ids, amounts and reasons only.

use jiff::Timestamp;
use sqlx::Row;

use crate::batch::{Stmt, stmt};
use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::tx::Tx;

/// The most entries one read returns.
pub const AUDIT_PAGE_MAX: u32 = 500;

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When it happened.
    pub at: Timestamp,
    /// `operator`, `merchant`, `customer` or `system`.
    pub actor_kind: &'static str,
    /// The actor's id.
    pub actor_id: String,
    /// What was done, e.g. `merchant.approve`, `order.capture`.
    pub action: &'static str,
    /// What kind of record it was done to, e.g. `merchant`, `order`.
    pub subject_kind: &'static str,
    /// That record's id.
    pub subject_id: String,
    /// Amounts, reasons, before/after states (JSON text, no secrets).
    pub detail: String,
}

/// Writes `entry` inside `tx`.
pub async fn record(tx: &mut Tx, entry: &AuditEntry) -> Result<(), StoreError> {
    tx.run_one(record_stmt(entry)).await?;
    Ok(())
}

/// [`record`]'s statement (the entry's id drawn now).
pub fn record_stmt(entry: &AuditEntry) -> Stmt {
    stmt!(
        "INSERT INTO audit_log \
         (id, at_ns, actor_kind, actor_id, action, subject_kind, subject_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        uuid::Uuid::now_v7().to_string(),
        crate::merchants::ns(entry.at),
        entry.actor_kind,
        &entry.actor_id,
        entry.action,
        entry.subject_kind,
        &entry.subject_id,
        &entry.detail,
    )
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// When it happened.
    pub at: Timestamp,
    /// `operator`, `merchant`, `customer` or `system`.
    pub actor_kind: String,
    /// The actor's id.
    pub actor_id: String,
    /// What was done.
    pub action: String,
    /// The kind of record.
    pub subject_kind: String,
    /// The record's id.
    pub subject_id: String,
    /// JSON text.
    pub detail: String,
}

/// The newest `limit` entries (at most [`AUDIT_PAGE_MAX`]), newest first.
pub async fn newest(db: &Db, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
    let sql = "SELECT at_ns, actor_kind, actor_id, action, subject_kind, subject_id, detail \
               FROM audit_log ORDER BY at_ns DESC, id DESC LIMIT $1";
    let limit = i64::from(limit.min(AUDIT_PAGE_MAX));
    on_pool!(db, |pool| {
        let rows = sqlx::query(sql).bind(limit).fetch_all(pool).await?;
        rows.iter()
            .map(|r| -> Result<AuditRecord, StoreError> {
                Ok(AuditRecord {
                    at: crate::merchants::instant(r.try_get("at_ns")?)?,
                    actor_kind: r.try_get("actor_kind")?,
                    actor_id: r.try_get("actor_id")?,
                    action: r.try_get("action")?,
                    subject_kind: r.try_get("subject_kind")?,
                    subject_id: r.try_get("subject_id")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    })
}
