//! Fresh stores for one benchmark case: temporary SQLite files beside the real store (same disk,
//! same durability), or fresh PostgreSQL databases created and dropped around the run.

use std::path::Path;

use cardlife_store::Db;
use cardlife_store::db::with_database;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// A pair of fresh stores, ours and the baseline's, removed when dropped (SQLite) or by
/// [`Stores::cleanup`] (PostgreSQL).
#[derive(Debug)]
pub struct Stores {
    /// Our store, migrated.
    pub ours: Db,
    /// The baseline's store, empty.
    pub baseline: Db,
    admin: Option<(String, Vec<String>)>,
    _dir: Option<tempfile::TempDir>,
}

impl Stores {
    /// Creates both stores: under `dir` for SQLite, or on the server of `database_url`.
    pub async fn create(
        dir: &Path,
        database_url: Option<&str>,
        case: &str,
    ) -> anyhow::Result<Self> {
        match database_url {
            None => {
                std::fs::create_dir_all(dir)?;
                let tmp = tempfile::Builder::new().prefix("bench-").tempdir_in(dir)?;
                let url = |name: &str| format!("sqlite://{}/{name}.db", tmp.path().display());
                let ours = Db::open(&url("ours")).await?;
                ours.migrate().await?;
                let baseline = Db::open(&url("baseline")).await?;
                Ok(Self {
                    ours,
                    baseline,
                    admin: None,
                    _dir: Some(tmp),
                })
            }
            Some(url) => {
                let tag = format!("{}_{}", std::process::id(), case.replace(['/', '-'], "_"));
                let names = [
                    format!("cardlife_bench_ours_{tag}"),
                    format!("cardlife_bench_base_{tag}"),
                ];
                let mut admin = PgConnection::connect(url).await?;
                for name in &names {
                    let _ = sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
                        .execute(&mut admin)
                        .await;
                    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                        .execute(&mut admin)
                        .await?;
                }
                admin.close().await?;
                let ours = Db::open(&with_database(url, &names[0])).await?;
                ours.migrate().await?;
                let baseline = Db::open(&with_database(url, &names[1])).await?;
                Ok(Self {
                    ours,
                    baseline,
                    admin: Some((url.to_owned(), names.to_vec())),
                    _dir: None,
                })
            }
        }
    }

    /// Closes the stores and drops PostgreSQL databases.
    pub async fn cleanup(self) -> anyhow::Result<()> {
        self.ours.close().await;
        self.baseline.close().await;
        if let Some((url, names)) = self.admin {
            let mut admin = PgConnection::connect(&url).await?;
            for name in names {
                sqlx::query(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await?;
            }
        }
        Ok(())
    }
}

/// fdatasync of a 4 KiB append per second in `dir`, for calibration.
pub fn fsync_rate(dir: &Path) -> anyhow::Result<f64> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::tempfile_in(dir)?;
    let block = [0u8; 4096];
    let n = 200;
    let start = std::time::Instant::now();
    for _ in 0..n {
        file.write_all(&block)?;
        file.sync_data()?;
    }
    Ok(f64::from(n) / start.elapsed().as_secs_f64())
}
