//! Many callers' transactions in one commit on the embedded store.
//!
//! SQLite has one write lock. A caller's transaction holds it from `BEGIN IMMEDIATE` through its
//! statements to its `COMMIT` and the sync under it — several round trips to the connection's
//! thread and a disk flush — and every other writer waits meanwhile; on the pay path those lock
//! holds, not SQL, bounded how many payments a second the store took (docs/benchmarks.md,
//! "Payments in one commit"). [`Grouped::commit`] takes a caller's [`Batch`] with the check that
//! decides from its rows whether to keep it, and one writer task runs whatever batches are
//! queued in **one** transaction: each in a savepoint, checked at once (a refused batch is rolled
//! back to its savepoint, alone), then one `COMMIT` for all that were kept. Each caller is
//! answered only after that commit is durable. Alone in its group a batch runs as it would on
//! its own: no savepoint, and a refusal rolls the transaction back.
//!
//! A batch is given with its [`Durability`]: a group waits for the disk when any of its batches
//! must ([`Grouped::commit`]); a group of batches that a later commit of their callers carries
//! ([`Grouped::commit_as`] with [`Durability::Carried`]) does not. The writer holds a connection
//! of its own, so the level it sets before a group is never left on a connection anyone else
//! uses.
//!
//! On PostgreSQL each caller runs its own transaction (the server groups commits itself and
//! locks rows, not the database); a carried one with `synchronous_commit` off.

use std::sync::Mutex;

use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::batch::{Batch, Ran, Stmt, run_sqlite, stmt};
use crate::db::Db;
use crate::durability::{Durability, Opening, SqliteLevel};
use crate::error::StoreError;
use crate::tx::Tx;

/// Most batches one commit takes.
pub const GROUP_MAX: usize = 256;
/// Batches queued before callers wait for room.
const QUEUE_MAX: usize = 4_096;

/// A caller's check, run by the writer inside the transaction: whether to keep the batch. It
/// hands its own answer back to the caller by itself.
type Check = Box<dyn FnOnce(Ran) -> bool + Send>;

struct Job {
    batch: Batch,
    check: Check,
    durability: Durability,
    /// The group's outcome: `Ok` once committed (or rolled back, for a refused batch).
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The group writer of one store, started on first use.
#[derive(Debug)]
pub struct Grouped {
    db: Db,
    queue: Mutex<Option<mpsc::Sender<Job>>>,
}

impl Grouped {
    /// Groups the transactions given to it on `db`.
    pub fn new(db: Db) -> Self {
        Self {
            db,
            queue: Mutex::new(None),
        }
    }

    /// Runs `batch` in a transaction and calls `check` on what it did, still inside it: `Ok`
    /// keeps the batch and is answered once it is durable, `Err` undoes it and is answered as
    /// is. `Err(StoreError)` when the store failed (nothing of the batch was kept).
    pub async fn commit<T, E, F>(&self, batch: Batch, check: F) -> Result<Result<T, E>, StoreError>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: FnOnce(Ran) -> Result<T, E> + Send + 'static,
    {
        self.commit_as(batch, Durability::Synced, check).await
    }

    /// As [`Grouped::commit`], at `durability`: with [`Durability::Carried`] `Ok` is answered
    /// once the commit is written, not yet on disk — the caller commits again, synced, before
    /// it answers anyone, and that commit carries this one.
    pub async fn commit_as<T, E, F>(
        &self,
        batch: Batch,
        durability: Durability,
        check: F,
    ) -> Result<Result<T, E>, StoreError>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: FnOnce(Ran) -> Result<T, E> + Send + 'static,
    {
        let pool = match &self.db {
            Db::Sqlite(pool) => pool,
            Db::Postgres(pool) => {
                let mut tx = Tx::Postgres(pool.begin_with(durability.postgres_begin()).await?);
                let answer = check(tx.run(batch).await?);
                if answer.is_ok() {
                    tx.commit().await?;
                }
                return Ok(answer);
            }
        };
        let (answer_tx, answer_rx) = oneshot::channel();
        let check: Check = Box::new(move |ran: Ran| {
            let answer = check(ran);
            let keep = answer.is_ok();
            let _ = answer_tx.send(answer);
            keep
        });
        let (done, done_rx) = oneshot::channel();
        self.sender(pool)
            .send(Job {
                batch,
                check,
                durability,
                done,
            })
            .await
            .map_err(|_| StoreError::CommitFailed("the group writer has stopped".to_owned()))?;
        let committed = done_rx
            .await
            .map_err(|_| StoreError::CommitFailed("the group writer has stopped".to_owned()))?;
        match answer_rx.await {
            // Refused: undone whatever became of the group.
            Ok(Err(e)) => Ok(Err(e)),
            Ok(Ok(t)) => committed.map(|()| Ok(t)),
            // The check never ran: the group failed before this batch.
            Err(_) => committed.and(Err(StoreError::CommitFailed(
                "the batch was not run".to_owned(),
            ))),
        }
    }

    fn sender(&self, pool: &SqlitePool) -> mpsc::Sender<Job> {
        let mut slot = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        match slot.as_ref().filter(|q| !q.is_closed()) {
            Some(q) => q.clone(),
            None => {
                let (tx, rx) = mpsc::channel(QUEUE_MAX);
                tokio::spawn(run(pool.clone(), rx));
                *slot = Some(tx.clone());
                tx
            }
        }
    }
}

/// The writer's own connection and the durability level it is at.
struct Writer {
    conn: SqliteConnection,
    level: SqliteLevel,
}

impl Writer {
    /// A connection of the pool's, kept apart from it (like the ledger writer's).
    async fn open(pool: &SqlitePool) -> Result<Self, StoreError> {
        Ok(Self {
            conn: crate::durability::writer_connection(pool).await?,
            level: SqliteLevel::default(),
        })
    }
}

/// The writer: takes every queued batch (up to [`GROUP_MAX`]) and commits them together.
async fn run(pool: SqlitePool, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(GROUP_MAX);
    let mut writer: Option<Writer> = None;
    while rx.recv_many(&mut jobs, GROUP_MAX).await > 0 {
        let mut dones = Vec::with_capacity(jobs.len());
        let result = match &mut writer {
            Some(w) => Ok(w),
            None => Writer::open(&pool).await.map(|w| writer.insert(w)),
        };
        let result = match result {
            Ok(w) => commit_group(w, jobs.drain(..), &mut dones).await,
            Err(e) => {
                dones.extend(jobs.drain(..).map(|j| j.done));
                Err(e)
            }
        };
        metrics::counter!("cardlife_group_commits_total").increment(1);
        metrics::histogram!("cardlife_group_commit_batches").record(dones.len() as f64);
        if let Err(e) = &result {
            tracing::error!(error = %e, batches = dones.len(), "group commit failed; none of its batches was kept");
            // A fresh connection for the next group: nothing of this one's state is trusted.
            writer = None;
        }
        for done in dones {
            let _ = done.send(match &result {
                Ok(()) => Ok(()),
                Err(e) => Err(StoreError::CommitFailed(e.to_string())),
            });
        }
    }
}

/// One transaction for `jobs`; each job's `done` is moved to `dones` (answered by the caller,
/// after the commit), so a failure part-way still answers every one. A failure leaves the
/// transaction open: the caller drops the connection, which rolls it back.
///
/// One round trip per batch: the transaction's opening (the level, `BEGIN IMMEDIATE`) travels
/// in the first batch's query; the savepoint before a batch, and the end of the savepoint before
/// it (released, or rolled back and released), in the batch's own query; the last savepoint ends
/// in the `COMMIT`'s (or before it, when its batch was refused).
async fn commit_group(
    w: &mut Writer,
    jobs: impl ExactSizeIterator<Item = Job>,
    dones: &mut Vec<oneshot::Sender<Result<(), StoreError>>>,
) -> Result<(), StoreError> {
    let alone = jobs.len() == 1;
    let mut levels = Vec::with_capacity(jobs.len());
    let work: Vec<(Batch, Check)> = jobs
        .map(|j| {
            dones.push(j.done);
            levels.push(j.durability);
            (j.batch, j.check)
        })
        .collect();
    let mut opening = Some(w.level.opening(Durability::of_group(levels)));
    let mut kept = 0usize;
    // Whether the batch before was kept, its savepoint still open.
    let mut open: Option<bool> = None;
    for (batch, check) in work {
        let mut sent = Batch::new();
        for sql in opening.into_iter().flat_map(Opening::statements) {
            sent.push(Stmt::new(sql, Vec::new()));
        }
        let opening_len = sent.len();
        if !alone {
            if let Some(keep) = open.take() {
                end_savepoint(&mut sent, keep);
            }
            sent.push(stmt!("SAVEPOINT grouped"));
        }
        let own = sent.len();
        sent.append(batch);
        let ran = run_sqlite(&mut w.conn, sent).await;
        if let Some(o) = opening.take()
            && ran.ran() >= opening_len
        {
            w.level.opened(o);
        }
        let keep = check(ran.after(own)?);
        if keep {
            kept += 1;
        }
        if !alone {
            open = Some(keep);
        }
    }
    let mut end = Batch::new();
    if kept == 0 {
        // Nothing kept: everything rolls back.
        end.push(stmt!("ROLLBACK"));
    } else {
        if open == Some(false) {
            end_savepoint(&mut end, false);
        }
        end.push(stmt!("COMMIT"));
    }
    run_sqlite(&mut w.conn, end).await.finish()?;
    Ok(())
}

/// Ends the open savepoint: kept (released), or undone and released.
fn end_savepoint(batch: &mut Batch, keep: bool) {
    if !keep {
        batch.push(stmt!("ROLLBACK TO grouped"));
    }
    batch.push(stmt!("RELEASE grouped"));
}
