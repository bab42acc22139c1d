//! Risk decisions and the per-customer risk profile (docs/risk.md): the decision written in the
//! payment's own transaction, the profile read once per payment by its primary key.

use cardlife_kernel::CustomerId;
use jiff::Timestamp;
use sqlx::Row;

use crate::batch::{Stmt, Value, stmt};
use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::merchants::{instant, ns, uuid_of};
use crate::tx::Tx;

/// The most decisions one read returns.
pub const DECISIONS_PAGE_MAX: u32 = 200;

/// A stored decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRecord {
    /// Its id.
    pub id: uuid::Uuid,
    /// Whom it was about.
    pub customer: CustomerId,
    /// `payment`, …
    pub action: String,
    /// The object decided on (the payment order's id).
    pub object: Option<String>,
    /// `allow`, `review` or `deny`.
    pub outcome: String,
    /// 0–100.
    pub score: i64,
    /// Fired reason codes joined by commas.
    pub reasons: String,
    /// JSON snapshot of the facts, without secrets.
    pub facts: String,
    /// When.
    pub at: Timestamp,
}

/// A customer's stored risk profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProfileRecord {
    /// When the short window opened.
    pub short_start: Option<Timestamp>,
    /// Payments in it.
    pub short_count: i64,
    /// When the long window opened.
    pub long_start: Option<Timestamp>,
    /// Payments in it.
    pub long_count: i64,
    /// Payments let through, ever.
    pub payments: i64,
    /// The usual amount, fen.
    pub usual_fen: i64,
    /// Bumped by every update.
    pub version: i64,
}

/// The risk tables.
#[derive(Debug, Clone)]
pub struct RiskStore {
    db: Db,
}

impl RiskStore {
    /// The tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The customer's profile, if they ever paid.
    pub async fn profile(&self, customer: CustomerId) -> Result<Option<ProfileRecord>, StoreError> {
        let sql = "SELECT short_start_ns, short_count, long_start_ns, long_count, payments, \
                   usual_fen, version FROM risk_profiles WHERE customer_id = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(customer.as_uuid().to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| -> Result<ProfileRecord, StoreError> {
                    let at = |v: Option<i64>| v.map(instant).transpose();
                    Ok(ProfileRecord {
                        short_start: at(r.try_get("short_start_ns")?)?,
                        short_count: r.try_get("short_count")?,
                        long_start: at(r.try_get("long_start_ns")?)?,
                        long_count: r.try_get("long_count")?,
                        payments: r.try_get("payments")?,
                        usual_fen: r.try_get("usual_fen")?,
                        version: r.try_get("version")?,
                    })
                })
                .transpose()
        })
    }

    /// Replaces the profile read at `old_version` (`None`: none existed) with `new`; `false`
    /// when another payment changed it meanwhile (optimistic, like the daily QR spend).
    /// As a statement for a batch (`crate::batch`): one row, none when the profile changed meanwhile.
    pub fn put_profile_stmt(
        customer: CustomerId,
        old_version: Option<i64>,
        new: &ProfileRecord,
    ) -> Stmt {
        let next = old_version.map_or(0, |v| v.saturating_add(1));
        let args: Vec<Value> = vec![
            customer.as_uuid().to_string().into(),
            new.short_start.map(ns).into(),
            new.short_count.into(),
            new.long_start.map(ns).into(),
            new.long_count.into(),
            new.payments.into(),
            new.usual_fen.into(),
            next.into(),
        ];
        match old_version {
            None => Stmt::new(
                "INSERT INTO risk_profiles (customer_id, short_start_ns, short_count, \
                 long_start_ns, long_count, payments, usual_fen, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (customer_id) DO NOTHING",
                args,
            ),
            Some(old) => {
                let mut args = args;
                args.push(old.into());
                Stmt::new(
                    "UPDATE risk_profiles SET short_start_ns = $2, short_count = $3, \
                     long_start_ns = $4, long_count = $5, payments = $6, usual_fen = $7, \
                     version = $8 WHERE customer_id = $1 AND version = $9",
                    args,
                )
            }
        }
    }

    /// Writes a decision inside `tx`.
    pub async fn record(tx: &mut Tx, d: &DecisionRecord) -> Result<(), StoreError> {
        tx.run_one(Self::record_stmt(d)).await?;
        Ok(())
    }

    /// [`Self::record`]'s statement.
    pub fn record_stmt(d: &DecisionRecord) -> Stmt {
        stmt!(
            "INSERT INTO risk_decisions (id, customer_id, action, object_id, outcome, \
             score, reasons, facts, at_ns) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            d.id.to_string(),
            d.customer.as_uuid().to_string(),
            &d.action,
            &d.object,
            &d.outcome,
            d.score,
            &d.reasons,
            &d.facts,
            ns(d.at),
        )
    }

    /// The customer's newest decisions, newest first.
    pub async fn of_customer(
        &self,
        customer: CustomerId,
        limit: u32,
    ) -> Result<Vec<DecisionRecord>, StoreError> {
        let sql = "SELECT id, customer_id, action, object_id, outcome, score, reasons, facts, \
                   at_ns FROM risk_decisions WHERE customer_id = $1 \
                   ORDER BY at_ns DESC, id DESC LIMIT $2";
        let limit = i64::from(limit.min(DECISIONS_PAGE_MAX));
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(customer.as_uuid().to_string())
                .bind(limit)
                .fetch_all(pool)
                .await?
                .iter()
                .map(decision_row)
                .collect()
        })
    }

    /// The newest decisions of every customer, only those of `outcome` when given.
    pub async fn newest(
        &self,
        outcome: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DecisionRecord>, StoreError> {
        let limit = i64::from(limit.min(DECISIONS_PAGE_MAX));
        let Some(outcome) = outcome else {
            let sql = "SELECT id, customer_id, action, object_id, outcome, score, reasons, facts, \
                       at_ns FROM risk_decisions ORDER BY at_ns DESC, id DESC LIMIT $1";
            return on_pool!(&self.db, |pool| {
                sqlx::query(sql)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
                    .iter()
                    .map(decision_row)
                    .collect()
            });
        };
        let sql = "SELECT id, customer_id, action, object_id, outcome, score, reasons, facts, \
                   at_ns FROM risk_decisions WHERE outcome = $2 \
                   ORDER BY at_ns DESC, id DESC LIMIT $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(limit)
                .bind(outcome)
                .fetch_all(pool)
                .await?
                .iter()
                .map(decision_row)
                .collect()
        })
    }
}

fn decision_row<R: Row>(r: &R) -> Result<DecisionRecord, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = r.try_get("id")?;
    let customer: String = r.try_get("customer_id")?;
    Ok(DecisionRecord {
        id: uuid_of(&id, "risk decision id")?,
        customer: CustomerId::from_uuid(uuid_of(&customer, "risk decision customer")?),
        action: r.try_get("action")?,
        object: r.try_get("object_id")?,
        outcome: r.try_get("outcome")?,
        score: r.try_get("score")?,
        reasons: r.try_get("reasons")?,
        facts: r.try_get("facts")?,
        at: instant(r.try_get("at_ns")?)?,
    })
}
