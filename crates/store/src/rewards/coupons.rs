//! Coupon templates and issued coupons (docs/rewards.md, "Coupons"). A claim runs inside a
//! [`Tx`]: [`CouponStore::lock_template`] takes the template's row lock (`UPDATE … RETURNING`: a
//! row lock on PostgreSQL, the write lock on SQLite) and reads the counts the caps look at, the
//! caller decides, then [`CouponStore::issue`] writes the coupon and raises `issued` and
//! `issued_fen` under a guard (`WHERE issued < stock AND issued_fen + face ≤ budget`) that the
//! table's CHECKs back up — so concurrent claims, in one process or many, never pass the budget.

use cardlife_kernel::CustomerId;
use jiff::Timestamp;
use sqlx::Row;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::merchants::{instant, ns};
use crate::tx::{Tx, on_tx};

/// A coupon template as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRecord {
    /// `cpt_…` as a UUID.
    pub id: uuid::Uuid,
    /// Shown to people.
    pub name: String,
    /// `fixed_off`, `percent_off`, `threshold`.
    pub kind: String,
    /// Amount off (fixed and threshold).
    pub off_fen: i64,
    /// Percent off in basis points (percent off).
    pub percent_bp: i64,
    /// Most a percent-off coupon takes.
    pub cap_fen: i64,
    /// The threshold (满减).
    pub min_spend_fen: i64,
    /// What one coupon costs the budget when issued.
    pub face_fen: i64,
    /// `window` or `days`.
    pub validity: String,
    /// First valid date of a window.
    pub valid_from: Option<String>,
    /// Last valid date of a window.
    pub valid_until: Option<String>,
    /// Days valid from the claim.
    pub valid_days: Option<i64>,
    /// Scope lists as JSON.
    pub scope_json: String,
    /// `bank`, `merchant`, `partner`.
    pub funding: String,
    /// The merchant or partner paying.
    pub funder_id: Option<String>,
    /// Total face value that may be issued.
    pub budget_fen: i64,
    /// Most coupons.
    pub stock: i64,
    /// Per-customer cap.
    pub per_user: i64,
    /// Per-customer per-day cap.
    pub per_user_per_day: Option<i64>,
    /// All-customers per-day cap.
    pub per_day: Option<i64>,
    /// Whether customers may claim it themselves.
    pub claimable: bool,
    /// Coupons issued.
    pub issued: i64,
    /// Face value issued.
    pub issued_fen: i64,
    /// The budget's ledger account (UUID text of the u128).
    pub budget_account: String,
    /// The operator who created it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
}

/// An issued coupon as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponRecord {
    /// `cpn_…` as a UUID.
    pub id: uuid::Uuid,
    /// Its template.
    pub template: uuid::Uuid,
    /// Its holder.
    pub customer: CustomerId,
    /// Business date of the claim.
    pub claimed_on: String,
    /// First valid date.
    pub valid_from: String,
    /// Last valid date.
    pub valid_until: String,
    /// `available`, `reserved`, `redeemed`, `expired`.
    pub state: String,
    /// The order reserving or having redeemed it.
    pub order: Option<uuid::Uuid>,
    /// The discount it gave (or holds).
    pub discount_fen: i64,
    /// `claim` or the granting campaign.
    pub source: String,
    /// The claim's idempotency key.
    pub idempotency_key: Option<String>,
    /// When it was issued.
    pub claimed_at: Timestamp,
}

/// What a claim decides on, read under the template's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Coupons issued.
    pub issued: i64,
    /// Face value issued.
    pub issued_fen: i64,
    /// The claimant's coupons of the template.
    pub by_customer: i64,
    /// The claimant's coupons claimed on the date.
    pub by_customer_on_day: i64,
    /// Everybody's coupons claimed on the date.
    pub on_day: i64,
}

/// The coupon tables.
#[derive(Debug, Clone)]
pub struct CouponStore {
    db: Db,
}

const TEMPLATE_COLUMNS: &str = "id, name, kind, off_fen, percent_bp, cap_fen, min_spend_fen, \
    face_fen, validity, valid_from, valid_until, valid_days, scope_json, funding, funder_id, \
    budget_fen, stock, per_user, per_user_per_day, per_day, claimable, issued, issued_fen, \
    budget_account, created_by, created_at_ns";

const COUPON_COLUMNS: &str = "id, template_id, customer_id, claimed_on, valid_from, valid_until, \
    state, order_id, discount_fen, source, idempotency_key, claimed_at_ns";

fn uuid_of(text: &str, what: &'static str) -> Result<uuid::Uuid, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(what))
}

fn template_from<R: Row>(r: &R) -> Result<TemplateRecord, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = r.try_get("id")?;
    let claimable: i64 = r.try_get("claimable")?;
    Ok(TemplateRecord {
        id: uuid_of(&id, "coupon template id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        off_fen: r.try_get("off_fen")?,
        percent_bp: r.try_get("percent_bp")?,
        cap_fen: r.try_get("cap_fen")?,
        min_spend_fen: r.try_get("min_spend_fen")?,
        face_fen: r.try_get("face_fen")?,
        validity: r.try_get("validity")?,
        valid_from: r.try_get("valid_from")?,
        valid_until: r.try_get("valid_until")?,
        valid_days: r.try_get("valid_days")?,
        scope_json: r.try_get("scope_json")?,
        funding: r.try_get("funding")?,
        funder_id: r.try_get("funder_id")?,
        budget_fen: r.try_get("budget_fen")?,
        stock: r.try_get("stock")?,
        per_user: r.try_get("per_user")?,
        per_user_per_day: r.try_get("per_user_per_day")?,
        per_day: r.try_get("per_day")?,
        claimable: claimable == 1,
        issued: r.try_get("issued")?,
        issued_fen: r.try_get("issued_fen")?,
        budget_account: r.try_get("budget_account")?,
        created_by: r.try_get("created_by")?,
        created_at: instant(r.try_get("created_at_ns")?)?,
    })
}

fn coupon_from<R: Row>(r: &R) -> Result<CouponRecord, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = r.try_get("id")?;
    let template: String = r.try_get("template_id")?;
    let customer: String = r.try_get("customer_id")?;
    let order: Option<String> = r.try_get("order_id")?;
    Ok(CouponRecord {
        id: uuid_of(&id, "coupon id")?,
        template: uuid_of(&template, "coupon template id")?,
        customer: CustomerId::from_uuid(uuid_of(&customer, "customer id")?),
        claimed_on: r.try_get("claimed_on")?,
        valid_from: r.try_get("valid_from")?,
        valid_until: r.try_get("valid_until")?,
        state: r.try_get("state")?,
        order: order.map(|o| uuid_of(&o, "order id")).transpose()?,
        discount_fen: r.try_get("discount_fen")?,
        source: r.try_get("source")?,
        idempotency_key: r.try_get("idempotency_key")?,
        claimed_at: instant(r.try_get("claimed_at_ns")?)?,
    })
}

impl CouponStore {
    /// The coupon tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Stores a new template with nothing issued.
    pub async fn insert_template(tx: &mut Tx, t: &TemplateRecord) -> Result<(), StoreError> {
        let sql = "INSERT INTO coupon_templates (id, name, kind, off_fen, percent_bp, cap_fen, \
                   min_spend_fen, face_fen, validity, valid_from, valid_until, valid_days, \
                   scope_json, funding, funder_id, budget_fen, stock, per_user, per_user_per_day, \
                   per_day, claimable, issued, issued_fen, budget_account, created_by, \
                   created_at_ns) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
                   $13, $14, $15, $16, $17, $18, $19, $20, $21, 0, 0, $22, $23, $24)";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(t.id.to_string())
                .bind(&t.name)
                .bind(&t.kind)
                .bind(t.off_fen)
                .bind(t.percent_bp)
                .bind(t.cap_fen)
                .bind(t.min_spend_fen)
                .bind(t.face_fen)
                .bind(&t.validity)
                .bind(&t.valid_from)
                .bind(&t.valid_until)
                .bind(t.valid_days)
                .bind(&t.scope_json)
                .bind(&t.funding)
                .bind(&t.funder_id)
                .bind(t.budget_fen)
                .bind(t.stock)
                .bind(t.per_user)
                .bind(t.per_user_per_day)
                .bind(t.per_day)
                .bind(i64::from(t.claimable))
                .bind(&t.budget_account)
                .bind(&t.created_by)
                .bind(ns(t.created_at))
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// A template by id.
    pub async fn template(&self, id: uuid::Uuid) -> Result<Option<TemplateRecord>, StoreError> {
        let sql = format!("SELECT {TEMPLATE_COLUMNS} FROM coupon_templates WHERE id = $1");
        on_pool!(&self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| template_from(&r))
                .transpose()
        })
    }

    /// The newest templates, newest first; only customer-claimable ones when `claimable_only`.
    pub async fn templates(
        &self,
        claimable_only: bool,
        limit: u32,
    ) -> Result<Vec<TemplateRecord>, StoreError> {
        let filter = if claimable_only {
            "WHERE claimable = 1"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {TEMPLATE_COLUMNS} FROM coupon_templates {filter} \
             ORDER BY created_at_ns DESC, id LIMIT $1"
        );
        on_pool!(&self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(template_from)
                .collect()
        })
    }

    /// Locks `template` for a claim inside `tx` and reads what the caps look at for
    /// `customer` on business date `day`. `None` when there is no such template.
    pub async fn lock_template(
        tx: &mut Tx,
        template: uuid::Uuid,
        customer: CustomerId,
        day: &str,
    ) -> Result<Option<Counts>, StoreError> {
        let lock = "UPDATE coupon_templates SET issued = issued WHERE id = $1 \
                    RETURNING issued, issued_fen";
        let counts = "SELECT \
             COALESCE(SUM(CASE WHEN customer_id = $2 THEN 1 ELSE 0 END), 0) AS by_customer, \
             COALESCE(SUM(CASE WHEN customer_id = $2 AND claimed_on = $3 THEN 1 ELSE 0 END), 0) \
                 AS by_customer_on_day, \
             COALESCE(SUM(CASE WHEN claimed_on = $3 THEN 1 ELSE 0 END), 0) AS on_day \
             FROM coupons WHERE template_id = $1";
        let id = template.to_string();
        let customer = customer.as_uuid().to_string();
        on_tx!(tx, |conn| {
            let Some(row) = sqlx::query(lock)
                .bind(&id)
                .fetch_optional(&mut *conn)
                .await?
            else {
                return Ok(None);
            };
            let c = sqlx::query(counts)
                .bind(&id)
                .bind(&customer)
                .bind(day)
                .fetch_one(&mut *conn)
                .await?;
            let sum = |name: &str| -> Result<i64, sqlx::Error> {
                // SUM is NUMERIC on PostgreSQL and INTEGER on SQLite: read through i64 either way.
                c.try_get::<i64, _>(name)
            };
            Ok::<_, StoreError>(Some(Counts {
                issued: row.try_get("issued")?,
                issued_fen: row.try_get("issued_fen")?,
                by_customer: sum("by_customer")?,
                by_customer_on_day: sum("by_customer_on_day")?,
                on_day: sum("on_day")?,
            }))
        })
    }

    /// Writes `coupon` and raises its template's issued count and face value by `face_fen`
    /// inside `tx`, after [`Self::lock_template`]. Fails (nothing written once `tx` is dropped)
    /// if the stock or the budget would be passed.
    pub async fn issue(
        tx: &mut Tx,
        coupon: &CouponRecord,
        face_fen: i64,
    ) -> Result<(), StoreError> {
        let raise = "UPDATE coupon_templates SET issued = issued + 1, \
                     issued_fen = issued_fen + $2 \
                     WHERE id = $1 AND issued < stock AND issued_fen + $2 <= budget_fen";
        let insert = format!(
            "INSERT INTO coupons ({COUPON_COLUMNS}, updated_at_ns) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)"
        );
        on_tx!(tx, |conn| {
            let raised = sqlx::query(raise)
                .bind(coupon.template.to_string())
                .bind(face_fen)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            if raised != 1 {
                return Err(StoreError::CommitFailed(
                    "a coupon would pass its template's stock or budget".to_owned(),
                ));
            }
            sqlx::query(sqlx::AssertSqlSafe(insert.as_str()))
                .bind(coupon.id.to_string())
                .bind(coupon.template.to_string())
                .bind(coupon.customer.as_uuid().to_string())
                .bind(&coupon.claimed_on)
                .bind(&coupon.valid_from)
                .bind(&coupon.valid_until)
                .bind(&coupon.state)
                .bind(coupon.order.map(|o| o.to_string()))
                .bind(coupon.discount_fen)
                .bind(&coupon.source)
                .bind(&coupon.idempotency_key)
                .bind(ns(coupon.claimed_at))
                .execute(&mut *conn)
                .await?;
            Ok(())
        })
    }

    /// A coupon by id.
    pub async fn coupon(&self, id: uuid::Uuid) -> Result<Option<CouponRecord>, StoreError> {
        let sql = format!("SELECT {COUPON_COLUMNS} FROM coupons WHERE id = $1");
        on_pool!(&self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| coupon_from(&r))
                .transpose()
        })
    }

    /// The coupon an order reserved or redeemed, if any.
    pub async fn of_order(&self, order: uuid::Uuid) -> Result<Option<CouponRecord>, StoreError> {
        let sql = format!("SELECT {COUPON_COLUMNS} FROM coupons WHERE order_id = $1");
        on_pool!(&self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(order.to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| coupon_from(&r))
                .transpose()
        })
    }

    /// A customer's coupons, newest first.
    pub async fn of_customer(
        &self,
        customer: CustomerId,
        limit: u32,
    ) -> Result<Vec<CouponRecord>, StoreError> {
        let sql = format!(
            "SELECT {COUPON_COLUMNS} FROM coupons WHERE customer_id = $1 \
             ORDER BY claimed_at_ns DESC, id LIMIT $2"
        );
        on_pool!(&self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(customer.as_uuid().to_string())
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(coupon_from)
                .collect()
        })
    }

    /// Every coupon of a template (for checks after the fact), by id.
    pub async fn of_template(&self, template: uuid::Uuid) -> Result<Vec<CouponRecord>, StoreError> {
        let sql =
            format!("SELECT {COUPON_COLUMNS} FROM coupons WHERE template_id = $1 ORDER BY id");
        on_pool!(&self.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(template.to_string())
                .fetch_all(pool)
                .await?
                .iter()
                .map(coupon_from)
                .collect()
        })
    }

    /// Moves a coupon from state `from` to `to`, setting its order and discount; `false` when
    /// it was not in `from` any more (another payment got it first; nothing written).
    pub async fn transition(
        &self,
        id: uuid::Uuid,
        from: &str,
        to: &str,
        order: Option<uuid::Uuid>,
        discount_fen: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE coupons SET state = $3, order_id = $4, discount_fen = $5, \
                   updated_at_ns = $6 WHERE id = $1 AND state = $2";
        let n = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.to_string())
                .bind(from)
                .bind(to)
                .bind(order.map(|o| o.to_string()))
                .bind(discount_fen)
                .bind(ns(now))
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Marks every available coupon whose last valid date is before `today` expired; returns
    /// how many.
    pub async fn expire_before(&self, today: &str, now: Timestamp) -> Result<u64, StoreError> {
        let sql = "UPDATE coupons SET state = 'expired', updated_at_ns = $2 \
                   WHERE state = 'available' AND valid_until < $1";
        Ok(on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(today)
                .bind(ns(now))
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?)
    }
}
