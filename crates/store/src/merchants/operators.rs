//! Operators (the bank's staff) and their sessions. A password is kept only as its argon2id PHC
//! string and a session token only as its SHA-256 (docs/merchants.md).

use jiff::Timestamp;
use sqlx::Row;

use super::{instant, is_unique_violation, ns, uuid_of};
use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::tx::{Tx, on_tx};

/// An operator as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorRecord {
    /// The operator.
    pub id: uuid::Uuid,
    /// The login name.
    pub login: String,
    /// The masked phone.
    pub phone_masked: String,
    /// `viewer`, `campaign_manager`, `merchant_reviewer`, `risk_officer` or `admin`.
    pub role: String,
    /// The argon2id PHC string.
    pub password_phc: String,
    /// When the operator was created.
    pub created_at: Timestamp,
}

/// An operator session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorSessionRecord {
    /// The session.
    pub id: uuid::Uuid,
    /// Whose.
    pub operator: uuid::Uuid,
    /// SHA-256 of the token.
    pub token_hash: [u8; 32],
    /// When it started.
    pub created_at: Timestamp,
    /// The last valid request.
    pub last_seen_at: Timestamp,
    /// When it was logged out.
    pub ended_at: Option<Timestamp>,
}

/// The operators' tables.
#[derive(Debug, Clone)]
pub struct OperatorStore {
    db: Db,
}

macro_rules! operator_from {
    ($r:expr) => {{
        let r = $r;
        let id: String = r.try_get("id")?;
        Ok::<_, StoreError>(OperatorRecord {
            id: uuid_of(&id, "operator id")?,
            login: r.try_get("login")?,
            phone_masked: r.try_get("phone_masked")?,
            role: r.try_get("role")?,
            password_phc: r.try_get("password_phc")?,
            created_at: instant(r.try_get("created_at_ns")?)?,
        })
    }};
}

impl OperatorStore {
    /// The tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Creates an operator inside `tx`; `Ok(false)` when the login is taken.
    pub async fn insert(tx: &mut Tx, o: &OperatorRecord) -> Result<bool, StoreError> {
        let sql = "INSERT INTO operators (id, login, phone_masked, role, password_phc, created_at_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6)";
        let result = on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(o.id.to_string())
                .bind(&o.login)
                .bind(&o.phone_masked)
                .bind(&o.role)
                .bind(&o.password_phc)
                .bind(ns(o.created_at))
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

    /// An operator by login name.
    pub async fn by_login(&self, login: &str) -> Result<Option<OperatorRecord>, StoreError> {
        let sql = "SELECT id, login, phone_masked, role, password_phc, created_at_ns \
                   FROM operators WHERE login = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(login)
                .fetch_optional(pool)
                .await?
                .map(|r| operator_from!(&r))
                .transpose()
        })
    }

    /// An operator by id.
    pub async fn by_id(&self, id: uuid::Uuid) -> Result<Option<OperatorRecord>, StoreError> {
        let sql = "SELECT id, login, phone_masked, role, password_phc, created_at_ns \
                   FROM operators WHERE id = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| operator_from!(&r))
                .transpose()
        })
    }

    /// Stores a new session.
    pub async fn insert_session(&self, s: &OperatorSessionRecord) -> Result<(), StoreError> {
        let sql = "INSERT INTO operator_sessions \
                   (id, operator_id, token_hash, created_at_ns, last_seen_at_ns, ended_at_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6)";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(s.id.to_string())
                .bind(s.operator.to_string())
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
    ) -> Result<Option<OperatorSessionRecord>, StoreError> {
        let sql = "SELECT id, operator_id, created_at_ns, last_seen_at_ns, ended_at_ns \
                   FROM operator_sessions WHERE token_hash = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(token_hash.as_slice())
                .fetch_optional(pool)
                .await?
                .map(|r| -> Result<OperatorSessionRecord, StoreError> {
                    let id: String = r.try_get("id")?;
                    let operator: String = r.try_get("operator_id")?;
                    Ok(OperatorSessionRecord {
                        id: uuid_of(&id, "session id")?,
                        operator: uuid_of(&operator, "operator id")?,
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
        let sql = "UPDATE operator_sessions SET last_seen_at_ns = $2 WHERE id = $1";
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
}
