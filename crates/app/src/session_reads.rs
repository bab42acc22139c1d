//! Session reads, many per query (docs/rewards.md, "Sessions"). Every authenticated request
//! reads its session from the store — no cache, so a logout, a rotation, a device sign-out or a
//! logout-everywhere written by any process is seen by the next request. What is saved is the
//! per-query cost: concurrent requests queue their token hashes here and one task reads them in
//! one query (the hashes packed in one bound blob), with at most [`READS_IN_FLIGHT`] such
//! queries at once.
//! Under light load a batch is one request (the same query as before); under a burst the
//! batches grow while earlier queries run, so a thousand requests cost a handful of queries.

use std::collections::HashMap;
use std::sync::Mutex;

use cardlife_customers::{Session, SessionGeneration, SessionTokenHash};
use cardlife_store::customers::CustomerStore;
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::AppError;

/// Most token hashes one query reads.
pub const READ_BATCH_MAX: usize = 256;
/// Queries running at once (each holds one pooled connection).
pub const READS_IN_FLIGHT: usize = 4;
/// Reads queued before callers wait for room.
const READ_QUEUE_MAX: usize = 65_536;

type Found = Option<(Session, SessionGeneration)>;

#[derive(Debug)]
struct Read {
    hash: SessionTokenHash,
    reply: oneshot::Sender<Result<Found, AppError>>,
}

/// The queue of this process's session reader, started on first use.
#[derive(Debug, Default)]
pub(crate) struct SessionReads {
    queue: Mutex<Option<mpsc::Sender<Read>>>,
}

impl SessionReads {
    /// The session holding `hash` with its customer's current generation, read from `store`
    /// together with whatever other reads are queued meanwhile.
    pub(crate) async fn read(
        &self,
        store: &CustomerStore,
        hash: SessionTokenHash,
    ) -> Result<Found, AppError> {
        let queue = {
            let mut slot = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            match slot.as_ref().filter(|q| !q.is_closed()) {
                Some(q) => q.clone(),
                None => {
                    let (tx, rx) = mpsc::channel(READ_QUEUE_MAX);
                    tokio::spawn(run(store.clone(), rx));
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
}

/// Takes every queued read (up to [`READ_BATCH_MAX`]) whenever a query slot is free.
async fn run(store: CustomerStore, mut rx: mpsc::Receiver<Read>) {
    let slots = std::sync::Arc::new(Semaphore::new(READS_IN_FLIGHT));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let mut batch = Vec::with_capacity(READ_BATCH_MAX);
        if rx.recv_many(&mut batch, READ_BATCH_MAX).await == 0 {
            return;
        }
        let store = store.clone();
        tokio::spawn(async move {
            answer(&store, batch).await;
            drop(slot);
        });
    }
}

/// One query for the batch, its hashes packed in one bound parameter (one query text whatever
/// the batch size, kept prepared by each connection's statement cache).
async fn answer(store: &CustomerStore, batch: Vec<Read>) {
    let hashes: Vec<SessionTokenHash> = batch.iter().map(|r| r.hash).collect();
    match store.sessions_by_packed_tokens(&hashes).await {
        Ok(found) => {
            let found: HashMap<SessionTokenHash, _> = found.into_iter().collect();
            for r in batch {
                let _ = r.reply.send(Ok(found.get(&r.hash).cloned()));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, reads = batch.len(), "session read failed");
            for r in batch {
                let _ = r.reply.send(Err(AppError::Unavailable));
            }
        }
    }
}
