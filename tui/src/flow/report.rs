//! What a run of the scenario observed and concluded: plain, serializable data. The text, JSON
//! and diagram outputs and the TUI's flow pane are all drawn from a [`Report`].

use serde::Serialize;
use shared::site::Site;

/// Who sent a request: the article's Browser (the victim) or its Hacker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Actor {
    /// The user's browser.
    Browser,
    /// The second, isolated client replaying a stolen cookie.
    Hacker,
}

/// The article's sections, in its order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Section {
    /// Steps 1–7: the first login on the Store.
    Login,
    /// Steps 8–9: the session loaded and extended.
    SessionLoad,
    /// Steps 10–12: the session expired, the user logs in again.
    Relogin,
    /// Steps 13–17: the Forums, with their own login and cookie.
    Forums,
    /// Step 18 and the logout that ends it: a stolen session id replayed.
    StolenSessionId,
    /// Beyond the article: the defences a user of the flow expects (fixation, CSRF, theft
    /// detection after an id rotation).
    Defences,
}

impl Section {
    /// The heading, as the article's diagram names it.
    pub fn title(self) -> &'static str {
        match self {
            Self::Login => "Login",
            Self::SessionLoad => "Session load",
            Self::Relogin => "Relogin",
            Self::Forums => "Forums",
            Self::StolenSessionId => "Stolen session id",
            Self::Defences => "Defences",
        }
    }
}

/// What part of the exchanges a step is about, so a diagram draws each step where the
/// article draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Focus {
    /// Whole request/response pairs (every exchange of the step).
    Exchanges,
    /// The request of the step's first exchange.
    Request,
    /// The app's call to FusionAuth (seen through `Server-Timing`).
    FusionAuthCall,
    /// FusionAuth's answer to that call.
    FusionAuthAnswer,
    /// Something the app does on its side (a note over it).
    Server,
    /// The response of the step's first exchange.
    Response,
}

/// PASS, FAIL or SKIP, with the why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", content = "reason", rename_all = "UPPERCASE")]
pub enum Verdict {
    /// What the article says happened.
    Pass,
    /// It did not: the reason names the broken property.
    Fail(String),
    /// Not checked: the reason says why (not observable, or a step it needs did not happen).
    Skip(String),
}

impl Verdict {
    /// `PASS`, `FAIL` or `SKIP`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Fail(_) => "FAIL",
            Self::Skip(_) => "SKIP",
        }
    }

    /// True unless it failed.
    pub fn is_ok(&self) -> bool {
        !matches!(self, Self::Fail(_))
    }

    /// The reason of a FAIL or SKIP.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Pass => None,
            Self::Fail(reason) | Self::Skip(reason) => Some(reason),
        }
    }
}

/// A cookie as a request carried it: its value masked unless secrets are shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SentCookie {
    /// Name.
    pub name: String,
    /// The value, or `#` and a fingerprint of it (the same value, the same fingerprint).
    pub value: String,
}

/// A `Set-Cookie` as received, parsed, its value masked unless secrets are shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SetCookie {
    /// Name.
    pub name: String,
    /// Value, masked like [`SentCookie::value`].
    pub value: String,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `Secure`.
    pub secure: bool,
    /// `Domain`, when set (then the cookie is not host-only).
    pub domain: Option<String>,
    /// `Path`, when set.
    pub path: Option<String>,
    /// `SameSite`, when set.
    pub same_site: Option<String>,
    /// `Max-Age` in seconds, when set.
    pub max_age: Option<i64>,
    /// True when it deletes the cookie (`Max-Age=0` or an `Expires` in the past).
    pub removal: bool,
    /// The attributes as written, value masked (e.g. `store_session=#3fa2c1d0; HttpOnly; …`).
    pub raw: String,
}

/// The app's call to FusionAuth, as its `Server-Timing` header tells it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FusionAuthHop {
    /// e.g. `POST /api/login 200`.
    pub description: String,
    /// Milliseconds, when given.
    pub duration_ms: Option<f64>,
}

/// One request and its response.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExchangeRecord {
    /// The engine's exchange id: steps that share an exchange name the same id.
    pub id: u64,
    /// Who sent it.
    pub actor: Actor,
    /// Where it went.
    pub site: Site,
    /// `GET` or `POST`.
    pub method: String,
    /// The full URL.
    pub url: String,
    /// The path and query (what a diagram shows).
    pub path: String,
    /// The form fields sent (a password always masked).
    pub form: Vec<(String, String)>,
    /// The cookies sent.
    pub cookies_sent: Vec<SentCookie>,
    /// The status, when a response came.
    pub status: Option<u16>,
    /// `Location`.
    pub location: Option<String>,
    /// Every `Set-Cookie`.
    pub cookies_set: Vec<SetCookie>,
    /// The call to FusionAuth behind it, if the app reported one.
    pub fusionauth: Vec<FusionAuthHop>,
    /// From sending to the last byte of the body.
    pub duration_ms: f64,
    /// Why no response came.
    pub error: Option<String>,
}

/// One docs/flow.md step: what was checked, what was seen, and the verdict.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepReport {
    /// The step's number in docs/flow.md (19 and 20: the logout the article leaves to us).
    pub number: u8,
    /// The section it belongs to.
    pub section: Section,
    /// What the article says happens.
    pub title: String,
    /// Who acts.
    pub actor: Actor,
    /// Which app.
    pub site: Site,
    /// What a diagram shows for it.
    pub focus: Focus,
    /// Run only because a selected step needs it (not asked for with `--steps`/`--site`).
    pub prerequisite: bool,
    /// The exchanges it is about (shared with other steps where the article splits one).
    pub exchanges: Vec<ExchangeRecord>,
    /// What was observed, one fact a line.
    pub observed: Vec<String>,
    /// PASS/FAIL/SKIP.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// A whole run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The Store's URL.
    pub store_url: String,
    /// The Forums' URL.
    pub forums_url: String,
    /// The login id used.
    pub user: String,
    /// The idle timeout the waits were based on, in seconds (when known).
    pub idle_timeout_s: Option<f64>,
    /// Every step run, in order.
    pub steps: Vec<StepReport>,
    /// Wall-clock time of the whole run, in milliseconds.
    pub total_ms: f64,
    /// Of which spent waiting for the session to age or expire.
    pub waited_ms: f64,
    /// Of which spent in FusionAuth calls (password hashing), as `Server-Timing` reports.
    pub fusionauth_ms: f64,
    /// True when no step failed.
    pub passed: bool,
}

impl Report {
    /// Steps that passed, failed and were skipped.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for step in &self.steps {
            match step.verdict {
                Verdict::Pass => counts.0 += 1,
                Verdict::Fail(_) => counts.1 += 1,
                Verdict::Skip(_) => counts.2 += 1,
            }
        }
        counts
    }

    /// The run's own time: the total less the waits and the FusionAuth calls.
    pub fn active_ms(&self) -> f64 {
        (self.total_ms - self.waited_ms - self.fusionauth_ms).max(0.0)
    }
}
