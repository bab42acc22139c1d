//! Customers, their one-time-code challenges and their sessions, on either backend. Only
//! lookup HMACs, masked forms, argon2id PHC strings, code HMACs and token hashes are stored
//! (docs/domain.md §8); the types crossing this boundary are the customers context's own.

use cardlife_customers::{
    OtpChallenge, Phone, Session, SessionGeneration, SessionId, SessionTokenHash,
};
use cardlife_kernel::CustomerId;
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::tx::{Tx, on_tx};

mod identity;
mod session_changes;
mod session_lookup;

pub use identity::{DeviceRecord, RealNameRecord};
pub use session_changes::SessionChanges;
pub use session_lookup::Found;

/// A customer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRecord {
    /// The customer.
    pub id: CustomerId,
    /// The phone number, masked (`138****5678`).
    pub phone_masked: String,
    /// The argon2id PHC string, when the customer set a password.
    pub password_phc: Option<String>,
    /// Consecutive failed logins.
    pub login_failures: u32,
    /// Locked out until this instant, when locked.
    pub locked_until: Option<Timestamp>,
    /// Sessions started under an older generation are revoked.
    pub session_generation: SessionGeneration,
    /// When the customer registered.
    pub created_at: Timestamp,
}

/// The customers tables.
#[derive(Debug, Clone)]
pub struct CustomerStore {
    db: Db,
}

fn ns(t: Timestamp) -> i64 {
    // Nanoseconds since 1970 fit an i64 until 2262.
    i64::try_from(t.as_nanosecond()).unwrap_or(i64::MAX)
}

fn instant(v: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_nanosecond(i128::from(v)).map_err(|_| StoreError::Corrupt("instant"))
}

fn count(v: i64, what: &'static str) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(what))
}

fn bytes32(v: Vec<u8>, what: &'static str) -> Result<[u8; 32], StoreError> {
    v.try_into().map_err(|_| StoreError::Corrupt(what))
}

fn customer_id(text: &str) -> Result<CustomerId, StoreError> {
    text.parse::<uuid::Uuid>()
        .map(CustomerId::from_uuid)
        .map_err(|_| StoreError::Corrupt("customer id"))
}

/// Selects every column [`customer_from`] reads, from `customers`, ending before `WHERE`.
macro_rules! select_customer {
    ($where:literal) => {
        concat!(
            "SELECT id, phone_masked, password_phc, login_failures, locked_until_ns, ",
            "session_generation, created_at_ns FROM customers WHERE ",
            $where
        )
    };
}

fn customer_from<R: Row>(row: &R) -> Result<CustomerRecord, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = row.try_get("id")?;
    let generation: i64 = row.try_get("session_generation")?;
    Ok(CustomerRecord {
        id: customer_id(&id)?,
        phone_masked: row.try_get("phone_masked")?,
        password_phc: row.try_get("password_phc")?,
        login_failures: count(row.try_get("login_failures")?, "login failures")?,
        locked_until: row
            .try_get::<Option<i64>, _>("locked_until_ns")?
            .map(instant)
            .transpose()?,
        session_generation: SessionGeneration(
            u64::try_from(generation).map_err(|_| StoreError::Corrupt("session generation"))?,
        ),
        created_at: instant(row.try_get("created_at_ns")?)?,
    })
}

/// Whether `e` is a unique-constraint violation.
fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl CustomerStore {
    /// The customers tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Registers a customer; `Ok(false)` when the phone is already registered (nothing written).
    pub async fn insert(
        &self,
        id: CustomerId,
        phone_lookup: &[u8; 32],
        phone_masked: &str,
        password_phc: Option<&str>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO customers (id, phone_lookup, phone_masked, password_phc, created_at_ns) \
                   VALUES ($1, $2, $3, $4, $5)";
        let result = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.as_uuid().to_string())
                .bind(phone_lookup.as_slice())
                .bind(phone_masked)
                .bind(password_phc)
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

    /// The customer registered with this phone lookup token.
    pub async fn by_phone(
        &self,
        phone_lookup: &[u8; 32],
    ) -> Result<Option<CustomerRecord>, StoreError> {
        let sql = select_customer!("phone_lookup = $1");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(phone_lookup.as_slice())
                .fetch_optional(pool)
                .await?
                .map(|r| customer_from(&r))
                .transpose()
        })
    }

    /// A customer by id.
    pub async fn by_id(&self, id: CustomerId) -> Result<Option<CustomerRecord>, StoreError> {
        let sql = select_customer!("id = $1");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.as_uuid().to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| customer_from(&r))
                .transpose()
        })
    }

    /// Records the login throttle's state after an attempt.
    pub async fn set_throttle(
        &self,
        id: CustomerId,
        failures: u32,
        locked_until: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE customers SET login_failures = $2, locked_until_ns = $3 WHERE id = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.as_uuid().to_string())
                .bind(i64::from(failures))
                .bind(locked_until.map(ns))
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Sets a new password hash.
    pub async fn set_password(&self, id: CustomerId, phc: &str) -> Result<(), StoreError> {
        let sql = "UPDATE customers SET password_phc = $2 WHERE id = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(id.as_uuid().to_string())
                .bind(phc)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// "Logout everywhere": bumps the customer's session generation and returns the new one.
    pub async fn bump_generation(&self, id: CustomerId) -> Result<SessionGeneration, StoreError> {
        let sql = "UPDATE customers SET session_generation = session_generation + 1 \
                   WHERE id = $1 RETURNING session_generation";
        let generation: i64 = on_pool!(&self.db, |pool| {
            sqlx::query_scalar(sql)
                .bind(id.as_uuid().to_string())
                .fetch_one(pool)
                .await
        })?;
        u64::try_from(generation)
            .map(SessionGeneration)
            .map_err(|_| StoreError::Corrupt("session generation"))
    }

    /// The live challenge of a phone (restored around the phone the caller typed).
    pub async fn otp(
        &self,
        phone_lookup: &[u8; 32],
        phone: &Phone,
    ) -> Result<Option<OtpChallenge>, StoreError> {
        let sql = "SELECT code_mac, issued_at_ns, issued_on, sends_on_day, failed_attempts, used \
                   FROM otp_challenges WHERE phone_lookup = $1";
        on_pool!(&self.db, |pool| {
            let row = sqlx::query(sql)
                .bind(phone_lookup.as_slice())
                .fetch_optional(pool)
                .await?;
            row.map(|r| -> Result<OtpChallenge, StoreError> {
                let issued_on: String = r.try_get("issued_on")?;
                Ok(OtpChallenge::from_parts(
                    phone.clone(),
                    bytes32(r.try_get("code_mac")?, "code mac")?,
                    instant(r.try_get("issued_at_ns")?)?,
                    issued_on
                        .parse::<Date>()
                        .map_err(|_| StoreError::Corrupt("otp issue date"))?,
                    count(r.try_get("sends_on_day")?, "otp sends")?,
                    count(r.try_get("failed_attempts")?, "otp attempts")?,
                    r.try_get("used")?,
                ))
            })
            .transpose()
        })
    }

    /// Stores (replaces) the live challenge of a phone.
    pub async fn put_otp(
        &self,
        phone_lookup: &[u8; 32],
        challenge: &OtpChallenge,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO otp_challenges \
                   (phone_lookup, code_mac, issued_at_ns, issued_on, sends_on_day, failed_attempts, used) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) \
                   ON CONFLICT (phone_lookup) DO UPDATE SET code_mac = excluded.code_mac, \
                   issued_at_ns = excluded.issued_at_ns, issued_on = excluded.issued_on, \
                   sends_on_day = excluded.sends_on_day, failed_attempts = excluded.failed_attempts, \
                   used = excluded.used";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(phone_lookup.as_slice())
                .bind(challenge.code_mac().as_slice())
                .bind(ns(challenge.issued_at()))
                .bind(challenge.issued_on().to_string())
                .bind(i64::from(challenge.sends_on_day()))
                .bind(i64::from(challenge.failed_attempts()))
                .bind(challenge.is_used())
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Stores a new session and, when the client named its device (fingerprint and name), notes
    /// the device and ties the session to it, in one transaction. Answers the device's id and
    /// whether it is new to the customer.
    pub async fn insert_session(
        &self,
        session: &Session,
        device: Option<(&[u8; 32], &str)>,
    ) -> Result<Option<(String, bool)>, StoreError> {
        let sql = "INSERT INTO customer_sessions \
                   (id, customer_id, token_hash, generation, created_at_ns, last_seen_at_ns, \
                   ended_at_ns, device_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let mut tx = Tx::begin(&self.db).await?;
        let noted = match device {
            Some((fingerprint, name)) => Some(
                Self::note_device(
                    &mut tx,
                    session.customer(),
                    fingerprint,
                    name,
                    session.created_at(),
                )
                .await?,
            ),
            None => None,
        };
        let generation = generation_i64(session.generation())?;
        on_tx!(&mut tx, |conn| {
            sqlx::query(sql)
                .bind(session.id().as_uuid().to_string())
                .bind(session.customer().as_uuid().to_string())
                .bind(session.token_hash().as_bytes().as_slice())
                .bind(generation)
                .bind(ns(session.created_at()))
                .bind(ns(session.last_seen_at()))
                .bind(session.ended_at().map(ns))
                .bind(noted.as_ref().map(|(id, _)| id.as_str()))
                .execute(conn)
                .await?;
        });
        tx.commit().await?;
        Ok(noted)
    }

    /// The session holding this token hash, with its customer's current generation.
    pub async fn session_by_token(
        &self,
        token_hash: &SessionTokenHash,
    ) -> Result<Option<(Session, SessionGeneration)>, StoreError> {
        let mut found = self
            .sessions_by_tokens(std::slice::from_ref(token_hash))
            .await?;
        Ok(found.pop().map(|(_, s)| s))
    }

    /// The sessions holding any of these token hashes (unknown ones are left out), each with its
    /// customer's current generation, in one query: what `authenticate` reads for many
    /// concurrent requests at once. Equal hashes may repeat (the query text depends only on
    /// `token_hashes.len()`, so callers may pad to a few fixed sizes).
    pub async fn sessions_by_tokens(
        &self,
        token_hashes: &[SessionTokenHash],
    ) -> Result<Vec<(SessionTokenHash, (Session, SessionGeneration))>, StoreError> {
        if token_hashes.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = (1..=token_hashes.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT s.id, s.customer_id, s.token_hash, s.generation, s.created_at_ns, \
             s.last_seen_at_ns, s.ended_at_ns, c.session_generation \
             FROM customer_sessions s JOIN customers c ON c.id = s.customer_id \
             WHERE s.token_hash IN ({})",
            list.join(", ")
        );
        on_pool!(&self.db, |pool| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for h in token_hashes {
                q = q.bind(h.as_bytes().as_slice());
            }
            q.fetch_all(pool)
                .await?
                .iter()
                .map(|r| -> Result<_, StoreError> {
                    let id: String = r.try_get("id")?;
                    let customer: String = r.try_get("customer_id")?;
                    let hash = SessionTokenHash::from_bytes(bytes32(
                        r.try_get("token_hash")?,
                        "session token hash",
                    )?);
                    let session = Session::from_parts(
                        id.parse::<uuid::Uuid>()
                            .map(SessionId::from_uuid)
                            .map_err(|_| StoreError::Corrupt("session id"))?,
                        customer_id(&customer)?,
                        hash,
                        generation_of(r.try_get("generation")?)?,
                        instant(r.try_get("created_at_ns")?)?,
                        instant(r.try_get("last_seen_at_ns")?)?,
                        r.try_get::<Option<i64>, _>("ended_at_ns")?
                            .map(instant)
                            .transpose()?,
                    );
                    Ok((
                        hash,
                        (session, generation_of(r.try_get("session_generation")?)?),
                    ))
                })
                .collect()
        })
    }

    /// Records a session's activity, rotation or end (every mutable field).
    pub async fn update_session(&self, session: &Session) -> Result<(), StoreError> {
        let sql = "UPDATE customer_sessions SET token_hash = $2, last_seen_at_ns = $3, \
                   ended_at_ns = $4 WHERE id = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(session.id().as_uuid().to_string())
                .bind(session.token_hash().as_bytes().as_slice())
                .bind(ns(session.last_seen_at()))
                .bind(session.ended_at().map(ns))
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }
}

fn generation_i64(g: SessionGeneration) -> Result<i64, StoreError> {
    i64::try_from(g.0).map_err(|_| StoreError::Corrupt("session generation"))
}

fn generation_of(v: i64) -> Result<SessionGeneration, StoreError> {
    u64::try_from(v)
        .map(SessionGeneration)
        .map_err(|_| StoreError::Corrupt("session generation"))
}
