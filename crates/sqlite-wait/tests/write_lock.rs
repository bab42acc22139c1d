//! Two connections to one file contending for the write lock, with the handler installed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{Connection, SqliteConnection};

async fn open(path: &std::path::Path, timeout: Duration) -> SqliteConnection {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal);
    let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
    cardlife_sqlite_wait::install(&mut conn, timeout)
        .await
        .unwrap();
    conn
}

#[tokio::test]
async fn a_writer_waits_for_the_lock_and_then_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let mut holder = open(&path, Duration::from_secs(10)).await;
    sqlx::query("CREATE TABLE t (n INTEGER)")
        .execute(&mut holder)
        .await
        .unwrap();
    let mut waiter = open(&path, Duration::from_secs(10)).await;

    let mut tx = holder.begin_with("BEGIN IMMEDIATE").await.unwrap();
    sqlx::query("INSERT INTO t VALUES (1)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let second = tokio::spawn(async move {
        sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&mut waiter)
            .await
            .map(|_| ())
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(
        !second.is_finished(),
        "the second writer must wait for the first"
    );
    tx.commit().await.unwrap();
    second
        .await
        .unwrap()
        .expect("the second writer writes once the lock is free");

    let rows: Vec<(i64,)> = sqlx::query_as("SELECT n FROM t ORDER BY n")
        .fetch_all(&mut holder)
        .await
        .unwrap();
    assert_eq!(rows, [(1,), (2,)]);
}

#[tokio::test]
async fn a_writer_gives_up_after_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let mut holder = open(&path, Duration::from_secs(10)).await;
    sqlx::query("CREATE TABLE t (n INTEGER)")
        .execute(&mut holder)
        .await
        .unwrap();
    let mut waiter = open(&path, Duration::from_millis(50)).await;

    let tx = holder.begin_with("BEGIN IMMEDIATE").await.unwrap();
    let err = sqlx::query("INSERT INTO t VALUES (2)")
        .execute(&mut waiter)
        .await
        .expect_err("the lock is never freed");
    let db_err = err.as_database_error().expect("a database error");
    assert!(
        db_err.message().contains("locked"),
        "unexpected error: {db_err}"
    );
    drop(tx);
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM t")
        .fetch_one(&mut waiter)
        .await
        .unwrap();
    assert_eq!(n, 0, "the refused write wrote nothing");
}
