//! Throughput and latency figures of one side of a benchmark.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latencies recorded in microseconds, from 1 µs to 100 s.
#[derive(Debug)]
pub struct Latencies(Histogram<u64>);

impl Latencies {
    /// An empty recorder.
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self(Histogram::new_with_bounds(1, 100_000_000, 3)?))
    }

    /// Records one latency.
    pub fn record(&mut self, d: Duration) {
        let micros = u64::try_from(d.as_micros())
            .unwrap_or(u64::MAX)
            .clamp(1, 100_000_000);
        // Bounds are clamped above, so recording cannot fail.
        let _ = self.0.record(micros);
    }

    /// Adds another recorder's samples.
    pub fn merge(&mut self, other: &Self) {
        let _ = self.0.add(&other.0);
    }

    fn ms(&self, q: f64) -> f64 {
        self.0.value_at_quantile(q) as f64 / 1000.0
    }
}

/// One side's result, as printed.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// Operations per second.
    pub per_sec: f64,
    /// Median latency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p50_ms: Option<f64>,
    /// 99th percentile latency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99_ms: Option<f64>,
    /// 99.9th percentile latency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p999_ms: Option<f64>,
    /// Slowest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_ms: Option<f64>,
    /// Operations done.
    pub ops: u64,
    /// Wall time.
    pub seconds: f64,
}

impl Side {
    /// Throughput only.
    pub fn throughput(ops: u64, elapsed: Duration) -> Self {
        let seconds = elapsed.as_secs_f64();
        Self {
            per_sec: round2(ops as f64 / seconds.max(1e-9)),
            p50_ms: None,
            p99_ms: None,
            p999_ms: None,
            max_ms: None,
            ops,
            seconds: round2(seconds),
        }
    }

    /// Throughput and latency.
    pub fn with_latency(ops: u64, elapsed: Duration, lat: &Latencies) -> Self {
        Self {
            p50_ms: Some(round2(lat.ms(0.5))),
            p99_ms: Some(round2(lat.ms(0.99))),
            p999_ms: Some(round2(lat.ms(0.999))),
            max_ms: Some(round2(lat.0.max() as f64 / 1000.0)),
            ..Self::throughput(ops, elapsed)
        }
    }
}

/// Rounds to two decimals for printing.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
