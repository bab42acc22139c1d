//! Settled merchant-days, the day's captures and refunds they are computed from, and payments
//! interrupted between their two transactions (docs/merchants.md, "Settlement" and "Recovery").

use cardlife_kernel::{CustomerId, MerchantId};
use jiff::Timestamp;
use sqlx::Row;

use super::{instant, ns, uuid_of};
use crate::batch::{Stmt, stmt};
use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::tx::{Tx, on_tx};

/// One settled merchant-day, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementRecord {
    /// The merchant.
    pub merchant: MerchantId,
    /// `YYYY-MM-DD`, the business date settled.
    pub business_date: String,
    /// `YYYY-MM-DD`, when the payout is made (T+1).
    pub settlement_date: String,
    /// Σ captures.
    pub captures_fen: i64,
    /// Σ refunds.
    pub refunds_fen: i64,
    /// Σ fees.
    pub fees_fen: i64,
    /// A deficit carried in from the day before (≤ 0).
    pub carried_in_fen: i64,
    /// carried_in + captures − refunds − fees.
    pub net_fen: i64,
    /// Moved to the merchant's settlement account.
    pub payout_fen: i64,
    /// Carried to the next day (≤ 0).
    pub carried_out_fen: i64,
    /// The issuer's share of the fees (after its network side).
    pub issuer_fen: i64,
    /// Both network sides.
    pub network_fen: i64,
    /// What the acquirer keeps.
    pub acquirer_fen: i64,
    /// Lines of the reconciliation file (movements only).
    pub lines: i64,
    /// When it was settled.
    pub settled_at: Timestamp,
}

/// A capture of the day: the order, the amount and its fee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureLine {
    /// The order.
    pub order: uuid::Uuid,
    /// Captured.
    pub captured_fen: i64,
    /// The merchant's fee.
    pub mdr_fen: i64,
}

/// A refund of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundLine {
    /// The order.
    pub order: uuid::Uuid,
    /// 1 for the order's first refund.
    pub number: i64,
    /// Returned to the card.
    pub cash_fen: i64,
}

/// A payment between its two transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// The order.
    pub order: uuid::Uuid,
    /// The idempotency key's scope.
    pub scope: String,
    /// The idempotency key.
    pub key: String,
    /// Who pays.
    pub payer: CustomerId,
    /// `YYYY-MM-DD`: the business date the spend was booked on.
    pub spent_on: String,
    /// `static` or `dynamic`: which daily total it counts against.
    pub code_kind: String,
    /// The amount booked.
    pub amount_fen: i64,
    /// When the authorisation was booked.
    pub started_at: Timestamp,
}

macro_rules! attempt_from {
    ($r:expr) => {{
        let r = $r;
        let order: String = r.try_get("order_id")?;
        let payer: String = r.try_get("payer_id")?;
        Ok::<_, StoreError>(AttemptRecord {
            order: uuid_of(&order, "order id")?,
            scope: r.try_get("scope")?,
            key: r.try_get("idem_key")?,
            payer: CustomerId::from_uuid(uuid_of(&payer, "payer id")?),
            spent_on: r.try_get("spent_on")?,
            code_kind: r.try_get("code_kind")?,
            amount_fen: r.try_get("amount_fen")?,
            started_at: instant(r.try_get("started_at_ns")?)?,
        })
    }};
}

macro_rules! settlement_from {
    ($r:expr) => {{
        let r = $r;
        let merchant: String = r.try_get("merchant_id")?;
        Ok::<_, StoreError>(SettlementRecord {
            merchant: MerchantId::from_uuid(uuid_of(&merchant, "merchant id")?),
            business_date: r.try_get("business_date")?,
            settlement_date: r.try_get("settlement_date")?,
            captures_fen: r.try_get("captures_fen")?,
            refunds_fen: r.try_get("refunds_fen")?,
            fees_fen: r.try_get("fees_fen")?,
            carried_in_fen: r.try_get("carried_in_fen")?,
            net_fen: r.try_get("net_fen")?,
            payout_fen: r.try_get("payout_fen")?,
            carried_out_fen: r.try_get("carried_out_fen")?,
            issuer_fen: r.try_get("issuer_fen")?,
            network_fen: r.try_get("network_fen")?,
            acquirer_fen: r.try_get("acquirer_fen")?,
            lines: r.try_get("lines")?,
            settled_at: instant(r.try_get("settled_at_ns")?)?,
        })
    }};
}

macro_rules! select_settlement {
    ($rest:literal) => {
        concat!(
            "SELECT merchant_id, business_date, settlement_date, captures_fen, refunds_fen, ",
            "fees_fen, carried_in_fen, net_fen, payout_fen, carried_out_fen, issuer_fen, ",
            "network_fen, acquirer_fen, lines, settled_at_ns FROM merchant_settlements ",
            $rest
        )
    };
}

/// The settlement tables.
#[derive(Debug, Clone)]
pub struct SettlementStore {
    db: Db,
}

impl SettlementStore {
    /// The tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Merchants that settle (approved or suspended), with when they applied.
    pub async fn settling_merchants(&self) -> Result<Vec<(MerchantId, Timestamp)>, StoreError> {
        let sql = "SELECT id, created_at_ns FROM merchants \
                   WHERE status IN ('approved', 'suspended') ORDER BY created_at_ns, id";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    let id: String = r.try_get("id")?;
                    Ok((
                        MerchantId::from_uuid(uuid_of(&id, "merchant id")?),
                        instant(r.try_get("created_at_ns")?)?,
                    ))
                })
                .collect()
        })
    }

    /// The merchant's latest settled day.
    pub async fn latest(
        &self,
        merchant: MerchantId,
    ) -> Result<Option<SettlementRecord>, StoreError> {
        let sql = select_settlement!("WHERE merchant_id = $1 ORDER BY business_date DESC LIMIT 1");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(merchant.as_uuid().to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| settlement_from!(&r))
                .transpose()
        })
    }

    /// One settled day of the merchant.
    pub async fn day(
        &self,
        merchant: MerchantId,
        business_date: &str,
    ) -> Result<Option<SettlementRecord>, StoreError> {
        let sql = select_settlement!("WHERE merchant_id = $1 AND business_date = $2");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(merchant.as_uuid().to_string())
                .bind(business_date)
                .fetch_optional(pool)
                .await?
                .map(|r| settlement_from!(&r))
                .transpose()
        })
    }

    /// The merchant's settled days, newest first, at most `limit`.
    pub async fn of_merchant(
        &self,
        merchant: MerchantId,
        limit: u32,
    ) -> Result<Vec<SettlementRecord>, StoreError> {
        let sql = select_settlement!("WHERE merchant_id = $1 ORDER BY business_date DESC LIMIT $2");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(merchant.as_uuid().to_string())
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| settlement_from!(r))
                .collect()
        })
    }

    /// Records a settled day inside `tx` (with the webhook event that reports it); `false` when
    /// it was already recorded (nothing written).
    pub async fn insert(tx: &mut Tx, s: &SettlementRecord) -> Result<bool, StoreError> {
        let sql = "INSERT INTO merchant_settlements (merchant_id, business_date, settlement_date, \
                   captures_fen, refunds_fen, fees_fen, carried_in_fen, net_fen, payout_fen, \
                   carried_out_fen, issuer_fen, network_fen, acquirer_fen, lines, settled_at_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
                   ON CONFLICT DO NOTHING";
        let n = on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(s.merchant.as_uuid().to_string())
                .bind(&s.business_date)
                .bind(&s.settlement_date)
                .bind(s.captures_fen)
                .bind(s.refunds_fen)
                .bind(s.fees_fen)
                .bind(s.carried_in_fen)
                .bind(s.net_fen)
                .bind(s.payout_fen)
                .bind(s.carried_out_fen)
                .bind(s.issuer_fen)
                .bind(s.network_fen)
                .bind(s.acquirer_fen)
                .bind(s.lines)
                .bind(ns(s.settled_at))
                .execute(conn)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// The merchant's captures in `[from, to)`, in capture order.
    pub async fn captures(
        &self,
        merchant: MerchantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<CaptureLine>, StoreError> {
        let sql = "SELECT id, captured_fen, mdr_fen FROM payment_orders WHERE merchant_id = $1 \
                   AND captured_at_ns >= $2 AND captured_at_ns < $3 AND captured_fen > 0 \
                   ORDER BY captured_at_ns, id";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(merchant.as_uuid().to_string())
                .bind(ns(from))
                .bind(ns(to))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    let id: String = r.try_get("id")?;
                    Ok(CaptureLine {
                        order: uuid_of(&id, "order id")?,
                        captured_fen: r.try_get("captured_fen")?,
                        mdr_fen: r.try_get("mdr_fen")?,
                    })
                })
                .collect()
        })
    }

    /// The merchant's refunds in `[from, to)`, in time order.
    pub async fn refunds(
        &self,
        merchant: MerchantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<RefundLine>, StoreError> {
        let sql = "SELECT r.order_id, r.number, r.cash_fen FROM order_refunds r \
                   JOIN payment_orders o ON o.id = r.order_id WHERE o.merchant_id = $1 \
                   AND r.at_ns >= $2 AND r.at_ns < $3 ORDER BY r.at_ns, r.order_id, r.number";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(merchant.as_uuid().to_string())
                .bind(ns(from))
                .bind(ns(to))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    let id: String = r.try_get("order_id")?;
                    Ok(RefundLine {
                        order: uuid_of(&id, "order id")?,
                        number: r.try_get("number")?,
                        cash_fen: r.try_get("cash_fen")?,
                    })
                })
                .collect()
        })
    }

    /// Notes a payment between its two transactions, in the authorisation's transaction.
    /// As a statement for a batch (`crate::batch`).
    pub fn insert_attempt_stmt(a: &AttemptRecord) -> Stmt {
        stmt!(
            "INSERT INTO payment_attempts (order_id, scope, idem_key, payer_id, spent_on, \
             code_kind, amount_fen, started_at_ns) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            a.order.to_string(),
            &a.scope,
            &a.key,
            a.payer.as_uuid().to_string(),
            &a.spent_on,
            &a.code_kind,
            a.amount_fen,
            ns(a.started_at),
        )
    }

    /// Forgets the attempt on `order` (it finished, or was cancelled); `false` if none was left.
    pub async fn delete_attempt(tx: &mut Tx, order: uuid::Uuid) -> Result<bool, StoreError> {
        Ok(tx.run_one(Self::delete_attempt_stmt(order)).await? == 1)
    }

    /// [`Self::delete_attempt`]'s statement: one row, none when no attempt was left.
    pub fn delete_attempt_stmt(order: uuid::Uuid) -> Stmt {
        stmt!(
            "DELETE FROM payment_attempts WHERE order_id = $1",
            order.to_string()
        )
    }

    /// The attempt on `order`, if one is left.
    pub async fn attempt(&self, order: uuid::Uuid) -> Result<Option<AttemptRecord>, StoreError> {
        let sql = "SELECT order_id, scope, idem_key, payer_id, spent_on, code_kind, amount_fen, \
                   started_at_ns FROM payment_attempts WHERE order_id = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(order.to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| attempt_from!(&r))
                .transpose()
        })
    }

    /// Attempts started before `before`, oldest first, at most `limit`.
    pub async fn stale_attempts(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<AttemptRecord>, StoreError> {
        let sql = "SELECT order_id, scope, idem_key, payer_id, spent_on, code_kind, amount_fen, \
                   started_at_ns FROM payment_attempts WHERE started_at_ns < $1 \
                   ORDER BY started_at_ns LIMIT $2";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(ns(before))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| attempt_from!(r))
                .collect()
        })
    }

    /// Gives back `amount_fen` of the payer's spend on `spent_on` (a payment that did not go
    /// through); nothing when the payer's record has moved on to a later day.
    pub async fn give_back_spend(
        tx: &mut Tx,
        payer: CustomerId,
        spent_on: &str,
        code_kind: &str,
        amount_fen: i64,
    ) -> Result<(), StoreError> {
        let sql = if code_kind == "static" {
            "UPDATE qr_daily_spend SET static_fen = static_fen - $3 \
             WHERE customer_id = $1 AND spent_on = $2 AND static_fen >= $3"
        } else {
            "UPDATE qr_daily_spend SET dynamic_fen = dynamic_fen - $3 \
             WHERE customer_id = $1 AND spent_on = $2 AND dynamic_fen >= $3"
        };
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(payer.as_uuid().to_string())
                .bind(spent_on)
                .bind(amount_fen)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Frees an unfinished idempotency key inside `tx`.
    pub async fn release_key(tx: &mut Tx, scope: &str, key: &str) -> Result<(), StoreError> {
        let sql = "DELETE FROM payment_idempotency WHERE scope = $1 AND idem_key = $2 \
                   AND result IS NULL";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(scope)
                .bind(key)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Created orders whose time ran out before `now`, at most `limit` (id, version).
    pub async fn expired_orders(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<uuid::Uuid>, StoreError> {
        let sql = "SELECT id FROM payment_orders WHERE status = 'created' AND expires_at_ns <= $1 \
                   ORDER BY expires_at_ns LIMIT $2";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(ns(now))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    let id: String = r.try_get("id")?;
                    uuid_of(&id, "order id")
                })
                .collect()
        })
    }
}
