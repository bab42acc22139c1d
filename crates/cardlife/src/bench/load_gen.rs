//! The open-loop generator in a process of its own (docs/benchmarks.md, "The open-loop
//! generator"). A case that measures a server over HTTP calls [`drive`]: it starts this same
//! binary as the hidden `cardlife bench-load`, writes the run's terms and its requests to that
//! process's stdin (tokens never touch the disk), and reads the outcome back from its stdout as
//! one JSON object. The server under test then keeps the bench process's cores to itself, as far
//! as the OS lets it; the generator runs on one thread of its own.
//!
//! The child ([`child_main`]) pre-builds every request's bytes, opens a fixed pool of keep-alive
//! connections before the clock starts, then runs the schedule: request *i* is due at
//! `start + i / rate` and its latency runs from that instant to its answer's last byte, so a
//! server that falls behind is charged for the queue it builds (no coordinated omission). A due
//! request waits for a free connection if all are busy, still counting from its intended time.
//! Answers are sorted by status into done, refused (as the workload expects) and failed (any
//! other status, or a transport error; never in the latency figures).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};
use std::rc::Rc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::http1::Connection;
use super::open_loop::{LEAD, Run};
use super::stats::{Latencies, Side};
use super::timeline::{Timeline, Window};

/// The hidden subcommand that runs the child.
pub const SUBCOMMAND: &str = "bench-load";
/// The most connections a run may ask for.
pub const CONNECTIONS_MAX: usize = 4_096;

/// The terms of one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadSpec {
    /// `host:port` of the server.
    pub addr: String,
    /// The method of every request (`POST`).
    pub method: String,
    /// Requests a second, offered whatever the server does.
    pub rate: f64,
    /// Keep-alive connections, opened before the schedule starts (the most in flight).
    pub connections: usize,
    /// Statuses that count as done.
    pub done: Vec<u16>,
    /// Statuses that count as refused as the workload expects.
    pub refused: Vec<u16>,
}

/// One request: its path and its headers (no body).
#[derive(Debug, Clone)]
pub struct LoadRequest {
    /// The path, with its query if any.
    pub path: String,
    /// Header lines, each `name: value`.
    pub headers: Vec<String>,
}

/// What the child reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadReport {
    /// The offered rate.
    pub offered: f64,
    /// Answers served (done and refused) a second, first due instant to last answer.
    pub per_sec: f64,
    /// Latency quantiles of the served answers, ms.
    pub p50_ms: Option<f64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// 99.9th percentile, ms.
    pub p999_ms: Option<f64>,
    /// Slowest, ms.
    pub max_ms: Option<f64>,
    /// Wall time, first due instant to last answer, seconds.
    pub seconds: f64,
    /// Requests done.
    pub done: u64,
    /// Requests refused as expected.
    pub refused: u64,
    /// Requests failed.
    pub failed: u64,
    /// When the last done answer arrived, seconds after the first due instant.
    pub last_done_s: Option<f64>,
    /// Answers by status (`"0"`: transport errors).
    pub statuses: BTreeMap<String, u64>,
    /// CPU time the generator itself spent per request over the schedule, in microseconds.
    pub generator_cpu_us_per_request: Option<f64>,
    /// The whole machine's CPU per request over the schedule (server, generator and anything
    /// else running), in microseconds.
    pub machine_cpu_us_per_request: Option<f64>,
    /// The served answers' latencies by window of due instants (`bench::timeline`).
    pub timeline: Vec<Window>,
}

impl LoadReport {
    /// The run in the in-process generator's terms.
    pub fn run(&self) -> Run {
        Run {
            offered: self.offered,
            side: Side {
                per_sec: self.per_sec,
                p50_ms: self.p50_ms,
                p99_ms: self.p99_ms,
                p999_ms: self.p999_ms,
                max_ms: self.max_ms,
                ops: self.done + self.refused,
                seconds: self.seconds,
            },
            done: self.done,
            refused: self.refused,
            failed: self.failed,
            machine_cpu_us: self.machine_cpu_us_per_request,
        }
    }
}

fn check_line(text: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !text.contains(['\t', '\r', '\n']),
        "a generator request may not hold tabs or line breaks"
    );
    Ok(())
}

/// Runs `requests` against the server of `spec` from a child process; returns its report.
pub async fn drive(spec: &LoadSpec, requests: &[LoadRequest]) -> anyhow::Result<LoadReport> {
    anyhow::ensure!(spec.rate > 0.0, "the offered rate must be positive");
    anyhow::ensure!(
        (1..=CONNECTIONS_MAX).contains(&spec.connections),
        "a run uses 1 to {CONNECTIONS_MAX} connections"
    );
    let mut input = serde_json::to_string(spec)?;
    input.push('\n');
    for r in requests {
        check_line(&r.path)?;
        input.push_str(&r.path);
        for h in &r.headers {
            check_line(h)?;
            input.push('\t');
            input.push_str(h);
        }
        input.push('\n');
    }
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .arg(SUBCOMMAND)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdin"))?;
    let feed = tokio::spawn(async move {
        stdin.write_all(input.as_bytes()).await?;
        stdin.shutdown().await
    });
    let out = child.wait_with_output().await?;
    feed.await??;
    anyhow::ensure!(
        out.status.success(),
        "the load generator failed ({})",
        out.status
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// The child: reads the spec and requests from stdin, runs them, prints the report on stdout.
/// Runs on one thread with a runtime of its own.
pub fn child_main() -> anyhow::Result<()> {
    let worker = std::thread::spawn(|| -> anyhow::Result<LoadReport> {
        let mut input = String::new();
        std::io::stdin().read_to_string(&mut input)?;
        let mut lines = input.lines();
        let spec: LoadSpec = serde_json::from_str(lines.next().unwrap_or_default())?;
        let requests: Vec<Box<[u8]>> = lines.map(|l| request_bytes(&spec, l)).collect();
        drop(input);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let local = tokio::task::LocalSet::new();
        runtime.block_on(local.run_until(run(spec, requests)))
    });
    let report = worker
        .join()
        .map_err(|_| anyhow::anyhow!("the load generator thread panicked"))??;
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &report)?;
    stdout.write_all(b"\n")?;
    Ok(())
}

/// `METHOD path HTTP/1.1`, the host, the line's headers, an empty body.
fn request_bytes(spec: &LoadSpec, line: &str) -> Box<[u8]> {
    let mut parts = line.split('\t');
    let path = parts.next().unwrap_or("/");
    let mut text = format!("{} {path} HTTP/1.1\r\nhost: {}\r\n", spec.method, spec.addr);
    for h in parts {
        text.push_str(h);
        text.push_str("\r\n");
    }
    text.push_str("content-length: 0\r\n\r\n");
    text.into_bytes().into_boxed_slice()
}

/// Counts and latencies so far.
struct Tally {
    latencies: Latencies,
    timeline: Timeline,
    done: u64,
    refused: u64,
    failed: u64,
    last_done: Option<Duration>,
    statuses: BTreeMap<String, u64>,
}

/// What the schedule and the connections share (one thread: `Rc`, no locks).
struct Shared {
    requests: Vec<Box<[u8]>>,
    due: RefCell<VecDeque<(usize, Instant)>>,
    wake: Notify,
    finished: Cell<bool>,
    start: Instant,
    tally: RefCell<Tally>,
    done: Vec<u16>,
    refused: Vec<u16>,
}

impl Shared {
    fn record(&self, status: u16, intended: Instant) {
        let now = Instant::now();
        let mut t = self.tally.borrow_mut();
        *t.statuses.entry(status.to_string()).or_default() += 1;
        if self.done.contains(&status) {
            t.done += 1;
            let at = now - self.start;
            t.last_done = Some(t.last_done.map_or(at, |l| l.max(at)));
        } else if self.refused.contains(&status) {
            t.refused += 1;
        } else {
            t.failed += 1;
            return;
        }
        // Served, done or refused: its latency counts.
        t.latencies.record(now - intended);
        t.timeline.record(intended - self.start, now - intended);
    }
}

async fn run(spec: LoadSpec, requests: Vec<Box<[u8]>>) -> anyhow::Result<LoadReport> {
    let mut connections = Vec::with_capacity(spec.connections);
    for _ in 0..spec.connections {
        connections.push(Connection::open(&spec.addr).await?);
    }
    let total = requests.len();
    let cpu_before = super::cpu::used();
    let machine_before = super::cpu::machine_used();
    let shared = Rc::new(Shared {
        requests,
        due: RefCell::new(VecDeque::new()),
        wake: Notify::new(),
        finished: Cell::new(false),
        start: Instant::now() + LEAD,
        tally: RefCell::new(Tally {
            latencies: Latencies::new()?,
            timeline: Timeline::default(),
            done: 0,
            refused: 0,
            failed: 0,
            last_done: None,
            statuses: BTreeMap::new(),
        }),
        done: spec.done.clone(),
        refused: spec.refused.clone(),
    });
    let workers: Vec<_> = connections
        .into_iter()
        .map(|c| tokio::task::spawn_local(connection(shared.clone(), spec.addr.clone(), c)))
        .collect();
    for i in 0..total {
        let intended = shared.start + Duration::from_secs_f64(i as f64 / spec.rate);
        if intended > Instant::now() {
            tokio::time::sleep_until(intended).await;
        }
        shared.due.borrow_mut().push_back((i, intended));
        shared.wake.notify_one();
    }
    shared.finished.set(true);
    shared.wake.notify_waiters();
    for w in workers {
        w.await?;
    }
    let elapsed = shared.start.elapsed();
    let cpu_after = super::cpu::used();
    let machine_after = super::cpu::machine_used();
    let t = shared.tally.borrow();
    let side = Side::with_latency(t.done + t.refused, elapsed, &t.latencies);
    Ok(LoadReport {
        offered: spec.rate,
        per_sec: side.per_sec,
        p50_ms: side.p50_ms,
        p99_ms: side.p99_ms,
        p999_ms: side.p999_ms,
        max_ms: side.max_ms,
        seconds: side.seconds,
        done: t.done,
        refused: t.refused,
        failed: t.failed,
        last_done_s: t.last_done.map(|d| super::stats::round2(d.as_secs_f64())),
        statuses: t.statuses.clone(),
        generator_cpu_us_per_request: super::cpu::per_op_us(cpu_before, cpu_after, total as u64),
        machine_cpu_us_per_request: super::cpu::per_op_us(
            machine_before,
            machine_after,
            total as u64,
        ),
        timeline: t.timeline.windows(),
    })
}

/// One connection: takes due requests in order until the schedule is over and nothing is due.
async fn connection(shared: Rc<Shared>, addr: String, first: Connection) {
    let mut conn = Some(first);
    loop {
        let next = shared.due.borrow_mut().pop_front();
        let Some((i, intended)) = next else {
            if shared.finished.get() {
                return;
            }
            shared.wake.notified().await;
            continue;
        };
        if conn.is_none() {
            conn = Connection::open(&addr).await.ok();
        }
        let answer = match conn.as_mut() {
            Some(c) => c.exchange(&shared.requests[i]).await.ok(),
            None => None,
        };
        match answer {
            Some(a) => {
                shared.record(a.status, intended);
                if a.close {
                    conn = None;
                }
            }
            None => {
                shared.record(0, intended);
                conn = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_line_becomes_a_whole_http_request() {
        let spec = LoadSpec {
            addr: "127.0.0.1:9".into(),
            method: "POST".into(),
            rate: 1.0,
            connections: 1,
            done: vec![201],
            refused: vec![409],
        };
        let bytes = request_bytes(&spec, "/v1/x\tauthorization: Bearer t\tidempotency-key: k1");
        assert_eq!(
            std::str::from_utf8(&bytes).ok(),
            Some(
                "POST /v1/x HTTP/1.1\r\nhost: 127.0.0.1:9\r\nauthorization: Bearer t\r\nidempotency-key: k1\r\ncontent-length: 0\r\n\r\n"
            )
        );
        assert!(check_line("a\tb").is_err());
        assert!(check_line("authorization: Bearer x").is_ok());
    }
}
