//! The session-change log (migration 0029): which customers' sessions changed after a given
//! number, and the live sessions a process holds in memory at start. Triggers append to the log
//! on every write that can end a session, so a holder that reads the log before answering from
//! memory answers as a read of the tables would.
//!
//! The log's numbers have no holes (the counter row is written in the same transaction as the
//! change, and rolled back with it), so a read can tell when the changes it asks for were
//! trimmed away ([`CustomerStore::trim_session_changes`]): it then says it is not complete, and
//! the holder forgets everything it held, as it does when it has fallen too far behind.

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
    /// Whether `customers` lists every change up to `head`: false when the limit cut it short,
    /// or when changes asked for had been trimmed.
    pub complete: bool,
}

const CHANGES: &str = "SELECT h.n AS head, c.seq, c.customer_id FROM session_change_seq h \
                       LEFT JOIN (SELECT seq, customer_id FROM session_changes WHERE seq > $1 \
                       ORDER BY seq LIMIT $2) c ON TRUE ORDER BY c.seq";

const BOUNDS: &str =
    "SELECT (SELECT n FROM session_change_seq), (SELECT MIN(seq) FROM session_changes)";

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
            // The first change after `after` must be `after + 1`, unless there is none yet.
            let unbroken = match customers.first() {
                Some(&(first, _)) => after.checked_add(1) == Some(first),
                None => head <= after,
            };
            let complete = unbroken && customers.len() < limit as usize;
            Ok(SessionChanges {
                head,
                customers,
                complete,
            })
        })
    }

    /// Deletes the oldest changes, keeping the `keep` most recent, at most `chunk` in one call
    /// (one short transaction, however long the log has grown); returns how many it deleted. A
    /// holder that has not read as far finds the gap and forgets what it held.
    pub async fn trim_session_changes(&self, keep: u32, chunk: u32) -> Result<u64, StoreError> {
        on_pool!(&self.db, |pool| {
            let (head, oldest): (i64, Option<i64>) = sqlx::query_as(BOUNDS).fetch_one(pool).await?;
            let Some(oldest) = oldest else {
                return Ok(0);
            };
            let through = head
                .saturating_sub(i64::from(keep))
                .min(oldest.saturating_add(i64::from(chunk)).saturating_sub(1));
            if through < oldest {
                return Ok(0);
            }
            let done = sqlx::query("DELETE FROM session_changes WHERE seq <= $1")
                .bind(through)
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
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
