//! The group committer: many concurrent callers, one durable commit.
//!
//! Callers send their batch over a channel and wait. One writer task takes every request that
//! has arrived (up to [`BATCH_MAX`] events per commit), applies them all, commits once, and only
//! then answers each caller. While it commits, new requests queue, so the next commit takes them
//! all: the busier the ledger, the larger each commit and the fewer fsyncs per transfer.

use std::future::Future;
use std::time::Duration;

use cardlife_kernel::SharedClock;
use cardlife_ledger::{
    Account, BATCH_MAX, CreateAccountResult, CreateTransferResult, Ledger, Transfer,
};
use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, oneshot};

use crate::credit::writer::{Append, MirrorOutcome, Mirrored, Written};
use crate::durability::Durability;
use crate::error::StoreError;

/// Requests waiting for the writer (back-pressure beyond this).
pub(crate) const QUEUE_DEPTH_MAX: usize = 4096;
/// How often the writer looks for holds whose timeout has passed.
const SWEEP_INTERVAL: Duration = Duration::from_millis(500);

/// One caller's batch.
#[derive(Debug)]
pub(crate) enum Batch {
    Accounts(Vec<Account>),
    Transfers(Vec<Transfer>),
    /// Release holds whose timeout has passed.
    Sweep,
    /// A credit command's event and key with the ledger changes it implies, all durable in
    /// this commit or none of them (`crate::credit::writer`).
    Credit(Box<Mirrored>),
}

impl Batch {
    fn events(&self) -> usize {
        match self {
            Self::Accounts(a) => a.len(),
            Self::Transfers(t) => t.len(),
            Self::Sweep => 1,
            Self::Credit(m) => m.events(),
        }
    }

    /// How its commit must meet the disk: a caller's plain ledger batch is answered as durable;
    /// the writer's own sweep answers nobody; a credit command says (`Mirrored::durability`).
    fn durability(&self) -> Durability {
        match self {
            Self::Accounts(_) | Self::Transfers(_) => Durability::Synced,
            Self::Sweep => Durability::Carried,
            Self::Credit(m) => m.durability,
        }
    }

    fn credit(&self) -> Option<&Append> {
        match self {
            Self::Credit(m) => Some(&m.append),
            _ => None,
        }
    }
}

/// The events of the credit commands among `batches`, in order (written before the ledger's
/// changes, in the same transaction).
pub(crate) fn credit_appends(batches: &[Batch]) -> Vec<&Append> {
    batches.iter().filter_map(Batch::credit).collect()
}

/// How one commit of `batches` must meet the disk: synced when any of them must be.
pub(crate) fn durability(batches: &[Batch]) -> Durability {
    Durability::of_group(batches.iter().map(Batch::durability))
}

/// The answer to one batch.
#[derive(Debug)]
pub(crate) enum Outcome {
    Accounts(Vec<CreateAccountResult>),
    Transfers(Vec<CreateTransferResult>),
    Swept(usize),
    Credit(MirrorOutcome),
}

/// A batch and where to send its answer (none for the writer's own sweeps).
#[derive(Debug)]
pub(crate) struct Request {
    pub batch: Batch,
    pub reply: Option<oneshot::Sender<Result<Outcome, StoreError>>>,
}

/// A store that applies several batches and makes them durable in one commit.
pub(crate) trait Backend: Send + 'static {
    /// Applies `batches` in order at time `now` (ns since the epoch) and commits them durably
    /// together. On error nothing of them is applied, in the database or in memory.
    fn commit(
        &mut self,
        batches: &[Batch],
        now: u64,
    ) -> impl Future<Output = Result<Vec<Outcome>, StoreError>> + Send;
}

/// Applies queued batches, in order, to a ledger: the one step both writers share. `written`
/// says, for each credit command in order, whether its event was written: one whose key was
/// taken applies nothing.
pub(crate) fn apply(
    ledger: &mut Ledger,
    batches: &[Batch],
    now: u64,
    written: &[Written],
) -> Vec<Outcome> {
    let mut written = written.iter();
    batches
        .iter()
        .map(|b| match b {
            Batch::Accounts(a) => Outcome::Accounts(ledger.create_accounts(a, now)),
            Batch::Transfers(t) => Outcome::Transfers(ledger.create_transfers(t, now)),
            Batch::Sweep => Outcome::Swept(ledger.expire_pending(now)),
            Batch::Credit(m) => Outcome::Credit(match written.next() {
                Some(Written::Durable) => MirrorOutcome {
                    written: Written::Durable,
                    accounts: ledger.create_accounts(&m.accounts, now),
                    transfers: ledger.create_transfers(&m.transfers, now),
                },
                Some(Written::KeyTaken) | None => MirrorOutcome {
                    written: Written::KeyTaken,
                    accounts: Vec::new(),
                    transfers: Vec::new(),
                },
            }),
        })
        .collect()
}

/// Nanoseconds since the epoch of the clock's now.
pub(crate) fn now_nanos(clock: &SharedClock) -> u64 {
    u64::try_from(clock.now().as_nanosecond()).unwrap_or(0)
}

/// The writer task: runs until every sender is gone.
///
/// Several writers may share one queue (the PostgreSQL store runs a few, so that one commit's
/// round trips overlap another's); each takes whatever is queued when it is free.
pub(crate) async fn run<B: Backend>(
    mut backend: B,
    rx: Arc<Mutex<mpsc::Receiver<Request>>>,
    clock: SharedClock,
) {
    let mut inbox: Vec<Request> = Vec::with_capacity(QUEUE_DEPTH_MAX);
    let mut sweep = tokio::time::interval(SWEEP_INTERVAL);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        {
            let mut rx = rx.lock().await;
            tokio::select! {
                biased;
                n = rx.recv_many(&mut inbox, QUEUE_DEPTH_MAX) => if n == 0 { return },
                _ = sweep.tick() => inbox.push(Request { batch: Batch::Sweep, reply: None }),
            }
            // Callers just answered are usually about to send again: let them run once and
            // take what they sent into this commit rather than the next.
            tokio::task::yield_now().await;
            while inbox.len() < QUEUE_DEPTH_MAX {
                match rx.try_recv() {
                    Ok(r) => inbox.push(r),
                    Err(_) => break,
                }
            }
        }
        while !inbox.is_empty() {
            let take = group_len(&inbox);
            let (batches, replies): (Vec<Batch>, Vec<_>) =
                inbox.drain(..take).map(|r| (r.batch, r.reply)).unzip();
            let result = backend.commit(&batches, now_nanos(&clock)).await;
            if result.as_ref().is_err_and(StoreError::is_closed) {
                // The store was closed (a shutdown): nothing can commit any more, and its timer
                // would only fail again every half-second. Stop: the callers of this group are
                // told so, and those still queued or yet to come get `WriterStopped` too.
                for reply in replies.into_iter().flatten() {
                    let _ = reply.send(Err(StoreError::WriterStopped));
                }
                tracing::debug!("the store is closed; the ledger writer stops");
                return;
            }
            let requests = replies.iter().filter(|r| r.is_some()).count();
            if requests > 0 {
                // The writer's own timeout sweeps are not counted as commits.
                metrics::counter!("cardlife_ledger_commits_total").increment(1);
                metrics::histogram!("cardlife_ledger_commit_requests").record(requests as f64);
            }
            answer(result, replies);
        }
    }
}

/// How many queued requests fit one commit: at least one, at most [`BATCH_MAX`] events.
fn group_len(inbox: &[Request]) -> usize {
    let mut events = 0;
    let mut n = 0;
    for r in inbox {
        events += r.batch.events();
        if n > 0 && events > BATCH_MAX {
            break;
        }
        n += 1;
    }
    n
}

fn answer(
    result: Result<Vec<Outcome>, StoreError>,
    replies: Vec<Option<oneshot::Sender<Result<Outcome, StoreError>>>>,
) {
    match result {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                if let Some(reply) = reply {
                    // A caller that gave up waiting is no error: its batch is committed.
                    let _ = reply.send(Ok(outcome));
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "ledger commit failed; its batches were not applied");
            for reply in replies.into_iter().flatten() {
                let _ = reply.send(Err(StoreError::CommitFailed(e.to_string())));
            }
        }
    }
}
