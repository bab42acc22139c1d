//! Membership levels (docs/rewards.md, "Membership levels"): the programme as one JSON document
//! and each customer's membership — the domain's effective-dated tier history as JSON, with the
//! latest scores, star value and tier beside it. A change is written only over the version it was
//! computed from (`WHERE version = $n`), so two evaluations never both apply.

use cardlife_kernel::CustomerId;
use jiff::Timestamp;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;

/// One customer's membership as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRecord {
    /// The domain membership, as JSON.
    pub data: String,
    /// The current tier's code.
    pub tier: String,
    /// The latest star value.
    pub star: i64,
    /// The latest financial score.
    pub financial: i64,
    /// The latest spending score.
    pub spending: i64,
    /// The latest activity score.
    pub activity: i64,
    /// `YYYY-MM-DD` of the latest evaluation.
    pub evaluated_on: String,
    /// Bumped by every write.
    pub version: i64,
}

/// The membership tables.
#[derive(Debug, Clone)]
pub struct MembershipStore {
    db: Db,
}

impl MembershipStore {
    /// The membership tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The programme document, if one was set.
    pub async fn programme(&self) -> Result<Option<String>, StoreError> {
        let sql = "SELECT data FROM membership_programme WHERE id = 1";
        let row: Option<(String,)> = on_pool!(&self.db, |pool| sqlx::query_as(sql)
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(|r| r.0))
    }

    /// Sets the programme document.
    pub async fn set_programme(&self, data: &str, now: Timestamp) -> Result<(), StoreError> {
        let sql = "INSERT INTO membership_programme (id, data, updated_at_ns) VALUES (1, $1, $2) \
                   ON CONFLICT (id) DO UPDATE SET data = excluded.data, \
                   updated_at_ns = excluded.updated_at_ns";
        let at = i64::try_from(now.as_nanosecond()).unwrap_or(i64::MAX);
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(data)
                .bind(at)
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// The customer's membership, if ever evaluated.
    pub async fn membership(
        &self,
        customer: CustomerId,
    ) -> Result<Option<MembershipRecord>, StoreError> {
        let sql = "SELECT data, tier, star, financial, spending, activity, evaluated_on, version \
                   FROM memberships WHERE customer_id = $1";
        type Row = (String, String, i64, i64, i64, i64, String, i64);
        let row: Option<Row> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(customer.as_uuid().to_string())
                .fetch_optional(pool)
                .await
        })?;
        Ok(row.map(|r| MembershipRecord {
            data: r.0,
            tier: r.1,
            star: r.2,
            financial: r.3,
            spending: r.4,
            activity: r.5,
            evaluated_on: r.6,
            version: r.7,
        }))
    }

    /// Writes `m` over version `m.version − 1` (insert when `m.version` is 1); `false` when
    /// another write got there first (nothing written).
    pub async fn save(
        &self,
        customer: CustomerId,
        m: &MembershipRecord,
    ) -> Result<bool, StoreError> {
        let insert = "INSERT INTO memberships (customer_id, data, tier, star, financial, spending, \
                      activity, evaluated_on, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                      ON CONFLICT (customer_id) DO NOTHING";
        let update = "UPDATE memberships SET data = $2, tier = $3, star = $4, financial = $5, \
                      spending = $6, activity = $7, evaluated_on = $8, version = $9 \
                      WHERE customer_id = $1 AND version = $9 - 1";
        let sql = if m.version == 1 { insert } else { update };
        let n = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(customer.as_uuid().to_string())
                .bind(&m.data)
                .bind(&m.tier)
                .bind(m.star)
                .bind(m.financial)
                .bind(m.spending)
                .bind(m.activity)
                .bind(&m.evaluated_on)
                .bind(m.version)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }
}
