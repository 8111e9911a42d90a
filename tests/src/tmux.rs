//! The real `tui` binary in a real terminal: a private tmux server (its own socket) runs it
//! detached at 160x45; keys go in with `send-keys`, the screen comes back with `capture-pane`.
//!
//! tmux comes from Debian's `tmux` package (`bash .ci/run` installs it). Every call returns
//! `Err` with what went wrong rather than panicking, so the end-to-end test can fail with the
//! last screen and the start-up measurement can stop with a message.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The terminal's width, in columns.
pub const WIDTH: usize = 160;
/// The terminal's height, in lines.
pub const HEIGHT: usize = 45;
/// The tmux session (one per private server, so the name need not be unique).
const SESSION: &str = "tui";
/// Where to get tmux when it is missing.
const SETUP_HINT: &str =
    "install it with `bash .ci/run` from the workspace root (Debian's tmux package)";

/// The workspace root (this crate lives in `<root>/tests`).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the e2e crate has a parent directory")
        .to_path_buf()
}

/// The debug `tui` binary. `cargo test --workspace` has just built it beside the running test
/// (the tui crate has integration tests, so cargo builds its binary), with the test run's
/// feature set: use it. Otherwise (`cargo test -p e2e` alone) build it, and take its path as
/// cargo reports it (so `CARGO_TARGET_DIR` and cargo's configuration are honoured). Building
/// it separately when it is there would recompile much of the dependency tree: a plain `cargo
/// build` unifies features differently from `cargo test`.
pub fn tui_binary() -> Result<PathBuf, String> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("tui")));
    if let Some(binary) = beside.filter(|path| path.is_file()) {
        return Ok(binary);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(&cargo)
        .args([
            "build",
            "-p",
            "tui",
            "--bin",
            "tui",
            "--quiet",
            "--message-format=json",
        ])
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| format!("cannot run {cargo:?}: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo build -p tui --bin tui` failed: {}",
            output.status
        ));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| {
            message["reason"] == "compiler-artifact"
                && message["target"]["name"] == "tui"
                && message["target"]["kind"]
                    .as_array()
                    .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"))
        })
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo reported no executable for the tui binary".to_owned())
}

/// A screen capture: [`HEIGHT`] lines of text, and when it was taken.
pub struct Screen {
    /// The lines, top to bottom.
    pub lines: Vec<String>,
    /// When `capture-pane` answered.
    pub captured: Instant,
}

impl Screen {
    /// The whole screen, one line after the other.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// Whether any line contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.lines.iter().any(|line| line.contains(needle))
    }

    /// The address bar: the first line.
    pub fn address(&self) -> &str {
        self.lines.first().map_or("", |line| line.trim())
    }

    /// The footer: the last non-empty line (the key hints).
    pub fn footer(&self) -> &str {
        self.lines
            .iter()
            .rev()
            .find(|line| !line.trim().is_empty())
            .map_or("", |line| line.trim_end())
    }

    /// The Devtools pane: on each line, what follows the border between the two panes.
    pub fn devtools(&self) -> Vec<&str> {
        self.lines
            .iter()
            .map(|line| line.split_once("││").map_or("", |(_, right)| right))
            .map(|right| right.trim_end().trim_end_matches('│').trim_end())
            .collect()
    }
}

/// How [`Tmux::wait_for`] polls.
#[derive(Clone, Copy, Debug)]
pub struct Poll {
    /// Time between two captures.
    pub every: Duration,
    /// Bound on the whole wait; a healthy run takes far less.
    pub timeout: Duration,
    /// Also ask tmux, at each poll, whether the pane's process exited, and stop waiting then.
    /// Off for measurements: it costs a tmux client per poll.
    pub stop_when_dead: bool,
}

/// A private tmux server running one session whose pane stays after its process exits, so that
/// the exit status can be read. Killed, and its socket file removed, on drop (which ends the
/// process in the pane too, by SIGHUP).
pub struct Tmux {
    socket: String,
    /// The socket file, once the server runs.
    socket_path: Option<PathBuf>,
}

impl Tmux {
    /// Starts `command` (a program and its arguments) in a detached [`WIDTH`]x[`HEIGHT`]
    /// session.
    pub fn start(command: &[&str]) -> Result<Self, String> {
        match Command::new("tmux").arg("-V").output() {
            Ok(output) if output.status.success() => {}
            Ok(output) => {
                return Err(format!(
                    "`tmux -V` failed ({}); {SETUP_HINT}",
                    output.status
                ));
            }
            Err(error) => return Err(format!("tmux not found ({error}); {SETUP_HINT}")),
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        let mut tmux = Self {
            socket: format!("tui-e2e-{}-{nanos}", std::process::id()),
            socket_path: None,
        };
        let (width, height) = (WIDTH.to_string(), HEIGHT.to_string());
        // One command list, run by the new server in order: remain-on-exit is set before the
        // pane's process can exit.
        let mut args = vec![
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
            &width,
            "-y",
            &height,
        ];
        args.extend_from_slice(command);
        tmux.run(&args)?;
        tmux.socket_path = Some(PathBuf::from(tmux.pane("#{socket_path}")?));
        Ok(tmux)
    }

    /// `tmux -L <socket> -f /dev/null <args>`, which must succeed; returns its stdout. The
    /// first call starts the server, whose environment the TUI inherits: none of the TUI's own
    /// settings from ours (it must start the embedded stack) and not our tmux, if any.
    pub fn run(&self, args: &[&str]) -> Result<String, String> {
        let output = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .env_remove("STORE_URL")
            .env_remove("FORUMS_URL")
            .env_remove("TUI_COOKIE_JAR")
            .stdin(Stdio::null())
            .output()
            .map_err(|error| format!("cannot run tmux: {error}; {SETUP_HINT}"))?;
        if !output.status.success() {
            return Err(format!(
                "tmux {args:?} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Replaces the pane's process (killing it if it still runs) with `command`.
    pub fn respawn(&self, command: &[&str]) -> Result<(), String> {
        let mut args = vec!["respawn-pane", "-k", "-t", SESSION];
        args.extend_from_slice(command);
        self.run(&args).map(drop)
    }

    /// The screen now.
    pub fn screen(&self) -> Result<Screen, String> {
        let text = self.run(&["capture-pane", "-p", "-t", SESSION])?;
        Ok(Screen {
            lines: text.lines().map(str::to_owned).collect(),
            captured: Instant::now(),
        })
    }

    /// Presses keys, by tmux's names (`j`, `Enter`, `Tab`).
    pub fn keys(&self, keys: &[&str]) -> Result<(), String> {
        let mut args = vec!["send-keys", "-t", SESSION];
        args.extend_from_slice(keys);
        self.run(&args).map(drop)
    }

    /// Types `text` literally.
    pub fn type_text(&self, text: &str) -> Result<(), String> {
        self.run(&["send-keys", "-t", SESSION, "-l", text])
            .map(drop)
    }

    /// A pane variable, e.g. `#{pane_dead}`.
    pub fn pane(&self, format: &str) -> Result<String, String> {
        Ok(self
            .run(&["display-message", "-p", "-t", SESSION, format])?
            .trim()
            .to_owned())
    }

    /// The pane's exit status (or the signal that ended it), once its process has exited and
    /// tmux has reaped it.
    ///
    /// Debian's tmux is linked with libutempter, whose own SIGCHLD handler can swallow the
    /// signal of a pane's exit: the process then stays a zombie and the pane dead with no
    /// status (tmux issues #311, #4559). A SIGCHLD of our own makes the server reap it.
    pub fn exit_status(&self) -> Result<Option<String>, String> {
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

    /// Waits for the pane's process to exit; its exit status (or signal).
    pub fn wait_for_exit(&self, poll: Poll) -> Result<String, String> {
        let deadline = Instant::now() + poll.timeout;
        loop {
            if let Some(status) = self.exit_status()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the TUI did not exit within {:?} (pane: {}):\n{}",
                    poll.timeout,
                    self.pane(
                        "dead=#{pane_dead} status=#{pane_dead_status} signal=#{pane_dead_signal}"
                    )?,
                    self.screen()?.text()
                ));
            }
            std::thread::sleep(poll.every);
        }
    }

    /// Polls the screen until `ready` holds; on a timeout (or the process's exit, when `poll`
    /// says to look), fails showing the last screen.
    pub fn wait_for(
        &self,
        what: &str,
        poll: Poll,
        ready: impl Fn(&Screen) -> bool,
    ) -> Result<Screen, String> {
        let deadline = Instant::now() + poll.timeout;
        loop {
            let screen = self.screen()?;
            if ready(&screen) {
                return Ok(screen);
            }
            let dead = poll.stop_when_dead && self.pane("#{pane_dead}")? == "1";
            if dead || Instant::now() > deadline {
                let why = if dead { "the TUI exited" } else { "timed out" };
                return Err(format!(
                    "waiting for {what}: {why} (pane {})\n--- screen ---\n{}",
                    self.pane("dead=#{pane_dead} status=#{pane_dead_status}")?,
                    screen.text()
                ));
            }
            std::thread::sleep(poll.every);
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        // The server leaves its socket file behind.
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}
