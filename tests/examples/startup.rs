//! Start-up of the real `tui` binary in a real terminal: the time from spawning it to its first
//! frame, and its resident memory then.
//!
//! ```text
//! cargo build --release -p tui
//! cargo run --release -p e2e --example startup [-- <tui binary> [runs]]
//! ```
//!
//! tmux runs the binary at 160x45 on a private socket ([`e2e::tmux`]; `bash .ci/run` installs
//! tmux). Each run respawns the pane with the binary and polls `capture-pane` every 2 ms until
//! the screen shows anything (the first frame: the splash drawn while the stack starts), waits
//! for the home page to load, reads `VmRSS` from `/proc/<pid>/status`, presses `q` and checks
//! the exit status. One warm-up run is not counted. It prints the median and p90 of each measure against the goals: first
//! frame under 100 ms, RSS under 50 MiB.
//!
//! The times include tmux's own work (a client process to respawn the pane, one per capture),
//! so they slightly overstate the binary's start-up.

use e2e::tmux::{HEIGHT, Poll, Tmux, WIDTH};
use std::path::Path;
use std::time::{Duration, Instant};

const DEFAULT_BINARY: &str = "target/release/tui";
const DEFAULT_RUNS: usize = 15;
/// Captures every 2 ms, and only captures: asking tmux whether the pane died would cost a
/// client per poll, counted in the times.
const POLL: Poll = Poll {
    every: Duration::from_millis(2),
    timeout: Duration::from_secs(30),
    stop_when_dead: false,
};

const FIRST_FRAME_GOAL_MS: f64 = 100.0;
const RSS_GOAL_MIB: f64 = 50.0;

type Result<T> = std::result::Result<T, String>;

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
    tmux.respawn(&["env", binary])?;
    // The first frame: anything drawn (the splash shown while the stack starts).
    let first_frame = tmux
        .wait_for("the first frame", POLL, |screen| screen.contains("tui"))?
        .captured
        - spawned;
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
    let home_page = tmux
        .wait_for("the home page", POLL, |screen| {
            screen.contains("200 http://store.localhost")
                && screen.contains("You are not logged in")
        })?
        .captured
        - spawned;
    // Memory with everything running: the stack, both browsers, the home page.
    let rss_mib = rss_mib(&pid)?;

    tmux.keys(&["q"])?;
    let status = tmux.wait_for_exit(POLL)?;
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

    // A placeholder that waits for the first respawn.
    let tmux = Tmux::start(&["cat"])?;
    println!("{binary}: 1 warm-up run, then {runs} runs at {WIDTH}x{HEIGHT} in tmux");
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
