//! The scenario, step by step: two engine browsers (the user's and the hacker's, each with its
//! own jar) walk docs/flow.md against the Store and the Forums, and every step is checked against
//! what the article says happens, with the reason on a FAIL naming the broken property.

use super::observe::{Masking, link_to, record};
use super::report::{Actor, ExchangeRecord, Report, StepReport};
use super::steps::{SiteFilter, Step, plan};
use crate::engine::{
    Browser, BrowserOptions, CookieView, DEFAULT_TIMEOUT, Exchange, NotSent, Page, PageLoad,
    Request, human_duration,
};
use shared::paths::{common, form};
use shared::site::Site;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use url::Url;

mod checks;
mod defences;
mod expiry;
mod forums;
mod rotation;
mod stolen_session;
mod store_login;

use checks::{Checks, login_form_checks};

/// The demo user's login id: the one the embedded stack creates.
pub const DEMO_USER: &str = "alice@example.com";

/// The demo user's password.
pub const DEMO_PASSWORD: &str = "password";

/// What to run, against what.
#[derive(Clone, Debug)]
pub struct FlowOptions {
    /// The Store's base URL.
    pub store_url: Url,
    /// The Forums' base URL.
    pub forums_url: Url,
    /// The login id (email or username).
    pub user: String,
    /// The password: sent in the login forms, never printed.
    pub password: String,
    /// Which apps' steps.
    pub site: SiteFilter,
    /// Only these steps (and what they need); all when `None`.
    pub steps: Option<BTreeSet<u8>>,
    /// The apps' idle timeout; `None`: read it from the session cookie's `Max-Age`.
    pub idle_timeout: Option<Duration>,
    /// Steps that would wait longer than this are skipped (the interactive TUI's bound).
    pub max_wait: Option<Duration>,
    /// Where and how session ids rotate, for step 24; `None`: not known, step 24 is skipped.
    pub rotation: Option<Rotation>,
    /// Print cookie values and tokens as they are.
    pub show_secrets: bool,
    /// Bound on each request.
    pub timeout: Duration,
}

impl FlowOptions {
    /// The whole scenario as the demo user ([`DEMO_USER`] / [`DEMO_PASSWORD`]).
    pub fn new(store_url: Url, forums_url: Url) -> Self {
        Self {
            store_url,
            forums_url,
            user: DEMO_USER.to_owned(),
            password: DEMO_PASSWORD.to_owned(),
            site: SiteFilter::Both,
            steps: None,
            idle_timeout: None,
            max_wait: None,
            rotation: None,
            show_secrets: false,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// A Store whose session ids rotate, and how: what step 24 needs to see a theft detected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    /// The Store's base URL: [`FlowOptions::store_url`] for running apps; the embedded run
    /// starts a Store of its own with a short rotation, so ids changing under steps 1–23 do not
    /// disturb their checks.
    pub store_url: Url,
    /// How often a session's id is replaced (zero: never).
    pub interval: Duration,
    /// How long a replaced id still works, read-only, before its use ends the session.
    pub grace: Duration,
}

/// What a run tells as it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// A step is done.
    Step(&'a StepReport),
    /// Waiting for a session to age or expire (sent a few times a second).
    Waiting {
        /// What for.
        why: &'a str,
        /// Time left.
        remaining: Duration,
        /// The whole wait.
        total: Duration,
    },
}

/// Runs the scenario. `Err` only when it cannot start: a site does not answer at all.
pub async fn run(
    options: &FlowOptions,
    observer: &mut (dyn FnMut(Event<'_>) + Send + Sync),
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let mut scenario = Scenario::new(options, observer)?;
    scenario.reachable().await?;
    scenario.store_login().await;
    scenario.session_load().await;
    scenario.relogin().await;
    scenario.forums().await;
    scenario.stolen_session().await;
    scenario.defences().await;
    scenario.theft_after_rotation().await;
    Ok(scenario.report(started.elapsed()))
}

/// A site's state as the user's browser sees it.
#[derive(Default)]
struct SiteSession {
    /// The session cookie set at the latest login.
    cookie: Option<CookieView>,
    /// The latest page loaded there.
    page: Option<Page>,
}

/// The scenario as it runs: the two browsers, the plan, and what the steps so far found.
struct Scenario<'a> {
    options: &'a FlowOptions,
    observer: &'a mut (dyn FnMut(Event<'_>) + Send + Sync),
    masking: Masking,
    victim: Browser,
    hacker: Browser,
    plan: Vec<(&'static Step, bool)>,
    steps: Vec<StepReport>,
    waited: Duration,
    idle: Option<Duration>,
    store: SiteSession,
    forums: SiteSession,
    /// The Store login's navigation (its redirect hop is step 8's request).
    store_login: Option<PageLoad>,
    /// When the user's browser last sent a request to the Store (the session's last touch).
    store_seen: Instant,
    /// The exchanges the hacker's client sent (steps mix both clients' requests).
    hacker_exchanges: BTreeSet<u64>,
}

impl<'a> Scenario<'a> {
    fn new(
        options: &'a FlowOptions,
        observer: &'a mut (dyn FnMut(Event<'_>) + Send + Sync),
    ) -> anyhow::Result<Self> {
        let browser = |user_agent: String| {
            Browser::new(BrowserOptions {
                user_agent,
                timeout: options.timeout,
                ..BrowserOptions::default()
            })
        };
        Ok(Self {
            options,
            observer,
            masking: Masking {
                show_secrets: options.show_secrets,
            },
            victim: browser(BrowserOptions::default().user_agent)?,
            hacker: browser("curl/8.5.0 (the hacker, tui flow)".to_owned())?,
            plan: plan(options.site, options.steps.as_ref()),
            steps: Vec::new(),
            waited: Duration::ZERO,
            idle: options.idle_timeout,
            store: SiteSession::default(),
            forums: SiteSession::default(),
            store_login: None,
            store_seen: Instant::now(),
            hacker_exchanges: BTreeSet::new(),
        })
    }

    fn taken(&self, number: u8) -> bool {
        self.plan.iter().any(|(step, _)| step.number == number)
    }

    fn any_taken(&self, numbers: std::ops::RangeInclusive<u8>) -> bool {
        numbers.into_iter().any(|n| self.taken(n))
    }

    fn url(&self, site: Site, path: &str) -> Url {
        let base = match site {
            Site::Store => &self.options.store_url,
            Site::Forums => &self.options.forums_url,
        };
        base.join(path).unwrap_or_else(|_| base.clone())
    }

    /// A clear error before any step when a site that a step needs does not answer.
    async fn reachable(&self) -> anyhow::Result<()> {
        let mut sites: Vec<Site> = self.plan.iter().map(|(step, _)| step.site).collect();
        sites.dedup();
        let probe = Browser::new(BrowserOptions {
            timeout: self.options.timeout,
            ..BrowserOptions::default()
        })?;
        for site in [Site::Store, Site::Forums] {
            if !sites.contains(&site) {
                continue;
            }
            let url = self.url(site, common::HOME);
            let load = probe.load(Request::get(url.clone())).await;
            if let Some(error) = load.exchanges.first().and_then(|e| e.error.clone()) {
                anyhow::bail!("cannot reach the {site:?} at {url}: {error}");
            }
        }
        Ok(())
    }

    /// Navigates `actor`'s browser.
    async fn load(&mut self, actor: Actor, request: Request) -> PageLoad {
        let to_store = request.url.origin() == self.options.store_url.origin();
        let load = match actor {
            Actor::Browser => self.victim.load(request).await,
            Actor::Hacker => self.hacker.load(request).await,
        };
        match actor {
            Actor::Browser if to_store => self.store_seen = Instant::now(),
            Actor::Browser => {}
            Actor::Hacker => self
                .hacker_exchanges
                .extend(load.exchanges.iter().map(|e| e.id)),
        }
        load
    }

    /// Records a step (if the plan takes it) and tells the observer.
    fn finish<'e>(
        &mut self,
        number: u8,
        exchanges: impl IntoIterator<Item = &'e Exchange>,
        checks: Checks,
    ) {
        let (observed, verdict) = (checks.observed.clone(), checks.verdict());
        let Some(&(step, asked)) = self.plan.iter().find(|(s, _)| s.number == number) else {
            return;
        };
        let records = exchanges
            .into_iter()
            .map(|exchange| self.record(exchange))
            .collect();
        let report = step.report(!asked, records, observed, verdict);
        (self.observer)(Event::Step(&report));
        self.steps.push(report);
    }

    fn skip(&mut self, numbers: &[u8], reason: &str) {
        for &number in numbers {
            let checks = Checks {
                unobservable: Some(reason.to_owned()),
                ..Checks::default()
            };
            self.finish(number, [], checks);
        }
    }

    fn record(&self, exchange: &Exchange) -> ExchangeRecord {
        let actor = if self.hacker_exchanges.contains(&exchange.id) {
            Actor::Hacker
        } else {
            Actor::Browser
        };
        // Step 24's Store may be one of its own: still the Store.
        let store = self
            .options
            .rotation
            .as_ref()
            .map(|rotation| &rotation.store_url)
            .filter(|store| store.origin() == exchange.url.origin())
            .unwrap_or(&self.options.store_url);
        record(exchange, actor, store, self.masking)
    }

    /// Waits, telling the observer how long is left.
    async fn wait(&mut self, duration: Duration, why: &str) {
        let start = Instant::now();
        let end = start + duration;
        loop {
            let now = Instant::now();
            if now >= end {
                break;
            }
            let remaining = end - now;
            (self.observer)(Event::Waiting {
                why,
                remaining,
                total: duration,
            });
            tokio::time::sleep(remaining.min(Duration::from_millis(200))).await;
        }
        self.waited += start.elapsed();
    }

    /// Why a wait of `duration` for an expiry cannot happen in this run, if it cannot.
    fn too_long(&self, duration: Duration) -> Option<String> {
        let cause = format!(
            "the idle timeout is {}",
            human_duration(self.idle.unwrap_or_default())
        );
        self.beyond_max_wait(duration, &cause, "--idle-timeout")
    }

    /// Why a wait of `duration` (made that long by `cause`; `flag` shortens it) cannot happen
    /// in this run, if it cannot.
    fn beyond_max_wait(&self, duration: Duration, cause: &str, flag: &str) -> Option<String> {
        let max = self.options.max_wait?;
        (duration > max).then(|| {
            format!(
                "it needs a wait of {} ({cause}), longer than this run allows ({}): run `tui \
                 flow`, or start the stack with a short {flag}",
                human_duration(duration),
                human_duration(max)
            )
        })
    }

    /// The cookies the user's browser would send to `url` now.
    fn cookies_for(&self, url: &Url) -> Vec<(String, String)> {
        self.victim
            .decisions_for(url)
            .into_iter()
            .filter(|decision| decision.not_sent.is_none())
            .map(|decision| (decision.cookie.name, decision.cookie.value))
            .collect()
    }

    /// The user's cookie `name` that the jar has for `url`'s host (host-only or through a
    /// `Domain`), expired or not.
    fn jar_cookie(&self, url: &Url, name: &str) -> Option<CookieView> {
        self.victim
            .decisions_for(url)
            .into_iter()
            .find(|d| d.cookie.name == name && d.not_sent != Some(NotSent::Host))
            .map(|d| d.cookie)
    }

    /// Fills the login form on `page` and submits it.
    async fn submit_login(&mut self, page: Option<&Page>, at: &Url) -> Result<PageLoad, String> {
        let form = page
            .and_then(|page| page.form_with_field(form::LOGIN_ID))
            .ok_or_else(|| format!("{at} shows no login form (no {} field)", form::LOGIN_ID))?;
        let mut form = form.clone();
        form.set(form::LOGIN_ID, self.options.user.clone());
        form.set(form::PASSWORD, self.options.password.clone());
        Ok(self.load(Actor::Browser, form.submission()).await)
    }

    /// A site's home page (steps 1 and 13): 200, with a link to the login page.
    async fn open_home(&mut self, site: Site) -> (PageLoad, Checks) {
        let url = self.url(site, common::HOME);
        let load = self.load(Actor::Browser, Request::get(url)).await;
        let mut checks = Checks::default();
        checks.status(load.exchanges.last(), 200);
        match load
            .page
            .as_ref()
            .and_then(|page| link_to(page, common::LOGIN))
        {
            Some(text) => checks.saw(format!("a link to the login page: \"{text}\" → /login")),
            None => {
                checks.expect(false, || "the page has no link to /login".to_owned());
            }
        }
        (load, checks)
    }

    /// A site's login page (steps 2 and 14): 200, with a login id and a password field.
    async fn open_login_form(&mut self, site: Site) -> (Url, PageLoad, Checks) {
        let url = self.url(site, common::LOGIN);
        let load = self.load(Actor::Browser, Request::get(url.clone())).await;
        let mut checks = Checks::default();
        checks.status(load.exchanges.last(), 200);
        login_form_checks(&mut checks, load.page.as_ref());
        (url, load, checks)
    }

    /// The report, with the run's times.
    fn report(self, total: Duration) -> Report {
        let mut seen = BTreeSet::new();
        let fusionauth_ms: f64 = self
            .steps
            .iter()
            .flat_map(|step| &step.exchanges)
            .filter(|exchange| seen.insert(exchange.id))
            .flat_map(|exchange| &exchange.fusionauth)
            .filter_map(|hop| hop.duration_ms)
            .sum();
        let passed = self.steps.iter().all(|step| step.verdict.is_ok());
        Report {
            store_url: self.options.store_url.to_string(),
            forums_url: self.options.forums_url.to_string(),
            user: self.options.user.clone(),
            idle_timeout_s: self.idle.map(|idle| idle.as_secs_f64()),
            steps: self.steps,
            total_ms: total.as_secs_f64() * 1000.0,
            waited_ms: self.waited.as_secs_f64() * 1000.0,
            fusionauth_ms,
            passed,
        }
    }
}
