//! Session reads, many per query, and live sessions held in memory (docs/identity.md,
//! "Sessions held in memory").
//!
//! Concurrent requests queue their token hashes here; one task answers them in batches, with at
//! most [`READS_IN_FLIGHT`] batches at once. Each batch first reads the **session-change log**
//! (migration 0029: triggers append a customer whenever one of their sessions is ended, rotated
//! or deleted, or their generation bumped) and forgets the held sessions of every customer
//! listed. Then it answers what it holds from memory, and reads the rest from the store in one
//! query (the hashes packed in one bound blob), holding what it found. Because the log is read
//! after every request in the batch arrived, a logout, a rotation, a device sign-out or a
//! logout-everywhere written by any process before a request is seen by that request, as a read
//! of the tables would see it; what a batch costs the store is one small read when it holds
//! every session asked.
//!
//! A session read is held only if nothing after the read's own snapshot has been applied yet
//! (its head ≥ the applied head), so a read overtaken by a change is answered but not kept.
//! Activity written by another process is not in the log (it is not a change): a held session
//! that fails validation is read again from the store before the request is refused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use cardlife_customers::{Session, SessionGeneration, SessionTokenHash};
use cardlife_kernel::CustomerId;
use cardlife_store::customers::{CustomerStore, Found, SessionChanges};
use jiff::Timestamp;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::time::Instant;

use crate::AppError;

/// Most token hashes one query reads.
pub const READ_BATCH_MAX: usize = 256;
/// Queries running at once (each holds one pooled connection).
pub const READS_IN_FLIGHT: usize = 4;
/// Most sessions held in memory (about 200 bytes each). A read that finds memory full empties
/// it first: what is still in use is read again once, and sessions that ended or went idle
/// without a change in the log (a session left to time out) do not pile up.
pub const HELD_MAX: usize = 2_000_000;
/// Most sessions loaded at start: half of [`HELD_MAX`], leaving room for new ones.
pub const HELD_AT_START_MAX: usize = HELD_MAX / 2;
/// Most log entries one batch reads; a longer log since the last read forgets everything held.
pub const CHANGES_MAX: u32 = 4_096;
/// Changes the log keeps when trimmed ([`crate::App::trim_session_changes`]): many times what one
/// batch reads ([`CHANGES_MAX`]), so only a holder that stopped reading for a long while meets
/// the gap, and it then forgets what it held, as it does when it falls behind.
pub const CHANGES_KEPT: u32 = 100_000;
/// Most changes one trim deletes: one short transaction, however long the log grew.
pub const TRIM_CHUNK: u32 = 20_000;
/// Reads queued before callers wait for room.
const READ_QUEUE_MAX: usize = 65_536;
/// Least time between the starts of two batches. A batch costs the store one query however
/// many reads it answers, and under load a query ran as soon as the last one ended: at 20,000
/// requests a second that was about 7,600 log reads a second of two or three requests each
/// (docs/benchmarks.md, "Paced log reads and the claims writer's cycle"). Waiting until this much has passed since the last batch started lets
/// a batch gather what arrives meanwhile; a request after a quiet spell is read at once.
/// (Tokio's timer counts whole milliseconds, so under load batches start 1–2 ms apart.)
pub const BATCH_GAP: Duration = Duration::from_millis(1);

/// A session and its customer's current generation, and whether it was answered from memory.
pub(crate) type Answer = Option<(Session, SessionGeneration, Source)>;

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// Held in memory, current as of the log read after the request arrived.
    Held,
    /// Read from the store for this batch.
    Store,
}

#[derive(Debug)]
struct Read {
    hash: SessionTokenHash,
    reply: oneshot::Sender<Result<Answer, AppError>>,
}

/// This process's session reader: its queue, started on first use, and what it holds.
#[derive(Debug, Default)]
pub(crate) struct SessionReads {
    queue: Mutex<Option<mpsc::Sender<Read>>>,
    held: Arc<Mutex<Held>>,
}

impl SessionReads {
    /// The session holding `hash` with its customer's current generation, answered together
    /// with whatever other reads are queued meanwhile.
    pub(crate) async fn read(
        &self,
        store: &CustomerStore,
        hash: SessionTokenHash,
    ) -> Result<Answer, AppError> {
        let queue = {
            let mut slot = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            match slot.as_ref().filter(|q| !q.is_closed()) {
                Some(q) => q.clone(),
                None => {
                    let (tx, rx) = mpsc::channel(READ_QUEUE_MAX);
                    tokio::spawn(run(store.clone(), self.held.clone(), rx));
                    *slot = Some(tx.clone());
                    tx
                }
            }
        };
        let (reply, answer) = oneshot::channel();
        queue
            .send(Read { hash, reply })
            .await
            .map_err(|_| AppError::Unavailable)?;
        answer.await.map_err(|_| AppError::Unavailable)?
    }

    /// Holds the sessions that may still be valid at `now` (`idle` and `absolute` are the
    /// session policy's limits), the most recently active first, up to [`HELD_AT_START_MAX`].
    /// Returns how many are held.
    pub(crate) async fn hold_live(
        &self,
        store: &CustomerStore,
        now: Timestamp,
        idle: jiff::SignedDuration,
        absolute: jiff::SignedDuration,
    ) -> Result<usize, AppError> {
        let since = |d: jiff::SignedDuration| now.checked_sub(d).unwrap_or(Timestamp::MIN);
        let limit = u32::try_from(HELD_AT_START_MAX).unwrap_or(u32::MAX);
        let (found, head) = store
            .live_sessions(since(idle), since(absolute), limit)
            .await?;
        let head = match head {
            Some(head) => head,
            None => store.session_changes_after(i64::MAX, 1).await?.head,
        };
        let mut held = lock(&self.held);
        if held.applied.is_none() {
            held.applied = Some(head);
        }
        held.hold(&found, head);
        Ok(held.sessions.len())
    }

    /// Stops holding `hash` (its held copy failed validation; the next read goes to the store).
    pub(crate) fn forget(&self, hash: &SessionTokenHash) {
        lock(&self.held).forget(hash);
    }

    /// Records activity noted for a held session, so the held copy stays as recent as what
    /// this process wrote behind.
    pub(crate) fn seen(&self, session: &Session) {
        lock(&self.held).seen(session);
    }
}

fn lock(held: &Mutex<Held>) -> MutexGuard<'_, Held> {
    held.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sessions held in memory, and how much of the change log has been applied to them.
#[derive(Debug)]
struct Held {
    /// The last log number applied; `None` until the log is first read (nothing is held).
    applied: Option<i64>,
    sessions: HashMap<SessionTokenHash, (Session, SessionGeneration)>,
    by_customer: HashMap<CustomerId, Vec<SessionTokenHash>>,
    /// Most sessions held ([`HELD_MAX`]).
    cap: usize,
}

impl Default for Held {
    fn default() -> Self {
        Self {
            applied: None,
            sessions: HashMap::new(),
            by_customer: HashMap::new(),
            cap: HELD_MAX,
        }
    }
}

impl Held {
    /// Forgets every customer the log lists above what was applied (everything, when the read
    /// was cut short or nothing had been applied), and moves the applied head forward.
    fn apply(&mut self, changes: &SessionChanges) {
        match self.applied {
            Some(applied) if changes.complete => {
                for (seq, customer) in &changes.customers {
                    if *seq > applied {
                        self.forget_customer(customer);
                    }
                }
            }
            Some(applied) if changes.head <= applied => {}
            _ => {
                self.sessions.clear();
                self.by_customer.clear();
            }
        }
        self.applied = Some(self.applied.map_or(changes.head, |a| a.max(changes.head)));
    }

    /// Holds what a read current as of log number `head` found, unless a later change has
    /// already been applied (the read may predate it); memory found full is emptied first.
    fn hold(&mut self, found: &[Found], head: i64) {
        if self.applied.is_none_or(|applied| head < applied) {
            return;
        }
        for (hash, session) in found {
            if self.sessions.len() >= self.cap {
                self.sessions.clear();
                self.by_customer.clear();
            }
            let customer = session.0.customer();
            if self.sessions.insert(*hash, session.clone()).is_none() {
                self.by_customer.entry(customer).or_default().push(*hash);
            }
        }
    }

    fn get(&self, hash: &SessionTokenHash) -> Option<(Session, SessionGeneration)> {
        self.sessions.get(hash).cloned()
    }

    fn forget(&mut self, hash: &SessionTokenHash) {
        if let Some((session, _)) = self.sessions.remove(hash)
            && let Some(hashes) = self.by_customer.get_mut(&session.customer())
        {
            hashes.retain(|h| h != hash);
            if hashes.is_empty() {
                self.by_customer.remove(&session.customer());
            }
        }
    }

    fn forget_customer(&mut self, customer: &CustomerId) {
        for hash in self.by_customer.remove(customer).unwrap_or_default() {
            self.sessions.remove(&hash);
        }
    }

    fn seen(&mut self, session: &Session) {
        if let Some((held, _)) = self.sessions.get_mut(&session.token_hash())
            && held.id() == session.id()
        {
            held.seen_at(session.last_seen_at());
        }
    }
}

/// When the batch after one started at `last` may start: at once if [`BATCH_GAP`] has passed
/// by `now`, else when it has.
fn next_batch_at(last: Option<Instant>, now: Instant) -> Option<Instant> {
    let due = last?.checked_add(BATCH_GAP)?;
    (due > now).then_some(due)
}

/// Takes every queued read (up to [`READ_BATCH_MAX`]) whenever a query slot is free and
/// [`BATCH_GAP`] has passed since the last batch started.
async fn run(store: CustomerStore, held: Arc<Mutex<Held>>, mut rx: mpsc::Receiver<Read>) {
    let slots = Arc::new(Semaphore::new(READS_IN_FLIGHT));
    let mut last = None;
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        if let Some(due) = next_batch_at(last, Instant::now()) {
            tokio::time::sleep_until(due).await;
        }
        let mut batch = Vec::with_capacity(READ_BATCH_MAX);
        if rx.recv_many(&mut batch, READ_BATCH_MAX).await == 0 {
            return;
        }
        // Counted from when the batch is taken: its log read begins after all of it arrived.
        last = Some(Instant::now());
        let (store, held) = (store.clone(), held.clone());
        tokio::spawn(async move {
            answer(&store, &held, batch).await;
            drop(slot);
        });
    }
}

/// Reads the log, answers what memory holds, and reads the rest in one query.
async fn answer(store: &CustomerStore, held: &Mutex<Held>, batch: Vec<Read>) {
    let after = lock(held).applied.unwrap_or(i64::MAX);
    let changes = match store.session_changes_after(after, CHANGES_MAX).await {
        Ok(changes) => changes,
        Err(e) => return fail(&e, batch),
    };
    let mut misses = Vec::new();
    {
        let mut held = lock(held);
        held.apply(&changes);
        for r in batch {
            match held.get(&r.hash) {
                Some((s, g)) => {
                    let _ = r.reply.send(Ok(Some((s, g, Source::Held))));
                }
                None => misses.push(r),
            }
        }
    }
    if misses.is_empty() {
        return;
    }
    let hashes: Vec<SessionTokenHash> = misses.iter().map(|r| r.hash).collect();
    match store.sessions_by_packed_tokens_at(&hashes).await {
        Ok((found, head)) => {
            if let Some(head) = head {
                lock(held).hold(&found, head);
            }
            let found: HashMap<SessionTokenHash, _> = found.into_iter().collect();
            for r in misses {
                let answer = found
                    .get(&r.hash)
                    .map(|(s, g)| (s.clone(), *g, Source::Store));
                let _ = r.reply.send(Ok(answer));
            }
        }
        Err(e) => fail(&e, misses),
    }
}

fn fail(e: &cardlife_store::StoreError, batch: Vec<Read>) {
    tracing::error!(error = %e, reads = batch.len(), "session read failed");
    for r in batch {
        let _ = r.reply.send(Err(AppError::Unavailable));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn session(customer: CustomerId, salt: u8) -> Found {
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let mut fill = |buf: &mut [u8]| buf.fill(salt);
        let (s, _) = Session::start(customer, SessionGeneration::default(), t0, &mut fill);
        (s.token_hash(), (s, SessionGeneration::default()))
    }

    fn changes(head: i64, customers: &[(i64, CustomerId)], complete: bool) -> SessionChanges {
        SessionChanges {
            head,
            customers: customers.to_vec(),
            complete,
        }
    }

    #[test]
    fn a_batch_waits_for_the_gap_only_when_the_last_one_started_within_it() {
        let t0 = Instant::now();
        assert_eq!(
            next_batch_at(None, t0),
            None,
            "the first batch starts at once"
        );
        let soon = t0 + BATCH_GAP / 4;
        assert_eq!(next_batch_at(Some(t0), soon), Some(t0 + BATCH_GAP));
        assert_eq!(next_batch_at(Some(t0), t0 + BATCH_GAP), None);
        assert_eq!(
            next_batch_at(Some(t0), t0 + 10 * BATCH_GAP),
            None,
            "after a quiet spell"
        );
    }

    #[test]
    fn nothing_is_held_before_the_log_is_first_read() {
        let mut held = Held::default();
        let a = session(CustomerId::generate(), 1);
        held.hold(std::slice::from_ref(&a), 5);
        assert!(held.get(&a.0).is_none());
        held.apply(&changes(5, &[], true));
        held.hold(std::slice::from_ref(&a), 5);
        assert!(held.get(&a.0).is_some());
    }

    #[test]
    fn a_change_forgets_every_session_of_its_customer_and_only_theirs() {
        let (c1, c2) = (CustomerId::generate(), CustomerId::generate());
        let (a, b, c) = (session(c1, 1), session(c1, 2), session(c2, 3));
        let mut held = Held::default();
        held.apply(&changes(10, &[], true));
        held.hold(&[a.clone(), b.clone(), c.clone()], 10);
        // A change at or below what was applied is old news.
        held.apply(&changes(12, &[(9, c2), (11, c1)], true));
        assert!(held.get(&a.0).is_none() && held.get(&b.0).is_none());
        assert!(held.get(&c.0).is_some());
        assert_eq!(held.applied, Some(12));
    }

    #[test]
    fn a_read_older_than_an_applied_change_is_answered_but_not_held() {
        let customer = CustomerId::generate();
        let a = session(customer, 1);
        let mut held = Held::default();
        held.apply(&changes(3, &[], true));
        // The read saw the log at 2; a logout numbered 3 may have come after it.
        held.hold(std::slice::from_ref(&a), 2);
        assert!(held.get(&a.0).is_none());
        held.hold(std::slice::from_ref(&a), 3);
        assert!(held.get(&a.0).is_some());
    }

    #[test]
    fn a_log_read_cut_short_forgets_everything() {
        let a = session(CustomerId::generate(), 1);
        let mut held = Held::default();
        held.apply(&changes(1, &[], true));
        held.hold(std::slice::from_ref(&a), 1);
        held.apply(&changes(9_000, &[(2, CustomerId::generate())], false));
        assert!(held.get(&a.0).is_none());
        assert_eq!(held.applied, Some(9_000));
    }

    #[test]
    fn a_slower_batch_does_not_move_the_applied_head_back() {
        let a = session(CustomerId::generate(), 1);
        let mut held = Held::default();
        held.apply(&changes(7, &[], true));
        held.apply(&changes(5, &[], true));
        assert_eq!(held.applied, Some(7));
        held.hold(std::slice::from_ref(&a), 6);
        assert!(held.get(&a.0).is_none());
    }

    #[test]
    fn memory_found_full_is_emptied_before_the_next_session_is_held() {
        let customer = CustomerId::generate();
        let found: Vec<Found> = (1..=3).map(|salt| session(customer, salt)).collect();
        let mut held = Held {
            cap: 2,
            ..Held::default()
        };
        held.apply(&changes(0, &[], true));
        held.hold(&found[..2], 0);
        assert_eq!(held.sessions.len(), 2);
        held.hold(&found[2..], 0);
        assert_eq!(held.sessions.len(), 1);
        assert!(held.get(&found[2].0).is_some() && held.get(&found[0].0).is_none());
        assert_eq!(held.by_customer[&customer], vec![found[2].0]);
    }

    #[test]
    fn activity_moves_a_held_copy_forward_only() {
        let a = session(CustomerId::generate(), 1);
        let mut held = Held::default();
        held.apply(&changes(0, &[], true));
        held.hold(std::slice::from_ref(&a), 0);
        let later =
            a.1.0
                .last_seen_at()
                .checked_add(jiff::SignedDuration::from_secs(90))
                .unwrap();
        let mut moved = a.1.0.clone();
        moved.seen_at(later);
        held.seen(&moved);
        assert_eq!(held.get(&a.0).unwrap().0.last_seen_at(), later);
        held.seen(&a.1.0);
        assert_eq!(held.get(&a.0).unwrap().0.last_seen_at(), later);
        held.forget(&a.0);
        assert!(held.get(&a.0).is_none() && held.by_customer.is_empty());
    }
}
