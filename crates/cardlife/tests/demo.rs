//! `cardlife demo` (docs/demo.md) on a tiny world: built, checked, summarised, and served with
//! logins that work over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{cardlife, free_port, ledger_check, sqlite_url};
use serde_json::{Value, json};

const TINY: &[&str] = &[
    "demo",
    "--customers",
    "50",
    "--merchants",
    "5",
    "--months",
    "1",
];

/// The summary: the one JSON line on stdout.
fn summary(stdout: &str) -> Value {
    let line = stdout
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no summary line in:\n{stdout}"));
    serde_json::from_str(line).unwrap()
}

#[test]
fn a_tiny_demo_builds_a_world_that_passes_the_ledger_check() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = TINY.to_vec();
    args.extend(["--no-serve", "--data", "world"]);
    let out = cardlife(dir.path()).args(&args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let s = summary(&stdout);
    assert_eq!(s["ledger_ok"], true, "{s}");
    let c = &s["counts"];
    assert_eq!(c["customers"], 50, "{s}");
    assert_eq!(c["merchants"], 5, "{s}");
    assert!(c["credit_accounts"].as_u64().unwrap() >= 45, "{s}");
    for field in [
        "statements",
        "captures",
        "qr_payments",
        "repayments",
        "settlements",
        "loans",
    ] {
        assert!(c[field].as_u64().unwrap() > 0, "no {field}: {s}");
    }
    assert_eq!(s["logins"]["operator"]["login"], "admin", "{s}");

    // The store on disk agrees, seen by the ledger check command.
    let url = sqlite_url(&dir.path().join("world/cardlife.db"));
    let (out, report) = ledger_check(dir.path(), &url);
    assert!(out.status.success(), "{report}");
    assert_eq!(report["ok"], true, "{report}");
    assert!(report["transfers"].as_u64().unwrap() > 100, "{report}");

    // A second run replaces the demo store; a directory that is not one is refused.
    let again = cardlife(dir.path()).args(&args).output().unwrap();
    assert!(again.status.success());
    std::fs::create_dir_all(dir.path().join("mine")).unwrap();
    std::fs::write(dir.path().join("mine/cardlife.db"), b"precious").unwrap();
    let mut refused = TINY.to_vec();
    refused.extend(["--no-serve", "--data", "mine"]);
    let out = cardlife(dir.path()).args(&refused).output().unwrap();
    assert!(!out.status.success());
    assert_eq!(
        std::fs::read(dir.path().join("mine/cardlife.db")).unwrap(),
        b"precious"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_logins_work_on_the_served_demo() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut args = TINY.to_vec();
    args.extend(["--data", "world", "--listen", &listen]);
    let mut child = cardlife(dir.path())
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stdout = child.stdout.take().unwrap();
    let _guard = Kill(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.contains("Ctrl-C")) {
        let left = Duration::from_secs(240).saturating_sub(started.elapsed());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("demo did not start serving:\n{}", lines.join("\n")));
        lines.push(line);
    }
    let s = summary(&lines.join("\n"));
    let all = lines.join("\n");
    let base = format!("http://{listen}");
    for face in ["/app", "/merchant", "/console"] {
        assert!(all.contains(&format!("{base}{face}")), "{all}");
    }
    let client = reqwest::Client::new();

    // The cardholder: the password login, then their statements.
    let phone = s["logins"]["cardholder"]["phone"].as_str().unwrap();
    let password = s["logins"]["cardholder"]["password"].as_str().unwrap();
    assert!(all.contains(phone) && all.contains(password), "{all}");
    let r = client
        .post(format!("{base}/v1/sessions"))
        .json(&json!({"phone": phone, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let accounts: Value = client
        .get(format!("{base}/v1/credit/accounts"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = accounts
        .as_array()
        .or_else(|| accounts["accounts"].as_array())
        .unwrap_or_else(|| panic!("{accounts}"));
    let id = list[0]["id"].as_str().unwrap();
    let r = client
        .get(format!("{base}/v1/credit/accounts/{id}/statements"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let statements: Value = r.json().await.unwrap();
    let n = statements
        .as_array()
        .or_else(|| statements["statements"].as_array())
        .map_or(0, Vec::len);
    assert!(n >= 1, "{statements}");

    // A wrong password does not log in (the check above can fail).
    let r = client
        .post(format!("{base}/v1/sessions"))
        .json(&json!({"phone": phone, "password": "Wrong-pass-2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // The operator.
    let r = client
        .post(format!("{base}/v1/operator/sessions"))
        .json(&json!({
            "login": s["logins"]["operator"]["login"],
            "password": s["logins"]["operator"]["password"],
        }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());

    // The merchant staff, on the portal's login form.
    let jar = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let got = jar
        .get(format!("{base}/merchant/login"))
        .send()
        .await
        .unwrap();
    let cookies = |r: &reqwest::Response| -> String {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let cookie = cookies(&got);
    let page = got.text().await.unwrap();
    let csrf = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no csrf field in:\n{page}"));
    let login = s["logins"]["merchant_staff"]["login"].as_str().unwrap();
    let r = jar
        .post(format!("{base}/merchant/login"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "_csrf={csrf}&login={login}&password={}",
            s["logins"]["merchant_staff"]["password"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "staff login refused");
    let session = cookies(&r);
    assert!(!session.is_empty(), "no session cookie");
    let home = jar
        .get(format!("{base}/merchant"))
        .header("cookie", format!("{cookie}; {session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(home.status().as_u16(), 200);
}
