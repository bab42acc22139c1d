//! The embedded store's log brought to disk outside the write lock, once for every waiting
//! commit.
//!
//! A `synchronous=FULL` commit syncs SQLite's write-ahead log while it still holds the write
//! lock, so every other writer waits for the disk too, and each commit pays a sync of its own.
//! A writer that commits at `synchronous=NORMAL` instead releases the lock as soon as its frames
//! are written; it then calls [`LogSync::wait`], and answers nobody before that returns. One
//! thread per database file syncs the log for everyone waiting: each round takes every caller
//! queued so far (each of whom committed before queueing), syncs the log file once, and lets
//! them all go. Meanwhile the writer is already writing its next transaction. This is how
//! PostgreSQL flushes its WAL for many committers at once.
//!
//! Why nothing answered is lost: the log is appended in order and a sync brings everything
//! written to the file before it started (a log reset after a full checkpoint happens only once
//! the checkpoint has synced the database file, and SQLite keeps the database consistent at
//! `NORMAL`). A crash can lose commits nobody was answered for — the last ones, in log order —
//! and nothing else. What differs from a synced commit: until the sync, other connections can
//! already read the commit, as they can read a carried one ([`crate::durability`]). A writer
//! that answers from what it committed (an idempotent retry, a sequencer's memory) must
//! therefore answer only after a wait that began after the commit, never from the commit alone.
//!
//! The thread opens the log file afresh each round (SQLite removes and re-creates it when the
//! last connection closes, and a kept descriptor would sync a removed file), and syncs the
//! folder too the first time it meets a file, so a new log's name is on disk as well. A failed
//! sync leaves the file's state unknown: that round and every later one fail, and the store
//! answers no more durable writes until the process restarts and reads what the disk holds.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, LazyLock, Mutex, Weak, mpsc};

use sqlx::SqlitePool;
use tokio::sync::oneshot;

use crate::error::StoreError;

/// One waiting commit's answer.
type Waiter = oneshot::Sender<Result<(), String>>;

/// The log syncer of one embedded database file.
#[derive(Debug)]
pub struct LogSync {
    queue: mpsc::Sender<Waiter>,
    gate: Arc<Gate>,
}

/// Holds back the syncer's rounds while any [`SyncHold`] lives.
#[derive(Debug, Default)]
struct Gate {
    holds: Mutex<u32>,
    freed: Condvar,
}

impl Gate {
    /// Returns once no hold is left.
    fn pass(&self) {
        let mut holds = self.holds.lock().unwrap_or_else(|p| p.into_inner());
        while *holds > 0 {
            holds = self.freed.wait(holds).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// While it lives, the file's log syncer starts no round: every wait begun meanwhile waits on,
/// and is answered by the first round after the hold is dropped. What a slow disk looks like to
/// the writers, on demand (tests of what must not be answered before the disk). The hold keeps
/// its syncer alive, so every writer of the file that asks for the syncer meanwhile gets this one.
#[derive(Debug)]
#[must_use = "the hold ends when dropped"]
pub struct SyncHold(Arc<LogSync>);

impl Drop for SyncHold {
    fn drop(&mut self) {
        let gate = &self.0.gate;
        let mut holds = gate.holds.lock().unwrap_or_else(|p| p.into_inner());
        *holds = holds.saturating_sub(1);
        gate.freed.notify_all();
    }
}

/// The syncers of this process, by log file; a syncer's thread ends when its last user drops it.
static SYNCERS: LazyLock<Mutex<HashMap<PathBuf, Weak<LogSync>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

impl LogSync {
    /// The syncer of `pool`'s database file, started on first use and shared by every writer of
    /// the file in this process.
    pub fn of(pool: &SqlitePool) -> Result<Arc<Self>, StoreError> {
        let db = std::path::absolute(pool.connect_options().get_filename())
            .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        let mut wal = db.into_os_string();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        let mut syncers = SYNCERS.lock().unwrap_or_else(|p| p.into_inner());
        syncers.retain(|_, s| s.strong_count() > 0);
        if let Some(s) = syncers.get(&wal).and_then(Weak::upgrade) {
            return Ok(s);
        }
        let syncer = Arc::new(Self::start(wal.clone())?);
        syncers.insert(wal, Arc::downgrade(&syncer));
        Ok(syncer)
    }

    /// A syncer of the log file at `wal`, on a thread of its own.
    fn start(wal: PathBuf) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel();
        let gate = Arc::new(Gate::default());
        let held = Arc::clone(&gate);
        std::thread::Builder::new()
            .name("cardlife-log-sync".to_owned())
            .spawn(move || run(&wal, &rx, &held))
            .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        Ok(Self { queue: tx, gate })
    }

    /// Holds back this file's syncs until the returned hold is dropped ([`SyncHold`]).
    pub fn hold(self: &Arc<Self>) -> SyncHold {
        let mut holds = self.gate.holds.lock().unwrap_or_else(|p| p.into_inner());
        *holds = holds.saturating_add(1);
        SyncHold(Arc::clone(self))
    }

    /// Returns once every commit that returned before this call is on disk.
    pub async fn wait(&self) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        self.queue
            .send(tx)
            .map_err(|_| StoreError::CommitFailed("the log syncer has stopped".to_owned()))?;
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::CommitFailed(format!("syncing the log: {e}"))),
            Err(_) => Err(StoreError::CommitFailed(
                "the log syncer has stopped".to_owned(),
            )),
        }
    }
}

/// A commit that is written but may not be on disk yet: its value is had only by waiting for
/// the disk ([`Unsynced::durable`]). On PostgreSQL (and for a commit that waited already) there
/// is nothing to wait for.
#[derive(Debug)]
#[must_use = "a commit is not durable until waited for"]
pub struct Unsynced<T> {
    value: T,
    sync: Option<Arc<LogSync>>,
}

impl<T> Unsynced<T> {
    /// `value`, once `sync` (if any) has brought its commit to disk.
    pub(crate) fn new(value: T, sync: Option<Arc<LogSync>>) -> Self {
        Self { value, sync }
    }

    /// The value, once its commit is on disk.
    pub async fn durable(self) -> Result<T, StoreError> {
        if let Some(sync) = &self.sync {
            sync.wait().await?;
        }
        Ok(self.value)
    }
}

/// The syncer's thread: a round per batch of waiters, until every sender is gone.
fn run(wal: &Path, rx: &mpsc::Receiver<Waiter>, gate: &Gate) {
    let mut seen: Option<(u64, u64)> = None;
    let mut failed: Option<String> = None;
    // The folder's sync, ahead of the first waiter (a later failure is found by the first round).
    let _ = sync(wal, &mut seen);
    while let Ok(first) = rx.recv() {
        gate.pass();
        let mut waiters = vec![first];
        waiters.extend(rx.try_iter());
        let result = match &failed {
            Some(e) => Err(e.clone()),
            None => sync(wal, &mut seen).map_err(|e| e.to_string()),
        };
        if let Err(e) = &result
            && failed.is_none()
        {
            tracing::error!(error = %e, log = %wal.display(), "syncing the log failed; no more durable writes until restart");
            failed = Some(e.clone());
        }
        metrics::counter!("cardlife_log_syncs_total").increment(1);
        metrics::histogram!("cardlife_log_sync_waiters").record(waiters.len() as f64);
        for w in waiters {
            let _ = w.send(result.clone());
        }
    }
}

/// Syncs the log file's data, and its folder when the file is new to this syncer (`seen`: the
/// device and inode last synced). No file: the last connection closed, and SQLite checkpointed
/// the log into the database file and synced that before removing it.
fn sync(wal: &Path, seen: &mut Option<(u64, u64)>) -> io::Result<()> {
    let file = match File::open(wal) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    file.sync_data()?;
    let meta = file.metadata()?;
    let id = (meta.dev(), meta.ino());
    if *seen != Some(id) {
        if let Some(dir) = wal.parent() {
            File::open(dir)?.sync_all()?;
        }
        *seen = Some(id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::db::Db;

    #[test]
    fn a_new_log_file_syncs_its_folder_once_and_a_missing_one_is_nothing_to_sync() {
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join("x.db-wal");
        let mut seen = None;
        sync(&wal, &mut seen).unwrap();
        assert_eq!(seen, None);
        std::fs::write(&wal, b"frames").unwrap();
        sync(&wal, &mut seen).unwrap();
        let first = seen.unwrap();
        sync(&wal, &mut seen).unwrap();
        assert_eq!(seen, Some(first));
    }

    #[tokio::test]
    async fn a_failed_sync_fails_that_wait_and_every_later_one() {
        let dir = tempfile::tempdir().unwrap();
        // A log under a plain file: opening it fails (not a folder), as a failing disk would.
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"").unwrap();
        let syncer = LogSync::start(blocker.join("x.db-wal")).unwrap();
        assert!(matches!(
            syncer.wait().await,
            Err(StoreError::CommitFailed(_))
        ));
        // Even once the path could be opened the syncer does not trust the disk again.
        std::fs::remove_file(&blocker).unwrap();
        std::fs::create_dir(&blocker).unwrap();
        assert!(matches!(
            syncer.wait().await,
            Err(StoreError::CommitFailed(_))
        ));
    }

    #[tokio::test]
    async fn a_held_syncer_answers_no_wait_until_the_hold_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let syncer = Arc::new(LogSync::start(dir.path().join("h.db-wal")).unwrap());
        let hold = syncer.hold();
        let second = syncer.hold();
        // A hold keeps its syncer: the file's writers find this one while it is held.
        assert_eq!(Arc::strong_count(&syncer), 3);
        let waiter = {
            let syncer = Arc::clone(&syncer);
            tokio::spawn(async move { syncer.wait().await })
        };
        drop(second);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(!waiter.is_finished(), "answered while held");
        drop(hold);
        waiter.await.unwrap().unwrap();
        syncer.wait().await.unwrap();
    }

    #[tokio::test]
    async fn many_waiters_are_answered_and_one_store_shares_one_syncer() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/s.db", dir.path().display());
        let Db::Sqlite(pool) = Db::open(&url).await.unwrap() else {
            unreachable!("a sqlite URL opens SQLite")
        };
        let a = LogSync::of(&pool).unwrap();
        let b = LogSync::of(&pool).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let waits = (0..50).map(|_| {
            let a = Arc::clone(&a);
            tokio::spawn(async move { a.wait().await })
        });
        for w in waits {
            w.await.unwrap().unwrap();
        }
        // Another file, another syncer.
        let other = format!("sqlite://{}/t.db", dir.path().display());
        let Db::Sqlite(other) = Db::open(&other).await.unwrap() else {
            unreachable!("a sqlite URL opens SQLite")
        };
        assert!(!Arc::ptr_eq(&a, &LogSync::of(&other).unwrap()));
    }
}
