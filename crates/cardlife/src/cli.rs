//! Command-line parsing and dispatch.

use std::path::PathBuf;
use std::process::ExitCode;

use cardlife_store::{DEFAULT_DATABASE_URL, Db};
use clap::{Parser, Subcommand};

use crate::bench;

/// cardlife: the platform a card issuer runs for its credit-card life-and-finance ecosystem.
#[derive(Debug, Parser)]
#[command(name = "cardlife", version, about)]
pub struct Cli {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Which store to use.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// Where the data lives: sqlite://PATH (default, embedded, a file under ./data) or postgres://…
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the server (the default command).
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        args: crate::serve::ServeArgs,
    },
    /// Apply every pending migration and exit.
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Ledger tools.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Benchmarks: ours against a baseline in the same run (see `--list`).
    Bench(BenchArgs),
    /// Replay a credit-card account's life day by day on the real engine.
    Scenario {
        #[command(subcommand)]
        command: crate::scenario::ScenarioCommand,
    },
    /// Installment and loan quotes with the annualised rate disclosed.
    Quote {
        #[command(subcommand)]
        command: crate::quote::QuoteCommand,
    },
    /// EMVCo merchant-presented QR payloads.
    Qr {
        #[command(subcommand)]
        command: crate::qr::QrCommand,
    },
    /// Build a small world on a simulated clock, check it and serve it (docs/demo.md).
    Demo(crate::demo::DemoArgs),
    /// The benchmarks' open-loop load generator, run by `bench` as a child process: terms and
    /// requests on stdin, the report as JSON on stdout (not a user command).
    #[command(name = "bench-load", hide = true)]
    BenchLoad,
}

#[derive(Debug, Subcommand)]
enum LedgerCommand {
    /// Verify every ledger invariant over the whole store; exits 1 on any violation.
    Check {
        #[command(flatten)]
        store: StoreArgs,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
struct BenchArgs {
    /// A case (`ledger/concurrent`) or a group (`ledger`).
    name: Option<String>,
    /// Print one JSON object per case.
    #[arg(long)]
    json: bool,
    /// A short run for CI that still measures both sides.
    #[arg(long)]
    quick: bool,
    /// List the cases.
    #[arg(long)]
    list: bool,
    /// Run ours and the baseline on this PostgreSQL server (fresh databases are created on it).
    #[arg(long = "database-url")]
    bench_database_url: Option<String>,
    /// Offered rates for ours' rate search, comma-separated (`--rates 20000`), in place of the
    /// plan's; for authorize, pay and flash-sale.
    #[arg(long, value_delimiter = ',', value_parser = positive_rate)]
    rates: Option<Vec<f64>>,
    /// Where the embedded stores of a run are created (same disk as the real store).
    #[arg(long, default_value = "data/bench")]
    dir: PathBuf,
}

impl Cli {
    /// Runs the chosen command.
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            None => {
                crate::serve::run(&self.store.database_url, crate::serve::ServeArgs::default())
                    .await
            }
            Some(Command::Serve { store, args }) => {
                crate::serve::run(&store.database_url, args).await
            }
            Some(Command::Migrate { store }) => {
                let db = Db::open(&store.database_url).await?;
                db.migrate().await?;
                eprintln!("cardlife: migrations applied ({})", db.backend());
                Ok(ExitCode::SUCCESS)
            }
            Some(Command::Ledger {
                command: LedgerCommand::Check { store, json },
            }) => ledger_check(&store.database_url, json).await,
            Some(Command::Bench(args)) => run_bench(args).await,
            Some(Command::Scenario { command }) => crate::scenario::run(command).await,
            Some(Command::Quote { command }) => crate::quote::run(command),
            Some(Command::Qr { command }) => crate::qr::run(command),
            Some(Command::Demo(args)) => crate::demo::run(args).await,
            Some(Command::BenchLoad) => {
                bench::load_gen::child_main()?;
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

async fn ledger_check(url: &str, json: bool) -> anyhow::Result<ExitCode> {
    let db = Db::open(url).await?;
    db.migrate().await?;
    let report = cardlife_store::Reader::new(db.clone()).check().await?;
    db.close().await;
    if json {
        let out = serde_json::json!({
            "ok": report.ok(),
            "accounts": report.accounts,
            "transfers": report.transfers,
            "ledgers": report.ledgers,
            "violations": report.violations.iter().map(ToString::to_string).collect::<Vec<_>>(),
        });
        println!("{out}");
    } else {
        println!(
            "ledger check: {} accounts, {} transfers, {} ledgers: {}",
            report.accounts,
            report.transfers,
            report.ledgers,
            if report.ok() {
                "all invariants hold".to_owned()
            } else {
                format!("{} violations", report.violations.len())
            }
        );
        for v in &report.violations {
            println!("  {v}");
        }
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// An offered rate: a finite number above zero (requests a second).
fn positive_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!("{text:?} is not a rate above zero")),
    }
}

async fn run_bench(args: BenchArgs) -> anyhow::Result<ExitCode> {
    if args.list || args.name.is_none() {
        for (name, what) in bench::CASES {
            println!("{name:<20} {what}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let opts = bench::Options {
        json: args.json,
        quick: args.quick,
        database_url: args.bench_database_url,
        rates: args.rates,
        dir: args.dir,
    };
    let name = args.name.unwrap_or_default();
    bench::find(&name)?;
    if cfg!(debug_assertions) {
        eprintln!("cardlife: warning: a debug build; figures mean little (use --release)");
    }
    let passed = bench::run(&name, &opts).await?;
    if !passed {
        eprintln!("cardlife: correctness checks failed after the benchmark");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Structured logs on stderr: `RUST_LOG` filters, `CARDLIFE_LOG_FORMAT=json` for JSON lines.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("CARDLIFE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.compact().init();
    }
}
