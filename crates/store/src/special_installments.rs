//! Special-purpose installments (专项分期; migration 0022): each account's special limit per
//! purpose, and each plan's principal paid to its merchant, which the merchant's T+1
//! settlement takes as a capture of the day it was paid.

use jiff::Timestamp;
use sqlx::Row;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::merchants::{instant, ns};
use crate::tx::{Tx, on_tx};

/// One purpose's limit on an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialLimitRecord {
    /// `auto`, `travel`, `education` or `home_improvement`.
    pub purpose: String,
    /// Fen.
    pub limit_fen: i64,
    /// `operator:<id>` or `internal`.
    pub granted_by: String,
    /// When.
    pub granted_at: Timestamp,
}

/// One plan's principal paid to a merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisbursementRecord {
    /// The card account.
    pub account: uuid::Uuid,
    /// The plan's number on the account.
    pub plan: i64,
    /// Fen.
    pub amount_fen: i64,
}

/// The special-purpose tables.
#[derive(Debug, Clone)]
pub struct SpecialStore {
    db: Db,
}

impl SpecialStore {
    /// The tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Sets `account`'s limit for `purpose` inside `tx` (its audit entry goes in the same one).
    pub async fn grant(
        tx: &mut Tx,
        account: uuid::Uuid,
        purpose: &str,
        limit_fen: i64,
        granted_by: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO special_limits \
                   (account_id, purpose, limit_fen, granted_by, granted_at_ns) \
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, purpose) DO UPDATE \
                   SET limit_fen = excluded.limit_fen, granted_by = excluded.granted_by, \
                   granted_at_ns = excluded.granted_at_ns";
        let account = account.to_string();
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(&account)
                .bind(purpose)
                .bind(limit_fen)
                .bind(granted_by)
                .bind(ns(at))
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Every limit granted on `account`, by purpose.
    pub async fn limits(&self, account: uuid::Uuid) -> Result<Vec<SpecialLimitRecord>, StoreError> {
        let sql = "SELECT purpose, limit_fen, granted_by, granted_at_ns FROM special_limits \
                   WHERE account_id = $1 ORDER BY purpose";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(account.to_string())
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(SpecialLimitRecord {
                        purpose: r.try_get("purpose")?,
                        limit_fen: r.try_get("limit_fen")?,
                        granted_by: r.try_get("granted_by")?,
                        granted_at: instant(r.try_get("granted_at_ns")?)?,
                    })
                })
                .collect()
        })
    }

    /// Records plan `plan`'s principal paid to `merchant`; a second record of the same plan
    /// changes nothing.
    pub async fn record_disbursement(
        &self,
        account: uuid::Uuid,
        plan: i64,
        merchant: uuid::Uuid,
        amount_fen: i64,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO special_disbursements \
                   (account_id, plan, merchant_id, amount_fen, paid_at_ns) \
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, plan) DO NOTHING";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(account.to_string())
                .bind(plan)
                .bind(merchant.to_string())
                .bind(amount_fen)
                .bind(ns(at))
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// `merchant`'s disbursements paid in `[from, to)`, in time order.
    pub async fn disbursements(
        &self,
        merchant: uuid::Uuid,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<DisbursementRecord>, StoreError> {
        let sql = "SELECT account_id, plan, amount_fen FROM special_disbursements \
                   WHERE merchant_id = $1 AND paid_at_ns >= $2 AND paid_at_ns < $3 \
                   ORDER BY paid_at_ns, account_id, plan";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(merchant.to_string())
                .bind(ns(from))
                .bind(ns(to))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    let account: String = r.try_get("account_id")?;
                    Ok(DisbursementRecord {
                        account: account
                            .parse()
                            .map_err(|_| StoreError::Corrupt("special disbursement account"))?,
                        plan: r.try_get("plan")?,
                        amount_fen: r.try_get("amount_fen")?,
                    })
                })
                .collect()
        })
    }
}
