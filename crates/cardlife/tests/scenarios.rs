//! `cardlife scenario run` on every file in `scenarios/`: each `NAME.toml` beside its
//! `NAME.expected.json` (values worked out by hand from docs/domain.md §3 and §4, not copied from a run)
//! must print exactly that JSON and exit 0, which also means the runner found the ledger's
//! invariants intact and every statement reconciled to the ledger. Each file in
//! `scenarios/invalid/` must exit 2 with one line on stderr containing `NAME.expected.err`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

fn tomls(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

fn run(file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cardlife"))
        .args(["scenario", "run"])
        .arg(file)
        .arg("--json")
        .output()
        .unwrap()
}

fn beside(file: &Path, suffix: &str) -> PathBuf {
    let stem = file.file_stem().unwrap().to_string_lossy();
    file.with_file_name(format!("{stem}{suffix}"))
}

#[test]
fn every_scenario_prints_its_expected_json_and_reconciles_to_the_ledger() {
    let files = tomls(&scenarios_dir());
    assert!(files.len() >= 5, "the worked example alone has five cases");
    let mut failures = Vec::new();
    for file in &files {
        let out = run(file);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            failures.push(format!(
                "{}: exit {:?}: {stderr}",
                file.display(),
                out.status.code()
            ));
            continue;
        }
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let expected_text = std::fs::read_to_string(beside(file, ".expected.json"))
            .unwrap_or_else(|_| panic!("{} has no .expected.json", file.display()));
        let expected: serde_json::Value = serde_json::from_str(&expected_text).unwrap();
        if got != expected {
            failures.push(format!(
                "{}:\n got {}\n want {}",
                file.display(),
                serde_json::to_string_pretty(&got).unwrap(),
                expected_text
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_invalid_scenario_exits_2_with_a_one_line_message() {
    let files = tomls(&scenarios_dir().join("invalid"));
    assert!(!files.is_empty());
    for file in &files {
        let out = run(file);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", file.display());
        assert!(!stderr.contains("panicked"), "{}: {stderr}", file.display());
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{}: {stderr}",
            file.display()
        );
        let want = std::fs::read_to_string(beside(file, ".expected.err")).unwrap();
        assert!(
            stderr.contains(want.trim_end()),
            "{}: {stderr} lacks {want}",
            file.display()
        );
        assert!(out.stdout.is_empty(), "{}", file.display());
    }
}

#[test]
fn the_text_output_shows_the_same_statement() {
    let out = Command::new(env!("CARGO_BIN_EXE_cardlife"))
        .args(["scenario", "run"])
        .arg(scenarios_dir().join("example_min_paid_full.toml"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("2026-05-07") && text.contains("34.70") && text.contains("1834.70"),
        "{text}"
    );
}
