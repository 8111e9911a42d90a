//! The `tui` command line.

use clap::Parser;
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
    #[arg(long, default_value = "30m", value_parser = backend::cli::parse_duration)]
    pub idle_timeout: Duration,

    /// Bound on each request the browser makes.
    #[arg(long, default_value = "10s", value_parser = backend::cli::parse_duration)]
    pub timeout: Duration,
}
