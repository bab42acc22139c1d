//! Many callers' batches in one commit (`cardlife_store::group`), on every store: each caller's
//! check decides for its own batch only, and a refused batch leaves nothing behind.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use cardlife_store::batch::{Batch, Stmt};
use cardlife_store::group::Grouped;
use cardlife_store::tx::Tx;
use cardlife_store::{Db, Durability};

async fn create(db: &Db, sql: &'static str) {
    let mut tx = Tx::begin(db).await.unwrap();
    tx.run_one(Stmt::new(sql, vec![])).await.unwrap();
    tx.commit().await.unwrap();
}

async fn table(db: &Db) {
    create(
        db,
        "CREATE TABLE group_t (k TEXT PRIMARY KEY, n BIGINT NOT NULL)",
    )
    .await;
}

async fn keys(db: &Db) -> Vec<String> {
    let sql = "SELECT k FROM group_t ORDER BY k";
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_all(p).await.unwrap(),
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_all(p).await.unwrap(),
    }
}

/// Two rows, `k` and `tag`; kept (by [`put`]) only when `k` was new.
fn pair(k: &str, tag: &str) -> Batch {
    let mut b = Batch::new();
    b.push(Stmt::new(
        "INSERT INTO group_t (k, n) VALUES ($1, 1) ON CONFLICT (k) DO NOTHING",
        vec![k.into()],
    ));
    b.push(Stmt::new(
        "INSERT INTO group_t (k, n) VALUES ($1, 2) ON CONFLICT (k) DO NOTHING",
        vec![tag.into()],
    ));
    b
}

async fn put(grouped: &Grouped, k: &str, tag: &str) -> Result<u64, String> {
    let k = k.to_owned();
    grouped
        .commit(pair(&k, tag), move |mut ran| match ran.rows(0) {
            Ok(1) => Ok(ran.rows(1).unwrap()),
            Ok(_) => Err(format!("{k} taken")),
            Err(e) => Err(e.to_string()),
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn concurrent_batches_are_kept_or_refused_each_on_its_own_checks() {
    for s in common::stores().await {
        table(&s.db).await;
        let grouped = Arc::new(Grouped::new(s.db.clone()));
        assert_eq!(put(&grouped, "a", "a+").await, Ok(1));
        // 61 at once (one group), every third a key already held: those are refused, alone,
        // their new second row with them — the last of the group among them, so its savepoint
        // is undone before the commit.
        let calls: Vec<_> = (0..=60)
            .map(|i| {
                let grouped = grouped.clone();
                let k = if i % 3 == 0 {
                    "a".to_owned()
                } else {
                    format!("k{i:02}")
                };
                let tag = format!("t{i:02}");
                tokio::spawn(async move { (k.clone(), put(&grouped, &k, &tag).await, tag) })
            })
            .collect();
        let mut answers = Vec::new();
        for call in calls {
            answers.push(call.await.unwrap());
        }
        for (k, answer, _) in &answers {
            if k == "a" {
                assert_eq!(answer, &Err("a taken".to_owned()), "{}", s.db.backend());
            } else {
                assert_eq!(answer, &Ok(1), "{k} on {}", s.db.backend());
            }
        }
        let mut expected = vec!["a".to_owned(), "a+".to_owned()];
        for (k, _, tag) in answers.iter().filter(|(k, _, _)| k != "a") {
            expected.push(k.clone());
            expected.push(tag.clone());
        }
        expected.sort();
        // A refused batch wrote neither row; a kept one both.
        assert_eq!(keys(&s.db).await, expected, "{}", s.db.backend());
        s.drop_store().await;
    }
}

#[tokio::test]
async fn a_refused_batch_alone_leaves_nothing_and_a_failed_statement_is_the_checks_to_see() {
    for s in common::stores().await {
        table(&s.db).await;
        let grouped = Grouped::new(s.db.clone());
        // The check refuses although both inserts succeeded: both undone.
        let refused: Result<(), &str> = grouped
            .commit(pair("x", "x+"), |_| Err("no"))
            .await
            .unwrap();
        assert_eq!(refused, Err("no"));
        assert!(keys(&s.db).await.is_empty(), "{}", s.db.backend());
        // A statement that fails (a duplicate key without ON CONFLICT) reaches the check.
        let mut b = pair("y", "y+");
        b.push(Stmt::new(
            "INSERT INTO group_t (k, n) VALUES ($1, 3)",
            vec!["y".into()],
        ));
        let failed = grouped
            .commit(b, |mut ran| ran.rows(2).map_err(|e| e.to_string()))
            .await
            .unwrap();
        assert!(failed.is_err(), "{}", s.db.backend());
        assert!(keys(&s.db).await.is_empty(), "{}", s.db.backend());
        assert_eq!(put(&grouped, "z", "z+").await, Ok(1));
        assert_eq!(keys(&s.db).await, vec!["z", "z+"], "{}", s.db.backend());
        s.drop_store().await;
    }
}

/// A batch that notes, under `tag`, the durability its commit runs at: `synced` (SQLite
/// `synchronous=FULL`, PostgreSQL `synchronous_commit=on`) or `carried`.
fn note_level(db: &Db, tag: &str) -> Batch {
    let sql = match db {
        Db::Sqlite(_) => {
            "INSERT INTO group_levels (tag, level) SELECT $1, CASE synchronous \
             WHEN 2 THEN 'synced' WHEN 1 THEN 'carried' ELSE 'other' END FROM pragma_synchronous"
        }
        Db::Postgres(_) => {
            "INSERT INTO group_levels (tag, level) SELECT $1, \
             CASE current_setting('synchronous_commit') \
             WHEN 'on' THEN 'synced' WHEN 'off' THEN 'carried' ELSE 'other' END"
        }
    };
    let mut b = Batch::new();
    b.push(Stmt::new(sql, vec![tag.into()]));
    b
}

async fn levels(db: &Db) -> Vec<(String, String)> {
    let sql = "SELECT tag, level FROM group_levels ORDER BY tag";
    match db {
        Db::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
        Db::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
    }
}

#[tokio::test]
async fn a_group_waits_for_the_disk_whenever_one_of_its_batches_must() {
    for s in common::stores().await {
        create(
            &s.db,
            "CREATE TABLE group_levels (tag TEXT PRIMARY KEY, level TEXT NOT NULL)",
        )
        .await;
        let grouped = Arc::new(Grouped::new(s.db.clone()));
        let ok = |ran: cardlife_store::batch::Ran| ran.finish();
        // One at a time: each commit at its own level, and back again.
        for (tag, carried) in [
            ("1", true),
            ("2", false),
            ("3", true),
            ("4", true),
            ("5", false),
        ] {
            let b = note_level(&s.db, tag);
            let done = if carried {
                grouped.commit_as(b, Durability::Carried, ok).await
            } else {
                grouped.commit(b, ok).await
            };
            done.unwrap().unwrap();
        }
        let got = levels(&s.db).await;
        let want = ["carried", "synced", "carried", "carried", "synced"];
        let got_levels: Vec<&str> = got.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(got_levels, want, "{}", s.db.backend());
        // Many at once, mixed: whatever groups they fall into, a synced batch never commits
        // without the disk.
        let calls: Vec<_> = (0..40usize)
            .map(|i| {
                let (grouped, db) = (grouped.clone(), s.db.clone());
                tokio::spawn(async move {
                    let b = note_level(&db, &format!("m{i:02}"));
                    if i.is_multiple_of(4) {
                        grouped.commit(b, ok).await
                    } else {
                        grouped.commit_as(b, Durability::Carried, ok).await
                    }
                })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap().unwrap();
        }
        for (tag, level) in levels(&s.db).await {
            let i: usize = match tag.strip_prefix('m') {
                Some(n) => n.parse().unwrap(),
                None => continue,
            };
            assert_ne!(level, "other", "{tag} on {}", s.db.backend());
            if i.is_multiple_of(4) {
                assert_eq!(level, "synced", "{tag} on {}", s.db.backend());
            }
        }
        s.drop_store().await;
    }
}
