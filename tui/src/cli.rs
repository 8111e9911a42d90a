//! The `tui` command line.

use crate::flow::SiteFilter;
use clap::{Args, Parser, Subcommand, ValueEnum};
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
    #[arg(long, default_value = "30m", value_parser = shared::duration::parse_duration)]
    pub idle_timeout: Duration,

    /// How often the embedded stack replaces a session's id (e.g. 20s to watch a stolen
    /// cookie's replay detected as theft in the attacker pane; 0: never).
    #[arg(long, default_value = "15m", value_parser = shared::duration::parse_duration)]
    pub rotation_interval: Duration,

    /// How long the embedded stack's replaced ids still work; used after that, they end the
    /// session as stolen.
    #[arg(long, default_value = "30s", value_parser = shared::duration::parse_duration)]
    pub rotation_grace: Duration,

    /// Bound on each request the browser makes.
    #[arg(long, default_value = "10s", value_parser = shared::duration::parse_duration)]
    pub timeout: Duration,
}

/// `tui`'s commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the article's scenario (FLOW.md steps 1–18, then logout) headless: each step printed
    /// as it happens with PASS or FAIL; exit status 0 only if every step passed.
    ///
    /// With no URLs it starts the embedded stack with a short idle timeout, so the expiry steps
    /// take a second or two, and for step 24 a Store of its own whose ids rotate every second.
    Flow(FlowArgs),
}

/// Flags of `tui flow`.
#[derive(Debug, Args)]
pub struct FlowArgs {
    /// The Store's URL (with --forums-url: run against running apps).
    #[arg(long, env = "STORE_URL", requires = "forums_url")]
    pub store_url: Option<Url>,

    /// The Forums' URL.
    #[arg(long, env = "FORUMS_URL", requires = "store_url")]
    pub forums_url: Option<Url>,

    /// The login id.
    #[arg(long, default_value = "alice@example.com")]
    pub user: String,

    /// The password (from the environment rather than the command line where others can see
    /// it: FLOW_PASSWORD).
    #[arg(
        long,
        env = "FLOW_PASSWORD",
        default_value = "password",
        hide_default_value = true
    )]
    pub password: String,

    /// Which app's steps: store (1–12, 18–24), forums (13–17) or both.
    #[arg(long, value_enum, default_value_t = SiteFilter::Both)]
    pub site: SiteFilter,

    /// Only these steps (and the ones they need), e.g. 1-7,13,18-20.
    #[arg(long, value_parser = crate::flow::parse_steps)]
    pub steps: Option<std::collections::BTreeSet<u8>>,

    /// The apps' session idle timeout: the embedded stack is started with it (default 2s);
    /// for running apps it says how long to wait for expiry (default: the session cookie's
    /// Max-Age).
    #[arg(long, value_parser = shared::duration::parse_duration)]
    pub idle_timeout: Option<Duration>,

    /// How often the apps rotate session ids (step 24 waits for one rotation): the embedded
    /// run starts step 24's Store with it (default 1s); running apps' is not known without it,
    /// and step 24 is skipped.
    #[arg(long, value_parser = shared::duration::parse_duration)]
    pub rotation_interval: Option<Duration>,

    /// How long a rotated id still works (step 24 waits it out): default 500ms for the
    /// embedded run, the backend's 30s for running apps.
    #[arg(long, value_parser = shared::duration::parse_duration)]
    pub rotation_grace: Option<Duration>,

    /// How to print the run.
    #[arg(long, value_enum, default_value_t = FlowFormat::Text)]
    pub format: FlowFormat,

    /// Print cookie values and tokens instead of their fingerprints.
    #[arg(long)]
    pub show_secrets: bool,

    /// Bound on each request.
    #[arg(long, default_value = "10s", value_parser = shared::duration::parse_duration)]
    pub timeout: Duration,
}

/// Output formats of `tui flow`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FlowFormat {
    /// Each step as it happens, for people.
    Text,
    /// One JSON document: steps, exchanges, verdicts.
    Json,
    /// A PlantUML sequence diagram of the observed exchanges.
    Plantuml,
    /// A Mermaid sequence diagram of the observed exchanges.
    Mermaid,
}
