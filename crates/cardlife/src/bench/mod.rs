//! `cardlife bench`: ours against a baseline, same machine, same run, same durability.
//!
//! Each case builds fresh stores, runs the baseline and ours on the same seeded workload,
//! checks correctness afterwards, and prints one JSON line (see docs/cli.md). A failed check
//! makes the command exit non-zero.

mod authorize;
mod baseline;
mod ceiling;
mod cpu;
mod env;
mod flash_sale;
mod http1;
mod ladder;
mod ledger;
pub mod load_gen;
mod open_loop;
mod pay;
mod points;
mod statements;
mod stats;
mod timeline;

use std::path::PathBuf;

use serde::Serialize;

use self::baseline::Baseline;
use self::env::Stores;
use self::ledger::Sizes;
use self::stats::{Side, round2};

/// The cases, with what each measures.
pub const CASES: &[(&str, &str)] = &[
    (
        "ledger/concurrent",
        "64 concurrent callers, one transfer per request; baseline: one transaction per transfer",
    ),
    (
        "ledger/batched",
        "batches of 8,190 transfers; baseline: the same batch per transaction, transfer by transfer",
    ),
    (
        "ledger/hot",
        "every transfer debits one hot account, batched; ratio: hot throughput / uniform throughput",
    ),
    (
        "flash-sale",
        "one item, stock 10,000, 200,000 customers, claims over HTTP open-loop, durable; baseline: UPDATE stock + INSERT per request on PostgreSQL",
    ),
    (
        "authorize",
        "card authorisations over HTTP, open-loop, durable: p50/p99 at 5,000/s and the highest rate with p99 <= 10 ms; baseline: SELECT FOR UPDATE + UPDATE + INSERT per request on PostgreSQL",
    ),
    (
        "pay",
        "QR payments over HTTP end to end (signed order, then pay: authorise and capture on the card), open-loop, durable: p50/p99 at a fixed rate and the highest rate with p99 <= 10 ms; baseline: INSERT order, then one transaction locking order and account, on PostgreSQL",
    ),
    (
        "points",
        "points accrual from payment events, batched, the programme's liability account hot; baseline: SQL per event",
    ),
    (
        "statements",
        "the batch statement run, one statement date for every account, ~30 lines each; baseline: INSERT … SELECT … GROUP BY",
    ),
];

/// Options of one run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Print JSON lines.
    pub json: bool,
    /// A short run that still measures both sides.
    pub quick: bool,
    /// Run on PostgreSQL instead of the embedded store.
    pub database_url: Option<String>,
    /// Offered rates for ours' rate search, in place of the plan's (the cases with one:
    /// [`RATED`]); a pinned rate measures one load directly, without the rungs below it.
    pub rates: Option<Vec<f64>>,
    /// Where embedded stores are created.
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Serialize)]
struct Machine {
    cores: usize,
    fsync_per_sec: f64,
    /// The probe's 99th-percentile sync, in ms (`env::fsync_probe`).
    fsync_p99_ms: f64,
    /// The probe's slowest sync, in ms: a stall this long lands in a durable run's tail.
    fsync_max_ms: f64,
}

/// One case's printed result.
#[derive(Debug, Serialize)]
struct CaseResult {
    name: &'static str,
    unit: &'static str,
    durable: bool,
    backend: &'static str,
    ours: Side,
    baseline: Side,
    ratio: f64,
    checks_passed: bool,
    machine: Machine,
}

/// The process's metrics recorder, installed on first use as `cardlife serve` installs it, so a
/// bench's server records its HTTP metrics as a server in service does (a recorder that is not
/// installed would leave every `metrics::counter!` a no-op and the bench a little too cheap).
fn metrics() -> anyhow::Result<metrics_exporter_prometheus::PrometheusHandle> {
    static HANDLE: std::sync::Mutex<Option<metrics_exporter_prometheus::PrometheusHandle>> =
        std::sync::Mutex::new(None);
    let mut slot = HANDLE.lock().unwrap_or_else(|p| p.into_inner());
    if slot.is_none() {
        *slot = Some(cardlife_server::install_recorder()?);
    }
    slot.clone()
        .ok_or_else(|| anyhow::anyhow!("the metrics recorder was not installed"))
}

/// The cases that search for the highest rate within their latency objective.
pub const RATED: [&str; 3] = ["authorize", "pay", "flash-sale"];

/// The cases `name` selects: the case of that name, or every case of that group.
pub fn find(name: &str) -> anyhow::Result<Vec<&'static str>> {
    let cases: Vec<&'static str> = CASES
        .iter()
        .map(|(case, _)| *case)
        .filter(|case| {
            *case == name
                || case
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .collect();
    if cases.is_empty() {
        anyhow::bail!("no benchmark named {name:?}; `cardlife bench --list` shows them");
    }
    Ok(cases)
}

/// Runs every case whose name is `name` or starts with `name/`. Returns whether all checks held.
pub async fn run(name: &str, opts: &Options) -> anyhow::Result<bool> {
    let cases = find(name)?;
    if opts.rates.is_some()
        && let Some(case) = cases.iter().find(|c| !RATED.contains(c))
    {
        anyhow::bail!(
            "--rates applies to {} only, not to {case}",
            RATED.join(", ")
        );
    }
    let fsync = env::fsync_probe(&opts.dir)?;
    let machine = Machine {
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        fsync_per_sec: round2(fsync.per_sec),
        fsync_p99_ms: round2(fsync.p99_ms),
        fsync_max_ms: round2(fsync.max_ms),
    };
    let mut all_passed = true;
    for case in cases {
        if case == "authorize" {
            all_passed &= authorize::run(opts, machine.clone()).await?;
            continue;
        }
        if case == "pay" {
            all_passed &= pay::run(opts, machine.clone()).await?;
            continue;
        }
        if case == "flash-sale" {
            all_passed &= flash_sale::run(opts, machine.clone()).await?;
            continue;
        }
        let stores = Stores::create(&opts.dir, opts.database_url.as_deref(), case).await?;
        let backend = stores.ours.backend();
        let (ours, baseline, ratio, checks_passed) = run_case(case, &stores, opts.quick).await?;
        stores.cleanup().await?;
        all_passed &= checks_passed;
        let unit = unit_of(case);
        let machine = machine.clone();
        let result = CaseResult {
            name: case,
            unit,
            durable: true,
            backend,
            ours,
            baseline,
            ratio,
            checks_passed,
            machine,
        };
        print(&result, opts.json)?;
    }
    Ok(all_passed)
}

/// What a case counts per second.
fn unit_of(case: &str) -> &'static str {
    match case {
        "points" => "events/s",
        "statements" => "accounts/s",
        _ => "transfers/s",
    }
}

async fn run_case(
    case: &str,
    stores: &Stores,
    quick: bool,
) -> anyhow::Result<(Side, Side, f64, bool)> {
    match case {
        "ledger/concurrent" => {
            let sizes = if quick {
                Sizes {
                    ours: 6_400,
                    baseline: 640,
                }
            } else {
                Sizes {
                    ours: 128_000,
                    baseline: 6_400,
                }
            };
            let base = Baseline::create(stores.baseline.clone(), 10_000).await?;
            let b = ledger::concurrent_baseline(&base, ledger::workload(sizes.baseline, false, 1))
                .await?;
            ledger::settle().await;
            let svc = ledger::start_ours(&stores.ours).await?;
            let o = ledger::concurrent_ours(&svc, ledger::workload(sizes.ours, false, 1)).await?;
            let ok = ledger::check_ours(&svc, sizes.ours as u64).await?
                && base.check(sizes.baseline as u64).await?;
            let ratio = round2(o.per_sec / b.per_sec);
            Ok((o, b, ratio, ok))
        }
        "ledger/batched" => {
            let batches = if quick {
                Sizes {
                    ours: 8,
                    baseline: 2,
                }
            } else {
                Sizes {
                    ours: 100,
                    baseline: 10,
                }
            };
            let n = |batches: usize| batches * cardlife_ledger::BATCH_MAX;
            let base = Baseline::create(stores.baseline.clone(), 10_000).await?;
            let b =
                ledger::batched_baseline(&base, &ledger::workload(n(batches.baseline), false, 1))
                    .await?;
            ledger::settle().await;
            let svc = ledger::start_ours(&stores.ours).await?;
            let o =
                ledger::batched_ours(&svc, &ledger::workload(n(batches.ours), false, 1)).await?;
            let ok = ledger::check_ours(&svc, n(batches.ours) as u64).await?
                && base.check(n(batches.baseline) as u64).await?;
            let ratio = round2(o.per_sec / b.per_sec);
            Ok((o, b, ratio, ok))
        }
        "ledger/hot" => {
            // Both sides are ours, each on a fresh store: the "baseline" is the uniform workload.
            let batches = if quick { 8 } else { 60 };
            let n = batches * cardlife_ledger::BATCH_MAX;
            stores.baseline.migrate().await?;
            let uniform_svc = ledger::start_ours(&stores.baseline).await?;
            let uniform =
                ledger::batched_ours(&uniform_svc, &ledger::workload(n, false, 1)).await?;
            let uniform_ok = ledger::check_ours(&uniform_svc, n as u64).await?;
            ledger::settle().await;
            let svc = ledger::start_ours(&stores.ours).await?;
            let hot = ledger::batched_ours(&svc, &ledger::workload(n, true, 1)).await?;
            let ok = uniform_ok && ledger::check_ours(&svc, n as u64).await?;
            let ratio = round2(hot.per_sec / uniform.per_sec);
            Ok((hot, uniform, ratio, ok))
        }
        "points" => {
            // Both sides take the same events; the check recomputes them from the seed.
            let n = points::events_for(quick);
            let events = points::workload(n)?;
            let base = points::Baseline::create(stores.baseline.clone()).await?;
            let b = points::run_baseline(&base, &events).await?;
            ledger::settle().await;
            let svc = points::start_ours(&stores.ours).await?;
            let o = points::run_ours(&svc, &events).await?;
            drop(events);
            let fresh = points::workload(n)?;
            let (total, earning) = points::expected(&fresh)?;
            let ok = points::check_ours(&svc, &fresh).await? && base.check(total, earning).await?;
            let ratio = round2(o.per_sec / b.per_sec);
            Ok((o, b, ratio, ok))
        }
        "statements" => {
            // Both sides read the same lines in our store; the baseline writes a table of its own.
            let accounts = statements::accounts_for(quick);
            let lines = statements::setup(&stores.ours, accounts).await?;
            let b = statements::run_baseline(&stores.ours, accounts).await?;
            let (o, folded) = statements::run_ours(&stores.ours).await?;
            let ok = statements::check(&stores.ours, accounts, lines, folded).await?;
            let ratio = round2(o.per_sec / b.per_sec);
            Ok((o, b, ratio, ok))
        }
        other => anyhow::bail!("no benchmark named {other:?}"),
    }
}

fn print(r: &CaseResult, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(r)?);
    } else {
        println!(
            "{:<20} ours {:>12.0} {}  baseline {:>12.0}  ratio {:>7.2}  checks {}  ({}, {} cores, fsync {:.0}/s)",
            r.name,
            r.ours.per_sec,
            r.unit,
            r.baseline.per_sec,
            r.ratio,
            if r.checks_passed { "passed" } else { "FAILED" },
            r.backend,
            r.machine.cores,
            r.machine.fsync_per_sec
        );
    }
    Ok(())
}
