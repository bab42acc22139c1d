//! The open-loop load generator every HTTP case uses (docs/benchmarks.md, "Open loop").
//!
//! Requests go out on a fixed schedule whatever the server's pace: request *i* is due at
//! `start + i / rate`, and its latency runs from that intended instant, so a server that falls
//! behind is charged for the queue it builds instead of silently slowing the load (no
//! coordinated omission). At most `in_flight` requests wait for answers at once; a request that
//! cannot start on time still counts from its intended time. Each request ends in one
//! [`Outcome`]: done, refused as the workload expects (served, with its latency), or failed
//! (counted apart; a step with failures misses the objective).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::stats::{Latencies, Side};

/// The pause between starting a run and its first due instant (so the schedule does not begin
/// already late).
pub const LEAD: Duration = Duration::from_millis(20);

/// What one request came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The operation succeeded.
    Done,
    /// The server refused it as the workload expects (a decline, sold out, …): it counts as
    /// served, with its latency.
    Refused,
    /// Transport failure or an unexpected answer: counted apart.
    Failed,
}

/// One run at one offered rate.
#[derive(Clone, Debug)]
pub struct Run {
    /// The offered rate, per second.
    pub offered: f64,
    /// Throughput and latency of what was served (done and refused), from the first due
    /// instant to the last answer.
    pub side: Side,
    /// Requests done.
    pub done: u64,
    /// Requests refused as expected.
    pub refused: u64,
    /// Requests that failed.
    pub failed: u64,
    /// The machine's CPU (every process, all cores: [`super::cpu::machine_used`]) over the
    /// run, in microseconds a request sent; `None` where it cannot be read.
    pub machine_cpu_us: Option<f64>,
}

impl Run {
    /// Whether nothing failed and the p99 stayed within `p99_ms_max`.
    pub fn within(&self, p99_ms_max: f64) -> bool {
        self.failed == 0 && self.side.p99_ms.is_some_and(|p| p <= p99_ms_max)
    }
}

/// Sends `total` requests at `rate` a second; request `i` is `send(i)`.
pub async fn run_n<F, Fut>(rate: f64, total: u64, in_flight: usize, send: F) -> anyhow::Result<Run>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    anyhow::ensure!(rate > 0.0, "the offered rate must be positive");
    anyhow::ensure!(
        in_flight > 0,
        "at least one request must be allowed in flight"
    );
    let send = Arc::new(send);
    let gate = Arc::new(Semaphore::new(in_flight));
    let seen = Arc::new(Mutex::new((Latencies::new()?, [0u64; 3])));
    let start = Instant::now() + LEAD;
    let machine_before = super::cpu::machine_used();
    for i in 0..total {
        let intended = start + Duration::from_secs_f64(i as f64 / rate);
        if intended > Instant::now() {
            tokio::time::sleep_until(intended).await;
        }
        let permit = Arc::clone(&gate).acquire_owned().await?;
        let (send, seen) = (Arc::clone(&send), Arc::clone(&seen));
        tokio::spawn(async move {
            let outcome = send(i).await;
            let took = intended.elapsed();
            let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
            if outcome != Outcome::Failed {
                seen.0.record(took);
            }
            seen.1[outcome as usize] += 1;
            drop(seen);
            drop(permit);
        });
    }
    // Every permit back: every request answered and recorded.
    let _all = gate.acquire_many(u32::try_from(in_flight)?).await?;
    let elapsed = start.elapsed();
    let machine_after = super::cpu::machine_used();
    let seen = seen.lock().unwrap_or_else(|p| p.into_inner());
    let [done, refused, failed] = seen.1;
    Ok(Run {
        offered: rate,
        side: Side::with_latency(done + refused, elapsed, &seen.0),
        done,
        refused,
        failed,
        machine_cpu_us: super::cpu::per_op_us(machine_before, machine_after, total),
    })
}

/// Sends `rate` requests a second for `duration` (see [`run_n`]).
pub async fn run<F, Fut>(
    rate: f64,
    duration: Duration,
    in_flight: usize,
    send: F,
) -> anyhow::Result<Run>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let total = (rate * duration.as_secs_f64()).round().max(1.0) as u64;
    run_n(rate, total, in_flight, send).await
}

/// The rate search: runs `step(i, rate)` for each of `rates` in rising order and stops after the
/// first step that does not `hold`; returns every step run. The highest rate within the
/// objective is the last step that held.
pub async fn step_rates<T, F, Fut>(
    label: &str,
    rates: &[f64],
    mut step: F,
    hold: impl Fn(&T) -> bool,
    describe: impl Fn(&T) -> String,
) -> anyhow::Result<Vec<T>>
where
    F: FnMut(usize, f64) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut steps = Vec::new();
    for (i, &rate) in rates.iter().enumerate() {
        let s = step(i, rate).await?;
        let held = hold(&s);
        eprintln!(
            "{label} step {rate:>8.0}/s offered: {} — {}",
            describe(&s),
            if held { "met" } else { "missed" }
        );
        steps.push(s);
        if !held {
            break;
        }
    }
    Ok(steps)
}

/// A pooled HTTP/1.1 client for the generator: no proxy, `TCP_NODELAY`, up to `idle` idle
/// connections kept.
pub fn client(idle: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(idle)
        .timeout(Duration::from_secs(30))
        .build()?)
}
