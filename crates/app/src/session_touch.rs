//! Session activity, written behind (docs/rewards.md, "Sessions"). Recording a session's last
//! activity on every authenticated request would make each request a durable write; a flash
//! sale's burst of claims would then be bound by fsyncs. Instead `authenticate` notes the
//! instant here and a flusher writes every noted session in one transaction about once per
//! [`FLUSH_INTERVAL`]. Reads in this process merge what is noted but not yet written, so the idle
//! timeout sees it at once; a crash loses at most one interval of activity, which can only end a
//! session earlier, never keep it alive longer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cardlife_customers::{Session, SessionId};
use cardlife_store::Db;
use cardlife_store::session_touch::touch_sessions;
use jiff::Timestamp;

/// How often noted activity is written.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(1);

/// Activity noted and not yet written.
#[derive(Debug, Default)]
pub(crate) struct Touches {
    pending: Mutex<HashMap<SessionId, Timestamp>>,
    flusher_started: Mutex<bool>,
}

impl Touches {
    /// Notes that `session` was active at its `last_seen_at`, and makes sure a flusher runs.
    pub(crate) fn note(self: &Arc<Self>, db: &Db, session: &Session) {
        {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            let at = pending
                .entry(session.id())
                .or_insert(session.last_seen_at());
            *at = (*at).max(session.last_seen_at());
        }
        let mut started = self
            .flusher_started
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if !*started {
            *started = true;
            let (touches, db) = (Arc::downgrade(self), db.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(FLUSH_INTERVAL).await;
                    let Some(touches) = touches.upgrade() else {
                        return;
                    };
                    touches.flush(&db).await;
                }
            });
        }
    }

    /// The session as stored, with activity noted here and not yet written merged in.
    pub(crate) fn merged(&self, mut session: Session) -> Session {
        let pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(&at) = pending.get(&session.id()) {
            session.seen_at(at);
        }
        session
    }

    /// Writes what is noted; on failure keeps it for the next round.
    async fn flush(&self, db: &Db) {
        let batch: Vec<(SessionId, Timestamp)> = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.drain().collect()
        };
        if let Err(e) = touch_sessions(db, &batch).await {
            tracing::warn!(error = %e, sessions = batch.len(), "session activity not written; retrying");
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            for (id, at) in batch {
                let slot = pending.entry(id).or_insert(at);
                *slot = (*slot).max(at);
            }
        }
    }
}
