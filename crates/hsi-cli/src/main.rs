//! `hsi`: see the library for the commands.

use anyhow::Context as _;
use clap::Parser as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = hsi_cli::Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime");
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("hsi: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(hsi_cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("hsi: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
