//! The real `tui` binary in a real terminal: tmux runs it detached at 160x45 on a private
//! socket, the test types keys with `send-keys` and reads the screen with `capture-pane`.
//!
//! It logs in to the Store of the embedded stack, reads the cart, checks the session cookie in
//! the Cookies pane (host-only, HttpOnly) and the login's redirect chain in the Network pane,
//! then quits and checks that the process exited 0 with the terminal restored.
//!
//! tmux comes from Debian's `tmux` package (`bash .ci/run` installs it); missing, it fails the
//! test: it is never skipped. The binary is the one `cargo test --workspace` builds, or built
//! with `cargo build -p tui --bin tui` when it is missing ([`e2e::tmux::tui_binary`]).

use e2e::tmux::{Poll, Screen, Tmux, tui_binary};
use std::time::Duration;

/// How the test waits for the screen: a healthy run takes far less than the bound, and a TUI
/// that exits fails the wait at once.
const WAIT: Poll = Poll {
    every: Duration::from_millis(20),
    timeout: Duration::from_secs(30),
    stop_when_dead: true,
};

const LOGIN_ID: &str = "alice@example.com";
const PASSWORD: &str = "password";

/// Waits for the screen `ready` describes; fails the test with the last screen if it does not
/// come.
fn wait_for(tmux: &Tmux, what: &str, ready: impl Fn(&Screen) -> bool) -> Screen {
    tmux.wait_for(what, WAIT, ready)
        .unwrap_or_else(|error| panic!("{error}"))
}

/// A tmux call that must succeed.
fn ok<T>(result: Result<T, String>) -> T {
    result.unwrap_or_else(|error| panic!("{error}"))
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
    let binary = ok(tui_binary());
    let binary = binary.to_str().expect("a UTF-8 path to the tui binary");
    let tmux = ok(Tmux::start(&[binary]));

    // The Store's home page, logged out, with an empty jar.
    let home = wait_for(&tmux, "the Store home page", |screen| {
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
    ok(tmux.keys(&["j", "j", "Enter"]));
    let login = wait_for(&tmux, "the login form", |screen| {
        screen.address().ends_with(&format!("{store}/login"))
            && screen.contains("Log in to Store")
            && screen.contains("Email or username")
            && screen.contains("Password")
    });
    assert!(login.contains("[ Log in ]"), "{}", login.text());

    // The login form autofocuses the login id: Enter edits it, Tab moves to the password.
    ok(tmux.keys(&["Enter"]));
    wait_for(&tmux, "editing the login id", |screen| {
        screen.footer().contains("Esc leave") && screen.footer().contains("Tab next field")
    });
    ok(tmux.type_text(LOGIN_ID));
    ok(tmux.keys(&["Tab"]));
    ok(tmux.type_text(PASSWORD));
    let filled = wait_for(&tmux, "the filled-in form", |screen| {
        screen.contains(&format!("[{LOGIN_ID} ")) && screen.contains("[•••••••• ")
    });
    assert!(
        !filled.contains(PASSWORD),
        "the password is shown in clear:\n{}",
        filled.text()
    );

    // Enter submits: POST /login, 303 to the cart.
    ok(tmux.keys(&["Enter"]));
    let cart = wait_for(&tmux, "the shopping cart", |screen| {
        screen
            .address()
            .ends_with(&format!("{store}/shopping-cart"))
            && screen.contains("Signed in as Alice Shopper")
            && screen.contains("$43.00")
            && screen.contains("set by POST")
            && screen.footer().contains("q quit")
    });
    let text = cart.text();
    let page: Vec<&str> = cart.lines.iter().map(String::as_str).collect();
    assert!(
        line_with(&page, &["Sencha green tea, 100 g", "2", "$12.50", "$25.00"]).is_some(),
        "{text}"
    );
    assert!(
        line_with(&page, &["Stoneware mug", "1", "$18.00"]).is_some(),
        "{text}"
    );
    assert!(line_with(&page, &["Total", "$43.00"]).is_some(), "{text}");

    // The Cookies pane (the default tab): the session cookie, named as such, host-only and
    // HttpOnly (the login form's CSRF cookie is in the jar too, under its own name).
    let devtools = cart.devtools();
    assert!(line_with(&devtools, &["[1 Cookies]"]).is_some(), "{text}");
    let host = devtools
        .iter()
        .position(|line| line.trim() == "store.localhost")
        .unwrap_or_else(|| panic!("the jar's store.localhost entry: {text}"));
    let cookie = line_with(&devtools, &["store_session = "]).expect(&text);
    assert!(host < cookie, "{text}");
    // Its badges (wrapped over as many lines as the pane needs), then who set it.
    let set_by = format!("set by POST {store}/login 303");
    let set_by_line = (cookie + 1..devtools.len())
        .find(|&line| devtools[line].contains(&set_by))
        .unwrap_or_else(|| panic!("{set_by} under the cookie: {text}"));
    let flags = devtools[cookie + 1..set_by_line].join(" ");
    let badges = [
        "[session id]",
        "[host-only]",
        "[HttpOnly]",
        "[SameSite=Lax]",
    ];
    assert!(
        set_by_line <= cookie + 3 && badges.iter().all(|badge| flags.contains(badge)),
        "the cookie's flags: {text}"
    );
    assert!(line_with(&devtools, &["store_csrf = "]).is_some(), "{text}");

    // The Network pane: the redirect hop nested under the POST, with the identity server's
    // Server-Timing row.
    ok(tmux.keys(&["2"]));
    let network = wait_for(&tmux, "the Network pane", |screen| {
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
    assert_eq!(ok(tmux.pane("#{alternate_on} #{mouse_any_flag}")), "1 1");

    // q quits: exit status 0, and the terminal is back to normal (then tmux prints "Pane is
    // dead (status …)" on the normal screen).
    ok(tmux.keys(&["q"]));
    let status = ok(tmux.wait_for_exit(WAIT));
    // The pane is dead by now: wait for tmux's notice without stopping at that.
    let after_exit = Poll {
        stop_when_dead: false,
        ..WAIT
    };
    let after = ok(
        tmux.wait_for("tmux's notice of the exit", after_exit, |screen| {
            screen.contains("Pane is dead")
        }),
    );
    assert_eq!(status, "0", "exit status (or signal):\n{}", after.text());
    assert_eq!(
        ok(tmux.pane("#{alternate_on} #{mouse_any_flag} #{mouse_sgr_flag}")),
        "0 0 0",
        "the alternate screen and mouse capture are left on exit"
    );
    // The normal screen holds only tmux's notice: nothing printed (no error, no log).
    let printed: Vec<&String> = after
        .lines
        .iter()
        .filter(|line| !line.trim().is_empty() && !line.starts_with("Pane is dead"))
        .collect();
    assert!(printed.is_empty(), "printed on exit:\n{}", after.text());
}
