//! What a step checks: the evidence a step saw and the failures it found, and the checks that
//! several steps share (the login form, the session cookie, the cookie sent, a CSRF refusal).

use crate::engine::{Block, CookieView, Exchange, FieldKind, Page};
use crate::flow::observe::{
    Masking, ParsedSetCookie, fusionauth_hops, is_redirect, location_path, parse_set_cookie,
    signed_in_as,
};
use crate::flow::report::Verdict;
use shared::paths::{common, form};
use shared::site::Site;

/// The evidence and failures of one step.
#[derive(Default)]
pub(super) struct Checks {
    pub(super) observed: Vec<String>,
    pub(super) failures: Vec<String>,
    /// Set when what the step is about cannot be seen from the browser.
    pub(super) unobservable: Option<String>,
}

impl Checks {
    pub(super) fn saw(&mut self, fact: impl Into<String>) {
        self.observed.push(fact.into());
    }

    /// Records `failure` unless `ok`; returns `ok`.
    pub(super) fn expect(&mut self, ok: bool, failure: impl FnOnce() -> String) -> bool {
        if !ok {
            self.failures.push(failure());
        }
        ok
    }

    /// The response came and has this status.
    pub(super) fn status(&mut self, exchange: Option<&Exchange>, expected: u16) -> bool {
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
    pub(super) fn and(mut self, other: Checks) -> Checks {
        self.observed.extend(other.observed);
        self.failures.extend(other.failures);
        self.unobservable = self.unobservable.or(other.unobservable);
        self
    }

    pub(super) fn verdict(&self) -> Verdict {
        match (self.failures.is_empty(), &self.unobservable) {
            (false, _) => Verdict::Fail(self.failures.join("; ")),
            (true, Some(why)) => Verdict::Skip(why.clone()),
            (true, None) => Verdict::Pass,
        }
    }
}

/// The login page: a form with a login id and a password field.
pub(super) fn login_form_checks(checks: &mut Checks, page: Option<&Page>) {
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
pub(super) fn form_fields(exchange: &Exchange) -> usize {
    exchange.request_body.as_deref().map_or(0, |body| {
        url::form_urlencoded::parse(body.as_bytes()).count()
    })
}

/// Steps 4–5: the call to FusionAuth, as `Server-Timing` shows it.
pub(super) fn fusionauth_login_checks(post: Option<&Exchange>) -> (Checks, Checks) {
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
pub(super) fn session_cookie_checks(
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
    // The login form's CSRF cookie is a nonce, never the session: told apart by its name.
    let set: Vec<ParsedSetCookie> = post
        .set_cookies
        .iter()
        .filter_map(|raw| parse_set_cookie(raw, masking))
        .filter(|cookie| !cookie.record.removal && !Site::is_csrf_cookie(&cookie.record.name))
        .collect();
    let before: Vec<&(String, String)> = before
        .iter()
        .filter(|(name, _)| !Site::is_csrf_cookie(name))
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
pub(super) fn sent_session_checks(
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
pub(super) fn page_user_checks(checks: &mut Checks, page: Option<&Page>) {
    match page.and_then(signed_in_as) {
        Some(who) => checks.saw(format!("Signed in as {who}")),
        None => {
            checks.expect(false, || "the page shows no signed-in user".to_owned());
        }
    }
}

/// A removal `Set-Cookie` for `name`, when there is one.
pub(super) fn removal_seen(checks: &mut Checks, exchange: &Exchange, name: &str, masking: Masking) {
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
pub(super) fn csrf_refusal_checks(post: Option<&Exchange>, sent: &str) -> Checks {
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
pub(super) fn count_posts(page: &Page) -> usize {
    page.blocks
        .iter()
        .filter(
            |block| matches!(block, Block::Heading { level: 2, text } if text != "Write a post"),
        )
        .count()
}
