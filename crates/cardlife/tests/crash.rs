//! Crash safety of the embedded store: SIGKILL `cardlife serve` under load, restart it on the
//! same file, and check that every acknowledged transfer is there exactly once and that the
//! transfers whose request died with the process are there at most once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Api, Rng, Server, ledger_check, sqlite_url};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const ACCOUNTS: usize = 100;
const LEDGER: u32 = 1;
const CODE: u16 = 7;
/// Clients posting one transfer per request.
const SINGLE_CLIENTS: u64 = 16;
/// Clients posting batches of [`BATCH_LEN`] transfers.
const BATCH_CLIENTS: u64 = 4;
const BATCH_LEN: usize = 100;
/// Clients posting large batches of [`LARGE_BATCH_LEN`] (long commits for the kill to land in).
const LARGE_CLIENTS: u64 = 1;
const LARGE_BATCH_LEN: usize = 2000;
/// How long the load runs before the kill.
const LOAD: Duration = Duration::from_millis(1500);
/// Acknowledged transfers read back by id: the last ones of each client, and a sample.
const TAIL: usize = 20;
const READ_SAMPLE: usize = 500;
/// The largest batch the API takes.
const BATCH_MAX: usize = 8190;

/// A transfer as sent.
#[derive(Clone, Copy, Debug)]
struct Sent {
    id: Uuid,
    debit: usize,
    credit: usize,
    amount: u64,
}

impl Sent {
    fn json(&self, accounts: &[Uuid]) -> Value {
        json!({
            "id": self.id,
            "debit_account_id": accounts[self.debit],
            "credit_account_id": accounts[self.credit],
            "amount": self.amount,
            "ledger": LEDGER,
            "code": CODE,
        })
    }
}

/// What one client saw.
#[derive(Debug, Default)]
struct Seen {
    /// Answered 200 with `ok`.
    acked: Vec<Sent>,
    /// Sent (or about to be) when the request failed: may or may not be applied.
    in_doubt: Vec<Sent>,
    /// Anything but `ok` in a 200 answer, or a non-200 status: with what was answered.
    surprises: Vec<String>,
}

async fn client(
    api: Api,
    accounts: Arc<Vec<Uuid>>,
    seed: u64,
    batch_len: usize,
    killed: Arc<AtomicBool>,
) -> Seen {
    let mut rng = Rng::new(seed);
    let mut seen = Seen::default();
    // A bound in case the kill never comes.
    let give_up = Instant::now() + LOAD + Duration::from_secs(15);
    while Instant::now() < give_up {
        let batch: Vec<Sent> = (0..batch_len)
            .map(|_| {
                let debit = rng.below(ACCOUNTS);
                let credit = (debit + 1 + rng.below(ACCOUNTS - 1)) % ACCOUNTS;
                Sent {
                    id: Uuid::now_v7(),
                    debit,
                    credit,
                    amount: 1 + rng.next_u64() % 10_000,
                }
            })
            .collect();
        let events: Vec<Value> = batch.iter().map(|s| s.json(&accounts)).collect();
        match api
            .post("/v1/ledger/transfers", &Value::Array(events.clone()))
            .await
        {
            Ok((StatusCode::OK, answer)) => {
                let results = common::results_of(&answer, &events);
                for (sent, result) in batch.into_iter().zip(results) {
                    if result == "ok" {
                        seen.acked.push(sent);
                    } else {
                        seen.surprises.push(format!("{}: {result}", sent.id));
                    }
                }
            }
            Ok((status, answer)) => {
                seen.surprises.push(format!("status {status}: {answer}"));
                seen.in_doubt.extend(batch);
            }
            Err(_) => {
                // The process died with the request in flight (or refused it once dead).
                seen.in_doubt.extend(batch);
                if killed.load(Ordering::SeqCst) {
                    break;
                }
            }
        }
    }
    seen
}

/// Runs `f` over `items` with `width` concurrent workers.
async fn for_each_concurrently<T, F, Fut>(items: Vec<T>, width: usize, f: F)
where
    T: Send + Sync + 'static,
    F: Fn(T) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = ()> + Send,
    T: Clone,
{
    let items = Arc::new(items);
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..width)
        .map(|_| {
            let (items, next, f) = (items.clone(), next.clone(), f.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    f(item.clone()).await;
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("worker panicked");
    }
}

/// GET the transfer; `None` on 404, its fields checked against what was sent on 200.
async fn read_transfer(api: &Api, accounts: &[Uuid], sent: &Sent) -> Option<()> {
    let (status, body) = api
        .get(&format!("/v1/ledger/transfers/{}", sent.id))
        .await
        .expect("GET transfer");
    if status == StatusCode::NOT_FOUND {
        return None;
    }
    assert_eq!(status, StatusCode::OK, "GET transfer {}: {body}", sent.id);
    assert_eq!(body["id"], json!(sent.id), "{body}");
    assert_eq!(body["amount"], json!(sent.amount), "{body}");
    assert_eq!(
        body["debit_account_id"],
        json!(accounts[sent.debit]),
        "{body}"
    );
    assert_eq!(
        body["credit_account_id"],
        json!(accounts[sent.credit]),
        "{body}"
    );
    assert_eq!(body["ledger"], json!(LEDGER), "{body}");
    assert_eq!(body["code"], json!(CODE), "{body}");
    Some(())
}

/// Every transfer of an account (as debit or credit), page by page.
async fn account_transfers(api: &Api, account: Uuid) -> Vec<Value> {
    const PAGE: usize = 8190;
    let mut all = Vec::new();
    let mut from = 0_u64;
    loop {
        let page = api
            .get_ok(&format!(
                "/v1/ledger/accounts/{account}/transfers?limit={PAGE}&timestamp_min={from}"
            ))
            .await;
        let page = page["transfers"].as_array().expect("transfers").clone();
        let full = page.len() == PAGE;
        if let Some(last) = page.last() {
            from = last["timestamp"].as_u64().expect("timestamp") + 1;
        }
        all.extend(page);
        if !full {
            return all;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_transfers_survive_sigkill() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir.path().join("ledger.db"));

    // ----- first life: accounts, then load, then SIGKILL -----
    let mut server = Server::start(&url).await;
    let api = server.api();
    let accounts: Vec<Uuid> = (0..ACCOUNTS).map(|_| Uuid::now_v7()).collect();
    let new_accounts: Vec<Value> = accounts
        .iter()
        .map(|id| json!({"id": id, "ledger": LEDGER, "code": 10}))
        .collect();
    let results = api.batch_ok("/v1/ledger/accounts", &new_accounts).await;
    assert!(results.iter().all(|r| r == "ok"), "{results:?}");
    let accounts = Arc::new(accounts);

    let killed = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..SINGLE_CLIENTS + BATCH_CLIENTS + LARGE_CLIENTS)
        .map(|n| {
            let batch_len = match n {
                n if n < SINGLE_CLIENTS => 1,
                n if n < SINGLE_CLIENTS + BATCH_CLIENTS => BATCH_LEN,
                _ => LARGE_BATCH_LEN,
            };
            tokio::spawn(client(
                api.clone(),
                accounts.clone(),
                n + 1,
                batch_len,
                killed.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(LOAD).await;
    killed.store(true, Ordering::SeqCst);
    server.kill();
    let first_log = server.log();
    drop(server);

    let mut acked = Vec::new();
    let mut in_doubt = Vec::new();
    let mut surprises = Vec::new();
    let mut tails = Vec::new();
    for c in clients {
        let seen = c.await.expect("client panicked");
        tails.push(seen.acked[seen.acked.len().saturating_sub(TAIL)..].to_vec());
        acked.extend(seen.acked);
        in_doubt.extend(seen.in_doubt);
        surprises.extend(seen.surprises);
    }
    eprintln!(
        "load: {} transfers acknowledged, {} in doubt at the kill, {} surprises",
        acked.len(),
        in_doubt.len(),
        surprises.len()
    );
    assert!(
        surprises.is_empty(),
        "answers other than 200/ok before the kill: {:?}\nserver log:\n{first_log}",
        &surprises[..surprises.len().min(20)]
    );
    assert!(!acked.is_empty(), "nothing was acknowledged under load");
    assert!(
        !in_doubt.is_empty(),
        "no request was in flight at the kill: the test proves nothing"
    );
    let ids: HashSet<Uuid> = acked.iter().chain(&in_doubt).map(|s| s.id).collect();
    assert_eq!(ids.len(), acked.len() + in_doubt.len(), "ids are unique");

    eprintln!("killed at {:?}", started.elapsed());
    // ----- second life: everything acknowledged is there exactly once -----
    let mut server = Server::start(&url).await;
    let api = server.api();

    // Replaying every acknowledged transfer moves nothing: each answers `exists` (not `ok`, which
    // would mean it was lost, nor `exists_with_different_…`, which would mean it was altered).
    for chunk in acked.chunks(BATCH_MAX) {
        let events: Vec<Value> = chunk.iter().map(|s| s.json(&accounts)).collect();
        let results = api.batch_ok("/v1/ledger/transfers", &events).await;
        let lost: Vec<String> = chunk
            .iter()
            .zip(&results)
            .filter(|(_, r)| *r != "exists")
            .map(|(s, r)| format!("{}: {r}", s.id))
            .take(20)
            .collect();
        assert!(
            lost.is_empty(),
            "acknowledged transfers not intact after the crash: {lost:?}"
        );
    }

    eprintln!("restarted and replayed at {:?}", started.elapsed());

    // Read every account's transfers back: each acknowledged transfer appears exactly twice
    // (in its debit account's list and in its credit account's), as sent; nothing appears that
    // was never sent.
    let sent: HashMap<Uuid, Sent> = acked.iter().chain(&in_doubt).map(|s| (s.id, *s)).collect();
    let mut listed: HashMap<Uuid, usize> = HashMap::new();
    for (i, account) in accounts.iter().enumerate() {
        for t in account_transfers(&api, *account).await {
            let id: Uuid = serde_json::from_value(t["id"].clone()).expect("transfer id");
            let s = sent
                .get(&id)
                .unwrap_or_else(|| panic!("a transfer nobody sent: {t}"));
            assert!(
                s.debit == i || s.credit == i,
                "{t} listed under account {account}"
            );
            assert_eq!(t["amount"], json!(s.amount), "{t}");
            assert_eq!(t["debit_account_id"], json!(accounts[s.debit]), "{t}");
            assert_eq!(t["credit_account_id"], json!(accounts[s.credit]), "{t}");
            *listed.entry(id).or_default() += 1;
        }
    }
    let duplicated: Vec<_> = listed.iter().filter(|(_, n)| **n != 2).take(20).collect();
    assert!(
        duplicated.is_empty(),
        "transfers listed other than once per account: {duplicated:?}"
    );
    let missing: Vec<Uuid> = acked
        .iter()
        .map(|s| s.id)
        .filter(|id| !listed.contains_key(id))
        .take(20)
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged transfers missing after the crash: {missing:?}"
    );
    let present: HashSet<Uuid> = in_doubt
        .iter()
        .map(|s| s.id)
        .filter(|id| listed.contains_key(id))
        .collect();
    eprintln!(
        "after restart: {} of {} transfers in doubt were applied before the kill",
        present.len(),
        in_doubt.len()
    );

    // Read by id: the acknowledged transfers closest to the kill (the most at risk) and a
    // sample of the rest, and a sample of the transfers in doubt, which read back exactly when
    // listed. (The listing above and the replays cover every one of them.)
    let mut by_id: Vec<Sent> = tails.iter().flatten().copied().collect();
    by_id.extend(
        acked
            .iter()
            .step_by((acked.len() / READ_SAMPLE).max(1))
            .copied(),
    );
    {
        let (api, accounts) = (api.clone(), accounts.clone());
        for_each_concurrently(by_id, 8, move |sent| {
            let (api, accounts) = (api.clone(), accounts.clone());
            async move {
                assert!(
                    read_transfer(&api, &accounts, &sent).await.is_some(),
                    "acknowledged transfer {} is missing after the crash",
                    sent.id
                );
            }
        })
        .await;
    }
    {
        let (api, accounts, present) = (api.clone(), accounts.clone(), Arc::new(present.clone()));
        let sample: Vec<Sent> = in_doubt
            .iter()
            .step_by((in_doubt.len() / READ_SAMPLE).max(1))
            .copied()
            .collect();
        for_each_concurrently(sample, 8, move |sent| {
            let (api, accounts, present) = (api.clone(), accounts.clone(), present.clone());
            async move {
                let found = read_transfer(&api, &accounts, &sent).await.is_some();
                assert_eq!(
                    found,
                    present.contains(&sent.id),
                    "GET and list disagree on {}",
                    sent.id
                );
            }
        })
        .await;
    }
    eprintln!("read back at {:?}", started.elapsed());

    // Replaying the transfers in doubt answers `exists` for those applied before the kill and
    // `ok` (applied now, once) for the others.
    for chunk in in_doubt.chunks(BATCH_MAX) {
        let events: Vec<Value> = chunk.iter().map(|s| s.json(&accounts)).collect();
        let results = api.batch_ok("/v1/ledger/transfers", &events).await;
        for (sent, result) in chunk.iter().zip(&results) {
            let expected = if present.contains(&sent.id) {
                "exists"
            } else {
                "ok"
            };
            assert_eq!(result, expected, "replaying in-doubt transfer {}", sent.id);
        }
    }

    // Every account's balances are exactly the sum of the transfers, each counted once.
    let mut debits = vec![0_u64; ACCOUNTS];
    let mut credits = vec![0_u64; ACCOUNTS];
    for s in acked.iter().chain(&in_doubt) {
        debits[s.debit] += s.amount;
        credits[s.credit] += s.amount;
    }
    let mut sum_debits = 0_u64;
    let mut sum_credits = 0_u64;
    let index: HashMap<Uuid, usize> = accounts
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i))
        .collect();
    for id in accounts.iter() {
        let account = api.get_ok(&format!("/v1/ledger/accounts/{id}")).await;
        let i = index[id];
        let posted = |field: &str| {
            account[field]
                .as_u64()
                .unwrap_or_else(|| panic!("{field} in {account}"))
        };
        assert_eq!(
            posted("debits_posted"),
            debits[i],
            "debits of account {id}: {account}"
        );
        assert_eq!(
            posted("credits_posted"),
            credits[i],
            "credits of account {id}: {account}"
        );
        assert_eq!(posted("debits_pending"), 0, "{account}");
        assert_eq!(posted("credits_pending"), 0, "{account}");
        sum_debits += posted("debits_posted");
        sum_credits += posted("credits_posted");
    }
    assert_eq!(
        sum_debits, sum_credits,
        "the ledger's debits equal its credits"
    );

    let check = api.get_ok("/v1/ledger/check").await;
    assert_eq!(check["ok"], true, "{check}");

    // A graceful stop, then the offline check on the file.
    let status = server.terminate(Duration::from_secs(10));
    assert!(
        status.is_some_and(|s| s.success()),
        "cardlife serve did not exit cleanly on SIGTERM: {status:?}\n{}",
        server.log()
    );
    let (out, report) = ledger_check(dir.path(), &url);
    assert!(
        out.status.success(),
        "ledger check failed: {report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["accounts"], ACCOUNTS, "{report}");
    assert_eq!(
        report["transfers"],
        acked.len() + in_doubt.len(),
        "{report}"
    );
    assert_eq!(report["violations"], json!([]), "{report}");
    eprintln!("took {:?}", started.elapsed());
}
