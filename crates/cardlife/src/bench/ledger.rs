//! The ledger cases: `ledger/concurrent`, `ledger/batched`, `ledger/hot`.
//!
//! Workload: 10,000 accounts on one ledger; transfers between two distinct accounts drawn
//! uniformly (or, for the hot case, every transfer debits account 1), amounts 1..=10,000, from a
//! fixed seed. Ours goes through the real `LedgerService` (group commit, durable); the baseline
//! is [`Baseline`]. After each run the whole store is checked.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cardlife_kernel::{SharedClock, SystemClock};
use cardlife_ledger::{
    Account, AccountFlags, BATCH_MAX, CreateTransferResult, Transfer, TransferFlags,
};
use cardlife_store::{Db, LedgerService};
use rand::{RngExt, SeedableRng, rngs::StdRng};

use super::baseline::Baseline;
use super::stats::{Latencies, Side};

/// Accounts in every ledger workload.
const ACCOUNTS: u128 = 10_000;
/// The ledger (asset) the workload uses.
const LEDGER: u32 = 1;
/// Callers in the concurrent case.
pub const CALLERS: usize = 64;
/// The workload's seed.
const SEED: u64 = 0x00C4_2D11_FE00;

/// How many transfers each side runs.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Ours.
    pub ours: usize,
    /// The baseline's.
    pub baseline: usize,
}

/// The transfers of a workload, ids from `first_id`.
pub fn workload(n: usize, hot: bool, first_id: u128) -> Vec<Transfer> {
    let mut rng = StdRng::seed_from_u64(SEED);
    (0..n)
        .map(|i| {
            let debit = if hot {
                1
            } else {
                rng.random_range(1..=ACCOUNTS)
            };
            let mut credit = rng.random_range(1..=ACCOUNTS);
            while credit == debit {
                credit = rng.random_range(1..=ACCOUNTS);
            }
            Transfer {
                id: first_id + i as u128,
                debit_account_id: debit,
                credit_account_id: credit,
                amount: rng.random_range(1..=10_000),
                ledger: LEDGER,
                code: 1,
                flags: TransferFlags::NONE,
                ..Transfer::default()
            }
        })
        .collect()
}

/// Starts our ledger on `db` with the workload's accounts.
pub async fn start_ours(db: &Db) -> anyhow::Result<LedgerService> {
    let clock: SharedClock = Arc::new(SystemClock);
    let svc = LedgerService::start(db, clock).await?;
    let accounts: Vec<Account> = (1..=ACCOUNTS)
        .map(|id| Account::new(id, LEDGER, 1, AccountFlags::NONE))
        .collect();
    for chunk in accounts.chunks(BATCH_MAX) {
        let results = svc.create_accounts(chunk.to_vec()).await?;
        anyhow::ensure!(
            results.iter().all(|r| r.is_success()),
            "account setup failed"
        );
    }
    Ok(svc)
}

/// `CALLERS` tasks, each submitting one transfer at a time and waiting for it.
pub async fn concurrent_ours(
    svc: &LedgerService,
    transfers: Vec<Transfer>,
) -> anyhow::Result<Side> {
    concurrent(transfers, svc.clone(), |svc, t| async move {
        let results = svc.create_transfers(vec![t]).await?;
        anyhow::ensure!(
            results == [CreateTransferResult::Ok],
            "transfer refused: {results:?}"
        );
        Ok(())
    })
    .await
}

/// The same with the baseline, one transaction per transfer.
pub async fn concurrent_baseline(
    base: &Baseline,
    transfers: Vec<Transfer>,
) -> anyhow::Result<Side> {
    concurrent(transfers, base.clone(), |base, t| async move {
        base.transfer_one(&t).await
    })
    .await
}

/// Deals `transfers` to `CALLERS` tasks that each submit theirs one at a time through `submit`.
async fn concurrent<S, F, Fut>(
    transfers: Vec<Transfer>,
    target: S,
    submit: F,
) -> anyhow::Result<Side>
where
    S: Clone + Send + 'static,
    F: Fn(S, Transfer) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let n = transfers.len() as u64;
    let start = Instant::now();
    let tasks: Vec<_> = deal(transfers, CALLERS)
        .into_iter()
        .map(|queue| {
            let target = target.clone();
            tokio::spawn(async move {
                let mut lat = Latencies::new()?;
                for t in queue {
                    let sent = Instant::now();
                    submit(target.clone(), t).await?;
                    lat.record(sent.elapsed());
                }
                anyhow::Ok(lat)
            })
        })
        .collect();
    let lat = join_latencies(tasks).await?;
    Ok(Side::with_latency(n, start.elapsed(), &lat))
}

/// One caller submitting full batches back to back.
pub async fn batched_ours(svc: &LedgerService, transfers: &[Transfer]) -> anyhow::Result<Side> {
    batched(transfers, |chunk| async move {
        let results = svc.create_transfers(chunk.to_vec()).await?;
        anyhow::ensure!(
            results.iter().all(|r| *r == CreateTransferResult::Ok),
            "a transfer was refused"
        );
        Ok(())
    })
    .await
}

/// The same batches with the baseline, one transaction per batch.
pub async fn batched_baseline(base: &Baseline, transfers: &[Transfer]) -> anyhow::Result<Side> {
    batched(transfers, |chunk| base.transfer_batch(chunk)).await
}

/// Submits `items` in chunks of `BATCH_MAX`, one after the other, timing each (every batched
/// case uses it).
pub(super) async fn batched<'a, T, F, Fut>(items: &'a [T], submit: F) -> anyhow::Result<Side>
where
    F: Fn(&'a [T]) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut lat = Latencies::new()?;
    let start = Instant::now();
    for chunk in items.chunks(BATCH_MAX) {
        let sent = Instant::now();
        submit(chunk).await?;
        lat.record(sent.elapsed());
    }
    Ok(Side::with_latency(
        items.len() as u64,
        start.elapsed(),
        &lat,
    ))
}

/// Whether our store holds exactly `expected` transfers and every invariant holds.
pub async fn check_ours(svc: &LedgerService, expected: u64) -> anyhow::Result<bool> {
    let report = svc.reader().check().await?;
    for v in report.violations.iter().take(10) {
        tracing::error!(violation = %v, "ledger invariant broken");
    }
    Ok(report.ok() && report.transfers == expected && report.accounts == ACCOUNTS as u64)
}

fn deal(transfers: Vec<Transfer>, hands: usize) -> Vec<Vec<Transfer>> {
    let mut queues: Vec<Vec<Transfer>> = (0..hands).map(|_| Vec::new()).collect();
    for (i, t) in transfers.into_iter().enumerate() {
        queues[i % hands].push(t);
    }
    queues
}

async fn join_latencies(
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<Latencies>>>,
) -> anyhow::Result<Latencies> {
    let mut all = Latencies::new()?;
    for task in tasks {
        all.merge(&task.await??);
    }
    Ok(all)
}

/// A short pause so the previous side's background work (WAL checkpoints) settles.
pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}
