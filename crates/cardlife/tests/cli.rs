//! The command-line contracts of docs/cli.md, run on the built binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Output;
use std::time::Duration;

use common::{Server, TOKEN, ledger_check, run_cli, sqlite_url};
use serde_json::{Value, json};

/// The bench tests run one at a time: each is a load test of a debug build, and two side by side
/// on a two-core machine starve each other into timeouts (a payment's request limit is 10 s).
static ONE_BENCH: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_bench() -> std::sync::MutexGuard<'static, ()> {
    ONE_BENCH
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A failure as the contracts ask: non-zero exit, one line on stderr, no panic.
fn assert_one_line_failure(out: &Output, what: &str) {
    let err = stderr(out);
    assert!(!out.status.success(), "{what} succeeded:\n{}", stdout(out));
    assert!(!err.contains("panicked"), "{what} panicked:\n{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "{what}: not a one-line message on stderr:\n{err}"
    );
}

#[test]
fn ledger_check_on_a_fresh_store_reports_ok_and_no_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir.path().join("fresh.db"));
    let (out, report) = ledger_check(dir.path(), &url);
    assert!(out.status.success(), "{report}\n{}", stderr(&out));
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["accounts"], 0, "{report}");
    assert_eq!(report["transfers"], 0, "{report}");
    assert_eq!(report["violations"], json!([]), "{report}");

    // Without --json: one readable summary line.
    let out = run_cli(dir.path(), &["ledger", "check"], &[("DATABASE_URL", &url)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("all invariants hold"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn ledger_check_with_an_unsupported_database_url_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["ledger", "check", "--json"][..], &["ledger", "check"][..]] {
        let out = run_cli(dir.path(), args, &[("DATABASE_URL", "mysql://x")]);
        assert_one_line_failure(&out, "ledger check on mysql://x");
        assert!(stderr(&out).contains("mysql://x"), "{}", stderr(&out));
        assert!(
            stdout(&out).is_empty(),
            "nothing on stdout: {}",
            stdout(&out)
        );
    }
    // Nothing was created in the working directory either.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// A store altered behind the ledger's back (its transfer removed, the balances it moved left
/// in place) fails the check: exit 1, `ok: false`, the violation listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_check_finds_a_tampered_balance_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir.path().join("ledger.db"));
    let mut server = Server::start(&url).await;
    let api = server.api();
    let (a, b, t) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    let results = api
        .batch_ok(
            "/v1/ledger/accounts",
            &[
                json!({"id": a, "ledger": 1, "code": 1}),
                json!({"id": b, "ledger": 1, "code": 1}),
            ],
        )
        .await;
    assert_eq!(results, ["ok", "ok"]);
    let transfer = json!({"id": t, "debit_account_id": a, "credit_account_id": b, "amount": 500, "ledger": 1, "code": 1});
    assert_eq!(
        api.batch_ok("/v1/ledger/transfers", &[transfer]).await,
        ["ok"]
    );
    let status = server.terminate(Duration::from_secs(10));
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?}\n{}",
        server.log()
    );

    let (out, report) = ledger_check(dir.path(), &url);
    assert!(out.status.success(), "{report}");
    assert_eq!(report["accounts"], 2, "{report}");
    assert_eq!(report["transfers"], 1, "{report}");

    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    // The transfer is gone, but the balances it moved remain.
    let done = sqlx::query("DELETE FROM ledger_transfers")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 1);
    pool.close().await;

    let (out, report) = ledger_check(dir.path(), &url);
    assert_eq!(out.status.code(), Some(1), "{report}\n{}", stderr(&out));
    assert_eq!(report["ok"], false, "{report}");
    let violations = report["violations"].as_array().expect("violations");
    assert!(!violations.is_empty(), "{report}");
}

#[test]
fn bench_list_names_the_ledger_cases() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(dir.path(), &["bench", "--list"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let names: Vec<String> = stdout(&out)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    for case in [
        "ledger/concurrent",
        "ledger/batched",
        "ledger/hot",
        "statements",
        "authorize",
        "pay",
    ] {
        assert!(
            names.iter().any(|n| n == case),
            "{case} not listed: {names:?}"
        );
    }
}

#[test]
fn bench_of_an_unknown_case_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(
        dir.path(),
        &["bench", "nosuch", "--quick", "--json", "--dir", "b"],
        &[],
    );
    assert!(
        !out.status.success(),
        "bench nosuch succeeded:\n{}",
        stdout(&out)
    );
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    // (A debug build prints a warning line first; the last line names the problem.)
    let last = err.lines().last().unwrap_or_default();
    assert!(last.contains("nosuch"), "stderr:\n{err}");
    assert!(stdout(&out).trim().is_empty(), "{}", stdout(&out));
}

#[test]
fn bench_ledger_hot_quick_prints_a_json_result() {
    let _one = one_bench();
    let dir = tempfile::tempdir().unwrap();
    let bench_dir = dir.path().join("bench");
    let bench_dir = bench_dir.to_str().unwrap();
    let out = run_cli(
        dir.path(),
        &[
            "bench",
            "ledger/hot",
            "--quick",
            "--json",
            "--dir",
            bench_dir,
        ],
        &[("RUST_LOG", "warn")],
    );
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    let last = text.lines().last().unwrap_or_default();
    let r: Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("last line is not JSON ({e}): {text}"));
    assert_eq!(r["name"], "ledger/hot", "{r}");
    assert_eq!(r["unit"], "transfers/s", "{r}");
    assert_eq!(r["durable"], true, "{r}");
    assert_eq!(r["checks_passed"], true, "{r}");
    let ours = r["ours"]["per_sec"]
        .as_f64()
        .unwrap_or_else(|| panic!("ours.per_sec: {r}"));
    let baseline = r["baseline"]["per_sec"]
        .as_f64()
        .unwrap_or_else(|| panic!("baseline.per_sec: {r}"));
    let ratio = r["ratio"].as_f64().unwrap_or_else(|| panic!("ratio: {r}"));
    assert!(ours > 0.0 && baseline > 0.0, "{r}");
    assert!(
        (ratio - ours / baseline).abs() <= 0.01,
        "ratio is ours/baseline: {r}"
    );
}

#[test]
fn bench_statements_quick_prints_a_json_result_with_its_checks_passed() {
    let _one = one_bench();
    let dir = tempfile::tempdir().unwrap();
    let bench_dir = dir.path().join("bench");
    let bench_dir = bench_dir.to_str().unwrap();
    let out = run_cli(
        dir.path(),
        &[
            "bench",
            "statements",
            "--quick",
            "--json",
            "--dir",
            bench_dir,
        ],
        &[("RUST_LOG", "warn")],
    );
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    let last = text.lines().last().unwrap_or_default();
    let r: Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("last line is not JSON ({e}): {text}"));
    assert_eq!(r["name"], "statements", "{r}");
    assert_eq!(r["unit"], "accounts/s", "{r}");
    assert_eq!(r["durable"], true, "{r}");
    assert_eq!(r["checks_passed"], true, "{r}");
    assert_eq!(r["ours"]["ops"], 20_000, "{r}");
    assert_eq!(r["baseline"]["ops"], 20_000, "{r}");
    let ours = r["ours"]["per_sec"].as_f64().unwrap_or_default();
    let baseline = r["baseline"]["per_sec"].as_f64().unwrap_or_default();
    let ratio = r["ratio"].as_f64().unwrap_or_default();
    assert!(ours > 0.0 && baseline > 0.0, "{r}");
    assert!(
        (ratio - ours / baseline).abs() <= 0.01,
        "ratio is ours/baseline: {r}"
    );
}

#[test]
fn the_internal_api_refuses_a_short_token_at_start_up() {
    // `cardlife serve` with a token under 32 bytes must not start.
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir.path().join("ledger.db"));
    let port = common::free_port().to_string();
    let mut child = common::cardlife(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &url)
        .env("CARDLIFE_INTERNAL_TOKEN", &TOKEN[..16])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let status = status.expect("cardlife serve kept running with a 16-byte token");
    assert!(!status.success());
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(err.contains("32"), "the message names the minimum: {err}");
}

#[test]
fn bench_authorize_quick_prints_a_json_result_with_its_checks_passed() {
    let _one = one_bench();
    let dir = tempfile::tempdir().unwrap();
    let bench_dir = dir.path().join("bench");
    let bench_dir = bench_dir.to_str().unwrap();
    let out = run_cli(
        dir.path(),
        &[
            "bench",
            "authorize",
            "--quick",
            "--json",
            "--dir",
            bench_dir,
        ],
        &[("RUST_LOG", "error")],
    );
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    let last = text.lines().last().unwrap_or_default();
    let r: Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("last line is not JSON ({e}): {text}"));
    assert_eq!(r["name"], "authorize", "{r}");
    assert_eq!(r["unit"], "authorisations/s", "{r}");
    assert_eq!(r["durable"], true, "{r}");
    assert_eq!(r["checks_passed"], true, "{r}");
    assert_eq!(r["p99_slo_ms"], 10.0, "{r}");
    // The fixed-rate run offered 1,000 requests (1,000/s for 1 s), each authorised or declined.
    let fixed = &r["steps"][0];
    assert_eq!(fixed["offered_per_sec"], 1_000.0, "{r}");
    assert_eq!(fixed["failed"], 0, "{r}");
    let served = fixed["authorised"].as_u64().unwrap_or_default()
        + fixed["declined"].as_u64().unwrap_or_default();
    assert_eq!(served, 1_000, "{r}");
    assert!(fixed["authorised"].as_u64().unwrap_or_default() > 0, "{r}");
    assert_eq!(r["ours"]["ops"], 1_000, "{r}");
    for q in ["p50_ms", "p99_ms", "p999_ms", "max_ms"] {
        assert!(r["ours"][q].as_f64().is_some_and(|v| v > 0.0), "{q}: {r}");
    }
    // The baseline ran (PostgreSQL answers here) or says why not.
    assert!(
        r["baseline"]["per_sec"].as_f64().is_some_and(|v| v > 0.0)
            || r["baseline_skipped"].is_string(),
        "{r}"
    );
}

#[test]
fn bench_pay_quick_prints_a_json_result_with_its_checks_passed() {
    let _one = one_bench();
    let dir = tempfile::tempdir().unwrap();
    let bench_dir = dir.path().join("bench");
    let bench_dir = bench_dir.to_str().unwrap();
    let out = run_cli(
        dir.path(),
        &["bench", "pay", "--quick", "--json", "--dir", bench_dir],
        &[("RUST_LOG", "error")],
    );
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    let last = text.lines().last().unwrap_or_default();
    let r: Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("last line is not JSON ({e}): {text}"));
    assert_eq!(r["name"], "pay", "{r}");
    assert_eq!(r["unit"], "payments/s", "{r}");
    assert_eq!(r["durable"], true, "{r}");
    assert_eq!(r["checks_passed"], true, "{r}");
    // The fixed-rate run offered 100 payments (50/s for 2 s), each paid (none is declined:
    // the amounts stay far below every limit).
    let fixed = &r["steps"][0];
    assert_eq!(fixed["offered_per_sec"], 50.0, "{r}");
    assert_eq!(
        (fixed["paid"].as_u64(), fixed["failed"].as_u64()),
        (Some(100), Some(0)),
        "{r}"
    );
    assert_eq!(r["ours"]["ops"], 100, "{r}");
    assert!(
        r["baseline"]["per_sec"].as_f64().is_some_and(|v| v > 0.0)
            || r["baseline_skipped"].is_string(),
        "{r}"
    );
}

#[test]
fn bench_rates_must_be_above_zero_and_apply_only_to_cases_with_a_rate_search() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (
            &[
                "bench",
                "ledger/hot",
                "--quick",
                "--rates",
                "100",
                "--dir",
                "b",
            ][..],
            "--rates applies to",
        ),
        (
            &["bench", "pay", "--quick", "--rates", "50,0", "--dir", "b"][..],
            "not a rate above zero",
        ),
        (
            &["bench", "pay", "--quick", "--rates", "fast", "--dir", "b"][..],
            "not a rate above zero",
        ),
    ] {
        let out = run_cli(dir.path(), args, &[]);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = stderr(&out);
        assert!(
            err.contains(says) && !err.contains("panicked"),
            "{args:?}:\n{err}"
        );
        assert!(stdout(&out).trim().is_empty(), "{}", stdout(&out));
    }
}
