//! The process's Prometheus recorder and its upkeep.
//!
//! The recorder keeps every histogram sample (a request's duration, for one) in a queue until
//! something drains it: a scrape of `GET /metrics`, or an upkeep. With nothing scraping, that
//! queue grows with every request the process answers. [`install_recorder`] therefore also runs
//! the upkeep on a timer, which folds the queued samples into each histogram's summary.

use std::time::Duration;

use metrics_exporter_prometheus::{BuildError, PrometheusBuilder, PrometheusHandle};

/// How often the queued samples are folded in when nothing scrapes.
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the process-wide recorder and spawns its upkeep on the current Tokio runtime.
///
/// # Errors
///
/// When a recorder is already installed in this process, or the recorder cannot be built.
pub fn install_recorder() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new().install_recorder()?;
    tokio::spawn(upkeep(handle.clone(), UPKEEP_EVERY));
    Ok(handle)
}

/// Runs the recorder's upkeep every `every`, for as long as the runtime runs.
async fn upkeep(handle: PrometheusHandle, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        handle.run_upkeep();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// The samples an upkeep folds in are all still counted when the metrics are rendered.
    #[tokio::test]
    async fn the_upkeep_folds_samples_in_without_losing_any() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let task = tokio::spawn(upkeep(handle.clone(), Duration::from_millis(10)));
        for round in 0..3 {
            metrics::with_local_recorder(&recorder, || {
                for _ in 0..1_000 {
                    metrics::histogram!("cardlife_test_seconds").record(0.25);
                }
            });
            // Let the upkeep run at least once between the rounds.
            tokio::time::sleep(Duration::from_millis(25)).await;
            let text = handle.render();
            let expected = format!("cardlife_test_seconds_count {}", (round + 1) * 1_000);
            assert!(text.contains(&expected), "round {round}: {text}");
        }
        assert!(
            !task.is_finished(),
            "the upkeep stops only with its runtime"
        );
        task.abort();
    }
}
