//! The runtime: runs the app's effects with two browsers (the victim and the attacker, each
//! with its own jar and User-Agent) and the article's scenario (`tui flow`'s runner, with
//! browsers of its own), feeds the answers back as messages, and drives the screen from
//! terminal events. The only place where the app meets I/O.

use crate::app::{Effect, FlowMsg, Msg, State, Who, update};
use crate::engine::{Browser, BrowserOptions, Exchange, JarFormat, Request, curl_command};
use crate::flow::{self, FlowOptions};
use crate::terminal::Screen;
use crate::ui;
use anyhow::Context as _;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt as _;
use ratatui::layout::Rect;
use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc;
use url::Url;

/// What the runtime needs to start.
#[derive(Clone, Debug)]
pub struct Options {
    /// The Store's base URL.
    pub store_url: Url,
    /// The Forums' base URL.
    pub forums_url: Url,
    /// The victim's jar file: loaded at start, saved on exit and with `w`.
    pub cookie_jar: Option<PathBuf>,
    /// Bound on each request.
    pub timeout: Duration,
    /// The apps' session idle timeout, when the runtime knows it (the embedded stack's);
    /// `None`: a run of the scenario reads it from the session cookie's `Max-Age`.
    pub idle_timeout: Option<Duration>,
    /// The embedded stack's identity server: a run of the scenario starts step 24's Store
    /// against it (ids rotating every second); `None` (running apps): step 24 is skipped.
    pub fusionauth_url: Option<Url>,
}

/// The longest wait a run of the scenario from the TUI makes: steps that need longer (expiry
/// against a 30-minute idle timeout) are skipped with the runner's reason, not waited for.
pub const FLOW_MAX_WAIT: Duration = Duration::from_secs(10);

/// The app, its browsers, and the messages in flight.
pub struct Runtime {
    state: State,
    victim: Browser,
    attacker: Browser,
    queues: HashMap<Who, mpsc::UnboundedSender<Request>>,
    messages: mpsc::UnboundedReceiver<Msg>,
    messages_tx: mpsc::UnboundedSender<Msg>,
    /// Loads and scenario runs whose answer has not come back yet.
    in_flight: usize,
    exchanges: HashMap<u64, Exchange>,
    cookie_jar: Option<PathBuf>,
    timeout: Duration,
    idle_timeout: Option<Duration>,
    fusionauth_url: Option<Url>,
    copied: Vec<String>,
    terminal_clipboard: bool,
    quit: bool,
}

impl Runtime {
    /// Two browsers and the app on the Store's home page (not loaded until [`Runtime::start`]).
    pub fn new(options: Options) -> anyhow::Result<Self> {
        let browsers = browsers(options.timeout)?;
        Self::with_browsers(options, browsers)
    }

    /// The app with browsers made by [`browsers`] (e.g. built while the stack starts).
    pub fn with_browsers(
        options: Options,
        (victim, attacker): (Browser, Browser),
    ) -> anyhow::Result<Self> {
        if let Some(path) = &options.cookie_jar
            && path.exists()
        {
            victim
                .load_jar(path, JarFormat::from_path(path))
                .with_context(|| format!("cannot load the cookie jar {}", path.display()))?;
        }
        let (messages_tx, messages) = mpsc::unbounded_channel();
        let mut queues = HashMap::new();
        for (who, browser) in [(Who::Victim, &victim), (Who::Attacker, &attacker)] {
            queues.insert(who, spawn_worker(who, browser.clone(), messages_tx.clone()));
        }
        Ok(Self {
            state: State::new(options.store_url, options.forums_url, &ui::GEOMETRY),
            victim,
            attacker,
            queues,
            messages,
            messages_tx,
            in_flight: 0,
            exchanges: HashMap::new(),
            cookie_jar: options.cookie_jar,
            timeout: options.timeout,
            idle_timeout: options.idle_timeout,
            fusionauth_url: options.fusionauth_url,
            copied: Vec::new(),
            terminal_clipboard: false,
            quit: false,
        })
    }

    /// The app's state (read-only: only `update` changes it).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// What was copied so far (OSC 52 goes to the terminal; tests read it here).
    pub fn copied(&self) -> &[String] {
        &self.copied
    }

    /// True once the app asked to quit.
    pub fn quitting(&self) -> bool {
        self.quit
    }

    /// Loads the first page and sends the jar as loaded from the file.
    pub fn start(&mut self) {
        let effects = self.state.start();
        self.apply_all(effects);
        self.send_jar(Who::Victim);
    }

    /// Feeds one message to the app and runs the effects it asks for.
    pub fn dispatch(&mut self, msg: Msg) {
        match &msg {
            Msg::Loaded { load, .. } => {
                self.in_flight = self.in_flight.saturating_sub(1);
                for exchange in &load.exchanges {
                    self.exchanges.insert(exchange.id, exchange.clone());
                }
            }
            Msg::Flow(FlowMsg::Done { .. } | FlowMsg::Failed(_)) => {
                self.in_flight = self.in_flight.saturating_sub(1);
            }
            _ => {}
        }
        let effects = update(&mut self.state, msg);
        self.apply_all(effects);
    }

    /// Processes answers until no load and no run of the scenario is in flight (tests and
    /// scripted runs).
    pub async fn settle(&mut self) {
        while self.in_flight > 0 || !self.messages.is_empty() {
            match self.messages.recv().await {
                Some(msg) => self.dispatch(msg),
                None => break,
            }
        }
    }

    /// Runs the screen until the user quits: terminal events, answers, and a clock tick only
    /// while a countdown is shown (otherwise the process sleeps).
    pub async fn run(mut self, screen: &mut Screen) -> anyhow::Result<()> {
        self.terminal_clipboard = true;
        let size = screen.terminal.size()?;
        self.dispatch(Msg::Resize(Rect::new(0, 0, size.width, size.height)));
        self.start();
        let mut events = EventStream::new();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        while !self.quit {
            screen
                .terminal
                .draw(|frame| ui::render(&self.state, frame))?;
            let area = {
                let size = screen.terminal.size()?;
                Rect::new(0, 0, size.width, size.height)
            };
            tokio::select! {
                event = events.next() => match event {
                    Some(Ok(event)) => {
                        if let Some(msg) = terminal_msg(event, area) {
                            self.dispatch(msg);
                        }
                    }
                    Some(Err(error)) => return Err(error.into()),
                    None => break,
                },
                Some(msg) = self.messages.recv() => self.dispatch(msg),
                _ = tick.tick(), if self.state.needs_tick() => {
                    self.dispatch(Msg::Tick(SystemTime::now()));
                }
            }
        }
        self.save_jar_on_exit()
    }

    /// Saves the jar to `--cookie-jar`, if given.
    pub fn save_jar_on_exit(&self) -> anyhow::Result<()> {
        if let Some(path) = &self.cookie_jar {
            self.victim
                .save_jar(path, JarFormat::from_path(path))
                .with_context(|| format!("cannot save the cookie jar {}", path.display()))?;
        }
        Ok(())
    }

    fn apply_all(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            self.apply(effect);
        }
    }

    fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::Load { who, request } => {
                if let Some(queue) = self.queues.get(&who)
                    && queue.send(request).is_ok()
                {
                    self.in_flight += 1;
                }
            }
            Effect::StealCookie(cookie) => {
                match self.attacker.insert_cookie(&cookie) {
                    Ok(()) => self.notify(Msg::Status(format!(
                        "the attacker now holds {}={}… for {}",
                        cookie.name,
                        cookie.value.chars().take(4).collect::<String>(),
                        cookie.domain
                    ))),
                    Err(error) => self.notify(Msg::Error(format!("steal failed: {error:#}"))),
                }
                self.send_jar(Who::Attacker);
            }
            Effect::DeleteCookie { domain, path, name } => {
                self.victim.delete_cookie(&domain, &path, &name);
                self.send_jar(Who::Victim);
            }
            Effect::SetCookieValue {
                domain,
                path,
                name,
                value,
            } => {
                self.victim.set_cookie_value(&domain, &path, &name, &value);
                self.send_jar(Who::Victim);
            }
            Effect::ExpireCookie { domain, path, name } => {
                self.victim.expire_cookie(&domain, &path, &name);
                self.send_jar(Who::Victim);
            }
            Effect::ClearSessionCookies => {
                let cleared = self.victim.clear_session_cookies();
                self.notify(Msg::Status(format!("cleared {cleared} session cookie(s)")));
                self.send_jar(Who::Victim);
            }
            Effect::SaveJar => {
                let path = self.jar_path();
                let msg = match self.victim.save_jar(&path, JarFormat::from_path(&path)) {
                    Ok(()) => Msg::Status(format!("saved the cookie jar to {}", path.display())),
                    Err(error) => Msg::Error(format!("cannot save the jar: {error:#}")),
                };
                self.notify(msg);
            }
            Effect::Copy(text) => self.copy(text),
            Effect::CurlFor(id) => match self.exchanges.get(&id).cloned() {
                Some(exchange) => {
                    // The command reads and writes a Netscape jar: write the current one there.
                    let jar = self.curl_jar_path();
                    if let Err(error) = self.victim.save_jar(&jar, JarFormat::Netscape) {
                        self.notify(Msg::Error(format!(
                            "cannot write {}: {error:#}",
                            jar.display()
                        )));
                    }
                    self.copy(curl_command(&exchange, &jar.display().to_string()));
                }
                None => self.notify(Msg::Error(format!("no exchange #{id}"))),
            },
            Effect::RunFlow => {
                let mut options =
                    FlowOptions::new(self.state.store_url.clone(), self.state.forums_url.clone());
                options.idle_timeout = self.idle_timeout;
                options.max_wait = Some(FLOW_MAX_WAIT);
                options.timeout = self.timeout;
                spawn_flow(
                    options,
                    self.fusionauth_url.clone(),
                    self.messages_tx.clone(),
                );
                self.in_flight += 1;
            }
            Effect::Quit => self.quit = true,
        }
    }

    /// Copies with OSC 52 (the terminal's clipboard, through tmux and ssh too).
    fn copy(&mut self, text: String) {
        if self.terminal_clipboard {
            use base64::Engine as _;
            let encoded = base64::engine::general_purpose::STANDARD.encode(&text);
            let mut out = std::io::stdout();
            let _ = write!(out, "\x1b]52;c;{encoded}\x07");
            let _ = out.flush();
        }
        let shown: String = text.chars().take(60).collect();
        let more = if text.chars().count() > 60 { "…" } else { "" };
        self.notify(Msg::Status(format!("copied: {shown}{more}")));
        self.copied.push(text);
    }

    fn notify(&self, msg: Msg) {
        let _ = self.messages_tx.send(msg);
    }

    fn send_jar(&self, who: Who) {
        let browser = match who {
            Who::Victim => &self.victim,
            Who::Attacker => &self.attacker,
        };
        let decisions = self
            .state
            .current_url()
            .map(|url| browser.decisions_for(url))
            .unwrap_or_default();
        self.notify(Msg::Jar {
            who,
            cookies: browser.cookies(),
            decisions,
        });
    }

    fn jar_path(&self) -> PathBuf {
        self.cookie_jar
            .clone()
            .unwrap_or_else(|| PathBuf::from("cookies.txt"))
    }

    fn curl_jar_path(&self) -> PathBuf {
        match &self.cookie_jar {
            Some(path) if JarFormat::from_path(path) == JarFormat::Netscape => path.clone(),
            _ => std::env::temp_dir().join("tui-cookies.txt"),
        }
    }
}

/// The victim's and the attacker's browsers, each with its own jar and User-Agent. Building an
/// HTTP client loads the system's CA bundle, so the two are built in parallel.
pub fn browsers(timeout: Duration) -> anyhow::Result<(Browser, Browser)> {
    std::thread::scope(|scope| {
        let attacker = scope.spawn(|| {
            Browser::new(BrowserOptions {
                user_agent: "curl/8.5.0 (the attacker's own client)".into(),
                timeout,
                ..BrowserOptions::default()
            })
        });
        let victim = Browser::new(BrowserOptions {
            timeout,
            ..BrowserOptions::default()
        })?;
        let attacker = attacker
            .join()
            .map_err(|_| anyhow::anyhow!("building the attacker's browser panicked"))??;
        Ok((victim, attacker))
    })
}

/// One browser's loads, in the order they were asked for (the app matches answers to requests
/// by order), each followed by its jar.
fn spawn_worker(
    who: Who,
    browser: Browser,
    messages: mpsc::UnboundedSender<Msg>,
) -> mpsc::UnboundedSender<Request> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Request>();
    tokio::spawn(async move {
        while let Some(request) = rx.recv().await {
            let load = browser.load(request).await;
            let decisions = browser.decisions_for(&load.final_url);
            let cookies = browser.cookies();
            if messages.send(Msg::Loaded { who, load }).is_err()
                || messages
                    .send(Msg::Jar {
                        who,
                        cookies,
                        decisions,
                    })
                    .is_err()
            {
                break;
            }
        }
    });
    tx
}

/// Runs the scenario as a task of its own, its events sent back as [`Msg::Flow`] and ending
/// with one `Done` or `Failed`, even if the run panics. The runner makes its own browsers, so
/// the victim's jar is never touched. With `fusionauth`, step 24 gets a Store of its own whose
/// ids rotate every second, started against it for the run (the user's Store keeps its own pace).
fn spawn_flow(
    mut options: FlowOptions,
    fusionauth: Option<Url>,
    messages: mpsc::UnboundedSender<Msg>,
) {
    let events = messages.clone();
    let run = tokio::spawn(async move {
        let rotating = match &fusionauth {
            Some(url) => {
                let (stack, rotation) = flow::command::start_rotation_stack(
                    url,
                    flow::command::EMBEDDED_ROTATION_INTERVAL,
                    flow::command::EMBEDDED_ROTATION_GRACE,
                )
                .await?;
                options.rotation = Some(rotation);
                Some(stack)
            }
            None => None,
        };
        let mut observer = |event: flow::Event<'_>| {
            let msg = match event {
                flow::Event::Step(step) => FlowMsg::Step(step.clone()),
                flow::Event::Waiting {
                    why,
                    remaining,
                    total,
                } => FlowMsg::Waiting {
                    why: why.to_owned(),
                    remaining,
                    total,
                },
            };
            let _ = events.send(Msg::Flow(msg));
        };
        let report = flow::run(&options, &mut observer).await;
        if let Some(stack) = rotating {
            stack.stop().await?;
        }
        report
    });
    tokio::spawn(async move {
        let end = match run.await {
            Ok(Ok(report)) => {
                let (passed, failed, skipped) = report.counts();
                FlowMsg::Done {
                    passed,
                    failed,
                    skipped,
                    elapsed: Duration::from_secs_f64(report.total_ms / 1000.0),
                }
            }
            Ok(Err(error)) => FlowMsg::Failed(format!("{error:#}")),
            Err(_) => FlowMsg::Failed("the run stopped with a panic".to_owned()),
        };
        let _ = messages.send(Msg::Flow(end));
    });
}

/// The app's message for a terminal event, if it has one.
fn terminal_msg(event: Event, area: Rect) -> Option<Msg> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
        Event::Mouse(event) => Some(Msg::Mouse { event, area }),
        Event::Resize(width, height) => Some(Msg::Resize(Rect::new(0, 0, width, height))),
        Event::Paste(text) => Some(Msg::Paste(text)),
        _ => None,
    }
}
