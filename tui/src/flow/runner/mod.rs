//! The scenario, step by step: two engine browsers (the user's and the hacker's, each with its
//! own jar) walk FLOW.md against the Store and the Forums, and every step is checked against
//! what the article says happens, with the reason on a FAIL naming the broken property.

use super::observe::{
    Masking, ParsedSetCookie, first_table, fusionauth_hops, header, is_redirect, link_to,
    location_path, logout_form_index, parse_set_cookie, record, set_by_first_hop, signed_in_as,
};
use super::report::{Actor, ExchangeRecord, Report, StepReport, Verdict};
use super::steps::{SiteFilter, Step, plan};
use crate::engine::{
    Browser, BrowserOptions, CookieView, Exchange, Expiry, FieldKind, NotSent, Page, PageLoad,
    Request, human_duration,
};
use shared::paths::{common, element, form, forums, store};
use shared::site::Site;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use url::Url;

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
    /// The whole scenario as the demo user (`alice@example.com` / `password`).
    pub fn new(store_url: Url, forums_url: Url) -> Self {
        Self {
            store_url,
            forums_url,
            user: "alice@example.com".to_owned(),
            password: "password".to_owned(),
            site: SiteFilter::Both,
            steps: None,
            idle_timeout: None,
            max_wait: None,
            rotation: None,
            show_secrets: false,
            timeout: Duration::from_secs(10),
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
    let mut run = Run::new(options, observer)?;
    run.reachable().await?;
    run.store_login().await;
    run.session_load().await;
    run.relogin().await;
    run.forums().await;
    run.stolen_session().await;
    run.defences().await;
    run.theft_after_rotation().await;
    Ok(run.report(started.elapsed()))
}

/// A site's state as the user's browser sees it.
#[derive(Default)]
struct SiteSession {
    /// The session cookie set at the latest login.
    cookie: Option<CookieView>,
    /// The latest page loaded there.
    page: Option<Page>,
}

/// The evidence and failures of one step.
#[derive(Default)]
struct Checks {
    observed: Vec<String>,
    failures: Vec<String>,
    /// Set when what the step is about cannot be seen from the browser.
    unobservable: Option<String>,
}

impl Checks {
    fn saw(&mut self, fact: impl Into<String>) {
        self.observed.push(fact.into());
    }

    /// Records `failure` unless `ok`; returns `ok`.
    fn expect(&mut self, ok: bool, failure: impl FnOnce() -> String) -> bool {
        if !ok {
            self.failures.push(failure());
        }
        ok
    }

    /// The response came and has this status.
    fn status(&mut self, exchange: Option<&Exchange>, expected: u16) -> bool {
        match exchange {
            None => self.expect(false, || "no request was made".to_owned()),
            Some(exchange) => match (exchange.status, &exchange.error) {
                (_, Some(error)) => self.expect(false, || format!("no response: {error}")),
                (Some(status), None) => self.expect(status == expected, || {
                    format!("{} answered {status}, not {expected}", exchange.url.path())
                }),
                (None, None) => self.expect(false, || "no response".to_owned()),
            },
        }
    }

    /// Both steps' evidence, for a step that covers what the article splits in two.
    fn and(mut self, other: Checks) -> Checks {
        self.observed.extend(other.observed);
        self.failures.extend(other.failures);
        self.unobservable = self.unobservable.or(other.unobservable);
        self
    }

    fn verdict(&self) -> Verdict {
        match (self.failures.is_empty(), &self.unobservable) {
            (false, _) => Verdict::Fail(self.failures.join("; ")),
            (true, Some(why)) => Verdict::Skip(why.clone()),
            (true, None) => Verdict::Pass,
        }
    }
}

struct Run<'a> {
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

impl<'a> Run<'a> {
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

    /// Steps 1–7.
    async fn store_login(&mut self) {
        if self.taken(1) {
            let (load, checks) = self.open_home(Site::Store).await;
            self.finish(1, &load.exchanges, checks);
        }
        if !self.taken(2) {
            return;
        }
        let (login_url, form_load, checks) = self.open_login_form(Site::Store).await;
        self.finish(2, &form_load.exchanges, checks);
        if !self.taken(3) {
            return;
        }
        let before = self.cookies_for(&login_url);
        let login = match self.submit_login(form_load.page.as_ref(), &login_url).await {
            Ok(login) => login,
            Err(reason) => {
                let reason = format!("cannot log in: {reason}");
                return self.skip(&[3, 4, 5, 6, 7], &reason);
            }
        };
        let (checks, cookie) = self.login_checks(&login, &before, store::CART);
        let post: Vec<&Exchange> = login.exchanges.first().into_iter().collect();
        for (number, checks) in (3..=7).zip(checks) {
            self.finish(number, post.iter().copied(), checks);
        }
        self.store.cookie = cookie;
        self.store.page = login.page.clone();
        self.store_login = Some(login);
    }

    /// The checks of a login submission, as the article splits them: the request, the call to
    /// FusionAuth, its answer, the session created, and the redirect with the cookie. Returns
    /// the session cookie set.
    fn login_checks(
        &mut self,
        login: &PageLoad,
        before: &[(String, String)],
        landing: &str,
    ) -> ([Checks; 5], Option<CookieView>) {
        let post = login.exchanges.first();
        let mut request = Checks::default();
        match post {
            Some(post) if post.error.is_none() => request.saw(format!(
                "{} {} sent {} form fields, the password among them",
                post.method.as_str(),
                post.url.path(),
                form_fields(post)
            )),
            Some(post) => {
                request.expect(false, || {
                    format!("no response: {}", post.error.clone().unwrap_or_default())
                });
            }
            None => {
                request.expect(false, || "no request was made".to_owned());
            }
        }
        let (call, answer) = fusionauth_login_checks(post);
        let (mut response, session) = match post {
            Some(post) => session_cookie_checks(post, before, landing, self.masking),
            None => (Checks::default(), None),
        };
        let mut server = Checks::default();
        server.expect(session.is_some(), || {
            "no session was created: the login set no session cookie".to_owned()
        });
        match login.page.as_ref().and_then(signed_in_as) {
            Some(who) => server.saw(format!("the next page says: Signed in as {who}")),
            None => {
                server.expect(false, || {
                    "the page after the login shows no signed-in user".to_owned()
                });
            }
        }
        if let Some(session) = &session
            && self.options.idle_timeout.is_none()
            && let Some(age) = session.record.max_age.filter(|age| *age > 0)
        {
            self.idle = Some(Duration::from_secs(age.unsigned_abs()));
            response.saw(format!("idle timeout: {age} s (the cookie's Max-Age)"));
        }
        let cookie = session.and_then(|session| {
            let url = post?.url.clone();
            let mut jar = self.jar_cookie(&url, &session.record.name)?;
            jar.value = session.value;
            Some(jar)
        });
        ([request, call, answer, server, response], cookie)
    }

    /// Steps 8–9: the redirect hop after the login, then reads that prove the expiry moves.
    async fn session_load(&mut self) {
        if !self.any_taken(8..=9) {
            return;
        }
        let Some(login) = self.store_login.take() else {
            return self.skip(&[8, 9], "there was no Store login (step 3)");
        };
        let hop = login.exchanges.get(1);
        let cookie = self.store.cookie.clone();
        let mut read = Checks::default();
        read.expect(hop.is_some(), || {
            "the login did not redirect, so there was no GET /shopping-cart".to_owned()
        });
        if let Some(hop) = hop {
            sent_session_checks(&mut read, hop, cookie.as_ref(), self.masking);
            read.status(Some(hop), 200);
        }
        let mut loads = Vec::new();
        if self.taken(8) && hop.is_some() {
            self.extension(&mut read, &mut loads).await;
        }
        let mut exchanges: Vec<&Exchange> = hop.into_iter().collect();
        exchanges.extend(loads.iter().flat_map(|load: &PageLoad| &load.exchanges));
        self.finish(8, exchanges.iter().copied(), read);

        let mut shown = Checks::default();
        if let Some(hop) = hop {
            let hops = fusionauth_hops(hop);
            shown.expect(hops.is_empty(), || {
                format!(
                    "Store called FusionAuth ({}) to load the page: the User should come from \
                     the session",
                    hops[0].description
                )
            });
            shown.saw("no call to FusionAuth: the User came from the session");
            page_user_checks(&mut shown, login.page.as_ref());
            match login.page.as_ref().and_then(first_table) {
                Some((rows, footer)) => shown.saw(format!("the cart: {rows} lines; {footer}")),
                None => {
                    shown.expect(false, || "the page shows no cart table".to_owned());
                }
            }
        } else {
            shown.expect(false, || "there was no cart page".to_owned());
        }
        // The extension reads came after step 9's page: listed there too, a diagram draws them
        // after it.
        self.finish(9, exchanges.iter().copied(), shown);
        if let Some(page) = loads.last().and_then(|load| load.page.clone()) {
            self.store.page = Some(page);
        }
    }

    /// Step 8's proof that reads extend the session: a read at 60% of the idle timeout, and
    /// another at 120%, which finds the session only if the first one extended it.
    async fn extension(&mut self, read: &mut Checks, loads: &mut Vec<PageLoad>) {
        let Some(idle) = self.idle else {
            read.saw(
                "extension not checked: the idle timeout is unknown (the cookie has no \
                      Max-Age; pass --idle-timeout)",
            );
            return;
        };
        let step = idle * 6 / 10;
        if let Some(why) = self.too_long(step * 2) {
            read.saw(format!("extension not checked: {why}"));
            return;
        }
        let cart = self.url(Site::Store, store::CART);
        for (i, why) in [
            "so the next read has an expiry to extend",
            "past the idle timeout of the login",
        ]
        .into_iter()
        .enumerate()
        {
            self.wait(step, why).await;
            let load = self.load(Actor::Browser, Request::get(cart.clone())).await;
            let first = load.exchanges.first();
            let ok = first.is_some_and(|e| e.status == Some(200));
            if i == 0 {
                let extended = set_by_first_hop(&load.exchanges, self.masking).next();
                match extended {
                    Some(c) => read.saw(format!(
                        "after {}: 200, and a fresh expiry: Set-Cookie {}",
                        human_duration(step),
                        c.record.raw
                    )),
                    None => read.saw(format!("after {}: 200", human_duration(step))),
                }
                read.expect(ok, || {
                    format!("the session ended {} after the login", human_duration(step))
                });
            } else if read.expect(ok, || {
                format!(
                    "reads do not extend the session: it ended {} after the login although it \
                     was read after {}",
                    human_duration(step * 2),
                    human_duration(step)
                )
            }) {
                read.saw(format!(
                    "still signed in {} after the login, past its idle timeout of {}: the \
                     read extended the session",
                    human_duration(step * 2),
                    human_duration(idle)
                ));
            }
            loads.push(load);
        }
    }

    /// Steps 10–12.
    async fn relogin(&mut self) {
        if !self.any_taken(10..=12) {
            return;
        }
        let Some(cookie) = self.store.cookie.clone() else {
            return self.skip(&[10, 11, 12], "there is no Store session (step 7)");
        };
        let Some(idle) = self.idle else {
            return self.skip(
                &[10, 11, 12],
                "the idle timeout is unknown (the session cookie has no Max-Age): pass \
                 --idle-timeout",
            );
        };
        let deadline = self.store_seen + idle + idle / 10 + Duration::from_millis(250);
        let wait = deadline.saturating_duration_since(Instant::now());
        if let Some(why) = self.too_long(wait) {
            return self.skip(&[10, 11, 12], &why);
        }
        self.wait(wait, "for the Store session to expire server-side")
            .await;
        let cart = self.url(Site::Store, store::CART);
        let mut sent = Checks::default();
        let still_held = self
            .cookies_for(&cart)
            .iter()
            .any(|(name, value)| *name == cookie.name && *value == cookie.value);
        if !still_held {
            // The cookie's Max-Age is the idle timeout, so the jar let it go too; the article's
            // browser still holds it (as one does when the server ends a session first).
            let kept = CookieView {
                expires: Expiry::Session,
                ..cookie.clone()
            };
            if self.victim.insert_cookie(&kept).is_ok() {
                sent.saw(
                    "the jar had expired the cookie too (its Max-Age is the idle timeout): \
                     put back, as the article's browser still holds it",
                );
            }
        }
        let stale = self.load(Actor::Browser, Request::get(cart)).await;
        let first = stale.exchanges.first();
        if let Some(first) = first {
            sent_session_checks(&mut sent, first, Some(&cookie), self.masking);
        }
        sent.saw(format!(
            "waited {} since the last request",
            human_duration(wait)
        ));
        self.finish(10, first, sent);

        let mut refused = Checks::default();
        match first {
            Some(first) if is_redirect(first) => {
                let to = location_path(first).unwrap_or_default();
                refused.expect(to == common::LOGIN, || {
                    format!("redirected to {to}, not to the login page")
                });
                refused.saw(format!(
                    "{} Location: {}",
                    first.status.unwrap_or_default(),
                    first.location.as_deref().unwrap_or_default()
                ));
                removal_seen(&mut refused, first, &cookie.name, self.masking);
            }
            Some(first) if first.status == Some(200) => {
                refused.expect(false, || {
                    format!(
                        "the session did not expire: after {} idle, Store still answered 200 \
                         to the old cookie",
                        human_duration(wait)
                    )
                });
            }
            _ => {
                refused.status(first, 303);
            }
        }
        self.finish(11, first, refused);
        if !self.taken(12) {
            return;
        }
        let at = stale.final_url.clone();
        // What the browser holds now: the anonymous session of the login page it was sent to.
        let before = self.cookies_for(&at);
        let login = match self.submit_login(stale.page.as_ref(), &at).await {
            Ok(login) => login,
            Err(reason) => return self.skip(&[12], &format!("cannot log in again: {reason}")),
        };
        let (checks, new_cookie) = self.login_checks(&login, &before, store::CART);
        let checks = checks.into_iter().fold(Checks::default(), Checks::and);
        let mut exchanges: Vec<&Exchange> = stale.exchanges.iter().skip(1).collect();
        exchanges.extend(&login.exchanges);
        self.finish(12, exchanges, checks);
        if new_cookie.is_some() {
            self.store.cookie = new_cookie;
        }
        self.store.page = login.page;
    }

    /// Steps 13–17.
    async fn forums(&mut self) {
        if self.taken(13) {
            let (home, mut checks) = self.open_home(Site::Forums).await;
            if let Some(first) = home.exchanges.first() {
                self.no_store_cookie_checks(&mut checks, first);
            }
            if let Some(who) = home.page.as_ref().and_then(signed_in_as) {
                checks.expect(false, || {
                    format!(
                        "Forums shows {who} signed in before its own login: single sign-on, \
                         which this workflow does not have"
                    )
                });
            }
            self.finish(13, &home.exchanges, checks);
        }
        if !self.taken(14) {
            return;
        }
        let (login_url, form_load, form_checks) = self.open_login_form(Site::Forums).await;
        let before = self.cookies_for(&login_url);
        let login = match self.submit_login(form_load.page.as_ref(), &login_url).await {
            Ok(login) => login,
            Err(reason) => {
                let reason = format!("cannot log in to the Forums: {reason}");
                return self.skip(&[14, 15, 16, 17], &reason);
            }
        };
        let ([request, call, answer, server, response], cookie) =
            self.login_checks(&login, &before, forums::POSTS);
        let post = login.exchanges.first();
        let mut exchanges: Vec<&Exchange> = form_load.exchanges.iter().collect();
        exchanges.extend(post);
        self.finish(14, exchanges, form_checks.and(request).and(call));
        self.finish(15, post, answer.and(server));
        self.finish(16, post, response);
        self.forums.cookie = cookie.clone();

        let hop = login.exchanges.get(1);
        let mut posts = Checks::default();
        match hop {
            Some(hop) => {
                sent_session_checks(&mut posts, hop, cookie.as_ref(), self.masking);
                self.no_store_cookie_checks(&mut posts, hop);
                posts.status(Some(hop), 200);
                let hops = fusionauth_hops(hop);
                posts.expect(hops.is_empty(), || {
                    "Forums called FusionAuth to load the page: the User should come from the \
                     session"
                        .to_owned()
                });
                page_user_checks(&mut posts, login.page.as_ref());
                let listed = login.page.as_ref().map_or(0, count_posts);
                posts.saw(format!("{listed} posts listed"));
            }
            None => {
                posts.expect(false, || {
                    "the login did not redirect, so there was no GET /posts".to_owned()
                });
            }
        }
        self.finish(17, hop, posts);
        self.forums.page = login.page;
    }

    /// Store's session cookie must not reach the Forums.
    fn no_store_cookie_checks(&self, checks: &mut Checks, exchange: &Exchange) {
        let store_cookie = self.store.cookie.as_ref();
        let leaked: Vec<&(String, String)> = exchange
            .cookies_sent
            .iter()
            .filter(|(name, value)| {
                [store::SESSION_COOKIE, store::SECURE_SESSION_COOKIE].contains(&name.as_str())
                    || store_cookie.is_some_and(|c| c.name == *name && c.value == *value)
            })
            .collect();
        match (leaked.first(), store_cookie) {
            (Some((name, _)), cookie) => {
                let scope = cookie
                    .filter(|c| !c.host_only)
                    .map(|c| format!(" (its Domain={} covers every host under it)", c.domain))
                    .unwrap_or_default();
                checks.expect(false, || {
                    format!(
                        "Store's session cookie {name} was sent to {}: it is not host-only{scope}",
                        exchange.url.host_str().unwrap_or_default()
                    )
                });
            }
            (None, Some(cookie)) => checks.saw(format!(
                "{} not sent: host-only for {}",
                cookie.name, cookie.domain
            )),
            (None, None) => checks.saw("no Store cookie in the jar (no Store login in this run)"),
        }
    }

    /// Steps 18–20 (and, from there, the logout).
    async fn stolen_session(&mut self) {
        if !self.any_taken(18..=20) {
            return;
        }
        let cart = self.url(Site::Store, store::CART);
        let stolen = self
            .store
            .cookie
            .as_ref()
            .and_then(|cookie| self.jar_cookie(&cart, &cookie.name))
            .or_else(|| self.store.cookie.clone());
        let Some(stolen) = stolen else {
            return self.skip(&[18, 19, 20], "there is no Store session to steal (step 7)");
        };
        let victim_user = self.store.page.as_ref().and_then(signed_in_as);
        let stolen_ok = self.hacker.insert_cookie(&stolen).is_ok();
        let replay = self.load(Actor::Hacker, Request::get(cart.clone())).await;
        let mut checks = Checks::default();
        checks.expect(stolen_ok, || {
            "the stolen cookie could not be planted".to_owned()
        });
        checks.saw(format!(
            "the hacker's own client (its own jar, User-Agent \"{}\") sends the stolen {}",
            self.hacker.options().user_agent,
            stolen.name
        ));
        let first = replay.exchanges.first();
        if let Some(first) = first {
            sent_session_checks(&mut checks, first, Some(&stolen), self.masking);
        }
        checks.status(first, 200);
        let hacker_sees = replay.page.as_ref().and_then(signed_in_as);
        checks.expect(hacker_sees.is_some() && hacker_sees == victim_user, || {
            format!(
                "the replay did not get the user's page (it shows {})",
                hacker_sees.as_deref().unwrap_or("no signed-in user")
            )
        });
        if let Some(who) = &hacker_sees {
            checks.saw(format!(
                "Store cannot tell the difference: it serves {who}'s cart to the hacker"
            ));
        }
        if let Some(c) =
            set_by_first_hop(&replay.exchanges, self.masking).find(|c| c.record.name == stolen.name)
        {
            checks.saw(format!(
                "and extends the session: Set-Cookie {}",
                c.record.raw
            ));
        }
        self.finish(18, &replay.exchanges, checks);
        self.logout(&stolen).await;
    }

    /// Steps 19–20: the user logs out, and the stolen id stops working.
    async fn logout(&mut self, stolen: &CookieView) {
        let cart = self.url(Site::Store, store::CART);
        let mut exchanges = Vec::new();
        let page = match self
            .store
            .page
            .clone()
            .filter(|p| logout_form_index(p).is_some())
        {
            Some(page) => Some(page),
            None => {
                let load = self.load(Actor::Browser, Request::get(cart.clone())).await;
                exchanges.extend(load.exchanges);
                load.page
            }
        };
        let mut checks = Checks::default();
        let form = page
            .as_ref()
            .and_then(|p| logout_form_index(p).map(|i| p.forms[i].clone()));
        let Some(form) = form else {
            checks.expect(false, || {
                "the user's Store page has no Log out form".to_owned()
            });
            self.finish(19, &exchanges, checks);
            return self.skip(&[20], "the user could not log out (step 19)");
        };
        let logout = self.load(Actor::Browser, form.submission()).await;
        exchanges.extend(logout.exchanges.iter().cloned());
        if let Some(post) = logout.exchanges.first() {
            checks.expect(is_redirect(post), || {
                format!(
                    "logout answered {}, not a redirect",
                    post.status.unwrap_or_default()
                )
            });
            removal_seen(&mut checks, post, &stolen.name, self.masking);
            if let Some(clear) = header(post, "clear-site-data") {
                checks.saw(format!("Clear-Site-Data: {clear}"));
            }
        }
        let still = self.cookies_for(&cart);
        checks.expect(!still.iter().any(|(name, _)| *name == stolen.name), || {
            format!("the browser still holds {} after logging out", stolen.name)
        });
        self.finish(19, &exchanges, checks);
        if !self.taken(20) {
            return;
        }
        let replay = self.load(Actor::Hacker, Request::get(cart)).await;
        let mut refused = Checks::default();
        let first = replay.exchanges.first();
        if let Some(first) = first {
            sent_session_checks(&mut refused, first, Some(stolen), self.masking);
            if first.status == Some(200) {
                refused.expect(false, || {
                    "the stolen session id still works after logout: Store did not delete the \
                     session"
                        .to_owned()
                });
            } else {
                let to = location_path(first).unwrap_or_default();
                refused.expect(is_redirect(first) && to == common::LOGIN, || {
                    format!(
                        "answered {} (Location {to:?}), not a redirect to the login page",
                        first.status.unwrap_or_default()
                    )
                });
                refused.saw("the session is gone server-side: the stolen id is worthless");
            }
        } else {
            refused.status(None, 303);
        }
        self.finish(20, &replay.exchanges, refused);
    }

    /// Steps 21–23: defences beyond the article — fixation and CSRF.
    async fn defences(&mut self) {
        if !self.any_taken(21..=23) {
            return;
        }
        let Some(login) = self.fixation().await else {
            return self.skip(&[22, 23], "the user could not log in (step 21)");
        };
        let page = login.page;
        let form = page
            .as_ref()
            .and_then(|page| page.form_with_field(form::QUANTITY))
            .cloned();
        let Some(form) = form else {
            let why = "the cart page after the login has no add-item form";
            return self.skip(&[22, 23], why);
        };
        let mut without_token = form.clone();
        without_token.set(form::CSRF_TOKEN, "");
        let post = self.load(Actor::Browser, without_token.submission()).await;
        let refused = csrf_refusal_checks(post.exchanges.first(), "no csrf_token");
        self.finish(22, &post.exchanges, refused);

        let mut cross_origin = form.submission();
        let forums_origin = self.options.forums_url.origin().ascii_serialization();
        cross_origin.headers = vec![
            ("Origin".to_owned(), forums_origin.clone()),
            ("Sec-Fetch-Site".to_owned(), "same-site".to_owned()),
        ];
        let post = self.load(Actor::Browser, cross_origin).await;
        let mut refused = csrf_refusal_checks(
            post.exchanges.first(),
            &format!("a valid token, but Origin: {forums_origin} and Sec-Fetch-Site: same-site"),
        );
        refused.saw("SameSite=Lax alone would let it through: Store and Forums are same-site");
        self.finish(23, &post.exchanges, refused);
    }

    /// Step 21: the hacker gets an anonymous session id from the Store and plants it in the
    /// user's browser; the user logs in; the planted id must not be signed in. Returns the
    /// user's login.
    async fn fixation(&mut self) -> Option<PageLoad> {
        let login_url = self.url(Site::Store, common::LOGIN);
        let mut checks = Checks::default();
        let planted_load = self
            .load(Actor::Hacker, Request::get(login_url.clone()))
            .await;
        // The session id the login page gave the hacker (or the one it already had).
        let name = set_by_first_hop(&planted_load.exchanges, self.masking)
            .next()
            .map(|c| c.record.name)
            .or_else(|| self.store.cookie.as_ref().map(|c| c.name.clone()))
            .unwrap_or_else(|| store::SESSION_COOKIE.to_owned());
        let planted = self
            .hacker
            .decisions_for(&login_url)
            .into_iter()
            .find(|d| d.cookie.name == name && d.not_sent.is_none())
            .map(|d| d.cookie);
        let Some(planted) = planted else {
            checks.expect(false, || {
                "the login page gave the hacker no session cookie to plant".to_owned()
            });
            self.finish(21, &planted_load.exchanges, checks);
            return None;
        };
        checks.saw(format!(
            "the hacker's anonymous session {}={} is planted in the user's browser",
            planted.name,
            self.masking.secret(&planted.value)
        ));
        checks.expect(self.victim.insert_cookie(&planted).is_ok(), || {
            "the planted cookie could not be put in the user's jar".to_owned()
        });
        let (_, form_load, _) = self.open_login_form(Site::Store).await;
        let before = vec![(planted.name.clone(), planted.value.clone())];
        let login = match self.submit_login(form_load.page.as_ref(), &login_url).await {
            Ok(login) => login,
            Err(reason) => {
                checks.expect(false, || format!("cannot log in: {reason}"));
                self.finish(21, &planted_load.exchanges, checks);
                return None;
            }
        };
        let (rotated, cookie) = match login.exchanges.first() {
            Some(post) => session_cookie_checks(post, &before, store::CART, self.masking),
            None => (Checks::default(), None),
        };
        let checks = checks.and(rotated);
        let replay = self
            .load(
                Actor::Hacker,
                Request::get(self.url(Site::Store, store::CART)),
            )
            .await;
        let mut checks = checks;
        if let Some(first) = replay.exchanges.first() {
            sent_session_checks(&mut checks, first, Some(&planted), self.masking);
            let to = location_path(first).unwrap_or_default();
            if checks.expect(is_redirect(first) && to == common::LOGIN, || {
                format!(
                    "the planted id is signed in after the user's login ({} to {}): session \
                     fixation",
                    first.status.unwrap_or_default(),
                    first.url.path()
                )
            }) {
                checks.saw("the planted id is dead: the hacker is sent to log in");
            }
        }
        let mut exchanges: Vec<&Exchange> = planted_load.exchanges.iter().collect();
        exchanges.extend(&form_load.exchanges);
        exchanges.extend(&login.exchanges);
        exchanges.extend(&replay.exchanges);
        self.finish(21, exchanges, checks);
        if let Some(session) = cookie {
            let url = self.url(Site::Store, store::CART);
            self.store.cookie = self.jar_cookie(&url, &session.record.name);
        }
        self.store.page = login.page.clone();
        Some(login)
    }

    /// Step 24: the hacker copies the user's session cookie; the user's id rotates; once the
    /// retired id's grace period is over, the hacker's replay of it must end the whole session:
    /// the hacker lands on the login page with the theft notice, and so does the user's next
    /// request with the new id.
    async fn theft_after_rotation(&mut self) {
        if !self.taken(24) {
            return;
        }
        let Some(rotation) = self.options.rotation.clone() else {
            return self.skip(
                &[24],
                "the apps' session-id rotation is unknown: `tui flow --rotation-interval … \
                 --rotation-grace …`, as the apps were started, runs this step against them",
            );
        };
        if rotation.interval.is_zero() {
            return self.skip(
                &[24],
                "the apps do not rotate session ids (--rotation-interval 0): there is no \
                 retired id to detect",
            );
        }
        // Margins for the clocks of the two sides and a request's own time.
        let margin = |d: Duration| d / 10 + Duration::from_millis(250);
        let (to_rotate, to_retire) = (
            rotation.interval + margin(rotation.interval),
            rotation.grace + margin(rotation.grace),
        );
        let cause = format!(
            "ids rotate every {}, then work for {} more",
            human_duration(rotation.interval),
            human_duration(rotation.grace)
        );
        if let Some(why) =
            self.beyond_max_wait(to_rotate + to_retire, &cause, "--rotation-interval")
        {
            return self.skip(&[24], &why);
        }
        // A new visit with jars of its own: the other steps' cookies stay out of it (the
        // embedded run's Store for this step shares their host), and this is the last step.
        let fresh = |user_agent: String| {
            Browser::new(BrowserOptions {
                user_agent,
                timeout: self.options.timeout,
                ..BrowserOptions::default()
            })
        };
        match (
            fresh(self.victim.options().user_agent.clone()),
            fresh(self.hacker.options().user_agent.clone()),
        ) {
            (Ok(victim), Ok(hacker)) => (self.victim, self.hacker) = (victim, hacker),
            (Err(error), _) | (_, Err(error)) => {
                return self.skip(&[24], &format!("no fresh browsers: {error:#}"));
            }
        }
        let at = |path: &str| {
            rotation
                .store_url
                .join(path)
                .unwrap_or_else(|_| rotation.store_url.clone())
        };
        let (login_url, cart) = (at(common::LOGIN), at(store::CART));
        let mut checks = Checks::default();
        let mut exchanges: Vec<Exchange> = Vec::new();

        let form = self
            .load(Actor::Browser, Request::get(login_url.clone()))
            .await;
        exchanges.extend(form.exchanges.iter().cloned());
        let login = self.submit_login(form.page.as_ref(), &login_url).await;
        let logged_in_at = Instant::now();
        let login = match login {
            Ok(login) => login,
            Err(reason) => {
                checks.expect(false, || format!("cannot log in: {reason}"));
                return self.finish(24, &exchanges, checks);
            }
        };
        exchanges.extend(login.exchanges.iter().cloned());
        let session = set_by_first_hop(&login.exchanges, self.masking)
            .next()
            .map(|c| c.record.name);
        let stolen = session.and_then(|name| self.jar_cookie(&cart, &name));
        let signed_in = login.page.as_ref().and_then(signed_in_as);
        let (Some(stolen), Some(who)) = (stolen, signed_in) else {
            checks.expect(false, || {
                "cannot log in: no session cookie, or no signed-in page after the login".to_owned()
            });
            return self.finish(24, &exchanges, checks);
        };
        checks.saw(format!(
            "{who} is signed in at {}; the hacker's client copies {}={}",
            rotation.store_url,
            stolen.name,
            self.masking.secret(&stolen.value)
        ));
        let copied = self.hacker.insert_cookie(&stolen).is_ok();
        checks.expect(copied, || {
            "the stolen cookie could not be planted".to_owned()
        });

        // The user keeps using the site until the id rotates.
        let wait = (logged_in_at + to_rotate).saturating_duration_since(Instant::now());
        self.wait(wait, "for the Store to rotate the user's session id")
            .await;
        let read = self.load(Actor::Browser, Request::get(cart.clone())).await;
        exchanges.extend(read.exchanges.iter().cloned());
        let rotated =
            set_by_first_hop(&read.exchanges, self.masking).find(|c| c.record.name == stolen.name);
        let after = human_duration(rotation.interval);
        if !checks.status(read.exchanges.first(), 200) {
            checks.expect(false, || {
                format!("the user's session ended before its id rotated (after {after})")
            });
            return self.finish(24, &exchanges, checks);
        }
        let new_id = match rotated {
            Some(c) if c.value != stolen.value => c,
            _ => {
                checks.expect(false, || {
                    format!(
                        "the session id was not rotated after {after}: {} kept its value (rotation \
                         is off, or slower than --rotation-interval)",
                        stolen.name
                    )
                });
                return self.finish(24, &exchanges, checks);
            }
        };
        checks.saw(format!(
            "after {after} the user's next read rotates the id: {} → {} (Set-Cookie {})",
            self.masking.secret(&stolen.value),
            new_id.record.value,
            new_id.record.raw
        ));

        self.wait(to_retire, "for the retired id's grace period to pass")
            .await;
        checks.saw(format!(
            "then {} more: past the retired id's grace period of {}",
            human_duration(to_retire),
            human_duration(rotation.grace)
        ));
        let replay = self.load(Actor::Hacker, Request::get(cart.clone())).await;
        exchanges.extend(replay.exchanges.iter().cloned());
        if let Some(first) = replay.exchanges.first() {
            sent_session_checks(&mut checks, first, Some(&stolen), self.masking);
        }
        let hacker = theft_ending(&replay);
        match &hacker {
            Ending::SignedIn(who) => {
                checks.expect(false, || {
                    format!(
                        "the retired id still works after the grace period (the hacker is served \
                         {who}'s cart): no theft detection"
                    )
                });
            }
            Ending::Refused { notice: Some(text) } => checks.saw(format!(
                "the hacker is not signed in: sent to the login page, which says \"{text}\" \
                 (#{})",
                element::THEFT_NOTICE
            )),
            Ending::Refused { notice: None } => {
                checks.expect(false, || {
                    format!(
                        "the retired id is refused, but its login page has no theft notice \
                         (#{}): the theft was not detected",
                        element::THEFT_NOTICE
                    )
                });
            }
            Ending::Other(what) => {
                checks.expect(false, || format!("the hacker's replay {what}"));
            }
        }

        let held = self.jar_cookie(&cart, &stolen.name);
        let next = self.load(Actor::Browser, Request::get(cart)).await;
        exchanges.extend(next.exchanges.iter().cloned());
        if let Some(first) = next.exchanges.first() {
            sent_session_checks(&mut checks, first, held.as_ref(), self.masking);
        }
        match theft_ending(&next) {
            Ending::SignedIn(_) => {
                checks.expect(false, || {
                    "the victim's session survived the theft: the new id still works after the \
                     retired one was replayed"
                        .to_owned()
                });
            }
            Ending::Refused { notice: Some(_) } => checks.saw(format!(
                "the user's next request, with the new id {}: sent to the login page with the \
                 same notice: the whole session is over",
                new_id.record.value
            )),
            Ending::Refused { notice: None } => {
                checks.expect(false, || {
                    "the user's new id is logged out, but its login page does not say why (no \
                     theft notice)"
                        .to_owned()
                });
            }
            Ending::Other(what) => {
                checks.expect(false, || format!("the user's next request {what}"));
            }
        }
        self.finish(24, &exchanges, checks);
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

/// Where a request with a session id ended, for step 24.
enum Ending {
    /// On a signed-in page (as whom).
    SignedIn(String),
    /// Redirected to the login page, with the theft notice's text if it shows one.
    Refused { notice: Option<String> },
    /// Anything else (what happened).
    Other(String),
}

fn theft_ending(load: &PageLoad) -> Ending {
    let Some(first) = load.exchanges.first() else {
        return Ending::Other("made no request".to_owned());
    };
    if let Some(error) = load.error.as_ref().or(first.error.as_ref()) {
        return Ending::Other(format!("got no answer: {error}"));
    }
    if let Some(who) = load.page.as_ref().and_then(signed_in_as) {
        return Ending::SignedIn(who);
    }
    if is_redirect(first) && location_path(first).as_deref() == Some(common::LOGIN) {
        let notice = load
            .page
            .as_ref()
            .and_then(|page| page.alert_with_id(element::THEFT_NOTICE))
            .map(str::to_owned);
        return Ending::Refused { notice };
    }
    Ending::Other(format!(
        "answered {} at {}, not a redirect to the login page",
        first.status.unwrap_or_default(),
        first.url.path()
    ))
}

/// The login page: a form with a login id and a password field.
fn login_form_checks(checks: &mut Checks, page: Option<&Page>) {
    let form = page.and_then(|page| page.form_with_field(form::LOGIN_ID));
    let Some(form) = form else {
        checks.expect(false, || {
            format!("no login form (no {} field)", form::LOGIN_ID)
        });
        return;
    };
    let password = form
        .fields
        .iter()
        .any(|field| field.name == form::PASSWORD && field.kind == FieldKind::Password);
    checks.expect(password, || {
        "the login form has no password field".to_owned()
    });
    let hidden: Vec<&str> = form
        .fields
        .iter()
        .filter(|field| field.kind == FieldKind::Hidden)
        .map(|field| field.name.as_str())
        .collect();
    checks.saw(format!(
        "a {} form to {} with {} and {}{}",
        form.method.as_str(),
        form.action.path(),
        form::LOGIN_ID,
        form::PASSWORD,
        if hidden.is_empty() {
            String::new()
        } else {
            format!(" (hidden: {})", hidden.join(", "))
        }
    ));
}

/// How many form fields a POST carried.
fn form_fields(exchange: &Exchange) -> usize {
    exchange.request_body.as_deref().map_or(0, |body| {
        url::form_urlencoded::parse(body.as_bytes()).count()
    })
}

/// Steps 4–5: the call to FusionAuth, as `Server-Timing` shows it.
fn fusionauth_login_checks(post: Option<&Exchange>) -> (Checks, Checks) {
    let (mut call, mut answer) = (Checks::default(), Checks::default());
    let hop = post
        .map(fusionauth_hops)
        .unwrap_or_default()
        .into_iter()
        .find(|hop| hop.description.contains("/api/login"));
    let Some(hop) = hop else {
        let why = "not observable: the response has no Server-Timing for a FusionAuth call (a \
                   real FusionAuth, or --server-timing off)";
        call.unobservable = Some(why.to_owned());
        answer.unobservable = Some(why.to_owned());
        return (call, answer);
    };
    let took = hop
        .duration_ms
        .map(|ms| format!(" ({ms:.1} ms)"))
        .unwrap_or_default();
    call.saw(format!("the app → FusionAuth: {}{took}", hop.description));
    let status = hop.description.rsplit(' ').next().unwrap_or_default();
    if answer.expect(status == "200", || {
        format!(
            "FusionAuth answered {status}, not 200: the login was refused (check --user and \
             --password)"
        )
    }) {
        answer.saw("FusionAuth answered 200: the User, a JWT and a refresh token");
    }
    (call, answer)
}

/// Step 7 (and 12, 16): the redirect and the session cookie with every attribute the article
/// names, and a new id (fixation). Returns the cookie set.
fn session_cookie_checks(
    post: &Exchange,
    before: &[(String, String)],
    landing: &str,
    masking: Masking,
) -> (Checks, Option<ParsedSetCookie>) {
    let mut checks = Checks::default();
    let status = post.status.unwrap_or_default();
    checks.expect(matches!(status, 302 | 303), || {
        format!("the login answered {status}, not a 302/303 redirect")
    });
    let to = location_path(post).unwrap_or_default();
    checks.expect(to == landing, || {
        format!("Location is {to:?}, not {landing}")
    });
    if is_redirect(post) {
        checks.saw(format!(
            "{status} Location: {}",
            post.location.as_deref().unwrap_or_default()
        ));
    }
    let set: Vec<ParsedSetCookie> = post
        .set_cookies
        .iter()
        .filter_map(|raw| parse_set_cookie(raw, masking))
        .filter(|cookie| !cookie.record.removal)
        .collect();
    let session = set
        .iter()
        .find(|c| before.iter().any(|(name, _)| *name == c.record.name))
        .or_else(|| set.iter().find(|c| c.record.name.contains("session")))
        .or_else(|| set.first())
        .cloned();
    let Some(session) = session else {
        let held = before.iter().find(|(name, _)| name.contains("session"));
        checks.expect(false, || match held {
            Some((name, value)) => format!(
                "the session id was not rotated at login: no new cookie was set, so {name} keeps \
                 the id it had before ({}): session fixation",
                masking.secret(value)
            ),
            None => "the login set no session cookie".to_owned(),
        });
        return (checks, None);
    };
    let cookie = &session.record;
    checks.saw(format!("Set-Cookie: {}", cookie.raw));
    checks.expect(cookie.http_only, || {
        format!(
            "the session cookie {} is not HttpOnly: JavaScript on the page can read the \
             session id",
            cookie.name
        )
    });
    if let Some(domain) = &cookie.domain {
        checks.expect(false, || {
            format!(
                "the session cookie {} has Domain={domain}: not host-only, so every host under \
                 {domain} gets it",
                cookie.name
            )
        });
    }
    let path = cookie.path.as_deref().unwrap_or("/");
    checks.expect(path == "/", || {
        format!("the session cookie {} has Path={path}, not /", cookie.name)
    });
    if post.url.scheme() == "https" {
        checks.expect(cookie.secure, || {
            format!(
                "the session cookie {} is not Secure on an https site",
                cookie.name
            )
        });
    }
    match before.iter().find(|(name, _)| *name == cookie.name) {
        Some((_, old)) if *old == session.value => {
            checks.expect(false, || {
                format!(
                    "the session id was not rotated at login: {} keeps the id it had before \
                     logging in ({}), so an id planted before the login survives it (session \
                     fixation)",
                    cookie.name, cookie.value
                )
            });
        }
        Some((_, old)) => checks.saw(format!(
            "a new session id at login ({} → {})",
            masking.secret(old),
            cookie.value
        )),
        None => checks.saw("a new session id (the browser held none before)"),
    }
    (checks, Some(session))
}

/// The request carried the session cookie.
fn sent_session_checks(
    checks: &mut Checks,
    exchange: &Exchange,
    cookie: Option<&CookieView>,
    masking: Masking,
) {
    let Some(cookie) = cookie else {
        checks.expect(false, || "there is no session cookie to send".to_owned());
        return;
    };
    let sent = exchange
        .cookies_sent
        .iter()
        .any(|(name, value)| *name == cookie.name && *value == cookie.value);
    if checks.expect(sent, || {
        format!(
            "the browser did not send {} to {}",
            cookie.name,
            exchange.url.path()
        )
    }) {
        checks.saw(format!(
            "Cookie: {}={}",
            cookie.name,
            masking.secret(&cookie.value)
        ));
    }
}

/// The page shows a signed-in user.
fn page_user_checks(checks: &mut Checks, page: Option<&Page>) {
    match page.and_then(signed_in_as) {
        Some(who) => checks.saw(format!("Signed in as {who}")),
        None => {
            checks.expect(false, || "the page shows no signed-in user".to_owned());
        }
    }
}

/// A removal `Set-Cookie` for `name`, when there is one.
fn removal_seen(checks: &mut Checks, exchange: &Exchange, name: &str, masking: Masking) {
    let removal = exchange
        .set_cookies
        .iter()
        .filter_map(|raw| parse_set_cookie(raw, masking))
        .find(|c| c.record.name == name && c.record.removal);
    let what = format!("no removal Set-Cookie for {name}");
    match removal {
        Some(c) => checks.saw(format!(
            "the cookie is cleared: Set-Cookie {}",
            c.record.raw
        )),
        None if exchange.url.path() == common::LOGOUT => {
            checks.expect(false, || format!("logout sent {what}"));
        }
        None => checks.saw(what),
    }
}

/// Steps 22–23: a state-changing form refused with 403.
fn csrf_refusal_checks(post: Option<&Exchange>, sent: &str) -> Checks {
    let mut checks = Checks::default();
    checks.saw(format!("POST with {sent}"));
    if checks.status(post, 403) {
        checks.saw("403: refused");
    } else if post.is_some_and(|p| matches!(p.status, Some(200..=399))) {
        checks.expect(false, || {
            "the form was accepted: no CSRF defence".to_owned()
        });
    }
    checks
}

/// The posts on a Forums page (the `<h2>`s inside its list).
fn count_posts(page: &Page) -> usize {
    page.blocks
        .iter()
        .filter(|block| matches!(block, crate::engine::Block::Heading { level: 2, text } if text != "Write a post"))
        .count()
}
