//! The flags every listener shares (timeouts, the connection budget, the shutdown grace) and the
//! signals that stop the process: what `backend serve` and `backend identity` have in common
//! about serving, beside what they serve.

use crate::server::{
    ConnectionBudget, DEFAULT_BODY_TIMEOUT, DEFAULT_HEADER_TIMEOUT, DEFAULT_SHUTDOWN_GRACE,
    ServerLimits, default_max_connections,
};
use clap::Args;
use shared::duration::parse_duration;
use std::time::Duration;

/// Flags bounding what clients may hold: every listener of the process has them (the identity
/// server alone with `identity`, all three with `serve`).
#[derive(Debug, Args, Clone)]
pub struct ServerArgs {
    /// A connection must send a complete request head within this long of being accepted, or
    /// of its previous answer (so it also closes idle keep-alive connections); 0 turns it off.
    #[arg(long, env = "HEADER_TIMEOUT", default_value = DEFAULT_HEADER_TIMEOUT, value_parser = parse_duration)]
    pub header_timeout: Duration,

    /// A request's body must arrive in full within this long of its head, or the answer is
    /// 408 and the connection closes; 0 turns it off.
    #[arg(long, env = "BODY_TIMEOUT", default_value = DEFAULT_BODY_TIMEOUT, value_parser = parse_duration)]
    pub body_timeout: Duration,

    /// Connections all listeners may hold at once; one past it waits up to a second for a
    /// place, then is closed. Default: three quarters of the descriptor limit (ulimit -n) less
    /// 256, at most 10000.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = default_max_connections(), value_parser = parse_max_connections)]
    pub max_connections: usize,

    /// On SIGTERM or SIGINT, how long in-flight requests may finish before their connections
    /// are closed and the process exits.
    #[arg(long, env = "SHUTDOWN_GRACE", default_value = DEFAULT_SHUTDOWN_GRACE, value_parser = parse_duration)]
    pub shutdown_grace: Duration,
}

impl ServerArgs {
    /// The limits, with a new connection budget: build them once per process.
    pub fn limits(&self) -> ServerLimits {
        ServerLimits {
            header_timeout: self.header_timeout,
            body_timeout: self.body_timeout,
            shutdown_grace: self.shutdown_grace,
            connections: ConnectionBudget::new(self.max_connections),
        }
    }
}

/// Parses `--max-connections`: a count of at least one.
fn parse_max_connections(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(count) if count > 0 => Ok(count),
        _ => Err("not a connection count: use a whole number of at least 1".to_owned()),
    }
}

/// The signals that stop the servers: SIGTERM (what service managers and containers send)
/// and SIGINT (Ctrl-C).
pub(super) struct StopSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Starts listening for both; from now on neither kills the process.
    pub(super) fn listen() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for the first of them; returns its name.
    pub(super) async fn received(mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }
}

/// The line that says a stop began, and how long it may take.
pub(super) fn log_shutdown(signal: &str, grace: Duration) {
    tracing::info!(
        signal,
        grace = ?grace,
        "shutting down: no new connections; in-flight requests may finish within the grace"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser as _;

    /// The server flags `backend identity` parses from `args`.
    fn server_args(args: &[&str]) -> Result<ServerArgs, clap::Error> {
        let cli = Cli::try_parse_from(["backend", "identity"].iter().chain(args))?;
        let Some(Command::Identity(identity)) = cli.command else {
            panic!("identity")
        };
        Ok(identity.server)
    }

    #[test]
    fn the_server_limits_come_from_flags_with_defaults_below_the_descriptor_limit() {
        let defaults = server_args(&[]).unwrap().limits();
        assert_eq!(defaults.header_timeout, Duration::from_secs(10));
        assert_eq!(defaults.body_timeout, Duration::from_secs(30));
        assert_eq!(defaults.shutdown_grace, Duration::from_secs(10));
        assert_eq!(defaults.connections.max(), default_max_connections());
        let set = server_args(&[
            "--header-timeout",
            "2s",
            "--body-timeout",
            "0",
            "--max-connections",
            "50",
            "--shutdown-grace",
            "500ms",
        ])
        .unwrap()
        .limits();
        assert_eq!(set.header_timeout, Duration::from_secs(2));
        assert_eq!(set.body_timeout, Duration::ZERO);
        assert_eq!(set.connections.max(), 50);
        assert_eq!(set.shutdown_grace, Duration::from_millis(500));
        let error = server_args(&["--max-connections", "0"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("at least 1"), "{error}");
        assert!(server_args(&["--header-timeout", "soon"]).is_err());
    }
}
