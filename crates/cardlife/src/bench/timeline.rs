//! Latency by window of intended instants: how a run's tail is spread over its seconds.
//!
//! A run's p99 says how slow its slowest hundredth was, not when. In a flash sale the answer
//! matters: the sale's first half-second (the winners' commits) and the sold-out phase after it
//! are different workloads. Each served answer is filed under the window its request was *due*
//! in (the open-loop schedule's instant, not its answer's), so a window's figures are those of
//! the requests offered in it, queueing included.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::stats::round2;

/// The width of one window.
pub const WINDOW: Duration = Duration::from_millis(100);

/// The served answers of one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// Where the window starts, seconds after the first due instant.
    pub from_s: f64,
    /// Answers served (done or refused) to requests due in the window.
    pub served: u64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Slowest, ms.
    pub max_ms: f64,
}

/// Latencies gathered by window.
#[derive(Debug, Default)]
pub struct Timeline {
    /// Microseconds, one list a window.
    windows: Vec<Vec<u32>>,
}

impl Timeline {
    /// Files the latency of a request due `due_after` the first due instant.
    pub fn record(&mut self, due_after: Duration, latency: Duration) {
        let i = usize::try_from(due_after.as_nanos() / WINDOW.as_nanos()).unwrap_or(usize::MAX);
        if i >= self.windows.len() {
            // A schedule runs forward: the windows grow one at a time, bar a gap in the answers.
            self.windows.resize_with(i.saturating_add(1), Vec::new);
        }
        let micros = u32::try_from(latency.as_micros()).unwrap_or(u32::MAX);
        self.windows[i].push(micros);
    }

    /// Each window's figures, empty windows left out.
    pub fn windows(&self) -> Vec<Window> {
        self.windows
            .iter()
            .enumerate()
            .filter(|(_, w)| !w.is_empty())
            .map(|(i, w)| {
                let mut sorted = w.clone();
                sorted.sort_unstable();
                Window {
                    from_s: round2(i as f64 * WINDOW.as_secs_f64()),
                    served: sorted.len() as u64,
                    p50_ms: ms(quantile(&sorted, 0.5)),
                    p99_ms: ms(quantile(&sorted, 0.99)),
                    max_ms: ms(sorted.last().copied().unwrap_or(0)),
                }
            })
            .collect()
    }
}

/// The nearest-rank quantile of a sorted, non-empty list.
fn quantile(sorted: &[u32], q: f64) -> u32 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(micros: u32) -> f64 {
    round2(f64::from(micros) / 1000.0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn at(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn answers_are_filed_by_when_their_request_was_due() {
        let mut t = Timeline::default();
        // 100 answers due in the first window (at 0–99 ms), taking 1 to 100 ms; one answer due
        // at 250 ms.
        for i in 1..=100 {
            t.record(at(i - 1), at(i));
        }
        t.record(at(250), at(40));
        let w = t.windows();
        assert_eq!(w.len(), 2, "the empty window between is left out");
        assert_eq!(w[0].from_s, 0.0);
        assert_eq!(w[0].served, 100);
        assert_eq!(w[0].p50_ms, 50.0);
        assert_eq!(w[0].p99_ms, 99.0);
        assert_eq!(w[0].max_ms, 100.0);
        assert_eq!(w[1].from_s, 0.2);
        assert_eq!(w[1].served, 1);
        assert_eq!(w[1].p99_ms, 40.0);
    }

    #[test]
    fn nearest_rank_quantiles() {
        assert_eq!(quantile(&[7], 0.99), 7);
        assert_eq!(quantile(&[1, 2, 3, 4], 0.5), 2);
        assert_eq!(quantile(&[1, 2, 3, 4], 0.0), 1);
        assert_eq!(quantile(&[1, 2, 3, 4], 1.0), 4);
    }
}
