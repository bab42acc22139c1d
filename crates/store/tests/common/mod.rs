//! Fresh stores for the contract suite: SQLite always, PostgreSQL when
//! `CARDLIFE_TEST_DATABASE_URL` is set (each test gets a database of its own).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use cardlife_kernel::{FakeClock, SharedClock};
use cardlife_store::db::with_database;
use cardlife_store::{Db, LedgerService};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// A fresh, migrated store and what removes it.
pub struct TestStore {
    pub db: Db,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    admin: Option<(String, String)>,
}

impl TestStore {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/test.db", dir.path().display());
        let db = Db::open(&url).await.unwrap();
        db.migrate().await.unwrap();
        Self {
            db,
            url,
            _dir: Some(dir),
            admin: None,
        }
    }

    pub async fn postgres(admin_url: &str) -> Self {
        let name = format!("cardlife_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(admin_url).await.unwrap();
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let url = with_database(admin_url, &name);
        let db = Db::open(&url).await.unwrap();
        db.migrate().await.unwrap();
        Self {
            db,
            url,
            _dir: None,
            admin: Some((admin_url.to_owned(), name)),
        }
    }

    /// Reopens the same store (a restart).
    pub async fn reopen(&self) -> Db {
        Db::open(&self.url).await.unwrap()
    }

    pub async fn drop_store(self) {
        self.db.close().await;
        if let Some((admin_url, name)) = self.admin {
            let mut admin = PgConnection::connect(&admin_url).await.unwrap();
            sqlx::query(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await
            .unwrap();
        }
    }
}

/// Every backend this run can test: SQLite, and PostgreSQL when configured.
pub async fn stores() -> Vec<TestStore> {
    let mut all = vec![TestStore::sqlite().await];
    all.extend(postgres().await);
    all
}

/// A fresh PostgreSQL store when `CARDLIFE_TEST_DATABASE_URL` is set, for the tests of what
/// only PostgreSQL does; `None` (the test has nothing to run) otherwise.
pub async fn postgres() -> Option<TestStore> {
    let url = std::env::var("CARDLIFE_TEST_DATABASE_URL").ok()?;
    Some(TestStore::postgres(&url).await)
}

/// A fake clock at 2026-04-01T00:00:00Z.
pub fn clock() -> (FakeClock, SharedClock) {
    let fake = FakeClock::new("2026-04-01T00:00:00Z".parse().unwrap());
    let shared = fake.shared();
    (fake, shared)
}

pub async fn start(db: &Db, clock: &SharedClock) -> LedgerService {
    LedgerService::start(db, Arc::clone(clock)).await.unwrap()
}

/// `n` new customers inserted at `at`, each with a lookup key of its own.
pub async fn new_customers(
    customers: &cardlife_store::customers::CustomerStore,
    n: u32,
    at: jiff::Timestamp,
) -> Vec<cardlife_kernel::CustomerId> {
    let mut ids = Vec::new();
    for i in 0..n {
        let customer = cardlife_kernel::CustomerId::generate();
        let mut lookup = [0u8; 32];
        lookup[..4].copy_from_slice(&i.to_be_bytes());
        assert!(
            customers
                .insert(customer, &lookup, "139****0000", None, at)
                .await
                .unwrap()
        );
        ids.push(customer);
    }
    ids
}
