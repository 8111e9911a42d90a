//! The `tui` binary: a shim over [`tui::run`].

use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match tui::run(tui::cli::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
