//! Shared helpers of the process-level tests: start `cardlife serve` as a child process on a
//! free port, talk to it over HTTP, run the CLI. Every child is killed when its guard drops.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

/// The internal bearer token every child server is started with (at least 32 bytes).
pub const TOKEN: &str = "cardlife-process-tests-token-0123456789abcdef";
/// How long a server may take to answer `/health` after it was spawned.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Environment variables of the test process that must not leak into a child.
const SCRUBBED_ENV: &[&str] = &[
    "DATABASE_URL",
    "CARDLIFE_LISTEN",
    "CARDLIFE_INTERNAL_TOKEN",
    "CARDLIFE_LOG_FORMAT",
    "RUST_LOG",
];

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_cardlife")
}

/// A port nobody listens on right now (bind :0, read it, release it).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// `sqlite://PATH` for a file.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// A `cardlife` command with a clean environment and a throwaway working directory.
pub fn cardlife(cwd: &Path) -> Command {
    let mut cmd = Command::new(bin());
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    cmd.current_dir(cwd).stdin(Stdio::null());
    cmd
}

/// Runs `cardlife ARGS` with `envs` and waits for it.
pub fn run_cli(cwd: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = cardlife(cwd);
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run cardlife")
}

/// Runs `cardlife ledger check --json` against `database_url`; returns the exit status and
/// the parsed report (the last line of stdout).
pub fn ledger_check(cwd: &Path, database_url: &str) -> (Output, Value) {
    let out = run_cli(
        cwd,
        &["ledger", "check", "--json"],
        &[("DATABASE_URL", database_url)],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let report = serde_json::from_str(last).unwrap_or_else(|e| {
        panic!(
            "ledger check printed no JSON ({e}); status {:?}\nstdout:\n{stdout}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, report)
}

/// A running `cardlife serve`. Dropping it kills the process (SIGKILL) and reaps it.
#[derive(Debug)]
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    log: PathBuf,
    _logs: tempfile::TempDir,
}

impl Server {
    /// Starts `cardlife serve` on `database_url` and a free port, and waits until `/health`
    /// answers. Retries on another port if the chosen one was taken in the meantime.
    pub async fn start(database_url: &str) -> Self {
        let mut last_log = String::new();
        for _ in 0..5 {
            let logs = tempfile::tempdir().expect("log dir");
            let log = logs.path().join("server.log");
            let port = free_port();
            let child = cardlife(logs.path())
                .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
                .env("DATABASE_URL", database_url)
                .env("CARDLIFE_INTERNAL_TOKEN", TOKEN)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(File::create(&log).expect("log file"))
                .spawn()
                .expect("spawn cardlife serve");
            let mut server = Self {
                child: Some(child),
                base: format!("http://127.0.0.1:{port}"),
                log,
                _logs: logs,
            };
            match server.wait_ready().await {
                Ok(()) => return server,
                Err(log) if log.contains("in use") => last_log = log,
                Err(log) => panic!("cardlife serve did not start:\n{log}"),
            }
        }
        panic!("cardlife serve found no free port:\n{last_log}");
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("client");
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = self.child_mut().try_wait().expect("try_wait") {
                return Err(format!("exited with {status}:\n{}", self.log()));
            }
            if let Ok(r) = client.get(format!("{}/health", self.base)).send().await
                && r.status() == StatusCode::OK
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(format!(
                    "no answer on /health within {READY_TIMEOUT:?}:\n{}",
                    self.log()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn child_mut(&mut self) -> &mut Child {
        self.child.as_mut().expect("the server was stopped")
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server was stopped").id()
    }

    /// What the server wrote on stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL (what `Child::kill` sends on Unix) and reap. Idempotent.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM and wait for a graceful exit (up to `timeout`); SIGKILL after that. Returns the
    /// exit status, or `None` if it had to be killed.
    pub fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if sent {
            let deadline = Instant::now() + timeout;
            while Instant::now() < deadline {
                if let Ok(Some(status)) = child.try_wait() {
                    return Some(status);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// A client of this server.
    pub fn api(&self) -> Api {
        Api::new(&self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An HTTP client of one server, authenticated with [`TOKEN`].
#[derive(Clone, Debug)]
pub struct Api {
    client: reqwest::Client,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Api {
    /// A client of the server at `base`.
    pub fn new(base: &str) -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("client"),
            base: base.to_owned(),
        }
    }

    /// POST a JSON body; the status and the JSON answer (`Null` when not JSON).
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Result<(StatusCode, Value)> {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .json(body)
            .send()
            .await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// GET; the status and the JSON answer (`Null` when not JSON).
    pub async fn get(&self, path: &str) -> reqwest::Result<(StatusCode, Value)> {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// GET a text answer (no token).
    pub async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.text().await.expect("body"))
    }

    /// POST a batch that must answer 200; its per-event results, checked to be in order.
    pub async fn batch_ok(&self, path: &str, events: &[Value]) -> Vec<String> {
        let body = Value::Array(events.to_vec());
        let (status, answer) = self.post(path, &body).await.expect("request");
        assert_eq!(status, StatusCode::OK, "POST {path}: {answer}");
        results_of(&answer, events)
    }

    /// GET that must answer 200.
    pub async fn get_ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await.expect("request");
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }
}

/// The per-event results of a 200 batch answer, checked against the events sent: one per
/// event, with its index and id, in order.
pub fn results_of(answer: &Value, events: &[Value]) -> Vec<String> {
    let results = answer["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results array in {answer}"));
    assert_eq!(
        results.len(),
        events.len(),
        "one result per event: {answer}"
    );
    results
        .iter()
        .zip(events)
        .enumerate()
        .map(|(i, (r, e))| {
            assert_eq!(r["index"], i, "result {i} out of order: {r}");
            assert_eq!(r["id"], e["id"], "result {i} names another id: {r}");
            r["result"]
                .as_str()
                .unwrap_or_else(|| panic!("result {i} is not a string: {r}"))
                .to_owned()
        })
        .collect()
}

/// A small deterministic generator (xorshift64*), so runs are reproducible without `rand`.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a non-zero-ised seed.
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u64() % n as u64).expect("fits")
    }
}
