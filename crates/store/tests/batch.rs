//! Statements run as one batch in a transaction (`cardlife_store::batch`), on every store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cardlife_store::Db;
use cardlife_store::batch::{Batch, Stmt, Value};
use cardlife_store::tx::Tx;

async fn table(db: &Db) {
    let mut tx = Tx::begin(db).await.unwrap();
    tx.run_one(Stmt::new(
        "CREATE TABLE batch_t (k TEXT PRIMARY KEY, n BIGINT NOT NULL, b BYTEA)",
        vec![],
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// The table's rows, `(k, n, b)`, by key.
async fn rows(db: &Db) -> Vec<(String, i64, Option<Vec<u8>>)> {
    let sql = "SELECT k, n, b FROM batch_t ORDER BY k";
    match db {
        Db::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
        Db::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
    }
}

fn insert(k: &str, n: i64) -> Stmt {
    Stmt::new(
        "INSERT INTO batch_t (k, n, b) VALUES ($1, $2, $3) ON CONFLICT (k) DO NOTHING",
        vec![k.into(), n.into(), Value::Blob(Some(vec![0, 1, 2]))],
    )
}

fn strict_insert(k: &str, n: i64) -> Stmt {
    Stmt::new(
        "INSERT INTO batch_t (k, n) VALUES ($1, $2)",
        vec![k.into(), n.into()],
    )
}

fn add(k: &str, by: i64, if_n: i64) -> Stmt {
    // Parameters out of order, and a `$` inside a literal, as the store's own statements have.
    Stmt::new(
        "UPDATE batch_t SET n = n + $2 WHERE n = $3 AND k = $1 AND '$9' <> ''",
        vec![k.into(), by.into(), if_n.into()],
    )
}

#[tokio::test]
async fn each_statement_answers_its_own_rows_and_the_batch_commits_whole() {
    for s in common::stores().await {
        table(&s.db).await;
        let mut b = Batch::new();
        let a = b.push(insert("a", 1));
        let again = b.push(insert("a", 5));
        let up = b.push(add("a", 10, 1));
        let missed = b.push(add("a", 10, 1));
        let nul = b.push(Stmt::new(
            "INSERT INTO batch_t (k, n, b) VALUES ($1, $2, $3)",
            vec!["z".into(), 0i64.into(), Value::Blob(None)],
        ));
        let mut tx = Tx::begin(&s.db).await.unwrap();
        let mut ran = tx.run(b).await.unwrap();
        assert_eq!(
            [a, again, up, missed, nul].map(|i| ran.rows(i).unwrap()),
            [1, 0, 1, 0, 1],
            "{}",
            s.db.backend()
        );
        ran.finish().unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            rows(&s.db).await,
            vec![
                ("a".to_owned(), 11, Some(vec![0, 1, 2])),
                ("z".to_owned(), 0, None)
            ]
        );
        s.drop_store().await;
    }
}

#[tokio::test]
async fn a_failing_statement_stops_the_batch_and_dropping_the_transaction_undoes_it() {
    for s in common::stores().await {
        table(&s.db).await;
        let mut tx = Tx::begin(&s.db).await.unwrap();
        tx.run_one(insert("a", 1)).await.unwrap();
        tx.commit().await.unwrap();

        let mut b = Batch::new();
        let first = b.push(add("a", 1, 1));
        let dup = b.push(strict_insert("a", 7));
        let after = b.push(insert("b", 2));
        let mut tx = Tx::begin(&s.db).await.unwrap();
        let mut ran = tx.run(b).await.unwrap();
        assert_eq!(ran.rows(first).unwrap(), 1);
        let e = ran.rows(dup).unwrap_err().to_string();
        assert!(e.contains("UNIQUE") || e.contains("duplicate"), "{e}");
        assert!(
            matches!(ran.rows(after), Err(cardlife_store::StoreError::NotRun(2))),
            "never ran"
        );
        ran.finish().unwrap();
        drop(tx);
        assert_eq!(
            rows(&s.db).await,
            vec![("a".to_owned(), 1, Some(vec![0, 1, 2]))]
        );

        // `finish` reports a failure nobody looked at.
        let mut b = Batch::new();
        b.push(strict_insert("a", 7));
        let mut tx = Tx::begin(&s.db).await.unwrap();
        assert!(tx.run(b).await.unwrap().finish().is_err());
        drop(tx);
        s.drop_store().await;
    }
}
