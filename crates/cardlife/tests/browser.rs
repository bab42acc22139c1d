//! The browser walk (`tests/browser/walk.test.mjs`) from `cargo test`: a new cardholder's way
//! through the H5 app in real headless Chromium, against this build's `cardlife` binary
//! (docs/web.md, "Browser tests").
//!
//! It needs Debian's `chromium` and `fonts-noto-cjk` and `npm ci` in `tests/browser`. Where they
//! are missing the walk is skipped with the reason printed; `CARDLIFE_BROWSER_TESTS=required`
//! turns a skip into a failure, and `.ci/run` runs the walk in a step of its own after the Rust
//! tests (setting `CARDLIFE_BROWSER_TESTS=skip` for the workspace runs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

/// Why the walk cannot run here, if it cannot.
fn missing_prerequisite() -> Option<String> {
    if !Path::new(CHROMIUM).exists() {
        return Some(format!(
            "no {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
        ));
    }
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Some("no node on PATH".to_owned());
    }
    if !browser_dir().join("node_modules/playwright-core").exists() {
        return Some("playwright-core is not installed (run `npm ci` in tests/browser)".to_owned());
    }
    None
}

#[test]
fn a_new_cardholder_walks_through_the_app_in_real_chromium() {
    let mode = std::env::var("CARDLIFE_BROWSER_TESTS").unwrap_or_default();
    if mode == "skip" {
        eprintln!(
            "browser walk skipped: CARDLIFE_BROWSER_TESTS=skip (.ci/run runs it in its own step)"
        );
        return;
    }
    if let Some(reason) = missing_prerequisite() {
        assert!(
            mode != "required",
            "the browser walk must run but cannot: {reason}"
        );
        eprintln!("browser walk skipped: {reason}");
        return;
    }
    let output = Command::new("node")
        .args(["--test", "--test-concurrency=1", "walk.test.mjs"])
        .current_dir(browser_dir())
        .env("CARDLIFE_BIN", env!("CARGO_BIN_EXE_cardlife"))
        .output()
        .expect("run node");
    let text = String::from_utf8_lossy(&output.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the browser walk failed");
    assert!(text.contains("# fail 0"), "the walk reported failures");
}
