//! The request cases' shape (`authorize`, `pay`; docs/benchmarks.md, "Open loop"): one run at a
//! fixed rate, then a ladder of rising rates up to the first that misses the p99 objective — for
//! ours and for the baseline alike — reported as one line.
//!
//! A case supplies how to run one side at one rate ([`climb`]'s `run`) and its own checks; this
//! module does the climbing, picks the highest rate within the objective and prints the result,
//! so every request case reports the same fields in the same way.

use std::future::Future;

use serde_json::{Map, Value, json};

use super::Machine;
use super::open_loop::{self, Run};
use super::stats::round2;

/// The rates and durations of one case.
#[derive(Debug, Clone)]
pub struct Ladder {
    /// The rate the headline p50/p99 are measured at, per second.
    pub fixed_rate: f64,
    /// How long the fixed-rate run lasts, in seconds.
    pub fixed_seconds: f64,
    /// The rising rates tried after it, per second.
    pub rates: Vec<f64>,
    /// How long each rung lasts at least, in seconds.
    pub step_seconds: f64,
    /// The fewest requests a rung sends: a slow rung lasts longer, so its p99 is a percentile
    /// and not the maximum of a few dozen requests (75 at 25/s over 3 s, whose p99 was their
    /// slowest).
    pub step_requests_min: u32,
}

impl Ladder {
    /// How long the rung at `rate` lasts.
    pub fn rung_seconds(&self, rate: f64) -> f64 {
        self.step_seconds
            .max(f64::from(self.step_requests_min) / rate)
    }
}

/// One side's runs: the fixed rate, then the rungs climbed (the last one the first that missed,
/// unless every rung held).
#[derive(Debug, Clone)]
pub struct Climb {
    /// The run at the fixed rate.
    pub fixed: Run,
    /// The rungs, in rising order.
    pub steps: Vec<Run>,
}

impl Climb {
    /// Requests done over every run.
    pub fn done(&self) -> u64 {
        self.fixed.done + self.steps.iter().map(|s| s.done).sum::<u64>()
    }

    /// The highest rung whose p99 stayed within `p99_ms_max` with nothing failed.
    pub fn highest(&self, p99_ms_max: f64) -> Option<f64> {
        self.steps
            .iter()
            .filter(|r| r.within(p99_ms_max))
            .map(|r| r.offered)
            .reduce(f64::max)
    }

    fn runs(&self) -> impl Iterator<Item = &Run> {
        std::iter::once(&self.fixed).chain(&self.steps)
    }
}

/// One run in words, for the progress lines on stderr.
pub fn describe(r: &Run) -> String {
    format!(
        "{:>9.0}/s achieved, p50 {:?} p99 {:?} p99.9 {:?} max {:?} ms, {} ok {} declined {} failed",
        r.side.per_sec,
        r.side.p50_ms,
        r.side.p99_ms,
        r.side.p999_ms,
        r.side.max_ms,
        r.done,
        r.refused,
        r.failed
    )
}

/// Runs one side: `run(salt, rate, seconds)` at the fixed rate (salt 0), then up the ladder
/// (salts 1, 2, …, so no two runs send the same requests) until a rung misses `p99_ms_max`.
pub async fn climb<F, Fut>(
    label: &str,
    ladder: &Ladder,
    p99_ms_max: f64,
    mut run: F,
) -> anyhow::Result<Climb>
where
    F: FnMut(u64, f64, f64) -> Fut,
    Fut: Future<Output = anyhow::Result<Run>>,
{
    let fixed = run(0, ladder.fixed_rate, ladder.fixed_seconds).await?;
    eprintln!(
        "{label} fixed {:>8.0}/s: {}",
        ladder.fixed_rate,
        describe(&fixed)
    );
    let steps = open_loop::step_rates(
        label,
        &ladder.rates,
        |i, rate| run(i as u64 + 1, rate, ladder.rung_seconds(rate)),
        |r: &Run| r.within(p99_ms_max),
        describe,
    )
    .await?;
    Ok(Climb { fixed, steps })
}

/// A request case's result, printed as one line.
#[derive(Debug)]
pub struct Report<'a> {
    /// The case's name.
    pub name: &'static str,
    /// What is counted (`payments/s`).
    pub unit: &'static str,
    /// What a done request is called in each printed step (`authorised`, `paid`).
    pub done_as: &'static str,
    /// Which store ours ran on.
    pub backend: &'static str,
    /// The machine it ran on.
    pub machine: Machine,
    /// The rates.
    pub ladder: &'a Ladder,
    /// The p99 objective, in milliseconds.
    pub p99_ms_max: f64,
    /// Ours.
    pub ours: &'a Climb,
    /// The baseline, or why it was skipped.
    pub baseline: Result<&'a Climb, &'a str>,
    /// Whether every check of both sides held.
    pub checks_passed: bool,
    /// The case's own figures (sizes, counters), printed beside the common ones.
    pub extra: Map<String, Value>,
}

impl Report<'_> {
    fn step(&self, r: &Run) -> Value {
        let mut step = json!({
            "offered_per_sec": r.offered,
            "declined": r.refused,
            "failed": r.failed,
            "slo_met": r.within(self.p99_ms_max),
            "machine_cpu_us_per_op": r.machine_cpu_us,
        });
        if let (Value::Object(step), Ok(Value::Object(side))) =
            (&mut step, serde_json::to_value(&r.side))
        {
            step.extend(side);
            step.insert(self.done_as.to_owned(), json!(r.done));
        }
        step
    }

    /// The result as the JSON line of docs/cli.md.
    pub fn to_json(&self) -> Value {
        let base = self.baseline.ok();
        let (max_ours, max_base) = (
            self.ours.highest(self.p99_ms_max),
            base.and_then(|b| b.highest(self.p99_ms_max)),
        );
        let mut out = json!({
            "name": self.name,
            "unit": self.unit,
            "durable": true,
            "backend": self.backend,
            "ours": self.ours.fixed.side,
            "baseline": base.map(|b| &b.fixed.side),
            "machine_cpu_us_per_op": self.ours.fixed.machine_cpu_us,
            "baseline_machine_cpu_us_per_op": base.and_then(|b| b.fixed.machine_cpu_us),
            "ratio": max_ours.zip(max_base).map(|(o, b)| round2(o / b.max(1e-9))),
            "checks_passed": self.checks_passed,
            "machine": self.machine,
            "fixed_rate": self.ladder.fixed_rate,
            "p99_slo_ms": self.p99_ms_max,
            "max_rate_within_slo": max_ours,
            "baseline_max_rate_within_slo": max_base,
            "baseline_skipped": self.baseline.err(),
            "steps": self.ours.runs().map(|r| self.step(r)).collect::<Vec<_>>(),
            "baseline_steps": base
                .map(|b| b.runs().map(|r| self.step(r)).collect::<Vec<_>>())
                .unwrap_or_default(),
        });
        if let Value::Object(out) = &mut out {
            out.extend(self.extra.clone());
        }
        out
    }

    /// Prints the JSON line, or one line in words.
    pub fn print(&self, as_json: bool) -> anyhow::Result<()> {
        if as_json {
            println!("{}", serde_json::to_string(&self.to_json())?);
            return Ok(());
        }
        let ours = &self.ours.fixed.side;
        println!(
            "{:<20} ours at {:.0}/s: p50 {:?} p99 {:?} p99.9 {:?} max {:?} ms; max rate with p99 ≤ {} ms: ours {:?}, baseline {:?}{}  checks {}",
            self.name,
            self.ladder.fixed_rate,
            ours.p50_ms,
            ours.p99_ms,
            ours.p999_ms,
            ours.max_ms,
            self.p99_ms_max,
            self.ours.highest(self.p99_ms_max),
            self.baseline.ok().and_then(|b| b.highest(self.p99_ms_max)),
            self.baseline
                .err()
                .map(|r| format!(" (baseline skipped: {r})"))
                .unwrap_or_default(),
            if self.checks_passed {
                "passed"
            } else {
                "FAILED"
            },
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::stats::Side;

    #[test]
    fn a_slow_rung_lasts_until_it_has_sent_enough_requests() {
        let ladder = Ladder {
            fixed_rate: 50.0,
            fixed_seconds: 10.0,
            rates: vec![25.0, 50.0, 100.0, 200.0],
            step_seconds: 3.0,
            step_requests_min: 300,
        };
        let got: Vec<f64> = ladder
            .rates
            .iter()
            .map(|&r| ladder.rung_seconds(r))
            .collect();
        assert_eq!(got, [12.0, 6.0, 3.0, 3.0]);
    }

    fn run(offered: f64, p99: f64, done: u64, failed: u64) -> Run {
        Run {
            offered,
            side: Side {
                per_sec: offered,
                p50_ms: Some(p99 / 2.0),
                p99_ms: Some(p99),
                p999_ms: Some(p99),
                max_ms: Some(p99),
                ops: done,
                seconds: 1.0,
            },
            done,
            machine_cpu_us: None,
            refused: 0,
            failed,
        }
    }

    #[test]
    fn the_highest_rung_is_the_fastest_that_met_the_objective_without_failures() {
        let climb = Climb {
            fixed: run(5_000.0, 50.0, 10, 0),
            steps: vec![
                run(1_000.0, 2.0, 1, 0),
                run(2_000.0, 9.9, 2, 0),
                run(5_000.0, 10.1, 3, 0),
            ],
        };
        assert_eq!(climb.highest(10.0), Some(2_000.0));
        assert_eq!(climb.done(), 16);
        let failing = Climb {
            fixed: run(1.0, 1.0, 1, 0),
            steps: vec![run(1_000.0, 1.0, 1, 1)],
        };
        assert_eq!(failing.highest(10.0), None);
    }

    #[test]
    fn the_report_names_done_requests_as_the_case_says_and_keeps_its_own_figures() {
        let ladder = Ladder {
            fixed_rate: 50.0,
            fixed_seconds: 1.0,
            rates: vec![25.0],
            step_seconds: 1.0,
            step_requests_min: 0,
        };
        let ours = Climb {
            fixed: run(50.0, 4.0, 7, 0),
            steps: vec![run(25.0, 4.0, 3, 0)],
        };
        let base = Climb {
            fixed: run(50.0, 8.0, 5, 0),
            steps: vec![run(25.0, 20.0, 2, 0)],
        };
        let mut extra = Map::new();
        extra.insert("payers".into(), json!(12));
        let report = Report {
            name: "pay",
            unit: "payments/s",
            done_as: "paid",
            backend: "sqlite",
            machine: Machine {
                cores: 2,
                fsync_per_sec: 100.0,
                fsync_p99_ms: 12.0,
                fsync_max_ms: 30.0,
            },
            ladder: &ladder,
            p99_ms_max: 10.0,
            ours: &ours,
            baseline: Ok(&base),
            checks_passed: true,
            extra,
        };
        let out = report.to_json();
        assert_eq!(out["payers"], 12);
        assert_eq!(out["steps"][0]["paid"], 7);
        assert_eq!(out["steps"][1]["slo_met"], true);
        assert_eq!(out["baseline_steps"][1]["slo_met"], false);
        assert_eq!(out["max_rate_within_slo"], 25.0);
        assert_eq!(out["baseline_max_rate_within_slo"], Value::Null);
        assert_eq!(out["ratio"], Value::Null);
        let skipped = Report {
            baseline: Err("no server"),
            ..report
        };
        assert_eq!(skipped.to_json()["baseline_skipped"], "no server");
        assert_eq!(skipped.to_json()["baseline_steps"], json!([]));
    }
}
