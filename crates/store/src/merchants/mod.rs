//! Merchants and everything the acquiring side stores (docs/merchants.md): operators and their
//! sessions (`operators`), merchants with their sealed settlement account, stores, cashiers,
//! signing keys and request nonces (here), QR codes, payment orders, refunds, per-payer daily
//! spend, idempotency keys and pay-code tokens (`orders`). Writes that belong to one use case take
//! the open [`Tx`] so they commit with their audit entry; reads take the [`Db`].

pub mod authorisations;
pub mod fees;
pub mod follow_ups;
pub mod incentives;
pub mod installment_terms;
pub mod operators;
pub mod orders;
pub mod settlement;
pub mod staff;
pub mod webhooks;

use cardlife_kernel::MerchantId;
use jiff::Timestamp;
use sqlx::Row;

use crate::batch::{Batch, Stmt, stmt};
use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::tx::{Tx, on_tx};

pub(crate) fn ns(t: Timestamp) -> i64 {
    // Nanoseconds since 1970 fit an i64 until 2262.
    i64::try_from(t.as_nanosecond()).unwrap_or(i64::MAX)
}

pub(crate) fn instant(v: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_nanosecond(i128::from(v)).map_err(|_| StoreError::Corrupt("instant"))
}

pub(crate) fn uuid_of(text: &str, what: &'static str) -> Result<uuid::Uuid, StoreError> {
    text.parse::<uuid::Uuid>()
        .map_err(|_| StoreError::Corrupt(what))
}

/// Whether `e` is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// A merchant as stored. The settlement account is sealed (AES-256-GCM) with a keyed lookup
/// hash and a masked form; the fee plan is the MDR schedule's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantRecord {
    /// The merchant.
    pub id: MerchantId,
    /// Trading name (tag 59 of its codes).
    pub name: String,
    /// City (tag 60).
    pub city: String,
    /// Street address.
    pub address: String,
    /// Merchant category code, four digits.
    pub mcc: String,
    /// `pending`, `approved`, `rejected` or `suspended`.
    pub status: String,
    /// Why it was rejected or suspended.
    pub reason: Option<String>,
    /// MDR rate as a decimal string (`0.006`).
    pub mdr_rate: String,
    /// MDR minimum per payment, fen.
    pub mdr_minimum_fen: i64,
    /// MDR cap per payment, fen.
    pub mdr_cap_fen: Option<i64>,
    /// HMAC of the settlement account number under the lookup key.
    pub account_lookup: Vec<u8>,
    /// The sealing key's id.
    pub account_key_id: i64,
    /// The AES-GCM nonce.
    pub account_nonce: Vec<u8>,
    /// Ciphertext and tag.
    pub account_sealed: Vec<u8>,
    /// `6222****1234`.
    pub account_masked: String,
    /// The ledger account the merchant is owed on.
    pub payable_account: u128,
    /// When it applied.
    pub created_at: Timestamp,
    /// When an operator last decided on it.
    pub reviewed_at: Option<Timestamp>,
}

macro_rules! merchant_from {
    ($r:expr) => {{
        let r = $r;
        let id: String = r.try_get("id")?;
        let payable: String = r.try_get("payable_account")?;
        Ok::<_, StoreError>(MerchantRecord {
            id: MerchantId::from_uuid(uuid_of(&id, "merchant id")?),
            name: r.try_get("name")?,
            city: r.try_get("city")?,
            address: r.try_get("address")?,
            mcc: r.try_get("mcc")?,
            status: r.try_get("status")?,
            reason: r.try_get("reason")?,
            mdr_rate: r.try_get("mdr_rate")?,
            mdr_minimum_fen: r.try_get("mdr_minimum_fen")?,
            mdr_cap_fen: r.try_get("mdr_cap_fen")?,
            account_lookup: r.try_get("account_lookup")?,
            account_key_id: r.try_get("account_key_id")?,
            account_nonce: r.try_get("account_nonce")?,
            account_sealed: r.try_get("account_sealed")?,
            account_masked: r.try_get("account_masked")?,
            payable_account: uuid_of(&payable, "payable account")?.as_u128(),
            created_at: instant(r.try_get("created_at_ns")?)?,
            reviewed_at: r
                .try_get::<Option<i64>, _>("reviewed_at_ns")?
                .map(instant)
                .transpose()?,
        })
    }};
}

/// Selects every column `merchant_from!` reads, from `merchants`, then `$rest`.
macro_rules! select_merchant {
    ($rest:literal) => {
        concat!(
            "SELECT id, name, city, address, mcc, status, reason, mdr_rate, mdr_minimum_fen, ",
            "mdr_cap_fen, account_lookup, account_key_id, account_nonce, account_sealed, ",
            "account_masked, payable_account, created_at_ns, reviewed_at_ns FROM merchants ",
            $rest
        )
    };
}

/// A signing key as stored: the secret sealed with AES-256-GCM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// The public key id (`mk_…`).
    pub key_id: String,
    /// Whose key.
    pub merchant: MerchantId,
    /// The sealing key's id.
    pub seal_key_id: i64,
    /// The AES-GCM nonce.
    pub nonce: Vec<u8>,
    /// Ciphertext and tag.
    pub sealed: Vec<u8>,
    /// When it was made.
    pub created_at: Timestamp,
}

/// A printed or per-order QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRecord {
    /// The code's id (carried in the payload).
    pub id: String,
    /// Whose code.
    pub merchant: MerchantId,
    /// `static` or `dynamic`.
    pub kind: String,
    /// The EMVCo payload.
    pub payload: String,
}

/// The merchants' tables.
#[derive(Debug, Clone)]
pub struct MerchantStore {
    db: Db,
}

impl MerchantStore {
    /// The tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The store handle (for [`Tx::begin`]).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Stores a new application.
    pub async fn insert_merchant(tx: &mut Tx, m: &MerchantRecord) -> Result<(), StoreError> {
        let sql = "INSERT INTO merchants (id, name, city, address, mcc, status, reason, mdr_rate, \
                   mdr_minimum_fen, mdr_cap_fen, account_lookup, account_key_id, account_nonce, \
                   account_sealed, account_masked, payable_account, created_at_ns, reviewed_at_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(m.id.as_uuid().to_string())
                .bind(&m.name)
                .bind(&m.city)
                .bind(&m.address)
                .bind(&m.mcc)
                .bind(&m.status)
                .bind(&m.reason)
                .bind(&m.mdr_rate)
                .bind(m.mdr_minimum_fen)
                .bind(m.mdr_cap_fen)
                .bind(&m.account_lookup)
                .bind(m.account_key_id)
                .bind(&m.account_nonce)
                .bind(&m.account_sealed)
                .bind(&m.account_masked)
                .bind(uuid::Uuid::from_u128(m.payable_account).to_string())
                .bind(ns(m.created_at))
                .bind(m.reviewed_at.map(ns))
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Moves a merchant from `from` to `to` (with a reason); `false` when it was not in `from`.
    pub async fn set_status(
        tx: &mut Tx,
        id: MerchantId,
        from: &[&str],
        to: &str,
        reason: Option<&str>,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        // At most three source states; unused slots repeat the first.
        let pick = |i: usize| from.get(i).or(from.first()).copied().unwrap_or("");
        let sql = "UPDATE merchants SET status = $2, reason = $3, reviewed_at_ns = $4 \
                   WHERE id = $1 AND status IN ($5, $6, $7)";
        let n = on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(id.as_uuid().to_string())
                .bind(to)
                .bind(reason)
                .bind(ns(at))
                .bind(pick(0))
                .bind(pick(1))
                .bind(pick(2))
                .execute(conn)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// A merchant by id.
    pub async fn merchant(&self, id: MerchantId) -> Result<Option<MerchantRecord>, StoreError> {
        let sql = select_merchant!("WHERE id = $1");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.as_uuid().to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| merchant_from!(&r))
                .transpose()
        })
    }

    /// Merchants in `status`, oldest first (the review queue), at most `limit`.
    pub async fn by_status(
        &self,
        status: &str,
        limit: u32,
    ) -> Result<Vec<MerchantRecord>, StoreError> {
        let sql = select_merchant!("WHERE status = $1 ORDER BY created_at_ns, id LIMIT $2");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(status)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| merchant_from!(r))
                .collect()
        })
    }

    /// Adds a store of `merchant`.
    pub async fn insert_store(
        tx: &mut Tx,
        id: &str,
        merchant: MerchantId,
        name: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO merchant_stores (id, merchant_id, name, created_at_ns) \
                   VALUES ($1, $2, $3, $4)";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(id)
                .bind(merchant.as_uuid().to_string())
                .bind(name)
                .bind(ns(at))
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Adds a cashier to a store of `merchant`; `false` when the store is not the merchant's.
    pub async fn insert_cashier(
        tx: &mut Tx,
        id: &str,
        store: &str,
        merchant: MerchantId,
        name: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO merchant_cashiers (id, store_id, merchant_id, name, created_at_ns) \
                   SELECT $1, id, merchant_id, $4, $5 FROM merchant_stores \
                   WHERE id = $2 AND merchant_id = $3";
        let n = on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(id)
                .bind(store)
                .bind(merchant.as_uuid().to_string())
                .bind(name)
                .bind(ns(at))
                .execute(conn)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Stores a new signing key.
    pub async fn insert_key(tx: &mut Tx, k: &KeyRecord) -> Result<(), StoreError> {
        let sql = "INSERT INTO merchant_keys \
                   (key_id, merchant_id, seal_key_id, nonce, sealed, created_at_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6)";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(&k.key_id)
                .bind(k.merchant.as_uuid().to_string())
                .bind(k.seal_key_id)
                .bind(&k.nonce)
                .bind(&k.sealed)
                .bind(ns(k.created_at))
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Retires a key.
    pub async fn retire_key(tx: &mut Tx, key_id: &str, at: Timestamp) -> Result<(), StoreError> {
        let sql = "UPDATE merchant_keys SET retired_at_ns = $2 WHERE key_id = $1";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(key_id)
                .bind(ns(at))
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// The merchant owning the key `key_id` (active or retired) with that merchant's active
    /// keys, oldest first, in one read; `None` when no such key exists.
    pub async fn key_owner_keys(
        &self,
        key_id: &str,
    ) -> Result<Option<(MerchantId, Vec<KeyRecord>)>, StoreError> {
        let sql = "SELECT o.merchant_id AS owner, k.key_id, k.seal_key_id, k.nonce, k.sealed, \
                   k.created_at_ns FROM merchant_keys o LEFT JOIN merchant_keys k \
                   ON k.merchant_id = o.merchant_id AND k.retired_at_ns IS NULL \
                   WHERE o.key_id = $1 ORDER BY k.created_at_ns, k.key_id";
        on_pool!(&self.db, |pool| {
            let rows = sqlx::query(sql).bind(key_id).fetch_all(pool).await?;
            let Some(first) = rows.first() else {
                return Ok(None);
            };
            let owner: String = first.try_get("owner")?;
            let merchant = MerchantId::from_uuid(uuid_of(&owner, "merchant id")?);
            let mut keys = Vec::with_capacity(rows.len());
            for r in &rows {
                // No active key left: the one row the join keeps has no key.
                let Some(key_id) = r.try_get::<Option<String>, _>("key_id")? else {
                    continue;
                };
                keys.push(KeyRecord {
                    key_id,
                    merchant,
                    seal_key_id: r.try_get("seal_key_id")?,
                    nonce: r.try_get("nonce")?,
                    sealed: r.try_get("sealed")?,
                    created_at: instant(r.try_get("created_at_ns")?)?,
                });
            }
            Ok(Some((merchant, keys)))
        })
    }

    /// A merchant's active keys, oldest first.
    pub async fn active_keys(&self, merchant: MerchantId) -> Result<Vec<KeyRecord>, StoreError> {
        let sql = "SELECT key_id, merchant_id, seal_key_id, nonce, sealed, created_at_ns \
                   FROM merchant_keys WHERE merchant_id = $1 AND retired_at_ns IS NULL \
                   ORDER BY created_at_ns, key_id";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(merchant.as_uuid().to_string())
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| -> Result<KeyRecord, StoreError> {
                    Ok(KeyRecord {
                        key_id: r.try_get("key_id")?,
                        merchant,
                        seal_key_id: r.try_get("seal_key_id")?,
                        nonce: r.try_get("nonce")?,
                        sealed: r.try_get("sealed")?,
                        created_at: instant(r.try_get("created_at_ns")?)?,
                    })
                })
                .collect()
        })
    }

    /// The statements that take the nonce slot of a verified request, and the index of the one
    /// whose row count says whether it was free (`1`; `0`: taken before, a replay). Slots past
    /// their `keep_until` are swept in the same batch (the timestamp check alone rejects
    /// those). The caller commits it, through the group writer.
    pub fn take_nonce_batch(
        key_id: &str,
        nonce: &str,
        keep_until: Timestamp,
        now: Timestamp,
    ) -> (Batch, usize) {
        let mut batch = Batch::new();
        batch.push(stmt!(
            "DELETE FROM merchant_nonces WHERE keep_until_ns < $1",
            ns(now)
        ));
        let insert = batch.push(stmt!(
            "INSERT INTO merchant_nonces (key_id, nonce, keep_until_ns) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            key_id,
            nonce,
            ns(keep_until),
        ));
        (batch, insert)
    }

    /// Stores a QR code.
    pub async fn insert_code(
        tx: &mut Tx,
        code: &CodeRecord,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        tx.run_one(Self::insert_code_stmt(code, at)).await?;
        Ok(())
    }

    /// [`Self::insert_code`]'s statement.
    pub fn insert_code_stmt(code: &CodeRecord, at: Timestamp) -> Stmt {
        stmt!(
            "INSERT INTO qr_codes (id, merchant_id, kind, payload, created_at_ns) \
             VALUES ($1, $2, $3, $4, $5)",
            &code.id,
            code.merchant.as_uuid().to_string(),
            &code.kind,
            &code.payload,
            ns(at),
        )
    }

    /// A QR code by id.
    pub async fn code(&self, id: &str) -> Result<Option<CodeRecord>, StoreError> {
        let sql = "SELECT id, merchant_id, kind, payload FROM qr_codes WHERE id = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id)
                .fetch_optional(pool)
                .await?
                .map(|r| -> Result<CodeRecord, StoreError> {
                    let merchant: String = r.try_get("merchant_id")?;
                    Ok(CodeRecord {
                        id: r.try_get("id")?,
                        merchant: MerchantId::from_uuid(uuid_of(&merchant, "merchant id")?),
                        kind: r.try_get("kind")?,
                        payload: r.try_get("payload")?,
                    })
                })
                .transpose()
        })
    }
}
