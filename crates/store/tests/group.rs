//! Many callers' batches in one commit (`cardlife_store::group`), on every store: each caller's
//! check decides for its own batch only, and a refused batch leaves nothing behind.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use cardlife_store::Db;
use cardlife_store::batch::{Batch, Stmt};
use cardlife_store::group::Grouped;
use cardlife_store::tx::Tx;

async fn table(db: &Db) {
    let mut tx = Tx::begin(db).await.unwrap();
    tx.run_one(Stmt::new(
        "CREATE TABLE group_t (k TEXT PRIMARY KEY, n BIGINT NOT NULL)",
        vec![],
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
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
