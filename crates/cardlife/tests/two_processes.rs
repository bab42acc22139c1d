//! Two `cardlife serve` processes sharing one PostgreSQL database keep the ledger's invariants:
//! no overdraft of a limited account won by racing both, each transfer id applied once whichever
//! process sees it first, a hot account's balances exact.
//!
//! Needs `CARDLIFE_TEST_DATABASE_URL` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`); a
//! fresh database is created on that server and dropped at the end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use cardlife_store::db::with_database;
use common::{Api, Rng, Server, ledger_check};
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tokio::task::JoinSet;
use uuid::Uuid;

const LEDGER: u32 = 1;
/// What each limited account is funded with.
const FUNDING: u64 = 1_000;
/// Each overdraw attempt moves this much; `FUNDING / DRAW` of them are affordable.
const DRAW: u64 = 100;
const LIMITED: usize = 4;
/// Attempts per limited account, split over both servers.
const ATTEMPTS: usize = 30;
const NORMAL: usize = 20;
/// Transfers sent to both servers with the same id, one per request.
const SHARED_SINGLE: usize = 100;
/// Batches of [`SHARED_BATCH_LEN`] sent to both servers with the same ids.
const SHARED_BATCHES: usize = 10;
const SHARED_BATCH_LEN: usize = 20;
/// Clients per server hitting the hot account, each with this many batches of that length.
const HOT_CLIENTS: usize = 4;
const HOT_BATCHES: usize = 10;
const HOT_BATCH_LEN: usize = 25;

/// A database of its own on the test server, dropped (`WITH (FORCE)`) when this drops.
#[derive(Debug)]
struct TempDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TempDatabase {
    async fn create(admin_url: &str) -> Self {
        let name = format!("cardlife_test_{}", Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(admin_url)
            .await
            .expect("connect to CARDLIFE_TEST_DATABASE_URL");
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let url = with_database(admin_url, &name);
        Self {
            admin_url: admin_url.to_owned(),
            name,
            url,
        }
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime: do the async work on a thread of its own.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await?;
                sqlx::query(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await?;
                admin.close().await
            })
            .map_err(std::io::Error::other)
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!(
                "could not drop the test database {}: {dropped:?}",
                self.name
            );
        }
    }
}

fn transfer(id: Uuid, debit: Uuid, credit: Uuid, amount: u64) -> Value {
    json!({
        "id": id,
        "debit_account_id": debit,
        "credit_account_id": credit,
        "amount": amount,
        "ledger": LEDGER,
        "code": 1,
    })
}

/// Per-account expected balances: (debits_posted, credits_posted).
#[derive(Debug, Default)]
struct Expected(HashMap<Uuid, (u64, u64)>);

impl Expected {
    fn apply(&mut self, t: &Value) {
        let id = |f: &str| -> Uuid { serde_json::from_value(t[f].clone()).unwrap() };
        let amount = t["amount"].as_u64().unwrap();
        self.0.entry(id("debit_account_id")).or_default().0 += amount;
        self.0.entry(id("credit_account_id")).or_default().1 += amount;
    }
}

/// A fresh database and two servers on it, or `None` (the test is skipped) without
/// `CARDLIFE_TEST_DATABASE_URL`.
async fn two_servers() -> Option<(TempDatabase, Server, Server)> {
    let Ok(admin_url) = std::env::var("CARDLIFE_TEST_DATABASE_URL") else {
        eprintln!(
            "skipped: set CARDLIFE_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run"
        );
        return None;
    };
    let database = TempDatabase::create(&admin_url).await;
    // Both start (and migrate the empty database) at the same time.
    let (one, two) = tokio::join!(Server::start(&database.url), Server::start(&database.url));
    Some((database, one, two))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_sharing_one_postgres_keep_the_invariants() {
    let started = Instant::now();
    let Some((database, mut one, mut two)) = two_servers().await else {
        return;
    };
    let apis = [one.api(), two.api()];
    eprintln!("both servers up at {:?}", started.elapsed());

    // ----- accounts, created on one server, visible (and `exists`) on the other -----
    let fund = Uuid::now_v7();
    let hot = Uuid::now_v7();
    let limited: Vec<Uuid> = (0..LIMITED).map(|_| Uuid::now_v7()).collect();
    let sinks: Vec<Uuid> = (0..LIMITED).map(|_| Uuid::now_v7()).collect();
    let normal: Vec<Uuid> = (0..NORMAL).map(|_| Uuid::now_v7()).collect();
    let mut new_accounts = vec![
        json!({"id": fund, "ledger": LEDGER, "code": 1}),
        json!({"id": hot, "ledger": LEDGER, "code": 2}),
    ];
    new_accounts.extend(limited.iter().map(|id| json!({"id": id, "ledger": LEDGER, "code": 3, "flags": ["debits_must_not_exceed_credits"]})));
    new_accounts.extend(
        sinks
            .iter()
            .chain(&normal)
            .map(|id| json!({"id": id, "ledger": LEDGER, "code": 4})),
    );
    // Both servers create the same accounts at the same time (a race on the unique ids): each is
    // created once, `ok` on one server and `exists` on the other.
    let mut creating: JoinSet<(Vec<Value>, Vec<String>, Vec<String>)> = JoinSet::new();
    for (k, chunk) in new_accounts.chunks(5).enumerate() {
        let chunk = chunk.to_vec();
        let [a, b] = if k % 2 == 0 {
            apis.clone()
        } else {
            [apis[1].clone(), apis[0].clone()]
        };
        creating.spawn(async move {
            let (ra, rb) = tokio::join!(
                a.batch_ok("/v1/ledger/accounts", &chunk),
                b.batch_ok("/v1/ledger/accounts", &chunk)
            );
            (chunk, ra, rb)
        });
    }
    while let Some(done) = creating.join_next().await {
        let (chunk, ra, rb) = done.expect("account task");
        for ((account, a), b) in chunk.iter().zip(&ra).zip(&rb) {
            let pair = (a.as_str(), b.as_str());
            assert!(
                matches!(pair, ("ok", "exists") | ("exists", "ok")),
                "account {} answered {pair:?}",
                account["id"]
            );
        }
    }
    for api in &apis {
        let results = api.batch_ok("/v1/ledger/accounts", &new_accounts).await;
        assert!(results.iter().all(|r| r == "exists"), "{results:?}");
    }

    let mut expected = Expected::default();
    let mut applied = 0_usize;
    let funding: Vec<Value> = limited
        .iter()
        .map(|l| transfer(Uuid::now_v7(), fund, *l, FUNDING))
        .collect();
    let results = apis[1].batch_ok("/v1/ledger/transfers", &funding).await;
    assert!(results.iter().all(|r| r == "ok"), "{results:?}");
    funding.iter().for_each(|t| expected.apply(t));
    applied += funding.len();

    // ----- (a) race to overdraw, (b) the same ids on both, (c) one hot account: all at once -----
    let mut overdraw: JoinSet<(usize, Value, String)> = JoinSet::new();
    for (i, (l, s)) in limited.iter().zip(&sinks).enumerate() {
        for k in 0..ATTEMPTS {
            let api = apis[k % 2].clone();
            let t = transfer(Uuid::now_v7(), *l, *s, DRAW);
            overdraw.spawn(async move {
                let r = api
                    .batch_ok("/v1/ledger/transfers", std::slice::from_ref(&t))
                    .await;
                (i, t, r[0].clone())
            });
        }
    }

    let mut rng = Rng::new(7);
    let mut pick_pair = move || {
        let d = rng.below(NORMAL);
        let c = (d + 1 + rng.below(NORMAL - 1)) % NORMAL;
        (d, c, 1 + rng.next_u64() % 500)
    };
    let mut shared_batches: Vec<Vec<Value>> = (0..SHARED_SINGLE)
        .map(|_| {
            let (d, c, amount) = pick_pair();
            vec![transfer(Uuid::now_v7(), normal[d], normal[c], amount)]
        })
        .collect();
    shared_batches.extend((0..SHARED_BATCHES).map(|_| {
        (0..SHARED_BATCH_LEN)
            .map(|_| {
                let (d, c, amount) = pick_pair();
                transfer(Uuid::now_v7(), normal[d], normal[c], amount)
            })
            .collect()
    }));
    let mut shared: JoinSet<(Vec<Value>, Vec<String>, Vec<String>)> = JoinSet::new();
    for (k, batch) in shared_batches.iter().cloned().enumerate() {
        // Alternate which server is asked first.
        let [a, b] = if k % 2 == 0 {
            apis.clone()
        } else {
            [apis[1].clone(), apis[0].clone()]
        };
        let first_is_one = k % 2 == 0;
        shared.spawn(async move {
            let (ra, rb) = tokio::join!(
                a.batch_ok("/v1/ledger/transfers", &batch),
                b.batch_ok("/v1/ledger/transfers", &batch)
            );
            if first_is_one {
                (batch, ra, rb)
            } else {
                (batch, rb, ra)
            }
        });
    }

    let mut hot_clients: JoinSet<Vec<(Value, String)>> = JoinSet::new();
    for c in 0..2 * HOT_CLIENTS {
        let api = apis[c % 2].clone();
        let normal = normal.clone();
        let mut rng = Rng::new(100 + c as u64);
        hot_clients.spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..HOT_BATCHES {
                let batch: Vec<Value> = (0..HOT_BATCH_LEN)
                    .map(|k| {
                        let other = normal[rng.below(NORMAL)];
                        let amount = 1 + rng.next_u64() % 1_000;
                        // Mostly into the hot account, some out of it.
                        if k % 5 == 0 {
                            transfer(Uuid::now_v7(), hot, other, amount)
                        } else {
                            transfer(Uuid::now_v7(), other, hot, amount)
                        }
                    })
                    .collect();
                let results = api.batch_ok("/v1/ledger/transfers", &batch).await;
                seen.extend(batch.into_iter().zip(results));
            }
            seen
        });
    }

    // (a) Exactly the affordable number of debits succeeded on each limited account; the others
    // were refused for lack of credits.
    let mut ok_per_limited = [0_usize; LIMITED];
    while let Some(done) = overdraw.join_next().await {
        let (i, t, result) = done.expect("overdraw task");
        match result.as_str() {
            "ok" => {
                ok_per_limited[i] += 1;
                expected.apply(&t);
                applied += 1;
            }
            "exceeds_credits" => {}
            other => panic!("overdraw attempt answered {other}: {t}"),
        }
    }
    let affordable = usize::try_from(FUNDING / DRAW).unwrap();
    assert_eq!(
        ok_per_limited, [affordable; LIMITED],
        "debits that succeeded per limited account"
    );

    // (b) Each shared id was applied exactly once: `ok` on one server, `exists` on the other.
    let mut both_ok = Vec::new();
    let mut wins = [0_usize; 2];
    while let Some(done) = shared.join_next().await {
        let (batch, ra, rb) = done.expect("shared task");
        for ((t, a), b) in batch.iter().zip(&ra).zip(&rb) {
            match (a.as_str(), b.as_str()) {
                ("ok", "exists") | ("exists", "ok") => {
                    wins[usize::from(a == "exists")] += 1;
                    expected.apply(t);
                    applied += 1;
                }
                ("ok", "ok") => both_ok.push(t["id"].clone()),
                other => panic!("shared id {} answered {other:?}", t["id"]),
            }
        }
    }
    assert!(
        both_ok.is_empty(),
        "ids applied by both servers: {both_ok:?}"
    );
    eprintln!(
        "shared ids applied first by server one: {}, by server two: {}",
        wins[0], wins[1]
    );

    // (c) Every hot-account transfer succeeded.
    while let Some(done) = hot_clients.join_next().await {
        for (t, result) in done.expect("hot task") {
            assert_eq!(result, "ok", "{t}");
            expected.apply(&t);
            applied += 1;
        }
    }
    eprintln!(
        "load done at {:?}: {applied} transfers applied",
        started.elapsed()
    );

    // Replaying every shared id on either server now answers `exists` and moves nothing.
    for (k, batch) in shared_batches.iter().enumerate() {
        let results = apis[k % 2].batch_ok("/v1/ledger/transfers", batch).await;
        assert!(results.iter().all(|r| r == "exists"), "replay: {results:?}");
    }

    // ----- balances, read through both servers -----
    let all: Vec<Uuid> = [fund, hot]
        .into_iter()
        .chain(limited.iter().copied())
        .chain(sinks.iter().copied())
        .chain(normal.iter().copied())
        .collect();
    let mut sum_debits = 0_u64;
    let mut sum_credits = 0_u64;
    for id in &all {
        let views = [account(&apis[0], *id).await, account(&apis[1], *id).await];
        assert_eq!(views[0], views[1], "both servers read the same account");
        let v = &views[0];
        let (debits, credits) = expected.0.get(id).copied().unwrap_or_default();
        assert_eq!(v["debits_posted"], debits, "debits of {id}: {v}");
        assert_eq!(v["credits_posted"], credits, "credits of {id}: {v}");
        assert_eq!(v["debits_pending"], 0, "{v}");
        assert_eq!(v["credits_pending"], 0, "{v}");
        sum_debits += debits;
        sum_credits += credits;
    }
    assert_eq!(
        sum_debits, sum_credits,
        "the ledger's debits equal its credits"
    );
    for l in &limited {
        let v = account(&apis[1], *l).await;
        assert_eq!(
            v["debits_posted"], FUNDING,
            "limited account fully drawn, never beyond: {v}"
        );
        assert_eq!(v["credits_posted"], FUNDING, "{v}");
    }

    for api in &apis {
        // How often a commit lost a race to the other process and was retried (for the log).
        let (_, metrics) = api.get_text("/metrics").await;
        let retries = metrics
            .lines()
            .find(|l| l.starts_with("cardlife_ledger_commit_retries_total"))
            .unwrap_or("cardlife_ledger_commit_retries_total 0");
        eprintln!("{}: {retries}", api.base);
        let check = api.get_ok("/v1/ledger/check").await;
        assert_eq!(check["ok"], true, "{check}");
    }
    for server in [&mut one, &mut two] {
        let status = server.terminate(Duration::from_secs(10));
        assert!(
            status.is_some_and(|s| s.success()),
            "graceful stop: {status:?}\n{}",
            server.log()
        );
    }

    let cwd = tempfile::tempdir().unwrap();
    let (out, report) = ledger_check(cwd.path(), &database.url);
    assert!(
        out.status.success(),
        "ledger check failed: {report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["accounts"], all.len(), "{report}");
    assert_eq!(report["transfers"], applied, "{report}");
    eprintln!("took {:?}", started.elapsed());
}

async fn account(api: &Api, id: Uuid) -> Value {
    let v = api.get_ok(&format!("/v1/ledger/accounts/{id}")).await;
    assert_eq!(v["id"], json!(id), "{v}");
    v
}

/// A hot account with the `history` flag, written by both servers at once: its balance
/// snapshots, read in timestamp order, must be the running totals of its transfers in timestamp
/// order (what `/balances` and `/transfers` with a time range promise). Each process stamps a
/// commit with its own clock reading, so this holds only if a commit that waits for another
/// process's lock on the account still stamps later than that process's commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hot_account_history_agrees_with_its_transfers_across_two_servers() {
    let Some((_database, one, two)) = two_servers().await else {
        return;
    };
    let apis = [one.api(), two.api()];
    let hot = Uuid::now_v7();
    let normal: Vec<Uuid> = (0..NORMAL).map(|_| Uuid::now_v7()).collect();
    let mut new_accounts =
        vec![json!({"id": hot, "ledger": LEDGER, "code": 2, "flags": ["history"]})];
    new_accounts.extend(
        normal
            .iter()
            .map(|id| json!({"id": id, "ledger": LEDGER, "code": 4})),
    );
    let results = apis[0].batch_ok("/v1/ledger/accounts", &new_accounts).await;
    assert!(results.iter().all(|r| r == "ok"), "{results:?}");

    let mut clients: JoinSet<()> = JoinSet::new();
    for c in 0..2 * HOT_CLIENTS {
        let api = apis[c % 2].clone();
        let normal = normal.clone();
        let mut rng = Rng::new(200 + c as u64);
        clients.spawn(async move {
            for _ in 0..HOT_BATCHES {
                let batch: Vec<Value> = (0..HOT_BATCH_LEN)
                    .map(|k| {
                        let other = normal[rng.below(NORMAL)];
                        let amount = 1 + rng.next_u64() % 1_000;
                        if k % 5 == 0 {
                            transfer(Uuid::now_v7(), hot, other, amount)
                        } else {
                            transfer(Uuid::now_v7(), other, hot, amount)
                        }
                    })
                    .collect();
                let results = api.batch_ok("/v1/ledger/transfers", &batch).await;
                assert!(results.iter().all(|r| r == "ok"), "{results:?}");
            }
        });
    }
    while let Some(done) = clients.join_next().await {
        done.expect("hot client");
    }

    // The hot account's balance history (it has the `history` flag) tells the same story as its
    // transfers: in timestamp order, each snapshot is the running total after that transfer.
    let history = apis[0]
        .get_ok(&format!("/v1/ledger/accounts/{hot}/balances?limit=8190"))
        .await;
    let history = history["balances"].as_array().expect("balances").clone();
    let transfers = apis[0]
        .get_ok(&format!("/v1/ledger/accounts/{hot}/transfers?limit=8190"))
        .await;
    let transfers = transfers["transfers"]
        .as_array()
        .expect("transfers")
        .clone();
    assert_eq!(
        history.len(),
        transfers.len(),
        "one snapshot per transfer of the hot account"
    );
    let (mut debits, mut credits) = (0_u64, 0_u64);
    let mut out_of_order = Vec::new();
    for (k, (t, b)) in transfers.iter().zip(&history).enumerate() {
        let amount = t["amount"].as_u64().unwrap();
        if t["debit_account_id"] == json!(hot) {
            debits += amount;
        } else {
            credits += amount;
        }
        if b["timestamp"] != t["timestamp"]
            || b["debits_posted"] != debits
            || b["credits_posted"] != credits
        {
            out_of_order.push(format!(
                "#{k} at timestamp {}: snapshot debits_posted={} credits_posted={}, but the transfers up to \
                 that timestamp sum to debits {debits} credits {credits} (snapshot timestamp {})",
                t["timestamp"], b["debits_posted"], b["credits_posted"], b["timestamp"]
            ));
        }
    }
    assert!(
        out_of_order.is_empty(),
        "{} of {} hot-account snapshots disagree with its transfers in timestamp order; first: {:?}",
        out_of_order.len(),
        history.len(),
        &out_of_order[..out_of_order.len().min(3)]
    );
}
