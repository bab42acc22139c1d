//! Merchant webhooks (docs/merchants.md, "Webhooks"): each merchant's endpoint with its sealed
//! secret, the outbox of events (written inside the transaction of the change they report) and
//! every delivery attempt.

use cardlife_kernel::MerchantId;
use jiff::Timestamp;
use sqlx::Row;

use super::{instant, ns, uuid_of};
use crate::batch::{Stmt, stmt};
use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::tx::{Tx, on_tx};

/// A merchant's endpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRecord {
    /// Whose.
    pub merchant: MerchantId,
    /// Where events are POSTed.
    pub url: String,
    /// The sealing key's id.
    pub seal_key_id: i64,
    /// The AES-GCM nonce.
    pub nonce: Vec<u8>,
    /// The sealed secret.
    pub sealed: Vec<u8>,
    /// The first 16 hex digits of the secret's SHA-256.
    pub fingerprint: String,
    /// Set or last changed.
    pub updated_at: Timestamp,
}

/// One event of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// `evt_<32 hex>`.
    pub id: String,
    /// For whom.
    pub merchant: MerchantId,
    /// `order.paid`, `order.refunded`, `settlement.completed`.
    pub event_type: String,
    /// The JSON body sent.
    pub payload: String,
    /// When the change happened.
    pub created_at: Timestamp,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<Timestamp>,
    /// When it was delivered or given up.
    pub done_at: Option<Timestamp>,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// The event.
    pub event_id: String,
    /// 1 for the first.
    pub number: i64,
    /// When it was sent.
    pub at: Timestamp,
    /// The HTTP status answered; `None` when nothing was (timeout, refused connection).
    pub status: Option<i64>,
    /// What went wrong, briefly.
    pub error: Option<String>,
    /// How long the attempt took.
    pub duration_ms: i64,
}

macro_rules! event_from {
    ($r:expr) => {{
        let r = $r;
        let merchant: String = r.try_get("merchant_id")?;
        Ok::<_, StoreError>(EventRecord {
            id: r.try_get("id")?,
            merchant: MerchantId::from_uuid(uuid_of(&merchant, "merchant id")?),
            event_type: r.try_get("event_type")?,
            payload: r.try_get("payload")?,
            created_at: instant(r.try_get("created_at_ns")?)?,
            state: r.try_get("state")?,
            attempts: r.try_get("attempts")?,
            next_attempt_at: r
                .try_get::<Option<i64>, _>("next_attempt_at_ns")?
                .map(instant)
                .transpose()?,
            done_at: r
                .try_get::<Option<i64>, _>("done_at_ns")?
                .map(instant)
                .transpose()?,
        })
    }};
}

macro_rules! select_event {
    ($rest:literal) => {
        concat!(
            "SELECT id, merchant_id, event_type, payload, created_at_ns, state, attempts, ",
            "next_attempt_at_ns, done_at_ns FROM webhook_events ",
            $rest
        )
    };
}

/// The webhook tables.
#[derive(Debug, Clone)]
pub struct WebhookStore {
    db: Db,
}

impl WebhookStore {
    /// The tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Sets (or replaces) the merchant's endpoint and secret.
    pub async fn put_endpoint(tx: &mut Tx, e: &EndpointRecord) -> Result<(), StoreError> {
        let sql = "INSERT INTO merchant_webhooks (merchant_id, url, seal_key_id, nonce, sealed, \
                   fingerprint, updated_at_ns) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                   ON CONFLICT (merchant_id) DO UPDATE SET url = excluded.url, \
                   seal_key_id = excluded.seal_key_id, nonce = excluded.nonce, \
                   sealed = excluded.sealed, fingerprint = excluded.fingerprint, \
                   updated_at_ns = excluded.updated_at_ns";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(e.merchant.as_uuid().to_string())
                .bind(&e.url)
                .bind(e.seal_key_id)
                .bind(&e.nonce)
                .bind(&e.sealed)
                .bind(&e.fingerprint)
                .bind(ns(e.updated_at))
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// The merchant's endpoint, if it set one.
    pub async fn endpoint(
        &self,
        merchant: MerchantId,
    ) -> Result<Option<EndpointRecord>, StoreError> {
        let sql = "SELECT merchant_id, url, seal_key_id, nonce, sealed, fingerprint, updated_at_ns \
                   FROM merchant_webhooks WHERE merchant_id = $1";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(merchant.as_uuid().to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| {
                    Ok::<_, StoreError>(EndpointRecord {
                        merchant,
                        url: r.try_get("url")?,
                        seal_key_id: r.try_get("seal_key_id")?,
                        nonce: r.try_get("nonce")?,
                        sealed: r.try_get("sealed")?,
                        fingerprint: r.try_get("fingerprint")?,
                        updated_at: instant(r.try_get("updated_at_ns")?)?,
                    })
                })
                .transpose()
        })
    }

    /// Adds an event to the outbox inside the transaction of the change it reports, due at
    /// once — only when the merchant has an endpoint. `Ok(false)` when nothing was written (no
    /// endpoint, or the event id exists already).
    /// As a statement for a batch (`crate::batch`): one row, none when nothing was written.
    pub fn enqueue_stmt(
        id: &str,
        merchant: MerchantId,
        event_type: &str,
        payload: &str,
        at: Timestamp,
    ) -> Stmt {
        stmt!(
            "INSERT INTO webhook_events (id, merchant_id, event_type, payload, \
             created_at_ns, state, attempts, next_attempt_at_ns, done_at_ns) \
             SELECT $1, $2, $3, $4, $5, 'pending', 0, $5, NULL \
             WHERE EXISTS (SELECT 1 FROM merchant_webhooks WHERE merchant_id = $2) \
             ON CONFLICT (id) DO NOTHING",
            id,
            merchant.as_uuid().to_string(),
            event_type,
            payload,
            ns(at),
        )
    }

    /// Pending events due at `now`, oldest due first, at most `limit`.
    pub async fn due(&self, now: Timestamp, limit: u32) -> Result<Vec<EventRecord>, StoreError> {
        let sql = select_event!(
            "WHERE state = 'pending' AND next_attempt_at_ns <= $1 \
             ORDER BY next_attempt_at_ns, id LIMIT $2"
        );
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(ns(now))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| event_from!(r))
                .collect()
        })
    }

    /// The merchant's events, newest first, at most `limit`.
    pub async fn events_of(
        &self,
        merchant: MerchantId,
        limit: u32,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let sql =
            select_event!("WHERE merchant_id = $1 ORDER BY created_at_ns DESC, id DESC LIMIT $2");
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(merchant.as_uuid().to_string())
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| event_from!(r))
                .collect()
        })
    }

    /// The attempts on the merchant's events created at or after `since`, oldest first.
    pub async fn attempts_of(
        &self,
        merchant: MerchantId,
        since: Timestamp,
    ) -> Result<Vec<AttemptRecord>, StoreError> {
        let sql = "SELECT a.event_id, a.number, a.at_ns, a.status, a.error, a.duration_ms \
                   FROM webhook_attempts a JOIN webhook_events e ON e.id = a.event_id \
                   WHERE e.merchant_id = $1 AND e.created_at_ns >= $2 \
                   ORDER BY a.event_id, a.number";
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(merchant.as_uuid().to_string())
                .bind(ns(since))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(AttemptRecord {
                        event_id: r.try_get("event_id")?,
                        number: r.try_get("number")?,
                        at: instant(r.try_get("at_ns")?)?,
                        status: r.try_get("status")?,
                        error: r.try_get("error")?,
                        duration_ms: r.try_get("duration_ms")?,
                    })
                })
                .collect()
        })
    }

    /// Records an attempt and the event's new state, if the event still has the `after`
    /// attempts it had when the attempt was made; `Ok(false)` (nothing written) when another
    /// deliverer recorded one meanwhile.
    pub async fn record_attempt(
        tx: &mut Tx,
        event: &EventRecord,
        after: i64,
        attempt: &AttemptRecord,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE webhook_events SET state = $3, attempts = $4, next_attempt_at_ns = $5, \
                   done_at_ns = $6 WHERE id = $1 AND attempts = $2";
        let n = on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(&event.id)
                .bind(after)
                .bind(&event.state)
                .bind(event.attempts)
                .bind(event.next_attempt_at.map(ns))
                .bind(event.done_at.map(ns))
                .execute(conn)
                .await
                .map(|r| r.rows_affected())
        })?;
        if n != 1 {
            return Ok(false);
        }
        let sql = "INSERT INTO webhook_attempts (event_id, number, at_ns, status, error, \
                   duration_ms) VALUES ($1, $2, $3, $4, $5, $6)";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(&attempt.event_id)
                .bind(attempt.number)
                .bind(ns(attempt.at))
                .bind(attempt.status)
                .bind(&attempt.error)
                .bind(attempt.duration_ms)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(true)
    }
}
