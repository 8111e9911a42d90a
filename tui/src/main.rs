//! The `tui` binary: a shim over [`tui::run`] (the interactive browser) and
//! [`tui::flow::command::main`] (`tui flow`).

use clap::Parser as _;
use tui::cli::{Cli, Command};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut cli = Cli::parse();
    if let Some(Command::Flow(args)) = cli.command.take() {
        return tui::flow::command::main(args).await;
    }
    match tui::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
