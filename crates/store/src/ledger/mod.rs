//! The ledger service: submission through the group committer, and reads.
//!
//! [`LedgerService::start`] picks the writer for the store: the embedded writer keeps the whole
//! ledger in memory and appends each commit to SQLite; the PostgreSQL writer locks, applies and
//! writes what each commit touches, so several processes can share one database.

mod group_commit;
mod read;

use cardlife_kernel::SharedClock;
use cardlife_ledger::{Account, BATCH_MAX, CreateAccountResult, CreateTransferResult, Transfer};
use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, oneshot};

pub(crate) use group_commit::{Backend, Batch, Outcome, apply, credit_appends, durability};
pub use read::{AccountFilter, PAGE_SIZE_MAX, Reader};

use crate::db::Db;
use crate::error::StoreError;

/// Submits batches to the ledger and reads it back. Cheap to clone.
#[derive(Clone, Debug)]
pub struct LedgerService {
    tx: mpsc::Sender<group_commit::Request>,
    reader: Reader,
}

/// Tuning of the ledger writer.
#[derive(Clone, Copy, Debug)]
pub struct LedgerOptions {
    /// Embedded store: balance-log rows after which the log is folded into the accounts table
    /// (about 120 full batches by default; each fold rewrites every account touched since, and a
    /// restart replays at most this many records).
    pub fold_after_log_rows: usize,
    /// PostgreSQL store: writers per process, each committing its own groups concurrently.
    pub shared_writers: usize,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        Self {
            fold_after_log_rows: 1_000_000,
            shared_writers: 2,
        }
    }
}

impl LedgerService {
    /// Starts the ledger writer for `db` (already migrated).
    pub async fn start(db: &Db, clock: SharedClock) -> Result<Self, StoreError> {
        Self::start_with(db, clock, LedgerOptions::default()).await
    }

    /// Starts the ledger writer with explicit options.
    pub async fn start_with(
        db: &Db,
        clock: SharedClock,
        options: LedgerOptions,
    ) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel(group_commit::QUEUE_DEPTH_MAX);
        let rx = Arc::new(Mutex::new(rx));
        match db {
            Db::Sqlite(pool) => {
                let (backend, memory) =
                    crate::sqlite::ledger::EmbeddedLedger::open(pool, options.fold_after_log_rows)
                        .await?;
                tokio::spawn(group_commit::run(backend, rx, clock));
                Ok(Self {
                    tx,
                    reader: Reader::with_memory(db.clone(), memory),
                })
            }
            Db::Postgres(pool) => {
                for _ in 0..options.shared_writers.max(1) {
                    let backend = crate::postgres::ledger::SharedLedger::new(pool.clone());
                    tokio::spawn(group_commit::run(
                        backend,
                        Arc::clone(&rx),
                        Arc::clone(&clock),
                    ));
                }
                Ok(Self {
                    tx,
                    reader: Reader::new(db.clone()),
                })
            }
        }
    }

    /// Creates accounts; one result per account, in order. Answers once durable.
    pub async fn create_accounts(
        &self,
        accounts: Vec<Account>,
    ) -> Result<Vec<CreateAccountResult>, StoreError> {
        if accounts.is_empty() {
            return Ok(Vec::new());
        }
        check_size(accounts.len())?;
        match self.submit(Batch::Accounts(accounts)).await? {
            Outcome::Accounts(results) => Ok(results),
            Outcome::Transfers(_) | Outcome::Swept(_) | Outcome::Credit(_) => {
                Err(StoreError::WriterStopped)
            }
        }
    }

    /// Applies transfers; one result per transfer, in order. Answers once durable.
    pub async fn create_transfers(
        &self,
        transfers: Vec<Transfer>,
    ) -> Result<Vec<CreateTransferResult>, StoreError> {
        if transfers.is_empty() {
            return Ok(Vec::new());
        }
        check_size(transfers.len())?;
        match self.submit(Batch::Transfers(transfers)).await? {
            Outcome::Transfers(results) => Ok(results),
            Outcome::Accounts(_) | Outcome::Swept(_) | Outcome::Credit(_) => {
                Err(StoreError::WriterStopped)
            }
        }
    }

    /// Releases every hold whose timeout has passed now; returns how many. (The writer also
    /// does this by itself every half second and before every batch.)
    pub async fn expire_due(&self) -> Result<usize, StoreError> {
        match self.submit(Batch::Sweep).await? {
            Outcome::Swept(n) => Ok(n),
            Outcome::Accounts(_) | Outcome::Transfers(_) | Outcome::Credit(_) => {
                Err(StoreError::WriterStopped)
            }
        }
    }

    /// Queues a credit command's event (with its key) and the ledger changes it implies, to be
    /// written in one durable commit shared with whatever else is queued (at most
    /// [`BATCH_MAX`] accounts and as many transfers). The [`CreditCommit`] answers once the
    /// commit is done; sending and answering are apart so that a caller can leave the answer
    /// where a later caller finds it.
    pub(crate) async fn send_credit(
        &self,
        mirrored: crate::credit::writer::Mirrored,
    ) -> Result<CreditCommit, StoreError> {
        check_size(mirrored.accounts.len())?;
        check_size(mirrored.transfers.len())?;
        self.send(Batch::Credit(Box::new(mirrored)))
            .await
            .map(CreditCommit)
    }

    /// Reads.
    pub fn reader(&self) -> &Reader {
        &self.reader
    }

    async fn submit(&self, batch: Batch) -> Result<Outcome, StoreError> {
        self.send(batch)
            .await?
            .await
            .map_err(|_| StoreError::WriterStopped)?
    }

    /// Queues `batch` for the writer; the receiver gets its answer once the commit is done.
    async fn send(&self, batch: Batch) -> Result<Answer, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(group_commit::Request {
                batch,
                reply: Some(reply),
            })
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        Ok(answer)
    }
}

type Answer = oneshot::Receiver<Result<Outcome, StoreError>>;

/// A credit command queued for the writer: awaiting it gives the commit's outcome. The writer
/// answers every request it takes, so a caller that stopped waiting can leave this behind for
/// the next caller to await: once it answers, the commit has happened or failed, and the store
/// says which.
#[derive(Debug)]
pub(crate) struct CreditCommit(Answer);

impl CreditCommit {
    /// The commit's outcome (waits for it).
    pub(crate) async fn outcome(
        &mut self,
    ) -> Result<crate::credit::writer::MirrorOutcome, StoreError> {
        match (&mut self.0)
            .await
            .map_err(|_| StoreError::WriterStopped)??
        {
            Outcome::Credit(outcome) => Ok(outcome),
            Outcome::Accounts(_) | Outcome::Transfers(_) | Outcome::Swept(_) => {
                Err(StoreError::WriterStopped)
            }
        }
    }
}

fn check_size(got: usize) -> Result<(), StoreError> {
    if got > BATCH_MAX {
        return Err(StoreError::BatchTooLarge {
            max: BATCH_MAX,
            got,
        });
    }
    Ok(())
}
