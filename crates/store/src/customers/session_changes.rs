//! The session-change log (migration 0029): which customers' sessions changed after a given
//! number, and the live sessions a process holds in memory at start. Triggers append to the log
//! on every write that can end a session, so a holder that reads the log before answering from
//! memory answers as a read of the tables would.

use cardlife_kernel::CustomerId;
use jiff::Timestamp;
use sqlx::Row;

use super::session_lookup::{Found, found_from};
use super::{CustomerStore, customer_id, ns};
use crate::both::on_pool;
use crate::error::StoreError;

/// What the log holds after some number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionChanges {
    /// The log's last number when read.
    pub head: i64,
    /// The customers whose sessions changed, with the change's number, in order.
    pub customers: Vec<(i64, CustomerId)>,
    /// Whether `customers` lists every change up to `head` (false when the limit cut it short).
    pub complete: bool,
}

const CHANGES: &str = "SELECT h.n AS head, c.seq, c.customer_id FROM session_change_seq h \
                       LEFT JOIN (SELECT seq, customer_id FROM session_changes WHERE seq > $1 \
                       ORDER BY seq LIMIT $2) c ON TRUE ORDER BY c.seq";

const LIVE: &str = "SELECT s.id, s.customer_id, s.token_hash, s.generation, s.created_at_ns, \
                    s.last_seen_at_ns, s.ended_at_ns, c.session_generation, \
                    (SELECT n FROM session_change_seq) AS change_seq \
                    FROM customer_sessions s JOIN customers c ON c.id = s.customer_id \
                    WHERE s.ended_at_ns IS NULL AND s.last_seen_at_ns >= $1 \
                    AND s.created_at_ns >= $2 AND s.generation = c.session_generation \
                    ORDER BY s.last_seen_at_ns DESC LIMIT $3";

impl CustomerStore {
    /// The changes numbered above `after`, at most `limit` of them, and the log's head, read in
    /// one statement. `after = i64::MAX` reads the head alone.
    pub async fn session_changes_after(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<SessionChanges, StoreError> {
        on_pool!(&self.db, |pool| {
            let rows = sqlx::query(CHANGES)
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            let mut head = 0;
            let mut customers = Vec::with_capacity(rows.len());
            for r in &rows {
                head = r.try_get::<i64, _>("head")?;
                if let Some(seq) = r.try_get::<Option<i64>, _>("seq")? {
                    let customer: String = r.try_get("customer_id")?;
                    customers.push((seq, customer_id(&customer)?));
                }
            }
            let complete = customers.len() < limit as usize;
            Ok(SessionChanges {
                head,
                customers,
                complete,
            })
        })
    }

    /// Sessions that may still be valid at `now` under an idle limit (`seen_since`) and an
    /// absolute one (`created_since`): not ended, of the customer's current generation, the
    /// most recently active first, at most `limit`; with the log's head as the same statement
    /// saw it (`None` when there is none).
    pub async fn live_sessions(
        &self,
        seen_since: Timestamp,
        created_since: Timestamp,
        limit: u32,
    ) -> Result<(Vec<Found>, Option<i64>), StoreError> {
        on_pool!(&self.db, |pool| {
            let rows = sqlx::query(LIVE)
                .bind(ns(seen_since))
                .bind(ns(created_since))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            let head = match rows.first() {
                Some(r) => Some(r.try_get::<i64, _>("change_seq")?),
                None => None,
            };
            let found = rows.iter().map(found_from).collect::<Result<_, _>>()?;
            Ok((found, head))
        })
    }
}
