//! The real `tui` binary in a real terminal: tmux runs it detached at 160x45 on a private
//! socket, the test types keys with `send-keys` and reads the screen with `capture-pane`.
//!
//! It logs in to the Store of the embedded stack, reads the cart, checks the session cookie in
//! the Cookies pane (host-only, HttpOnly) and the login's redirect chain in the Network pane,
//! then quits and checks that the process exited 0 with the terminal restored.
//!
//! tmux comes from Debian's `tmux` package (`bash .ci/run` installs it); missing, it fails the
//! test: it is never skipped. The binary is the one `cargo test --workspace` builds, or built
//! with `cargo build -p tui --bin tui` when it is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SETUP_HINT: &str =
    "install it with `bash .ci/run` from the workspace root (Debian's tmux package)";
/// Bound on each wait for the screen; a healthy run takes far less.
const TIMEOUT: Duration = Duration::from_secs(30);
/// How often the waits look again.
const POLL: Duration = Duration::from_millis(20);
const WIDTH: usize = 160;
const HEIGHT: usize = 45;
/// The tmux session (one per private server, so the name need not be unique).
const SESSION: &str = "tui";

const LOGIN_ID: &str = "alice@example.com";
const PASSWORD: &str = "password";

/// The workspace root (this crate lives in `<root>/tests`).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the e2e crate has a parent directory")
        .to_path_buf()
}

/// The `tui` binary. `cargo test --workspace` has just built it beside this test (the tui crate
/// has integration tests, so cargo builds its binary), with the test run's feature set: use it.
/// Otherwise (`cargo test -p e2e` alone) build it, and take its path as cargo reports it (so
/// `CARGO_TARGET_DIR` and cargo's configuration are honoured). Building it separately when it
/// is there would recompile much of the dependency tree: a plain `cargo build` unifies features
/// differently from `cargo test`.
fn tui_binary() -> PathBuf {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("tui")));
    if let Some(binary) = beside.filter(|path| path.is_file()) {
        return binary;
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
        .unwrap_or_else(|error| panic!("cannot run {cargo:?}: {error}"));
    assert!(
        output.status.success(),
        "`cargo build -p tui --bin tui` failed: {}",
        output.status
    );
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
        .expect("cargo reported no executable for the tui binary")
}

/// A screen capture: `HEIGHT` lines of text.
struct Screen(Vec<String>);

impl Screen {
    fn text(&self) -> String {
        self.0.join("\n")
    }

    fn contains(&self, needle: &str) -> bool {
        self.0.iter().any(|line| line.contains(needle))
    }

    /// The address bar: the first line.
    fn address(&self) -> &str {
        self.0.first().map_or("", |line| line.trim())
    }

    /// The footer: the last non-empty line (the key hints).
    fn footer(&self) -> &str {
        self.0
            .iter()
            .rev()
            .find(|line| !line.trim().is_empty())
            .map_or("", |line| line.trim_end())
    }

    /// The Devtools pane: on each line, what follows the border between the two panes.
    fn devtools(&self) -> Vec<&str> {
        self.0
            .iter()
            .map(|line| line.split_once("││").map_or("", |(_, right)| right))
            .map(|right| right.trim_end().trim_end_matches('│').trim_end())
            .collect()
    }
}

/// A private tmux server (its own socket) running one session; killed, and its socket file
/// removed, on drop.
struct Tmux {
    socket: String,
    /// The socket file, once the server runs.
    socket_path: Option<PathBuf>,
}

impl Tmux {
    /// Starts `binary` in a detached `WIDTH`x`HEIGHT` session whose pane stays after the
    /// process exits, so that its exit status can be read.
    fn start(binary: &Path) -> Self {
        match Command::new("tmux").arg("-V").output() {
            Ok(output) if output.status.success() => {}
            Ok(output) => panic!("`tmux -V` failed ({}); {SETUP_HINT}", output.status),
            Err(error) => panic!("tmux not found ({error}); {SETUP_HINT}"),
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
        let binary = binary.to_str().expect("a UTF-8 path to the tui binary");
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
            &width,
            "-y",
            &height,
            binary,
        ]);
        tmux.socket_path = Some(PathBuf::from(tmux.pane("#{socket_path}")));
        tmux
    }

    /// `tmux -L <socket> -f /dev/null <args>`, which must succeed; returns its stdout. The
    /// first call starts the server, whose environment the TUI inherits: none of the TUI's own
    /// settings from ours (it must start the embedded stack) and not our tmux, if any.
    fn run(&self, args: &[&str]) -> String {
        let output: Output = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .env_remove("STORE_URL")
            .env_remove("FORUMS_URL")
            .env_remove("TUI_COOKIE_JAR")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|error| panic!("cannot run tmux: {error}; {SETUP_HINT}"));
        assert!(
            output.status.success(),
            "tmux {args:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn screen(&self) -> Screen {
        let text = self.run(&["capture-pane", "-p", "-t", SESSION]);
        Screen(text.lines().map(str::to_owned).collect())
    }

    /// Presses keys, by tmux's names (`j`, `Enter`, `Tab`).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", SESSION];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Types `text` literally.
    fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", SESSION, "-l", text]);
    }

    /// A pane variable, e.g. `#{pane_dead}`.
    fn pane(&self, format: &str) -> String {
        self.run(&["display-message", "-p", "-t", SESSION, format])
            .trim()
            .to_owned()
    }

    /// The pane's exit status (or the signal that ended it), once its process has exited and
    /// tmux has reaped it.
    ///
    /// Debian's tmux is linked with libutempter, whose own SIGCHLD handler can swallow the
    /// signal of a pane's exit: the process then stays a zombie and the pane dead with no
    /// status (tmux issues #311, #4559). A SIGCHLD of our own makes the server reap it.
    fn exit_status(&self) -> Option<String> {
        let state = self.pane("#{pane_dead} #{pane_dead_status}#{pane_dead_signal}");
        match state.strip_prefix('1').map(str::trim) {
            Some("") => {
                let server = self.run(&["display-message", "-p", "#{pid}"]);
                let _ = Command::new("kill")
                    .args(["-s", "CHLD", server.trim()])
                    .stdin(Stdio::null())
                    .status();
                None
            }
            Some(status) => Some(status.to_owned()),
            None => None,
        }
    }

    /// Polls the screen until `ready` holds; on a timeout, fails showing the last screen.
    fn wait_for(&self, what: &str, ready: impl Fn(&Screen) -> bool) -> Screen {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            let dead = self.pane("#{pane_dead}") == "1";
            if dead || Instant::now() > deadline {
                let why = if dead { "the TUI exited" } else { "timed out" };
                panic!(
                    "waiting for {what}: {why} (pane {})\n--- screen ---\n{}",
                    self.pane("dead=#{pane_dead} status=#{pane_dead_status}"),
                    screen.text()
                );
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Ends the TUI too (SIGHUP), if the test failed before it quit.
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

/// The port in the address bar's `http://store.localhost:PORT/...`.
fn store_port(screen: &Screen) -> Option<u16> {
    let (_, rest) = screen.address().split_once("http://store.localhost:")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The index of the first line that contains every one of `needles`.
fn line_with(lines: &[&str], needles: &[&str]) -> Option<usize> {
    lines
        .iter()
        .position(|line| needles.iter().all(|needle| line.contains(needle)))
}

/// Whether a `↳` Server-Timing row reads `↳ fusionauth POST /api/login 200 <number>ms`.
fn is_fusionauth_row(line: &str) -> bool {
    let Some((_, rest)) = line.split_once("↳ fusionauth POST /api/login 200 ") else {
        return false;
    };
    let Some(number) = rest.trim().strip_suffix("ms") else {
        return false;
    };
    !number.is_empty() && number.parse::<f64>().is_ok()
}

#[test]
fn tui_logs_in_and_shows_the_cookie_and_the_redirect_chain() {
    let binary = tui_binary();
    let tmux = Tmux::start(&binary);

    // The Store's home page, logged out, with an empty jar.
    let home = tmux.wait_for("the Store home page", |screen| {
        store_port(screen).is_some()
            && screen.address().ends_with('/')
            && screen.contains("You are not logged in")
            && screen.contains("The jar is empty")
            && screen.footer().contains("q quit")
    });
    let port = store_port(&home).expect("the Store's port");
    let store = format!("http://store.localhost:{port}");
    assert_eq!(
        home.address(),
        format!("← → ↻  {store}/"),
        "{}",
        home.text()
    );
    assert!(home.contains("Home · Store"), "{}", home.text());
    assert!(
        home.contains(&format!("200 {store}/ · 1 request")),
        "{}",
        home.text()
    );
    assert!(home.contains("[1 Cookies]"), "{}", home.text());

    // j j focuses the header's "Log in" link (after "Store"); Enter follows it.
    tmux.keys(&["j", "j", "Enter"]);
    let login = tmux.wait_for("the login form", |screen| {
        screen.address().ends_with(&format!("{store}/login"))
            && screen.contains("Log in to Store")
            && screen.contains("Email or username")
            && screen.contains("Password")
    });
    assert!(login.contains("[ Log in ]"), "{}", login.text());

    // The login form autofocuses the login id: Enter edits it, Tab moves to the password.
    tmux.keys(&["Enter"]);
    tmux.wait_for("editing the login id", |screen| {
        screen.footer().contains("Esc leave") && screen.footer().contains("Tab next field")
    });
    tmux.type_text(LOGIN_ID);
    tmux.keys(&["Tab"]);
    tmux.type_text(PASSWORD);
    let filled = tmux.wait_for("the filled-in form", |screen| {
        screen.contains(&format!("[{LOGIN_ID} ")) && screen.contains("[•••••••• ")
    });
    assert!(
        !filled.contains(PASSWORD),
        "the password is shown in clear:\n{}",
        filled.text()
    );

    // Enter submits: POST /login, 303 to the cart.
    tmux.keys(&["Enter"]);
    let cart = tmux.wait_for("the shopping cart", |screen| {
        screen
            .address()
            .ends_with(&format!("{store}/shopping-cart"))
            && screen.contains("Signed in as Alice Shopper")
            && screen.contains("$43.00")
            && screen.contains("set by POST")
            && screen.footer().contains("q quit")
    });
    let text = cart.text();
    let page: Vec<&str> = cart.0.iter().map(String::as_str).collect();
    assert!(
        line_with(&page, &["Sencha green tea, 100 g", "2", "$12.50", "$25.00"]).is_some(),
        "{text}"
    );
    assert!(
        line_with(&page, &["Stoneware mug", "1", "$18.00"]).is_some(),
        "{text}"
    );
    assert!(line_with(&page, &["Total", "$43.00"]).is_some(), "{text}");

    // The Cookies pane (the default tab): the session cookie, host-only and HttpOnly.
    let devtools = cart.devtools();
    assert!(line_with(&devtools, &["[1 Cookies]"]).is_some(), "{text}");
    let host = devtools
        .iter()
        .position(|line| line.trim() == "store.localhost")
        .unwrap_or_else(|| panic!("the jar's store.localhost entry: {text}"));
    let cookie = line_with(&devtools, &["store_session = "]).expect(&text);
    assert!(host < cookie, "{text}");
    let flags = line_with(&devtools, &["[host-only]", "[HttpOnly]", "[SameSite=Lax]"])
        .unwrap_or_else(|| panic!("the cookie's flags: {text}"));
    assert_eq!(flags, cookie + 1, "{text}");
    assert!(
        devtools[flags + 1].contains(&format!("set by POST {store}/login 303")),
        "{text}"
    );

    // The Network pane: the redirect hop nested under the POST, with the identity server's
    // Server-Timing row.
    tmux.keys(&["2"]);
    let network = tmux.wait_for("the Network pane", |screen| {
        screen.contains("[2 Network]") && screen.contains("└ GET /shopping-cart")
    });
    let text = network.text();
    let rows = network.devtools();
    let get_home = line_with(&rows, &["GET / ", "200"]).expect(&text);
    let get_login = line_with(&rows, &["GET /login", "200"]).expect(&text);
    let post = line_with(&rows, &["POST /login", "303"]).expect(&text);
    let hop = line_with(&rows, &["└ GET /shopping-cart", "200"]).expect(&text);
    assert!(
        get_home < get_login && get_login < post && post < hop,
        "{text}"
    );
    let between = &rows[post + 1..hop];
    assert!(
        between.iter().all(|row| row.trim_start().starts_with('↳')),
        "only Server-Timing rows between the POST and its hop: {text}"
    );
    assert!(
        between.iter().any(|row| is_fusionauth_row(row)),
        "a `↳ fusionauth POST /api/login 200 …ms` row under the POST: {text}"
    );

    // While it runs: the alternate screen and mouse capture are on.
    assert_eq!(tmux.pane("#{alternate_on} #{mouse_any_flag}"), "1 1");

    // q quits: exit status 0, and the terminal is back to normal (then tmux prints "Pane is
    // dead (status …)" on the normal screen).
    tmux.keys(&["q"]);
    let deadline = Instant::now() + TIMEOUT;
    let (status, after) = loop {
        if let Some(status) = tmux.exit_status() {
            let screen = tmux.screen();
            if screen.contains("Pane is dead") {
                break (status, screen);
            }
        }
        assert!(
            Instant::now() < deadline,
            "the TUI did not exit within {TIMEOUT:?} of q (pane: {}):\n{}",
            tmux.pane("dead=#{pane_dead} status=#{pane_dead_status} signal=#{pane_dead_signal}"),
            tmux.screen().text()
        );
        std::thread::sleep(POLL);
    };
    assert_eq!(status, "0", "exit status (or signal):\n{}", after.text());
    assert_eq!(
        tmux.pane("#{alternate_on} #{mouse_any_flag} #{mouse_sgr_flag}"),
        "0 0 0",
        "the alternate screen and mouse capture are left on exit"
    );
    // The normal screen holds only tmux's notice: nothing printed (no error, no log).
    let printed: Vec<&String> = after
        .0
        .iter()
        .filter(|line| !line.trim().is_empty() && !line.starts_with("Pane is dead"))
        .collect();
    assert!(printed.is_empty(), "printed on exit:\n{}", after.text());
}
