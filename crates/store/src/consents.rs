//! PIPL consent events on either backend: each grant and withdrawal appended in order, per
//! customer (docs/identity.md, "Consents").

use cardlife_kernel::CustomerId;
use jiff::Timestamp;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;

/// One stored grant or withdrawal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEvent {
    /// The consent's code (`marketing`, …).
    pub kind: String,
    /// `true` for a grant, `false` for a withdrawal.
    pub grant: bool,
    /// The consent text's version read, for a grant.
    pub text_version: Option<u32>,
    /// When.
    pub at: Timestamp,
}

/// The `consent_events` table.
#[derive(Debug, Clone)]
pub struct ConsentStore {
    db: Db,
}

impl ConsentStore {
    /// The table of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Every event of `customer`, oldest first.
    pub async fn events(&self, customer: CustomerId) -> Result<Vec<ConsentEvent>, StoreError> {
        let sql = "SELECT kind, action, text_version, at_ns FROM consent_events \
                   WHERE customer_id = $1 ORDER BY seq";
        let rows: Vec<(String, String, Option<i64>, i64)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(customer.as_uuid().to_string())
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter()
            .map(|(kind, action, version, at)| {
                Ok(ConsentEvent {
                    kind,
                    grant: action == "grant",
                    text_version: version
                        .map(u32::try_from)
                        .transpose()
                        .map_err(|_| StoreError::Corrupt("consent text version"))?,
                    at: Timestamp::from_nanosecond(i128::from(at))
                        .map_err(|_| StoreError::Corrupt("consent instant"))?,
                })
            })
            .collect()
    }

    /// Appends `event` as the customer's event number `seq` (1-based); `Ok(false)` when another
    /// writer took that number first (nothing written).
    pub async fn append(
        &self,
        customer: CustomerId,
        seq: u64,
        event: &ConsentEvent,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO consent_events (customer_id, seq, kind, action, text_version, at_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
        let seq = i64::try_from(seq).map_err(|_| StoreError::Corrupt("consent seq"))?;
        let at = i64::try_from(event.at.as_nanosecond()).unwrap_or(i64::MAX);
        let inserted = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(customer.as_uuid().to_string())
                .bind(seq)
                .bind(&event.kind)
                .bind(if event.grant { "grant" } else { "withdraw" })
                .bind(event.text_version.map(i64::from))
                .bind(at)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(inserted == 1)
    }
}
