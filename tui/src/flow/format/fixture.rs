//! A hand-built [`Report`] for the formats' tests: steps 1–9 and 18, across three sections,
//! with shared exchanges (3–7 are one `POST /login`, 8–9 one `GET /shopping-cart`), a SKIP,
//! and a FAIL whose reason holds characters the diagram languages treat as syntax.

use crate::flow::report::{
    Actor, ExchangeRecord, Focus, FusionAuthHop, Report, Section, SentCookie, SetCookie,
    StepReport, Verdict,
};
use crate::flow::steps::step_numbered;
use shared::site::Site;

pub(super) const STORE: &str = "http://store.localhost:8080";

/// The FAIL's reason: `;` ends a mermaid message, `#` starts its entity codes, `<` a tag.
pub(super) const FAIL_REASON: &str = "no cart table; expected #cart <table> with 2 rows";

pub(super) const SKIP_REASON: &str = "not observable from outside: the session store is Store's";

/// The Set-Cookie of the login, long enough to need wrapping in a 100-column terminal.
pub(super) const SESSION_SET_COOKIE: &str = "store_session=#3fa2c1d0; HttpOnly; SameSite=Lax; \
    Path=/; Max-Age=1800; Expires=Thu, 01 Jan 2026 00:30:00 GMT; Comment=a-deliberately-long-one";

pub(super) fn report() -> Report {
    let login = post_login();
    let cart = exchange(4, Actor::Browser, "GET", "/shopping-cart")
        .sending("store_session", "#3fa2c1d0")
        .answered(200, 2.0);
    let stolen = exchange(5, Actor::Hacker, "GET", "/shopping-cart")
        .sending("store_session", "#3fa2c1d0")
        .answered(200, 2.5);
    let home = exchange(1, Actor::Browser, "GET", "/").answered(200, 1.5);
    let mut form = exchange(2, Actor::Browser, "GET", "/login").answered(200, 1.3);
    form.cookies_set.push(set_cookie(
        "store_csrf",
        "store_csrf=#0a1b2c3d; HttpOnly; SameSite=Strict; Path=/",
    ));
    let steps = vec![
        step(1, vec![home], &["the page links to /login"], Verdict::Pass),
        step(2, vec![form], &["a form posting to /login"], Verdict::Pass),
        step(3, vec![login.clone()], &["form-encoded"], Verdict::Pass),
        step(4, vec![login.clone()], &[], Verdict::Pass),
        step(5, vec![login.clone()], &[], Verdict::Pass),
        step(
            6,
            vec![login.clone()],
            &[],
            Verdict::Skip(SKIP_REASON.into()),
        ),
        step(
            7,
            vec![login],
            &["HttpOnly, host-only, Path=/"],
            Verdict::Pass,
        ),
        step(
            8,
            vec![cart.clone()],
            &["sent store_session"],
            Verdict::Pass,
        ),
        step(9, vec![cart], &[], Verdict::Fail(FAIL_REASON.into())),
        step(18, vec![stolen], &["got the cart"], Verdict::Pass),
    ];
    Report {
        store_url: STORE.into(),
        forums_url: "http://forums.localhost:8081".into(),
        user: "alice@example.com".into(),
        idle_timeout_s: Some(1.0),
        steps,
        total_ms: 2345.0,
        waited_ms: 2000.0,
        fusionauth_ms: 12.4,
        passed: false,
    }
}

/// Step 3–7's exchange: the form posted, FusionAuth called, a session cookie set.
fn post_login() -> ExchangeRecord {
    let mut login = exchange(3, Actor::Browser, "POST", "/login")
        .sending("store_csrf", "#0a1b2c3d")
        .answered(303, 16.0);
    login.form = vec![
        ("loginId".into(), "alice@example.com".into()),
        ("password".into(), "••••••••".into()),
    ];
    login.location = Some("/shopping-cart".into());
    login
        .cookies_set
        .push(set_cookie("store_session", SESSION_SET_COOKIE));
    login.fusionauth.push(FusionAuthHop {
        description: "POST /api/login 200".into(),
        duration_ms: Some(12.4),
    });
    login
}

/// The step as the step table has it, with what the run saw.
fn step(
    number: u8,
    exchanges: Vec<ExchangeRecord>,
    observed: &[&str],
    verdict: Verdict,
) -> StepReport {
    let table = step_numbered(number).expect("a step of the table");
    StepReport {
        number,
        section: table.section,
        title: table.title.into(),
        actor: table.actor,
        site: table.site,
        focus: table.focus,
        prerequisite: false,
        exchanges,
        observed: observed.iter().map(|fact| fact.to_string()).collect(),
        verdict,
    }
}

fn exchange(id: u64, actor: Actor, method: &str, path: &str) -> ExchangeRecord {
    ExchangeRecord {
        id,
        actor,
        site: Site::Store,
        method: method.into(),
        url: format!("{STORE}{path}"),
        path: path.into(),
        form: Vec::new(),
        cookies_sent: Vec::new(),
        status: None,
        location: None,
        cookies_set: Vec::new(),
        fusionauth: Vec::new(),
        duration_ms: 0.0,
        error: None,
    }
}

fn set_cookie(name: &str, raw: &str) -> SetCookie {
    SetCookie {
        name: name.into(),
        value: "#3fa2c1d0".into(),
        http_only: true,
        secure: false,
        domain: None,
        path: Some("/".into()),
        same_site: Some("Lax".into()),
        max_age: Some(1800),
        removal: false,
        raw: raw.into(),
    }
}

trait Build {
    fn sending(self, name: &str, value: &str) -> Self;
    fn answered(self, status: u16, ms: f64) -> Self;
}

impl Build for ExchangeRecord {
    fn sending(mut self, name: &str, value: &str) -> Self {
        self.cookies_sent.push(SentCookie {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    fn answered(mut self, status: u16, ms: f64) -> Self {
        self.status = Some(status);
        self.duration_ms = ms;
        self
    }
}

/// The section and focus the fixture relies on, so a change to the step table shows here.
#[test]
fn the_fixture_matches_the_step_table() {
    let report = report();
    let of = |n: u8| report.steps.iter().find(|s| s.number == n).unwrap();
    assert_eq!(of(3).focus, Focus::Request);
    assert_eq!(of(6).focus, Focus::Server);
    assert_eq!(of(9).section, Section::SessionLoad);
    assert_eq!(of(18).actor, Actor::Hacker);
}
