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

/// How long the fsync probe runs: long enough to meet the disk's occasional stalls (on the shared
/// development machines, tens to hundreds of milliseconds every few seconds), which decide a
/// durable run's p99 more than its median sync does.
const FSYNC_PROBE: std::time::Duration = std::time::Duration::from_secs(2);

/// What the fsync probe measured in the bench's folder.
#[derive(Debug, Clone, Copy)]
pub struct FsyncProbe {
    /// 4 KiB appends each followed by `fdatasync`, per second.
    pub per_sec: f64,
    /// The 99th percentile of one sync, in milliseconds.
    pub p99_ms: f64,
    /// The slowest sync, in milliseconds.
    pub max_ms: f64,
}

/// fdatasync of 4 KiB appends in `dir` for [`FSYNC_PROBE`], for calibration: the rate and the
/// tail of one sync.
pub fn fsync_probe(dir: &Path) -> anyhow::Result<FsyncProbe> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::tempfile_in(dir)?;
    let block = [0u8; 4096];
    let mut syncs = Vec::new();
    let start = std::time::Instant::now();
    while start.elapsed() < FSYNC_PROBE {
        file.write_all(&block)?;
        let sync = std::time::Instant::now();
        file.sync_data()?;
        syncs.push(sync.elapsed().as_secs_f64() * 1e3);
    }
    let elapsed = start.elapsed().as_secs_f64();
    syncs.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((syncs.len() as f64 * q).ceil() as usize).clamp(1, syncs.len());
        syncs[i - 1]
    };
    Ok(FsyncProbe {
        per_sec: syncs.len() as f64 / elapsed,
        p99_ms: at(0.99),
        max_ms: at(1.0),
    })
}
