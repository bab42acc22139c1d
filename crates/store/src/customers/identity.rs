//! Real-name details and devices of customers on either backend (docs/identity.md).

use cardlife_customers::{SealedRealName, VaultKeyId};
use cardlife_kernel::CustomerId;
use jiff::Timestamp;
use sqlx::Row;

use super::{CustomerStore, instant, is_unique_violation, ns};
use crate::both::on_pool;
use crate::error::StoreError;
use crate::tx::{Tx, on_tx};

/// A customer's stored real-name details: masked forms in clear, the rest sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealNameRecord {
    /// `张*`.
    pub name_masked: String,
    /// `110***********002X`.
    pub id_masked: String,
    /// Name and ID, sealed.
    pub sealed: SealedRealName,
    /// When the real-name check passed.
    pub verified_at: Option<Timestamp>,
    /// Why the real-name check refused the details, when it did.
    pub rejected: Option<String>,
    /// When the details were last set.
    pub updated_at: Timestamp,
}

/// One device a customer logged in from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// The device's id (a UUID).
    pub id: String,
    /// Its hash (see `cardlife_customers::DeviceHint::fingerprint`).
    pub fingerprint: [u8; 32],
    /// The name the client gave.
    pub name: String,
    /// The first login from it.
    pub first_seen: Timestamp,
    /// The latest login from it.
    pub last_seen: Timestamp,
}

impl CustomerStore {
    /// The customer's real-name details, if given.
    pub async fn real_name(
        &self,
        customer: CustomerId,
    ) -> Result<Option<RealNameRecord>, StoreError> {
        let sql = "SELECT name_masked, id_masked, seal_key_id, seal_nonce, sealed, verified_at_ns, \
                   rejected, updated_at_ns FROM customer_real_names WHERE customer_id = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(customer.as_uuid().to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| -> Result<_, StoreError> {
                    let key_id: i64 = r.try_get("seal_key_id")?;
                    let nonce: Vec<u8> = r.try_get("seal_nonce")?;
                    Ok(RealNameRecord {
                        name_masked: r.try_get("name_masked")?,
                        id_masked: r.try_get("id_masked")?,
                        sealed: SealedRealName {
                            key_id: VaultKeyId(
                                u32::try_from(key_id)
                                    .map_err(|_| StoreError::Corrupt("real-name key id"))?,
                            ),
                            nonce: nonce
                                .try_into()
                                .map_err(|_| StoreError::Corrupt("real-name nonce"))?,
                            ciphertext: r.try_get("sealed")?,
                        },
                        verified_at: r
                            .try_get::<Option<i64>, _>("verified_at_ns")?
                            .map(instant)
                            .transpose()?,
                        rejected: r.try_get("rejected")?,
                        updated_at: instant(r.try_get("updated_at_ns")?)?,
                    })
                })
                .transpose()
        })
    }

    /// Sets (or replaces) the customer's details; `Ok(false)` when another customer holds the
    /// same resident ID (nothing written).
    pub async fn put_real_name(
        &self,
        customer: CustomerId,
        id_lookup: &[u8; 32],
        record: &RealNameRecord,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO customer_real_names (customer_id, id_lookup, name_masked, id_masked, \
                   seal_key_id, seal_nonce, sealed, verified_at_ns, rejected, updated_at_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                   ON CONFLICT (customer_id) DO UPDATE SET id_lookup = excluded.id_lookup, \
                   name_masked = excluded.name_masked, id_masked = excluded.id_masked, \
                   seal_key_id = excluded.seal_key_id, seal_nonce = excluded.seal_nonce, \
                   sealed = excluded.sealed, verified_at_ns = excluded.verified_at_ns, \
                   rejected = excluded.rejected, updated_at_ns = excluded.updated_at_ns";
        let result = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(customer.as_uuid().to_string())
                .bind(id_lookup.as_slice())
                .bind(&record.name_masked)
                .bind(&record.id_masked)
                .bind(i64::from(record.sealed.key_id.0))
                .bind(record.sealed.nonce.as_slice())
                .bind(record.sealed.ciphertext.as_slice())
                .bind(record.verified_at.map(ns))
                .bind(record.rejected.as_deref())
                .bind(ns(record.updated_at))
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

    /// Erases the customer's details; `Ok(false)` when there were none.
    pub async fn delete_real_name(&self, customer: CustomerId) -> Result<bool, StoreError> {
        let sql = "DELETE FROM customer_real_names WHERE customer_id = $1";
        let deleted = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(customer.as_uuid().to_string())
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(deleted == 1)
    }

    /// Whether the customer holds (or held) a credit account, a loan or a credit line: the bank
    /// keeps their real-name details then.
    pub async fn holds_credit(&self, customer: CustomerId) -> Result<bool, StoreError> {
        let sql = "SELECT (EXISTS (SELECT 1 FROM credit_accounts WHERE customer_id = $1) \
                   OR EXISTS (SELECT 1 FROM loans WHERE customer_id = $1) \
                   OR EXISTS (SELECT 1 FROM credit_lines WHERE customer_id = $1))";
        on_pool!(&self.db, |pool| {
            sqlx::query_scalar::<_, bool>(sql)
                .bind(customer.as_uuid().to_string())
                .fetch_one(pool)
                .await
        })
        .map_err(Into::into)
    }

    /// The customer's devices, most recently used first.
    pub async fn devices(&self, customer: CustomerId) -> Result<Vec<DeviceRecord>, StoreError> {
        let sql = "SELECT id, fingerprint, name, first_seen_ns, last_seen_ns FROM customer_devices \
                   WHERE customer_id = $1 ORDER BY last_seen_ns DESC, id";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(customer.as_uuid().to_string())
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| -> Result<_, StoreError> {
                    let fingerprint: Vec<u8> = r.try_get("fingerprint")?;
                    Ok(DeviceRecord {
                        id: r.try_get("id")?,
                        fingerprint: fingerprint
                            .try_into()
                            .map_err(|_| StoreError::Corrupt("device fingerprint"))?,
                        name: r.try_get("name")?,
                        first_seen: instant(r.try_get("first_seen_ns")?)?,
                        last_seen: instant(r.try_get("last_seen_ns")?)?,
                    })
                })
                .collect()
        })
    }

    /// Signs the customer out of one of their devices: ends every open session started on it and
    /// forgets it, in one transaction. `Ok(false)` when the customer has no such device.
    pub async fn remove_device(
        &self,
        customer: CustomerId,
        device: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let customer = customer.as_uuid().to_string();
        let mut tx = Tx::begin(&self.db).await?;
        let owned: Option<String> = on_tx!(&mut tx, |conn| {
            sqlx::query_scalar("SELECT id FROM customer_devices WHERE id = $1 AND customer_id = $2")
                .bind(device)
                .bind(&customer)
                .fetch_optional(conn)
                .await?
        });
        if owned.is_none() {
            return Ok(false);
        }
        on_tx!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE customer_sessions SET ended_at_ns = COALESCE(ended_at_ns, $2), \
                 device_id = NULL WHERE device_id = $1",
            )
            .bind(device)
            .bind(ns(now))
            .execute(&mut *conn)
            .await?;
            sqlx::query("DELETE FROM customer_devices WHERE id = $1")
                .bind(device)
                .execute(&mut *conn)
                .await?;
        });
        tx.commit().await?;
        Ok(true)
    }

    /// Notes a login from a device (created on first use, renamed and touched after) and returns
    /// it with whether it is new to this customer.
    pub(super) async fn note_device(
        tx: &mut Tx,
        customer: CustomerId,
        fingerprint: &[u8; 32],
        name: &str,
        now: Timestamp,
    ) -> Result<(String, bool), StoreError> {
        let proposed = uuid::Uuid::now_v7().to_string();
        let sql = "INSERT INTO customer_devices \
                   (id, customer_id, fingerprint, name, first_seen_ns, last_seen_ns) \
                   VALUES ($1, $2, $3, $4, $5, $5) \
                   ON CONFLICT (customer_id, fingerprint) DO UPDATE SET name = excluded.name, \
                   last_seen_ns = excluded.last_seen_ns RETURNING id";
        let id: String = on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(&proposed)
                .bind(customer.as_uuid().to_string())
                .bind(fingerprint.as_slice())
                .bind(name)
                .bind(ns(now))
                .fetch_one(conn)
                .await?
                .try_get("id")?
        });
        let new = id == proposed;
        Ok((id, new))
    }
}
