//! The whole app driven by injected key events against the real embedded stack: the runtime
//! runs the effects with real browsers, and the screen is drawn into a `TestBackend`.

use backend::stack::{SessionPolicy, Stack, StackConfig};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use std::time::Duration;
use tui::app::{Msg, Outcome, ReplayVerdict, Target};
use tui::runtime::{Options, Runtime};

const WIDTH: u16 = 160;
const HEIGHT: u16 = 50;

struct Driver {
    runtime: Runtime,
}

impl Driver {
    /// The app against `stack`, started with the default session policy (as these tests
    /// start it), whose idle timeout the runtime is told, as `tui` tells it of its own stack.
    async fn start(stack: &Stack) -> Self {
        Self::start_with(options(stack, SessionPolicy::default().idle_timeout)).await
    }

    async fn start_with(options: Options) -> Self {
        let mut runtime = Runtime::new(options).unwrap();
        runtime.dispatch(Msg::Resize(Rect::new(0, 0, WIDTH, HEIGHT)));
        runtime.start();
        let mut driver = Self { runtime };
        driver.settle().await;
        driver
    }

    /// Runs the scenario from the TUI (`f`) and waits until its verdicts are in.
    async fn run_flow(&mut self) {
        self.runtime.dispatch(Msg::Key(KeyEvent::new(
            KeyCode::Char('f'),
            KeyModifiers::NONE,
        )));
        tokio::time::timeout(Duration::from_secs(120), self.runtime.settle())
            .await
            .expect("the run ends");
    }

    async fn settle(&mut self) {
        tokio::time::timeout(Duration::from_secs(15), self.runtime.settle())
            .await
            .expect("the loads finish");
    }

    /// Presses a key and waits for whatever it started.
    async fn press(&mut self, code: KeyCode) {
        self.runtime
            .dispatch(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        self.settle().await;
    }

    /// Opens the Attacker tab, replays (`R`), and answers the outcome of replay `index`.
    async fn replay(&mut self, index: usize) -> Outcome {
        self.keys("3R").await;
        self.runtime.state().attacker().replays[index]
            .outcome
            .clone()
            .expect("answered")
    }

    async fn keys(&mut self, keys: &str) {
        for c in keys.chars() {
            self.press(KeyCode::Char(c)).await;
        }
    }

    /// The screen as text.
    fn screen(&self) -> String {
        let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).unwrap();
        terminal
            .draw(|frame| tui::ui::render(self.runtime.state(), frame))
            .unwrap();
        let buffer = terminal.backend().buffer();
        (0..HEIGHT)
            .map(|y| {
                (0..WIDTH)
                    .map(|x| buffer[(x, y)].symbol().to_owned())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn path(&self) -> String {
        self.runtime
            .state()
            .current_url()
            .unwrap()
            .path()
            .to_owned()
    }

    /// Moves the page focus (j) until `wanted` holds for the focused target.
    async fn focus(&mut self, what: &str, wanted: impl Fn(&tui::app::State, Target) -> bool) {
        for _ in 0..20 {
            if let Some(target) = self.runtime.state().focused_target()
                && wanted(self.runtime.state(), target)
            {
                return;
            }
            self.press(KeyCode::Char('j')).await;
        }
        panic!("could not focus {what}:\n{}", self.screen());
    }

    /// Focuses the link with this text and follows it.
    async fn follow(&mut self, text: &str) {
        self.focus(text, |state, target| {
            matches!(target, Target::Link(i) if state.page().unwrap().links[i].text == text)
        })
        .await;
        self.press(KeyCode::Enter).await;
    }

    /// Fills in the login form (it has the focus on its first field) and submits it.
    async fn log_in(&mut self, login_id: &str, password: &str) {
        self.press(KeyCode::Enter).await;
        self.keys(login_id).await;
        self.press(KeyCode::Tab).await;
        self.keys(password).await;
        self.press(KeyCode::Enter).await;
    }

    /// Focuses the submit button of the form posting to `path` and presses it.
    async fn submit(&mut self, path: &str) {
        self.focus(path, |state, target| {
            matches!(target, Target::Submit { form } if state.page().unwrap().forms[form].action.path() == path)
        })
        .await;
        self.press(KeyCode::Enter).await;
    }
}

/// The runtime's options for `stack`, whose sessions idle out after `idle_timeout`.
fn options(stack: &Stack, idle_timeout: Duration) -> Options {
    Options {
        store_url: stack.store_url().clone(),
        forums_url: stack.forums_url().clone(),
        cookie_jar: None,
        timeout: Duration::from_secs(10),
        idle_timeout: Some(idle_timeout),
        fusionauth_url: Some(stack.fusionauth_url.clone()),
    }
}

#[tokio::test]
async fn a_user_logs_in_to_both_sites_sees_the_jar_and_a_stolen_cookie_dies_at_logout() {
    let stack = Stack::start(StackConfig::ephemeral()).await.unwrap();
    let mut app = Driver::start(&stack).await;
    assert!(app.screen().contains("You are not logged in"));

    // Log in to the Store: the cart.
    app.follow("Log in").await;
    assert_eq!(app.path(), "/login");
    app.log_in("alice@example.com", "password").await;
    assert_eq!(app.path(), "/shopping-cart");
    let screen = app.screen();
    for text in [
        "Signed in as Alice Shopper",
        "Sencha green tea, 100 g",
        "Stoneware mug",
        "$43.00",
    ] {
        assert!(screen.contains(text), "{text} missing:\n{screen}");
    }

    // The cookie for store.localhost, marked HttpOnly and host-only, set by the login POST.
    app.press(KeyCode::Char('1')).await;
    let screen = app.screen();
    for text in [
        "store.localhost",
        "store_session",
        "[host-only]",
        "[HttpOnly]",
        "set by POST",
    ] {
        assert!(
            screen.contains(text),
            "{text} missing from the cookie pane:\n{screen}"
        );
    }
    let jar = &app.runtime.state().jar().cookies;
    let store_cookie = jar.iter().find(|c| c.name == "store_session").unwrap();
    assert!(store_cookie.http_only && store_cookie.host_only);
    app.press(KeyCode::Esc).await;

    // The Forums separately: the Store's cookie is not sent there, and why.
    app.press(KeyCode::Char('F')).await;
    assert!(
        app.screen().contains("host-only for store.localhost"),
        "{}",
        app.screen()
    );
    app.follow("Log in").await;
    app.log_in("alice@example.com", "password").await;
    assert_eq!(app.path(), "/posts");
    assert!(app.screen().contains("Welcome to the forums"));
    assert!(
        app.runtime
            .state()
            .jar()
            .cookies
            .iter()
            .any(|c| c.name == "forums_session")
    );

    // Steal the Store's cookie into the attacker and replay it: the victim's cart.
    app.press(KeyCode::Char('1')).await;
    for _ in 0..10 {
        if app
            .runtime
            .state()
            .jar()
            .selected()
            .is_some_and(|c| c.name == "store_session")
        {
            break;
        }
        app.press(KeyCode::Char('j')).await;
    }
    app.press(KeyCode::Char('s')).await;
    assert!(
        app.runtime
            .state()
            .attacker()
            .jar
            .cookies
            .iter()
            .any(|c| c.name == "store_session"),
        "stolen"
    );
    let first = app.replay(0).await;
    assert_eq!(first.verdict, ReplayVerdict::GotData, "{first:?}");
    assert!(
        first.evidence.iter().any(|e| e.contains("$43.00")),
        "{:?}",
        first.evidence
    );

    // The victim logs out of the Store; the replay is refused.
    app.press(KeyCode::Esc).await;
    app.press(KeyCode::Char('S')).await;
    app.submit("/logout").await;
    assert_eq!(app.path(), "/");
    assert!(app.screen().contains("You are not logged in"));
    let second = app.replay(1).await;
    assert!(
        matches!(second.verdict, ReplayVerdict::Refused(_)),
        "{second:?}"
    );
    assert_eq!(second.final_url.path(), "/login");
    assert!(app.screen().contains("#2"), "{}", app.screen());

    // q quits.
    app.press(KeyCode::Esc).await;
    app.press(KeyCode::Char('q')).await;
    assert!(app.runtime.quitting());
}

#[tokio::test]
async fn the_cookie_jar_file_is_saved_on_exit_and_loaded_at_the_next_start() {
    let stack = Stack::start(StackConfig::ephemeral()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    for file in ["jar.txt", "jar.json"] {
        let path = dir.path().join(file);
        let options = Options {
            cookie_jar: Some(path.clone()),
            ..options(&stack, SessionPolicy::default().idle_timeout)
        };
        let mut app = Driver {
            runtime: Runtime::new(options.clone()).unwrap(),
        };
        app.runtime
            .dispatch(Msg::Resize(Rect::new(0, 0, WIDTH, HEIGHT)));
        app.runtime.start();
        app.settle().await;
        app.follow("Log in").await;
        app.log_in("alice@example.com", "password").await;
        assert_eq!(app.path(), "/shopping-cart");
        app.runtime.save_jar_on_exit().unwrap();
        assert!(path.is_file(), "{file} written");

        // A new start with the same file is still logged in.
        let mut next = Driver::start_with(options).await;
        assert_eq!(next.path(), "/", "{file}");
        next.press(KeyCode::Char('S')).await;
        next.follow("Shopping cart").await;
        assert_eq!(next.path(), "/shopping-cart", "{file}: {}", next.screen());
        assert!(
            next.screen().contains("Signed in as Alice Shopper"),
            "{file}"
        );
    }
}

#[tokio::test]
async fn a_stolen_cookie_replayed_after_the_victims_id_rotated_is_detected_as_theft() {
    let (interval, grace) = (Duration::from_secs(1), Duration::from_millis(500));
    let config = StackConfig::ephemeral().with_policy(SessionPolicy {
        rotation_interval: interval,
        rotation_grace: grace,
        ..SessionPolicy::default()
    });
    let stack = Stack::start(config).await.unwrap();
    let mut app = Driver::start(&stack).await;
    app.follow("Log in").await;
    app.log_in("alice@example.com", "password").await;
    assert_eq!(app.path(), "/shopping-cart");

    // The attacker copies the session cookie (the jar also holds the login form's CSRF
    // cookie); the victim keeps browsing until the id rotates.
    app.press(KeyCode::Char('1')).await;
    let session = app
        .runtime
        .state()
        .jar()
        .cookies
        .iter()
        .position(|c| c.name == "store_session")
        .expect("the session cookie in the jar");
    for _ in 0..session {
        app.press(KeyCode::Char('j')).await;
    }
    app.press(KeyCode::Char('s')).await;
    let stolen = app.runtime.state().attacker().jar.cookies[0].value.clone();
    app.press(KeyCode::Esc).await;
    tokio::time::sleep(interval + Duration::from_millis(200)).await;
    app.press(KeyCode::Char('r')).await;
    let jar = &app.runtime.state().jar().cookies;
    let rotated = jar.iter().find(|c| c.name == "store_session").unwrap();
    assert_ne!(rotated.value, stolen, "the victim's id rotated");

    // After the grace period, the replay of the old id ends the whole session.
    tokio::time::sleep(grace + Duration::from_millis(300)).await;
    let replay = app.replay(0).await;
    assert_eq!(replay.verdict, ReplayVerdict::TheftDetected, "{replay:?}");
    let screen = app.screen();
    assert!(
        screen.contains("✗ theft detected: the server ended"),
        "{screen}"
    );

    // The victim is logged out too, and told why.
    app.press(KeyCode::Esc).await;
    app.press(KeyCode::Char('r')).await;
    assert_eq!(app.path(), "/login");
    assert!(app.screen().contains("possibly stolen"), "{}", app.screen());
}

/// The step rows of the Flow tab as drawn, e.g. ` 7 PASS`.
fn step_row(number: u8, verdict: &str) -> String {
    format!("{number:>2} {verdict} ")
}

#[tokio::test]
async fn f_runs_the_scenario_in_the_flow_tab_skipping_what_a_30_minute_timeout_would_make_it_wait_for()
 {
    let stack = Stack::start(StackConfig::ephemeral()).await.unwrap();
    let mut app = Driver::start(&stack).await;
    let jar_before = app.runtime.state().jar().cookies.clone();
    let logged_before = app.runtime.state().network().entries.len();

    app.run_flow().await;
    let screen = app.screen();
    assert!(
        screen.contains("done: 21 passed, 0 failed, 3 skipped"),
        "{screen}"
    );
    assert!(!screen.contains("FAIL"), "{screen}");
    // Step 24 runs on a Store of its own whose ids rotate every second.
    for n in (1..=9).chain(13..=24) {
        assert!(screen.contains(&step_row(n, "PASS")), "step {n}:\n{screen}");
    }
    // Expiry needs 30 minutes idle: more than the TUI waits (10 s), so the runner skips
    // steps 10–12 and says why, instead of hanging the tab.
    for n in 10..=12 {
        assert!(screen.contains(&step_row(n, "SKIP")), "step {n}:\n{screen}");
    }
    let flow = app.runtime.state().flow();
    let relogin = flow.steps.iter().find(|s| s.number == 10).unwrap();
    let reason = relogin.verdict.reason().unwrap_or_default();
    assert!(
        reason.contains("longer than this run allows (10.0 s)"),
        "{reason}"
    );
    // Step 8 passes without its extension proof, which needs a wait as long.
    let read = flow.steps.iter().find(|s| s.number == 8).unwrap();
    assert!(
        read.observed
            .iter()
            .any(|o| o.starts_with("extension not checked")),
        "{:?}",
        read.observed
    );

    // Selecting step 10 shows the reason in the pane.
    app.press(KeyCode::Home).await;
    for _ in 0..9 {
        app.press(KeyCode::Char('j')).await;
    }
    let screen = app.screen();
    assert!(screen.contains("Step 10 · Relogin"), "{screen}");
    assert!(screen.contains("SKIP: it needs a wait of"), "{screen}");

    // The run had browsers of its own: the user's jar and network log are as they were.
    assert_eq!(app.runtime.state().jar().cookies, jar_before);
    assert_eq!(app.runtime.state().network().entries.len(), logged_before);
}

#[tokio::test]
async fn with_a_short_idle_timeout_the_tui_waits_for_expiry_and_every_step_passes() {
    let idle = Duration::from_secs(2);
    let config = StackConfig::ephemeral().with_policy(SessionPolicy {
        idle_timeout: idle,
        ..SessionPolicy::default()
    });
    let stack = Stack::start(config).await.unwrap();
    let mut app = Driver::start_with(options(&stack, idle)).await;

    // A second press while it runs only says so.
    app.runtime.dispatch(Msg::Key(KeyEvent::new(
        KeyCode::Char('f'),
        KeyModifiers::NONE,
    )));
    app.runtime.dispatch(Msg::Key(KeyEvent::new(
        KeyCode::Char('f'),
        KeyModifiers::NONE,
    )));
    let status = app.runtime.state().status().unwrap().text.clone();
    assert!(status.contains("already running"), "{status}");
    tokio::time::timeout(Duration::from_secs(120), app.runtime.settle())
        .await
        .expect("the run ends");

    let screen = app.screen();
    assert!(
        screen.contains("done: 24 passed, 0 failed, 0 skipped"),
        "{screen}"
    );
    for n in 1..=24 {
        assert!(screen.contains(&step_row(n, "PASS")), "step {n}:\n{screen}");
    }
}
