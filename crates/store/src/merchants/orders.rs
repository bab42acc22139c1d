//! Payment orders and their refunds, each payer's daily QR spend, idempotency keys of
//! money-moving requests, and pay-code tokens and used pay codes (docs/merchants.md).

use cardlife_kernel::{CustomerId, MerchantId};
use jiff::Timestamp;
use sqlx::Row;

use super::{instant, is_unique_violation, ns, uuid_of};
use crate::batch::{Stmt, stmt};
use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::tx::{Tx, on_tx};

/// The most orders one listing returns.
pub const ORDER_PAGE_MAX: u32 = 200;

/// A payment order as stored (the domain's `PaymentOrder` plus where it came from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// The order.
    pub id: uuid::Uuid,
    /// Who is paid.
    pub merchant: MerchantId,
    /// The merchant's own reference, unique per merchant.
    pub merchant_ref: Option<String>,
    /// `dynamic_qr`, `static_qr` or `pay_code`.
    pub channel: String,
    /// The QR code it was paid through.
    pub code_id: Option<String>,
    /// Who paid (unknown until paid).
    pub payer: Option<CustomerId>,
    /// `created`, `authorised`, `captured`, `partially_refunded`, `fully_refunded`,
    /// `cancelled`, `expired`.
    pub status: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The price.
    pub goods_fen: i64,
    /// Coupon deduction (extension point; 0 today).
    pub coupon_fen: i64,
    /// Points spent (extension point; 0 today).
    pub points_used: i64,
    /// Their value (extension point; 0 today).
    pub points_value_fen: i64,
    /// Held.
    pub authorised_fen: i64,
    /// Taken.
    pub captured_fen: i64,
    /// Σ refund requests.
    pub refunded_goods_fen: i64,
    /// Σ cash returned.
    pub refunded_cash_fen: i64,
    /// The merchant's fee on the captured amount.
    pub mdr_fen: i64,
    /// The funding authorisation (a ledger pending transfer id today).
    pub funding_auth_id: Option<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it expires if unpaid.
    pub expires_at: Timestamp,
    /// When it was captured.
    pub captured_at: Option<Timestamp>,
    /// Bumped by every update (optimistic concurrency).
    pub version: i64,
}

/// One refund as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    /// The order.
    pub order: uuid::Uuid,
    /// 1 for the first.
    pub number: i64,
    /// Asked for, goods terms.
    pub requested_fen: i64,
    /// Returned.
    pub cash_fen: i64,
    /// When.
    pub at: Timestamp,
    /// The ledger transfer that returned it.
    pub transfer_id: String,
}

/// What a payer spent through QR codes on a business date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendRecord {
    /// `YYYY-MM-DD`.
    pub spent_on: String,
    /// Through static codes.
    pub static_fen: i64,
    /// Through dynamic codes.
    pub dynamic_fen: i64,
}

/// What claiming an idempotency key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new and now held by the caller.
    New,
    /// The key was used before, with this request hash and (once finished) this result.
    Existing {
        /// SHA-256 of the first request.
        request_hash: Vec<u8>,
        /// What it produced, once finished.
        result: Option<String>,
    },
}

macro_rules! order_from {
    ($r:expr) => {{
        let r = $r;
        let id: String = r.try_get("id")?;
        let merchant: String = r.try_get("merchant_id")?;
        let payer: Option<String> = r.try_get("payer_id")?;
        Ok::<_, StoreError>(OrderRecord {
            id: uuid_of(&id, "order id")?,
            merchant: MerchantId::from_uuid(uuid_of(&merchant, "merchant id")?),
            merchant_ref: r.try_get("merchant_ref")?,
            channel: r.try_get("channel")?,
            code_id: r.try_get("code_id")?,
            payer: payer
                .map(|p| uuid_of(&p, "payer id").map(CustomerId::from_uuid))
                .transpose()?,
            status: r.try_get("status")?,
            currency: r.try_get("currency")?,
            goods_fen: r.try_get("goods_fen")?,
            coupon_fen: r.try_get("coupon_fen")?,
            points_used: r.try_get("points_used")?,
            points_value_fen: r.try_get("points_value_fen")?,
            authorised_fen: r.try_get("authorised_fen")?,
            captured_fen: r.try_get("captured_fen")?,
            refunded_goods_fen: r.try_get("refunded_goods_fen")?,
            refunded_cash_fen: r.try_get("refunded_cash_fen")?,
            mdr_fen: r.try_get("mdr_fen")?,
            funding_auth_id: r.try_get("funding_auth_id")?,
            created_at: instant(r.try_get("created_at_ns")?)?,
            expires_at: instant(r.try_get("expires_at_ns")?)?,
            captured_at: r
                .try_get::<Option<i64>, _>("captured_at_ns")?
                .map(instant)
                .transpose()?,
            version: r.try_get("version")?,
        })
    }};
}

macro_rules! select_order {
    ($rest:literal) => {
        concat!(
            "SELECT id, merchant_id, merchant_ref, channel, code_id, payer_id, status, currency, ",
            "goods_fen, coupon_fen, points_used, points_value_fen, authorised_fen, captured_fen, ",
            "refunded_goods_fen, refunded_cash_fen, mdr_fen, funding_auth_id, created_at_ns, ",
            "expires_at_ns, captured_at_ns, version FROM payment_orders ",
            $rest
        )
    };
}

/// The orders' tables.
#[derive(Debug, Clone)]
pub struct OrderStore {
    db: Db,
}

impl OrderStore {
    /// The tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Stores a new order; `Ok(false)` when the merchant already used `merchant_ref`.
    /// As a statement for a batch (`crate::batch`): one row, none when `merchant_ref` is taken.
    pub fn insert_stmt(o: &OrderRecord) -> Stmt {
        stmt!(
            "INSERT INTO payment_orders (id, merchant_id, merchant_ref, channel, code_id, \
             payer_id, status, currency, goods_fen, coupon_fen, points_used, points_value_fen, \
             authorised_fen, captured_fen, refunded_goods_fen, refunded_cash_fen, mdr_fen, \
             funding_auth_id, created_at_ns, expires_at_ns, captured_at_ns, version) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20, $21, $22) ON CONFLICT DO NOTHING",
            o.id.to_string(),
            o.merchant.as_uuid().to_string(),
            &o.merchant_ref,
            &o.channel,
            &o.code_id,
            o.payer.map(|p| p.as_uuid().to_string()),
            &o.status,
            &o.currency,
            o.goods_fen,
            o.coupon_fen,
            o.points_used,
            o.points_value_fen,
            o.authorised_fen,
            o.captured_fen,
            o.refunded_goods_fen,
            o.refunded_cash_fen,
            o.mdr_fen,
            &o.funding_auth_id,
            ns(o.created_at),
            ns(o.expires_at),
            o.captured_at.map(ns),
            o.version,
        )
    }

    /// Writes every mutable field of `o` if the stored version is still `o.version`, bumping
    /// it; `false` when another writer got there first (nothing written).
    pub async fn update(tx: &mut Tx, o: &OrderRecord) -> Result<bool, StoreError> {
        Ok(tx.run_one(Self::update_stmt(o)).await? == 1)
    }

    /// [`Self::update`]'s statement: one row, none when the version moved.
    pub fn update_stmt(o: &OrderRecord) -> Stmt {
        stmt!(
            "UPDATE payment_orders SET payer_id = $2, status = $3, authorised_fen = $4, \
             captured_fen = $5, refunded_goods_fen = $6, refunded_cash_fen = $7, \
             mdr_fen = $8, funding_auth_id = $9, captured_at_ns = $10, \
             coupon_fen = $12, version = version + 1 WHERE id = $1 AND version = $11",
            o.id.to_string(),
            o.payer.map(|p| p.as_uuid().to_string()),
            &o.status,
            o.authorised_fen,
            o.captured_fen,
            o.refunded_goods_fen,
            o.refunded_cash_fen,
            o.mdr_fen,
            &o.funding_auth_id,
            o.captured_at.map(ns),
            o.version,
            o.coupon_fen,
        )
    }

    /// An order by id.
    pub async fn order(&self, id: uuid::Uuid) -> Result<Option<OrderRecord>, StoreError> {
        let sql = select_order!("WHERE id = $1");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| order_from!(&r))
                .transpose()
        })
    }

    /// The order a dynamic code was made for.
    pub async fn by_code(&self, code_id: &str) -> Result<Option<OrderRecord>, StoreError> {
        let sql = select_order!("WHERE code_id = $1 AND channel = 'dynamic_qr'");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(code_id)
                .fetch_optional(pool)
                .await?
                .map(|r| order_from!(&r))
                .transpose()
        })
    }

    /// A merchant's orders, newest first, at most `limit` (≤ [`ORDER_PAGE_MAX`]).
    pub async fn of_merchant(
        &self,
        merchant: MerchantId,
        limit: u32,
    ) -> Result<Vec<OrderRecord>, StoreError> {
        let sql =
            select_order!("WHERE merchant_id = $1 ORDER BY created_at_ns DESC, id DESC LIMIT $2");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(merchant.as_uuid().to_string())
                .bind(i64::from(limit.min(ORDER_PAGE_MAX)))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| order_from!(r))
                .collect()
        })
    }

    /// Stores a refund.
    pub async fn insert_refund(tx: &mut Tx, r: &RefundRecord) -> Result<(), StoreError> {
        let sql = "INSERT INTO order_refunds \
                   (order_id, number, requested_fen, cash_fen, at_ns, transfer_id) \
                   VALUES ($1, $2, $3, $4, $5, $6)";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(r.order.to_string())
                .bind(r.number)
                .bind(r.requested_fen)
                .bind(r.cash_fen)
                .bind(ns(r.at))
                .bind(&r.transfer_id)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// An order's refunds, oldest first.
    pub async fn refunds(&self, order: uuid::Uuid) -> Result<Vec<RefundRecord>, StoreError> {
        let sql = "SELECT number, requested_fen, cash_fen, at_ns, transfer_id FROM order_refunds \
                   WHERE order_id = $1 ORDER BY number";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(order.to_string())
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| -> Result<RefundRecord, StoreError> {
                    Ok(RefundRecord {
                        order,
                        number: r.try_get("number")?,
                        requested_fen: r.try_get("requested_fen")?,
                        cash_fen: r.try_get("cash_fen")?,
                        at: instant(r.try_get("at_ns")?)?,
                        transfer_id: r.try_get("transfer_id")?,
                    })
                })
                .collect()
        })
    }

    /// The payer's latest spend record.
    pub async fn spend(&self, payer: CustomerId) -> Result<Option<SpendRecord>, StoreError> {
        let sql =
            "SELECT spent_on, static_fen, dynamic_fen FROM qr_daily_spend WHERE customer_id = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(payer.as_uuid().to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| -> Result<SpendRecord, StoreError> {
                    Ok(SpendRecord {
                        spent_on: r.try_get("spent_on")?,
                        static_fen: r.try_get("static_fen")?,
                        dynamic_fen: r.try_get("dynamic_fen")?,
                    })
                })
                .transpose()
        })
    }

    /// Replaces the payer's spend record with `new` if it is still `old` (optimistic, so two
    /// payments of one payer cannot both pass the limit); `false` when it changed meanwhile.
    /// As a statement for a batch (`crate::batch`): one row, none when the record changed meanwhile.
    pub fn put_spend_stmt(payer: CustomerId, old: Option<&SpendRecord>, new: &SpendRecord) -> Stmt {
        let payer = payer.as_uuid().to_string();
        match old {
            None => stmt!(
                "INSERT INTO qr_daily_spend (customer_id, spent_on, static_fen, dynamic_fen) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (customer_id) DO NOTHING",
                payer,
                &new.spent_on,
                new.static_fen,
                new.dynamic_fen,
            ),
            Some(old) => stmt!(
                "UPDATE qr_daily_spend SET spent_on = $2, static_fen = $3, dynamic_fen = $4 \
                 WHERE customer_id = $1 AND spent_on = $5 AND static_fen = $6 \
                 AND dynamic_fen = $7",
                payer,
                &new.spent_on,
                new.static_fen,
                new.dynamic_fen,
                &old.spent_on,
                old.static_fen,
                old.dynamic_fen,
            ),
        }
    }

    /// Claims `key` in `scope` for a request hashing to `request_hash`.
    pub async fn claim_key(
        &self,
        scope: &str,
        key: &str,
        request_hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<Claim, StoreError> {
        let insert = "INSERT INTO payment_idempotency (scope, idem_key, request_hash, created_at_ns) \
                      VALUES ($1, $2, $3, $4)";
        let inserted = on_pool!(&self.db, |pool| {
            sqlx::query(insert)
                .bind(scope)
                .bind(key)
                .bind(request_hash.as_slice())
                .bind(ns(now))
                .execute(pool)
                .await
                .map(|_| ())
        });
        match inserted {
            Ok(()) => return Ok(Claim::New),
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
        let select = "SELECT request_hash, result FROM payment_idempotency \
                      WHERE scope = $1 AND idem_key = $2";
        on_pool!(&self.db, |pool| {
            let row = sqlx::query(select)
                .bind(scope)
                .bind(key)
                .fetch_one(pool)
                .await?;
            Ok(Claim::Existing {
                request_hash: row.try_get("request_hash")?,
                result: row.try_get("result")?,
            })
        })
    }

    /// Claims an idempotency key inside a transaction, so the claim commits with the work it
    /// guards (or not at all): one row when the key was free; none when it was held (a
    /// concurrent claim of the same key waits for the first to commit or roll back), and
    /// [`Self::peek_key`] then says by what. A statement for a batch (`crate::batch`).
    pub fn claim_key_stmt(scope: &str, key: &str, request_hash: &[u8; 32], now: Timestamp) -> Stmt {
        stmt!(
            "INSERT INTO payment_idempotency (scope, idem_key, request_hash, created_at_ns) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            scope,
            key,
            request_hash.as_slice(),
            ns(now),
        )
    }

    /// What a key holds, without claiming it: `None` when it is free.
    pub async fn peek_key(&self, scope: &str, key: &str) -> Result<Option<Claim>, StoreError> {
        let select = "SELECT request_hash, result FROM payment_idempotency \
                      WHERE scope = $1 AND idem_key = $2";
        on_pool!(&self.db, |pool| {
            let row = sqlx::query(select)
                .bind(scope)
                .bind(key)
                .fetch_optional(pool)
                .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            Ok(Some(Claim::Existing {
                request_hash: row.try_get("request_hash")?,
                result: row.try_get("result")?,
            }))
        })
    }

    /// Records what the request holding `key` produced, inside its transaction.
    pub async fn finish_key(
        tx: &mut Tx,
        scope: &str,
        key: &str,
        result: &str,
    ) -> Result<(), StoreError> {
        tx.run_one(Self::finish_key_stmt(scope, key, result))
            .await?;
        Ok(())
    }

    /// [`Self::finish_key`]'s statement.
    pub fn finish_key_stmt(scope: &str, key: &str, result: &str) -> Stmt {
        stmt!(
            "UPDATE payment_idempotency SET result = $3 WHERE scope = $1 AND idem_key = $2",
            scope,
            key,
            result,
        )
    }

    /// Frees an unfinished key (the request was refused and changed nothing; it may be retried).
    pub async fn release_key(&self, scope: &str, key: &str) -> Result<(), StoreError> {
        // A key whose payment is between its two transactions stays held: recovery finishes or
        // voids that payment and answers or frees the key (docs/merchants.md, "Recovery").
        let sql = "DELETE FROM payment_idempotency WHERE scope = $1 AND idem_key = $2 \
                   AND result IS NULL AND NOT EXISTS (SELECT 1 FROM payment_attempts a \
                   WHERE a.scope = $1 AND a.idem_key = $2)";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(scope)
                .bind(key)
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// The customer's pay-code token reference.
    pub async fn paycode_token(&self, customer: CustomerId) -> Result<Option<u32>, StoreError> {
        let sql = "SELECT token_ref FROM paycode_tokens WHERE customer_id = $1";
        let token: Option<i64> = on_pool!(&self.db, |pool| {
            sqlx::query_scalar(sql)
                .bind(customer.as_uuid().to_string())
                .fetch_optional(pool)
                .await
        })?;
        token
            .map(|t| u32::try_from(t).map_err(|_| StoreError::Corrupt("token ref")))
            .transpose()
    }

    /// Binds `token` to `customer`; `false` when either is already bound.
    pub async fn insert_paycode_token(
        &self,
        token: u32,
        customer: CustomerId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO paycode_tokens (token_ref, customer_id, created_at_ns) VALUES ($1, $2, $3)";
        let result = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(i64::from(token))
                .bind(customer.as_uuid().to_string())
                .bind(ns(now))
                .execute(pool)
                .await
                .map(|_| ())
        });
        match result {
            Ok(()) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The customer a token reference is bound to.
    pub async fn token_owner(&self, token: u32) -> Result<Option<CustomerId>, StoreError> {
        let sql = "SELECT customer_id FROM paycode_tokens WHERE token_ref = $1";
        let owner: Option<String> = on_pool!(&self.db, |pool| {
            sqlx::query_scalar(sql)
                .bind(i64::from(token))
                .fetch_optional(pool)
                .await
        })?;
        owner
            .map(|o| uuid_of(&o, "customer id").map(CustomerId::from_uuid))
            .transpose()
    }

    /// Marks a pay code used inside `tx`; `false` when it was used before.
    /// As a statement for a batch (`crate::batch`): one row, none when the code was used before.
    pub fn take_paycode_stmt(
        token: u32,
        issued_at: i64,
        nonce: u16,
        keep_until: Timestamp,
    ) -> Stmt {
        stmt!(
            "INSERT INTO used_paycodes (token_ref, issued_at, nonce, keep_until_ns) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            i64::from(token),
            issued_at,
            i64::from(nonce),
            ns(keep_until),
        )
    }
}
