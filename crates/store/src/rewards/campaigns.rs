//! Campaigns and their grants (docs/rewards.md, "Campaigns"). A grant runs inside a [`Tx`]:
//! [`CampaignStore::lock_campaign`] takes the campaign's row lock and reads the replay and the
//! customer's count, the caller decides (and issues the coupon in the same transaction), then
//! [`CampaignStore::grant`] writes the grant and raises `granted_fen` under a guard
//! (`granted_fen + face ≤ budget_fen`) that the table's CHECK backs up.

use cardlife_kernel::CustomerId;
use jiff::Timestamp;
use sqlx::Row;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::merchants::{instant, ns};
use crate::tx::{Tx, on_tx};

/// A campaign as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRecord {
    /// `cmp_…` as a UUID.
    pub id: uuid::Uuid,
    /// Shown to people.
    pub name: String,
    /// `first_card_binding` or `payment`.
    pub trigger_kind: String,
    /// The domain rule as JSON.
    pub rule_json: String,
    /// The template each award grants a coupon of.
    pub template: uuid::Uuid,
    /// Most face value it may grant.
    pub budget_fen: i64,
    /// Face value granted.
    pub granted_fen: i64,
    /// First instant it runs.
    pub starts_at: Timestamp,
    /// First instant it no longer runs.
    pub ends_at: Timestamp,
    /// The operator who created it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
}

/// One award.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRecord {
    /// The campaign.
    pub campaign: uuid::Uuid,
    /// The triggering event (idempotency key of the award).
    pub event: String,
    /// Who got it.
    pub customer: CustomerId,
    /// The A/B variant index.
    pub variant: i64,
    /// The coupon granted.
    pub coupon: uuid::Uuid,
    /// Its face value, counted against the budget.
    pub face_fen: i64,
    /// When.
    pub granted_at: Timestamp,
}

/// What a grant decides on, read under the campaign's lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantState {
    /// Face value granted so far.
    pub granted_fen: i64,
    /// The grant already made for this event, if any (a replay).
    pub existing: Option<GrantRecord>,
    /// Grants to this customer so far.
    pub by_customer: i64,
}

/// The campaign tables.
#[derive(Debug, Clone)]
pub struct CampaignStore {
    db: Db,
}

const COLUMNS: &str = "id, name, trigger_kind, rule_json, template_id, budget_fen, granted_fen, \
    starts_at_ns, ends_at_ns, created_by, created_at_ns";

fn uuid_of(text: &str, what: &'static str) -> Result<uuid::Uuid, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(what))
}

fn campaign_from<R: Row>(r: &R) -> Result<CampaignRecord, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = r.try_get("id")?;
    let template: String = r.try_get("template_id")?;
    Ok(CampaignRecord {
        id: uuid_of(&id, "campaign id")?,
        name: r.try_get("name")?,
        trigger_kind: r.try_get("trigger_kind")?,
        rule_json: r.try_get("rule_json")?,
        template: uuid_of(&template, "coupon template id")?,
        budget_fen: r.try_get("budget_fen")?,
        granted_fen: r.try_get("granted_fen")?,
        starts_at: instant(r.try_get("starts_at_ns")?)?,
        ends_at: instant(r.try_get("ends_at_ns")?)?,
        created_by: r.try_get("created_by")?,
        created_at: instant(r.try_get("created_at_ns")?)?,
    })
}

fn grant_from<R: Row>(r: &R) -> Result<GrantRecord, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let campaign: String = r.try_get("campaign_id")?;
    let customer: String = r.try_get("customer_id")?;
    let coupon: String = r.try_get("coupon_id")?;
    Ok(GrantRecord {
        campaign: uuid_of(&campaign, "campaign id")?,
        event: r.try_get("event_id")?,
        customer: CustomerId::from_uuid(uuid_of(&customer, "customer id")?),
        variant: r.try_get("variant")?,
        coupon: uuid_of(&coupon, "coupon id")?,
        face_fen: r.try_get("face_fen")?,
        granted_at: instant(r.try_get("granted_at_ns")?)?,
    })
}

impl CampaignStore {
    /// The campaign tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Stores a new campaign with nothing granted.
    pub async fn insert(tx: &mut Tx, c: &CampaignRecord) -> Result<(), StoreError> {
        let sql = "INSERT INTO campaigns (id, name, trigger_kind, rule_json, template_id, \
                   budget_fen, granted_fen, starts_at_ns, ends_at_ns, created_by, created_at_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $10)";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(c.id.to_string())
                .bind(&c.name)
                .bind(&c.trigger_kind)
                .bind(&c.rule_json)
                .bind(c.template.to_string())
                .bind(c.budget_fen)
                .bind(ns(c.starts_at))
                .bind(ns(c.ends_at))
                .bind(&c.created_by)
                .bind(ns(c.created_at))
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// A campaign by id.
    pub async fn campaign(&self, id: uuid::Uuid) -> Result<Option<CampaignRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1");
        on_pool!(&self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| campaign_from(&r))
                .transpose()
        })
    }

    /// Every campaign, in calendar order (start, then id), at most `limit`.
    pub async fn calendar(&self, limit: u32) -> Result<Vec<CampaignRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM campaigns ORDER BY starts_at_ns, id LIMIT $1");
        on_pool!(&self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(campaign_from)
                .collect()
        })
    }

    /// The campaigns with trigger `kind` running at `now`.
    pub async fn running(
        &self,
        kind: &str,
        now: Timestamp,
    ) -> Result<Vec<CampaignRecord>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM campaigns WHERE trigger_kind = $1 \
             AND starts_at_ns <= $2 AND $2 < ends_at_ns ORDER BY starts_at_ns, id"
        );
        on_pool!(&self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(kind)
                .bind(ns(now))
                .fetch_all(pool)
                .await?
                .iter()
                .map(campaign_from)
                .collect()
        })
    }

    /// A campaign's grants (for checks after the fact).
    pub async fn grants(&self, campaign: uuid::Uuid) -> Result<Vec<GrantRecord>, StoreError> {
        let sql = "SELECT campaign_id, event_id, customer_id, variant, coupon_id, face_fen, \
                   granted_at_ns FROM campaign_grants WHERE campaign_id = $1 ORDER BY event_id";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(campaign.to_string())
                .fetch_all(pool)
                .await?
                .iter()
                .map(grant_from)
                .collect()
        })
    }

    /// Locks `campaign` inside `tx` and reads what a grant for `event` to `customer` decides on.
    /// `None` when there is no such campaign.
    pub async fn lock_campaign(
        tx: &mut Tx,
        campaign: uuid::Uuid,
        event: &str,
        customer: CustomerId,
    ) -> Result<Option<GrantState>, StoreError> {
        let lock = "UPDATE campaigns SET granted_fen = granted_fen WHERE id = $1 \
                    RETURNING granted_fen";
        let existing = "SELECT campaign_id, event_id, customer_id, variant, coupon_id, face_fen, \
                        granted_at_ns FROM campaign_grants WHERE campaign_id = $1 AND event_id = $2";
        let count = "SELECT COUNT(*) FROM campaign_grants WHERE campaign_id = $1 \
                     AND customer_id = $2";
        let id = campaign.to_string();
        on_tx!(tx, |conn| {
            let Some(row) = sqlx::query(lock)
                .bind(&id)
                .fetch_optional(&mut *conn)
                .await?
            else {
                return Ok(None);
            };
            let existing = sqlx::query(existing)
                .bind(&id)
                .bind(event)
                .fetch_optional(&mut *conn)
                .await?
                .map(|r| grant_from(&r))
                .transpose()?;
            let by_customer: i64 = sqlx::query_scalar(count)
                .bind(&id)
                .bind(customer.as_uuid().to_string())
                .fetch_one(&mut *conn)
                .await?;
            Ok::<_, StoreError>(Some(GrantState {
                granted_fen: row.try_get("granted_fen")?,
                existing,
                by_customer,
            }))
        })
    }

    /// Writes `grant` and raises the campaign's granted face value inside `tx`, after
    /// [`Self::lock_campaign`]; fails if the budget would be passed.
    pub async fn grant(tx: &mut Tx, grant: &GrantRecord) -> Result<(), StoreError> {
        let raise = "UPDATE campaigns SET granted_fen = granted_fen + $2 \
                     WHERE id = $1 AND granted_fen + $2 <= budget_fen";
        let insert = "INSERT INTO campaign_grants (campaign_id, event_id, customer_id, variant, \
                      coupon_id, face_fen, granted_at_ns) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        on_tx!(tx, |conn| {
            let raised = sqlx::query(raise)
                .bind(grant.campaign.to_string())
                .bind(grant.face_fen)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            if raised != 1 {
                return Err(StoreError::CommitFailed(
                    "a grant would pass its campaign's budget".to_owned(),
                ));
            }
            sqlx::query(insert)
                .bind(grant.campaign.to_string())
                .bind(&grant.event)
                .bind(grant.customer.as_uuid().to_string())
                .bind(grant.variant)
                .bind(grant.coupon.to_string())
                .bind(grant.face_fen)
                .bind(ns(grant.granted_at))
                .execute(&mut *conn)
                .await?;
            Ok(())
        })
    }
}
