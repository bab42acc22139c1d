//! Merchant staff logins and their page sessions (migration `0007_merchant_staff.sql`,
//! docs/web.md "Merchant portal"): a password only as its argon2id PHC string, a session token
//! only as its SHA-256; and the merchant's static codes, listed for printing.

use cardlife_kernel::MerchantId;
use jiff::Timestamp;
use sqlx::Row;

use super::{instant, is_unique_violation, ns, uuid_of};
use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::tx::{Tx, on_tx};

/// A staff login as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    /// The staff member.
    pub id: uuid::Uuid,
    /// Whose staff.
    pub merchant: MerchantId,
    /// Login name.
    pub login: String,
    /// The argon2id PHC string.
    pub password_phc: String,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A staff session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSessionRecord {
    /// The session.
    pub id: uuid::Uuid,
    /// Whose.
    pub staff: uuid::Uuid,
    /// SHA-256 of the token.
    pub token_hash: [u8; 32],
    /// When it started.
    pub created_at: Timestamp,
    /// The last valid request.
    pub last_seen_at: Timestamp,
    /// When it was logged out.
    pub ended_at: Option<Timestamp>,
}

/// The staff tables.
#[derive(Debug, Clone)]
pub struct StaffStore {
    db: Db,
}

macro_rules! staff_from {
    ($r:expr) => {{
        let r = $r;
        let id: String = r.try_get("id")?;
        let merchant: String = r.try_get("merchant_id")?;
        Ok::<_, StoreError>(StaffRecord {
            id: uuid_of(&id, "staff id")?,
            merchant: MerchantId::from_uuid(uuid_of(&merchant, "merchant id")?),
            login: r.try_get("login")?,
            password_phc: r.try_get("password_phc")?,
            created_at: instant(r.try_get("created_at_ns")?)?,
        })
    }};
}

impl StaffStore {
    /// The tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Creates a staff login inside `tx` (the application's); `Ok(false)` when the login is taken.
    pub async fn insert(tx: &mut Tx, s: &StaffRecord) -> Result<bool, StoreError> {
        let sql = "INSERT INTO merchant_staff (id, merchant_id, login, password_phc, created_at_ns) \
                   VALUES ($1, $2, $3, $4, $5)";
        let result = on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(s.id.to_string())
                .bind(s.merchant.as_uuid().to_string())
                .bind(&s.login)
                .bind(&s.password_phc)
                .bind(ns(s.created_at))
                .execute(conn)
                .await
                .map(|_| ())
        });
        match result {
            Ok(()) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// A staff login by name.
    pub async fn by_login(&self, login: &str) -> Result<Option<StaffRecord>, StoreError> {
        let sql = "SELECT id, merchant_id, login, password_phc, created_at_ns \
                   FROM merchant_staff WHERE login = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(login)
                .fetch_optional(pool)
                .await?
                .map(|r| staff_from!(&r))
                .transpose()
        })
    }

    /// A staff login by id.
    pub async fn by_id(&self, id: uuid::Uuid) -> Result<Option<StaffRecord>, StoreError> {
        let sql = "SELECT id, merchant_id, login, password_phc, created_at_ns \
                   FROM merchant_staff WHERE id = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| staff_from!(&r))
                .transpose()
        })
    }

    /// Stores a new session.
    pub async fn insert_session(&self, s: &StaffSessionRecord) -> Result<(), StoreError> {
        let sql = "INSERT INTO merchant_staff_sessions \
                   (id, staff_id, token_hash, created_at_ns, last_seen_at_ns, ended_at_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6)";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(s.id.to_string())
                .bind(s.staff.to_string())
                .bind(s.token_hash.as_slice())
                .bind(ns(s.created_at))
                .bind(ns(s.last_seen_at))
                .bind(s.ended_at.map(ns))
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// The session holding this token hash.
    pub async fn session_by_token(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<StaffSessionRecord>, StoreError> {
        let sql = "SELECT id, staff_id, created_at_ns, last_seen_at_ns, ended_at_ns \
                   FROM merchant_staff_sessions WHERE token_hash = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(token_hash.as_slice())
                .fetch_optional(pool)
                .await?
                .map(|r| -> Result<StaffSessionRecord, StoreError> {
                    let id: String = r.try_get("id")?;
                    let staff: String = r.try_get("staff_id")?;
                    Ok(StaffSessionRecord {
                        id: uuid_of(&id, "session id")?,
                        staff: uuid_of(&staff, "staff id")?,
                        token_hash: *token_hash,
                        created_at: instant(r.try_get("created_at_ns")?)?,
                        last_seen_at: instant(r.try_get("last_seen_at_ns")?)?,
                        ended_at: r
                            .try_get::<Option<i64>, _>("ended_at_ns")?
                            .map(instant)
                            .transpose()?,
                    })
                })
                .transpose()
        })
    }

    /// Records a session's activity.
    pub async fn touch_session(&self, id: uuid::Uuid, at: Timestamp) -> Result<(), StoreError> {
        let sql = "UPDATE merchant_staff_sessions SET last_seen_at_ns = $2 WHERE id = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.to_string())
                .bind(ns(at))
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Ends the session holding this token hash (logout); nothing when there is none.
    pub async fn end_session(
        &self,
        token_hash: &[u8; 32],
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE merchant_staff_sessions SET ended_at_ns = $2 \
                   WHERE token_hash = $1 AND ended_at_ns IS NULL";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(token_hash.as_slice())
                .bind(ns(at))
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Ends the operator session holding this token hash (the console's logout).
    pub async fn end_operator_session(
        &self,
        token_hash: &[u8; 32],
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE operator_sessions SET ended_at_ns = $2 \
                   WHERE token_hash = $1 AND ended_at_ns IS NULL";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(token_hash.as_slice())
                .bind(ns(at))
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// A merchant's codes of `kind` (`static`, `dynamic`), newest first, as (id, payload).
    pub async fn codes_of(
        &self,
        merchant: MerchantId,
        kind: &str,
        limit: u32,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let sql = "SELECT id, payload FROM qr_codes WHERE merchant_id = $1 AND kind = $2 \
                   ORDER BY created_at_ns DESC, id DESC LIMIT $3";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(merchant.as_uuid().to_string())
                .bind(kind)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("payload")?)))
                .collect()
        })
    }
}
