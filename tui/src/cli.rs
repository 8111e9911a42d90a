//! The `tui` command line.

use crate::defaults;
use crate::flow::command::FlowArgs;
use backend::stack::SessionPolicy;
use clap::{Parser, Subcommand};
use shared::duration::parse_duration;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// A terminal browser for the cookie-session login flow, with devtools: the page, the cookie
/// jar, the network log, and an attacker replaying a stolen cookie.
///
/// With no URLs it starts the whole stack in-process (identity server, Store, Forums on free
/// loopback ports, nothing kept) and opens the Store.
#[derive(Debug, Parser)]
#[command(name = "tui", version, about)]
pub struct Cli {
    /// Without a command: the interactive browser.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The Store's URL, e.g. http://store.localhost:8080 (with --forums-url: use running apps).
    #[arg(long, env = "STORE_URL", requires = "forums_url")]
    pub store_url: Option<Url>,

    /// The Forums' URL, e.g. http://forums.localhost:8081.
    #[arg(long, env = "FORUMS_URL", requires = "store_url")]
    pub forums_url: Option<Url>,

    /// Load the cookie jar from this file at start and save it on exit: JSON (cookie_store's
    /// format) for *.json, otherwise Netscape (curl's -b/-c).
    #[arg(long, env = "TUI_COOKIE_JAR")]
    pub cookie_jar: Option<PathBuf>,

    /// Idle timeout of the embedded stack's sessions (e.g. 30s to watch expiry live).
    #[arg(long, default_value = SessionPolicy::DEFAULT_IDLE_TIMEOUT, value_parser = parse_duration)]
    pub idle_timeout: Duration,

    /// How often the embedded stack replaces a session's id (e.g. 20s to watch a stolen
    /// cookie's replay detected as theft in the attacker pane; 0: never).
    #[arg(long, default_value = SessionPolicy::DEFAULT_ROTATION_INTERVAL, value_parser = parse_duration)]
    pub rotation_interval: Duration,

    /// How long the embedded stack's replaced ids still work; used after that, they end the
    /// session as stolen.
    #[arg(long, default_value = SessionPolicy::DEFAULT_ROTATION_GRACE, value_parser = parse_duration)]
    pub rotation_grace: Duration,

    /// Bound on each request the browser makes.
    #[arg(long, default_value = defaults::TIMEOUT.as_str(), value_parser = parse_duration)]
    pub timeout: Duration,
}

/// `tui`'s commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the article's scenario headless (docs/flow.md: steps 1–18, the logout, the defences):
    /// each step printed as it happens with PASS or FAIL; exit status 0 only if every step passed.
    ///
    /// With no URLs it starts the embedded stack with a short idle timeout, so the expiry steps
    /// take a second or two, and for step 24 a Store of its own whose ids rotate every second.
    Flow(FlowArgs),
}
