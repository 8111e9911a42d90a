//! `tui flow` on the command line: start the embedded stack (or use running apps), run the
//! scenario, print it, and exit 0 only if every step passed.

use super::format::{Text, mermaid, plantuml};
use super::{
    DEMO_PASSWORD, DEMO_USER, Event, FlowOptions, Report, Rotation, SiteFilter, parse_steps, run,
};
use crate::defaults;
use crate::engine::{Browser, BrowserOptions, human_duration};
use backend::stack::{FusionAuth, SessionPolicy, Stack, StackConfig};
use clap::{Args, ValueEnum};
use shared::duration::parse_duration;
use std::collections::BTreeSet;
use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;
use url::Url;

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
    #[arg(long, default_value = DEMO_USER)]
    pub user: String,

    /// The password (from the environment rather than the command line where others can see
    /// it: FLOW_PASSWORD).
    #[arg(
        long,
        env = "FLOW_PASSWORD",
        default_value = DEMO_PASSWORD,
        hide_default_value = true
    )]
    pub password: String,

    /// Which app's steps: store (1–12, 18–24), forums (13–17) or both.
    #[arg(long, value_enum, default_value_t = SiteFilter::Both)]
    pub site: SiteFilter,

    /// Only these steps (and the ones they need), e.g. 1-7,13,18-20.
    #[arg(long, value_parser = parse_steps)]
    pub steps: Option<BTreeSet<u8>>,

    /// The apps' session idle timeout: the embedded stack is started with it (default 2s);
    /// for running apps it says how long to wait for expiry (default: the session cookie's
    /// Max-Age).
    #[arg(long, value_parser = parse_duration)]
    pub idle_timeout: Option<Duration>,

    /// How often the apps rotate session ids (step 24 waits for one rotation): the embedded
    /// run starts step 24's Store with it (default 1s); running apps' is not known without it,
    /// and step 24 is skipped.
    #[arg(long, value_parser = parse_duration)]
    pub rotation_interval: Option<Duration>,

    /// How long a rotated id still works (step 24 waits it out): default 500ms for the
    /// embedded run, the backend's 30s for running apps.
    #[arg(long, value_parser = parse_duration)]
    pub rotation_grace: Option<Duration>,

    /// How to print the run.
    #[arg(long, value_enum, default_value_t = FlowFormat::Text)]
    pub format: FlowFormat,

    /// Print cookie values and tokens instead of their fingerprints.
    #[arg(long)]
    pub show_secrets: bool,

    /// Bound on each request.
    #[arg(long, default_value = defaults::TIMEOUT.as_str(), value_parser = parse_duration)]
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

/// The embedded stack's idle timeout when `--idle-timeout` is not given: short enough that
/// the waits take about five seconds, long enough that the steps between two waits (the
/// Forums' login among them) fit in it with a wide margin on a loaded machine.
pub const EMBEDDED_IDLE_TIMEOUT: Duration = Duration::from_secs(2);

/// How often step 24's embedded Store rotates session ids, unless `--rotation-interval` says:
/// the step waits for one rotation.
pub const EMBEDDED_ROTATION_INTERVAL: Duration = Duration::from_secs(1);

/// How long step 24's embedded Store lets a rotated id work, unless `--rotation-grace` says:
/// the step waits it out before the replay that must be detected as theft.
pub const EMBEDDED_ROTATION_GRACE: Duration = Duration::from_millis(500);

/// Starts step 24's Store (and, as every stack does, Forums it does not use) with ids that
/// rotate every `interval`, against the running identity server at `fusionauth`. A stack apart,
/// so that ids changing under the other steps do not disturb their checks.
pub async fn start_rotation_stack(
    fusionauth: &Url,
    interval: Duration,
    grace: Duration,
) -> anyhow::Result<(Stack, Rotation)> {
    let config = StackConfig {
        fusionauth: FusionAuth::External(fusionauth.clone()),
        ..StackConfig::ephemeral()
    }
    .with_policy(SessionPolicy {
        rotation_interval: interval,
        rotation_grace: grace,
        ..SessionPolicy::default()
    });
    let stack = Stack::start(config).await?;
    let rotation = Rotation {
        store_url: stack.store_url().clone(),
        interval,
        grace,
    };
    Ok((stack, rotation))
}

/// Exit status when the run could not start (a site unreachable, the stack failed).
const CANNOT_RUN: u8 = 2;

/// Runs `tui flow`.
pub async fn main(args: FlowArgs) -> ExitCode {
    match run_command(args).await {
        Ok(report) if report.passed => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(CANNOT_RUN)
        }
    }
}

async fn run_command(args: FlowArgs) -> anyhow::Result<Report> {
    // The first browser builds the process's HTTP client (~90 ms of TLS set-up): while the
    // stack starts, not inside the timed run.
    let warm = tokio::task::spawn_blocking(|| Browser::new(BrowserOptions::default()));
    let mut stacks = Vec::new();
    let mut options = match (&args.store_url, &args.forums_url) {
        (Some(store), Some(forums)) => {
            let mut options = FlowOptions::new(store.clone(), forums.clone());
            options.idle_timeout = args.idle_timeout;
            // Running apps' rotation is known only from the flags; the grace defaults to the
            // backend's own.
            options.rotation = args.rotation_interval.map(|interval| Rotation {
                store_url: store.clone(),
                interval,
                grace: args
                    .rotation_grace
                    .unwrap_or(SessionPolicy::default().rotation_grace),
            });
            options
        }
        _ => {
            let idle = args.idle_timeout.unwrap_or(EMBEDDED_IDLE_TIMEOUT);
            let stack = Stack::start(StackConfig::ephemeral().with_policy(SessionPolicy {
                idle_timeout: idle,
                ..SessionPolicy::default()
            }))
            .await?;
            let mut options =
                FlowOptions::new(stack.store_url().clone(), stack.forums_url().clone());
            options.idle_timeout = Some(idle);
            let (rotating, rotation) = start_rotation_stack(
                &stack.fusionauth_url,
                args.rotation_interval.unwrap_or(EMBEDDED_ROTATION_INTERVAL),
                args.rotation_grace.unwrap_or(EMBEDDED_ROTATION_GRACE),
            )
            .await?;
            options.rotation = Some(rotation);
            stacks.push(stack);
            stacks.push(rotating);
            options
        }
    };
    warm.await??;
    options.user = args.user;
    options.password = args.password;
    options.site = args.site;
    options.steps = args.steps;
    options.show_secrets = args.show_secrets;
    options.timeout = args.timeout;

    let mut printer = Printer::new(args.format);
    let report = run(&options, &mut |event| printer.event(event)).await;
    for stack in stacks {
        stack.stop().await?;
    }
    let report = report?;
    printer.finish(&report)?;
    Ok(report)
}

/// Prints steps as they happen (text) or the whole report at the end (JSON, diagrams), and
/// the progress of waits on a terminal's stderr.
struct Printer {
    format: FlowFormat,
    text: Text,
    /// stderr is a terminal: waits are shown as a line that counts down.
    live: bool,
    /// A countdown line is on screen and must be cleared before the next output.
    counting: bool,
    /// The wait last announced, for non-terminals (one line per wait).
    announced: Option<String>,
}

impl Printer {
    fn new(format: FlowFormat) -> Self {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Self {
            format,
            text: Text::new(color),
            live: std::io::stderr().is_terminal(),
            counting: false,
            announced: None,
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Step(step) => {
                self.clear_countdown();
                self.announced = None;
                if self.format == FlowFormat::Text {
                    print!("{}", self.text.section_and_step(step));
                    let _ = std::io::stdout().flush();
                }
            }
            Event::Waiting {
                why,
                remaining,
                total,
            } => self.waiting(why, remaining, total),
        }
    }

    fn waiting(&mut self, why: &str, remaining: Duration, total: Duration) {
        let mut err = std::io::stderr().lock();
        if self.live {
            let _ = write!(
                err,
                "\r\x1b[2K  waiting {} {why}… {} left",
                human_duration(total),
                human_duration(remaining)
            );
            self.counting = true;
        } else if self.announced.as_deref() != Some(why) {
            let _ = writeln!(err, "  waiting {} {why}…", human_duration(total));
            self.announced = Some(why.to_owned());
        }
        let _ = err.flush();
    }

    fn clear_countdown(&mut self) {
        if self.counting {
            eprint!("\r\x1b[2K");
            self.counting = false;
        }
    }

    fn finish(&mut self, report: &Report) -> anyhow::Result<()> {
        self.clear_countdown();
        let out = match self.format {
            FlowFormat::Text => self.text.summary(report),
            FlowFormat::Json => serde_json::to_string_pretty(report)? + "\n",
            FlowFormat::Plantuml => plantuml(report),
            FlowFormat::Mermaid => mermaid(report),
        };
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(out.as_bytes())?;
        stdout.flush()?;
        Ok(())
    }
}
