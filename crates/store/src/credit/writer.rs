//! The credit event writer: one task appends the events of many accounts, with the
//! idempotency records and stored answers that go with them, in one durable commit.
//!
//! A command sends its event (and, for a request under an `Idempotency-Key`, the key's row
//! with the answer already in it) and waits while its account stays locked. The writer takes
//! everything queued, inserts the keys first (`ON CONFLICT DO NOTHING … RETURNING`), then the
//! events whose key was new (or that had none), commits once and answers each command: written,
//! or its key was taken meanwhile (its event was not written). The busier the store, the more
//! commands share one fsync — the pattern of the ledger's group committer
//! (`crate::ledger::group_commit`).

use std::collections::HashSet;

use tokio::sync::{mpsc, oneshot};

use super::error::CreditError;
use crate::both::on_pool;
use crate::db::Db;

/// Commands waiting for the writer (callers wait beyond this).
const QUEUE_DEPTH_MAX: usize = 4096;
/// Rows per multi-row `INSERT` (SQLite binds at most 32,766 values per statement).
const ROWS_PER_INSERT: usize = 512;

/// An idempotency key's row, written complete (the request's hash and its answer).
#[derive(Debug, Clone)]
pub struct KeyRow {
    /// Whose keys these are (the caller and the route).
    pub scope: String,
    /// The key.
    pub key: String,
    /// The request's hash.
    pub hash: Vec<u8>,
    /// Nanoseconds since the epoch.
    pub created_at_ns: i64,
    /// The answer's HTTP status.
    pub status: u16,
    /// The answer's body.
    pub response: String,
}

/// One event to append.
#[derive(Debug)]
pub(crate) struct Append {
    pub account_id: String,
    pub seq: i64,
    pub day: String,
    pub event: String,
    pub key: Option<KeyRow>,
}

/// What became of an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    /// The event (and its key) is durable.
    Durable,
    /// Its key was already taken by another request; nothing of it was written.
    KeyTaken,
}

struct Job {
    append: Append,
    reply: oneshot::Sender<Result<Written, CreditError>>,
}

/// The handle commands send their events through. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct EventWriter {
    tx: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("append", &self.append).finish()
    }
}

impl EventWriter {
    /// Starts the writer task on `db`; it stops when the last handle is dropped.
    pub fn start(db: Db) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH_MAX);
        tokio::spawn(run(db, rx));
        Self { tx }
    }

    /// Appends one event; durable (or refused for its key) when this returns.
    pub async fn append(&self, append: Append) -> Result<Written, CreditError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job { append, reply })
            .await
            .map_err(|_| CreditError::WriteFailed("the event writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| CreditError::WriteFailed("the event writer has stopped".into()))?
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>) {
    let mut inbox: Vec<Job> = Vec::with_capacity(QUEUE_DEPTH_MAX);
    loop {
        if rx.recv_many(&mut inbox, QUEUE_DEPTH_MAX).await == 0 {
            return;
        }
        // Let the callers just answered send again, and take what they sent into this commit.
        tokio::task::yield_now().await;
        while inbox.len() < QUEUE_DEPTH_MAX {
            match rx.try_recv() {
                Ok(job) => inbox.push(job),
                Err(_) => break,
            }
        }
        let appends: Vec<&Append> = inbox.iter().map(|j| &j.append).collect();
        match commit(&db, &appends).await {
            Ok(written) => {
                for (job, w) in inbox.drain(..).zip(written) {
                    let _ = job.reply.send(Ok(w));
                }
            }
            Err(e) => {
                let message = e.to_string();
                tracing::error!(error = %message, "credit event commit failed");
                for job in inbox.drain(..) {
                    let _ = job
                        .reply
                        .send(Err(CreditError::WriteFailed(message.clone())));
                }
            }
        }
    }
}

/// Writes the keys, then the events whose key was new, in one transaction.
async fn commit(db: &Db, appends: &[&Append]) -> Result<Vec<Written>, sqlx::Error> {
    let keyed: Vec<&KeyRow> = appends.iter().filter_map(|a| a.key.as_ref()).collect();
    on_pool!(db, |pool| {
        async {
            let mut tx = pool.begin().await?;
            let mut taken_by_us: HashSet<(String, String)> = HashSet::new();
            for chunk in keyed.chunks(ROWS_PER_INSERT) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO idempotency_keys \
                     (scope, idem_key, request_hash, status, response, created_at_ns) ",
                );
                q.push_values(chunk, |mut row, k| {
                    row.push_bind(k.scope.as_str())
                        .push_bind(k.key.as_str())
                        .push_bind(k.hash.as_slice())
                        .push_bind(i64::from(k.status))
                        .push_bind(k.response.as_str())
                        .push_bind(k.created_at_ns);
                });
                q.push(" ON CONFLICT DO NOTHING RETURNING scope, idem_key");
                let rows: Vec<(String, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
                taken_by_us.extend(rows);
            }
            let written: Vec<Written> = appends
                .iter()
                .map(|a| match &a.key {
                    Some(k) if !taken_by_us.contains(&(k.scope.clone(), k.key.clone())) => {
                        Written::KeyTaken
                    }
                    _ => Written::Durable,
                })
                .collect();
            let events: Vec<&&Append> = appends
                .iter()
                .zip(&written)
                .filter(|(_, w)| **w == Written::Durable)
                .map(|(a, _)| a)
                .collect();
            for chunk in events.chunks(ROWS_PER_INSERT) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO credit_events (account_id, seq, day, event) ",
                );
                q.push_values(chunk, |mut row, a| {
                    row.push_bind(a.account_id.as_str())
                        .push_bind(a.seq)
                        .push_bind(a.day.as_str())
                        .push_bind(a.event.as_str());
                });
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(written)
        }
        .await
    })
}
