//! `cardlife bench flash-sale --quick --json`: the run completes, its own checks hold (exactly
//! stock winners, nobody twice), and it prints the common fields plus the baseline or the reason
//! it was skipped, and the do-nothing server's steps; with `--rates` it runs the rate asked, and each step's timeline accounts for
//! every answer it served.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::run_cli;
use serde_json::Value;

/// Runs `cardlife bench flash-sale --quick --json` with `extra` arguments; its JSON line. One
/// run at a time: two debug benches side by side starve each other into request timeouts.
fn quick_run(extra: &[&str]) -> Value {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let bench_dir = dir.path().join("bench");
    let bench_dir = bench_dir.to_str().unwrap();
    let mut args = vec![
        "bench",
        "flash-sale",
        "--quick",
        "--json",
        "--dir",
        bench_dir,
    ];
    args.extend_from_slice(extra);
    let out = run_cli(dir.path(), &args, &[("RUST_LOG", "warn")]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{text}\n{err}");
    serde_json::from_str(text.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("last line is not JSON ({e}): {text}"))
}

#[test]
fn bench_flash_sale_quick_prints_a_checked_json_result() {
    let r = quick_run(&[]);
    assert_eq!(r["name"], "flash-sale", "{r}");
    assert_eq!(r["unit"], "attempts/s", "{r}");
    assert_eq!(r["durable"], true, "{r}");
    assert_eq!(r["checks_passed"], true, "{r}");
    assert_eq!(r["winners"], r["stock"], "{r}");
    assert_eq!(r["stock"], 500, "{r}");
    let ours = r["ours"]["per_sec"].as_f64().unwrap();
    assert!(ours > 0.0 && r["ours"]["p99_ms"].as_f64().is_some(), "{r}");
    // Every step ran on a fresh sale and was checked.
    let steps = r["steps"].as_array().unwrap();
    assert!(steps.len() >= 2, "{r}");
    assert!(steps.iter().all(|s| s["checks_passed"] == true), "{r}");
    // The do-nothing server answered every request of every step with its refusal, and its
    // highest rate within the objective is one of its steps that met it.
    let ceiling = r["ceiling_steps"].as_array().unwrap();
    assert!(!ceiling.is_empty(), "{r}");
    for s in ceiling {
        assert_eq!(s["won"], 0, "{s}");
        assert_eq!(s["errors"], 0, "{s}");
        assert_eq!(s["refused"], s["attempts"], "{s}");
        assert_eq!(s["checks_passed"], true, "{s}");
    }
    match r["ceiling_max_rate_within_slo"].as_f64() {
        Some(top) => assert!(
            ceiling
                .iter()
                .any(|s| s["offered_per_sec"] == top && s["slo_met"] == true),
            "{r}"
        ),
        None => assert!(ceiling.iter().all(|s| s["slo_met"] == false), "{r}"),
    }
    match r["baseline"].as_object() {
        Some(b) => {
            let base = b["per_sec"].as_f64().unwrap();
            let ratio = r["ratio"].as_f64().unwrap();
            assert!(base > 0.0 && (ratio - ours / base).abs() <= 0.01, "{r}");
        }
        None => assert!(
            r["baseline_skipped"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "{r}"
        ),
    }
}

#[test]
fn bench_flash_sale_quick_at_a_pinned_rate_runs_that_rate_and_checks_the_sale() {
    let r = quick_run(&["--rates", "1000"]);
    assert_eq!(r["checks_passed"], true, "{r}");
    // One rung at the rate asked, then the full run at it.
    let steps = r["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{r}");
    assert!(steps.iter().all(|s| s["offered_per_sec"] == 1000.0), "{r}");
    assert_eq!(r["winners"], 500, "{r}");
    // Every served answer is in its step's timeline.
    for step in r["steps"].as_array().unwrap() {
        let windows = step["timeline"].as_array().unwrap();
        assert!(!windows.is_empty(), "{step}");
        let served: u64 = windows.iter().map(|w| w["served"].as_u64().unwrap()).sum();
        let answered = step["won"].as_u64().unwrap() + step["refused"].as_u64().unwrap();
        assert_eq!(served, answered, "{step}");
        // Windows run forward, each within its step's slowest answer.
        let starts: Vec<f64> = windows
            .iter()
            .map(|w| w["from_s"].as_f64().unwrap())
            .collect();
        assert!(starts.windows(2).all(|p| p[1] > p[0]), "{step}");
        let max = step["max_ms"].as_f64().unwrap();
        for w in windows {
            let (p50, p99, top) = (
                w["p50_ms"].as_f64().unwrap(),
                w["p99_ms"].as_f64().unwrap(),
                w["max_ms"].as_f64().unwrap(),
            );
            assert!(
                p50 <= p99 && p99 <= top && top <= max + 0.01,
                "{w} in {step}"
            );
        }
    }
}
