//! Start-up of the real `tui` binary in a real terminal: the time from spawning it to its first
//! frame, and its resident memory then.
//!
//! ```text
//! cargo build --release -p tui
//! cargo run --release -p tui --example startup [-- <tui binary> [runs]]
//! ```
//!
//! tmux runs the binary at 160x45 on a private socket (`bash .ci/run` installs tmux). Each run
//! respawns the pane with the binary and polls `capture-pane` every 2 ms until the address bar
//! shows anything (the first frame: the splash drawn while the stack starts), waits for the
//! home page to load, reads `VmRSS` from `/proc/<pid>/status`, presses `q` and checks the exit status. One warm-up
//! run is not counted. It prints the median and p90 of each measure against the goals: first
//! frame under 100 ms, RSS under 50 MiB.
//!
//! The times include tmux's own work (a client process to respawn the pane, one per capture),
//! so they slightly overstate the binary's start-up.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const DEFAULT_BINARY: &str = "target/release/tui";
const DEFAULT_RUNS: usize = 15;
const POLL: Duration = Duration::from_millis(2);
/// Bound on each wait; a healthy run takes far less.
const TIMEOUT: Duration = Duration::from_secs(30);
const SESSION: &str = "startup";

const FIRST_FRAME_GOAL_MS: f64 = 100.0;
const RSS_GOAL_MIB: f64 = 50.0;

type Result<T> = std::result::Result<T, String>;

/// A private tmux server with one 160x45 session whose pane stays when its process exits.
struct Tmux {
    socket: String,
    socket_path: Option<PathBuf>,
}

impl Tmux {
    fn start() -> Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        let mut tmux = Self {
            socket: format!("tui-startup-{}-{nanos}", std::process::id()),
            socket_path: None,
        };
        // A placeholder that waits for the first respawn.
        tmux.run(&[
            "set-option",
            "-g",
            "remain-on-exit",
            "on",
            ";",
            "new-session",
            "-d",
            "-s",
            SESSION,
            "-x",
            "160",
            "-y",
            "45",
            "cat",
        ])?;
        tmux.socket_path = Some(PathBuf::from(tmux.pane("#{socket_path}")?));
        Ok(tmux)
    }

    /// `tmux -L <socket> -f /dev/null <args>`; its stdout. The server's environment (which the
    /// binary inherits) has none of the TUI's settings, so it starts the embedded stack.
    fn run(&self, args: &[&str]) -> Result<String> {
        let output = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .env_remove("STORE_URL")
            .env_remove("FORUMS_URL")
            .env_remove("TUI_COOKIE_JAR")
            .stdin(Stdio::null())
            .output()
            .map_err(|error| {
                format!("cannot run tmux ({error}); install it with `bash .ci/run`")
            })?;
        if !output.status.success() {
            return Err(format!(
                "tmux {args:?} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    fn pane(&self, format: &str) -> Result<String> {
        Ok(self
            .run(&["display-message", "-p", "-t", SESSION, format])?
            .trim()
            .to_owned())
    }

    /// The pane's exit status (or the signal that ended it), once its process has exited and
    /// tmux has reaped it. Debian's tmux is linked with libutempter, whose SIGCHLD handler can
    /// swallow a pane's exit (tmux issues #311, #4559): a SIGCHLD of our own makes it reap.
    fn exit_status(&self) -> Result<Option<String>> {
        let state = self.pane("#{pane_dead} #{pane_dead_status}#{pane_dead_signal}")?;
        Ok(match state.strip_prefix('1').map(str::trim) {
            Some("") => {
                let server = self.run(&["display-message", "-p", "#{pid}"])?;
                let _ = Command::new("kill")
                    .args(["-s", "CHLD", server.trim()])
                    .stdin(Stdio::null())
                    .status();
                None
            }
            Some(status) => Some(status.to_owned()),
            None => None,
        })
    }

    fn screen(&self) -> Result<String> {
        self.run(&["capture-pane", "-p", "-t", SESSION])
    }

    /// Polls the screen every `POLL` until `ready` holds; the time it took from `since`.
    fn wait_for(
        &self,
        what: &str,
        since: Instant,
        ready: impl Fn(&str) -> bool,
    ) -> Result<Duration> {
        loop {
            let screen = self.screen()?;
            let elapsed = since.elapsed();
            if ready(&screen) {
                return Ok(elapsed);
            }
            if elapsed > TIMEOUT {
                return Err(format!("no {what} after {TIMEOUT:?}:\n{screen}"));
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// One start-up's measures.
struct Run {
    first_frame: Duration,
    rss_mib: f64,
    home_page: Duration,
}

/// `VmRSS` of `pid`, in MiB.
fn rss_mib(pid: &str) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|error| format!("/proc/{pid}/status: {error}"))?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .ok_or_else(|| format!("no VmRSS in /proc/{pid}/status"))?;
    Ok(kib / 1024.0)
}

/// Starts the binary in the pane, measures, and quits it.
fn measure(tmux: &Tmux, binary: &str) -> Result<Run> {
    // Two words, so tmux executes the command itself rather than through `sh -c`; `env`
    // replaces itself with the binary, so the pane's pid is the binary's.
    let spawned = Instant::now();
    tmux.run(&["respawn-pane", "-k", "-t", SESSION, "env", binary])?;
    // The first frame: anything drawn (the splash shown while the stack starts).
    let first_frame = tmux.wait_for("first frame", spawned, |screen| {
        screen.lines().any(|line| line.contains("tui"))
    })?;
    let pid = tmux.pane("#{pane_pid}")?;
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    let name = Path::new(binary)
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    if comm.trim() != name {
        return Err(format!("the pane's pid {pid} is {comm:?}, not {name:?}"));
    }
    // The home page loaded: its status line.
    let home_page = tmux.wait_for("home page", spawned, |screen| {
        screen.contains("200 http://store.localhost") && screen.contains("You are not logged in")
    })?;
    // Memory with everything running: the stack, both browsers, the home page.
    let rss_mib = rss_mib(&pid)?;

    tmux.run(&["send-keys", "-t", SESSION, "q"])?;
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = tmux.exit_status()? {
            break status;
        }
        if Instant::now() > deadline {
            return Err(format!("the TUI did not quit within {TIMEOUT:?} of q"));
        }
        std::thread::sleep(POLL);
    };
    if status != "0" {
        return Err(format!("the TUI exited with status (or signal) {status}"));
    }
    Ok(Run {
        first_frame,
        rss_mib,
        home_page,
    })
}

/// The `q`-quantile of `values` (nearest rank).
fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn report(what: &str, unit: &str, values: &[f64], goal: Option<f64>) {
    let (median, p90) = (quantile(values, 0.5), quantile(values, 0.9));
    let min = quantile(values, 0.0);
    let max = quantile(values, 1.0);
    print!(
        "{what:<12} median {median:>7.1} {unit:<3}  p90 {p90:>7.1} {unit:<3}  min {min:>7.1}  max {max:>7.1}"
    );
    if let Some(goal) = goal {
        print!(
            "  goal < {goal} {unit}: median {:.2}x, p90 {:.2}x of it",
            median / goal,
            p90 / goal
        );
    }
    println!();
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let binary = args.next().unwrap_or_else(|| DEFAULT_BINARY.to_owned());
    let runs = match args.next() {
        Some(runs) => runs
            .parse::<usize>()
            .ok()
            .filter(|&runs| runs > 0)
            .ok_or_else(|| format!("runs: a positive number, not {runs:?}"))?,
        None => DEFAULT_RUNS,
    };
    let binary = std::fs::canonicalize(&binary).map_err(|error| {
        format!("{binary}: {error}; build it first with `cargo build --release -p tui`")
    })?;
    let binary = binary
        .to_str()
        .ok_or("the binary's path is not UTF-8")?
        .to_owned();

    let tmux = Tmux::start()?;
    println!("{binary}: 1 warm-up run, then {runs} runs at 160x45 in tmux");
    measure(&tmux, &binary)?;
    let mut measured = Vec::with_capacity(runs);
    for index in 1..=runs {
        let run = measure(&tmux, &binary)?;
        println!(
            "run {index:>2}: first frame {:>6.1} ms, RSS {:>5.1} MiB, home page {:>6.1} ms",
            millis(run.first_frame),
            run.rss_mib,
            millis(run.home_page)
        );
        measured.push(run);
    }
    println!();
    let first_frames: Vec<f64> = measured.iter().map(|run| millis(run.first_frame)).collect();
    let rss: Vec<f64> = measured.iter().map(|run| run.rss_mib).collect();
    let home_pages: Vec<f64> = measured.iter().map(|run| millis(run.home_page)).collect();
    report(
        "first frame",
        "ms",
        &first_frames,
        Some(FIRST_FRAME_GOAL_MS),
    );
    report("RSS", "MiB", &rss, Some(RSS_GOAL_MIB));
    report("home page", "ms", &home_pages, None);
    Ok(())
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
