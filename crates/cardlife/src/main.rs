//! The cardlife binary: one executable that serves the platform and runs its tools.
//!
//! `cardlife` (or `cardlife serve`) starts the server on the embedded store under `./data`;
//! `DATABASE_URL=postgres://…` moves it to PostgreSQL. Other commands: `migrate`,
//! `ledger check`, `bench`. Command-line contracts are in docs/cli.md and the README.

mod allocator;
mod bench;
mod cli;
mod demo;
mod qr;
mod quote;
mod scenario;
mod serve;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let small_pages = allocator::keep_small_pages();
    let cli = cli::Cli::parse();
    cli::init_logging();
    if let Err(e) = small_pages {
        tracing::warn!(error = %e, "transparent huge pages could not be turned off; the first touch of a fresh 2 MiB region may stall a request worker");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cardlife: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cardlife: {e:#}");
            ExitCode::from(2)
        }
    }
}
