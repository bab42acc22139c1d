//! Referral (docs/rewards.md, "Referral"): invite codes, bindings and their settlement, and the
//! device fingerprints the abuse hook compares. A binding is settled once:
//! `UPDATE … WHERE state = 'pending'` decides which of two concurrent spends settles it.

use cardlife_kernel::CustomerId;
use jiff::Timestamp;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;

/// One invitee's binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralRecord {
    /// Who invited.
    pub inviter: CustomerId,
    /// Who was invited.
    pub invitee: CustomerId,
    /// `pending`, `rewarded` or `refused`.
    pub state: String,
    /// Why it was refused.
    pub reason: Option<String>,
    /// The spend that settled it.
    pub event: Option<String>,
}

/// The referral tables.
#[derive(Debug, Clone)]
pub struct ReferralStore {
    db: Db,
}

fn ns(t: Timestamp) -> i64 {
    i64::try_from(t.as_nanosecond()).unwrap_or(i64::MAX)
}

fn customer(text: &str) -> Result<CustomerId, StoreError> {
    text.parse::<uuid::Uuid>()
        .map(CustomerId::from_uuid)
        .map_err(|_| StoreError::Corrupt("customer id"))
}

type Row = (String, String, String, Option<String>, Option<String>);

fn record(r: Row) -> Result<ReferralRecord, StoreError> {
    Ok(ReferralRecord {
        inviter: customer(&r.0)?,
        invitee: customer(&r.1)?,
        state: r.2,
        reason: r.3,
        event: r.4,
    })
}

impl ReferralStore {
    /// The referral tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The customer's code, if issued.
    pub async fn code_of(&self, c: CustomerId) -> Result<Option<String>, StoreError> {
        let sql = "SELECT code FROM referral_codes WHERE customer_id = $1";
        let row: Option<(String,)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(c.as_uuid().to_string())
                .fetch_optional(pool)
                .await
        })?;
        Ok(row.map(|r| r.0))
    }

    /// The owner of `code`.
    pub async fn owner_of(&self, code: &str) -> Result<Option<CustomerId>, StoreError> {
        let sql = "SELECT customer_id FROM referral_codes WHERE code = $1";
        let row: Option<(String,)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql).bind(code).fetch_optional(pool).await
        })?;
        row.map(|r| customer(&r.0)).transpose()
    }

    /// Records `code` for `c`; `false` when the code belongs to someone else or `c` has one.
    pub async fn insert_code(&self, c: CustomerId, code: &str) -> Result<bool, StoreError> {
        let sql = "INSERT INTO referral_codes (code, customer_id) VALUES ($1, $2) \
                   ON CONFLICT DO NOTHING";
        let n = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(code)
                .bind(c.as_uuid().to_string())
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// The binding of `invitee`, if any.
    pub async fn referral_of(
        &self,
        invitee: CustomerId,
    ) -> Result<Option<ReferralRecord>, StoreError> {
        let sql = "SELECT inviter_id, invitee_id, state, reason, event FROM referrals \
                   WHERE invitee_id = $1";
        let row: Option<Row> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(invitee.as_uuid().to_string())
                .fetch_optional(pool)
                .await
        })?;
        row.map(record).transpose()
    }

    /// Everyone `inviter` invited, oldest first.
    pub async fn invited_by(&self, inviter: CustomerId) -> Result<Vec<ReferralRecord>, StoreError> {
        let sql = "SELECT inviter_id, invitee_id, state, reason, event FROM referrals \
                   WHERE inviter_id = $1 ORDER BY bound_at_ns";
        let rows: Vec<Row> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(inviter.as_uuid().to_string())
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(record).collect()
    }

    /// Binds `invitee` to `inviter`, pending; `false` when the invitee is already bound.
    pub async fn bind(
        &self,
        inviter: CustomerId,
        invitee: CustomerId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO referrals (invitee_id, inviter_id, state, bound_at_ns) \
                   VALUES ($1, $2, 'pending', $3) ON CONFLICT (invitee_id) DO NOTHING";
        let n = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(invitee.as_uuid().to_string())
                .bind(inviter.as_uuid().to_string())
                .bind(ns(now))
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Settles a pending binding; `false` when it was settled already (nothing written).
    pub async fn settle(
        &self,
        invitee: CustomerId,
        state: &str,
        reason: Option<&str>,
        event: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE referrals SET state = $2, reason = $3, event = $4, settled_at_ns = $5 \
                   WHERE invitee_id = $1 AND state = 'pending'";
        let n = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(invitee.as_uuid().to_string())
                .bind(state)
                .bind(reason)
                .bind(event)
                .bind(ns(now))
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Notes a device fingerprint seen for `c`.
    pub async fn note_device(&self, c: CustomerId, device: &str) -> Result<(), StoreError> {
        let sql = "INSERT INTO referral_devices (customer_id, device) VALUES ($1, $2) \
                   ON CONFLICT DO NOTHING";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(c.as_uuid().to_string())
                .bind(device)
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// The device fingerprints seen for `c`.
    pub async fn devices(&self, c: CustomerId) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT device FROM referral_devices WHERE customer_id = $1 ORDER BY device";
        let rows: Vec<(String,)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(c.as_uuid().to_string())
                .fetch_all(pool)
                .await
        })?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
