//! The attacker: the jar of their own client (the stolen cookies), the replays they made with
//! it, and what each replay proves: the victim's data came back (and the session was extended),
//! the server refused, or it saw a retired id come back and ended the whole session as stolen.

use crate::app::cookies::JarView;
use crate::engine::{Block, CookieView, PageLoad};
use std::time::SystemTime;
use url::Url;

/// The attacker pane's state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AttackerView {
    /// The attacker's jar (stolen cookies and whatever servers set on replays).
    pub jar: JarView,
    /// Replays, oldest first.
    pub replays: Vec<Replay>,
}

/// One replay of a stolen cookie.
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
    /// 1, 2, …
    pub number: usize,
    /// When it was sent.
    pub at: SystemTime,
    /// The cookie it rode on (its name).
    pub cookie: String,
    /// What was requested.
    pub url: Url,
    /// `None` while in flight.
    pub outcome: Option<Outcome>,
}

/// What a replay got back.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The last hop's status (`None` when nothing answered).
    pub status: Option<u16>,
    /// Statuses of every hop, e.g. `[303, 200]`.
    pub hops: Vec<Option<u16>>,
    /// Where it ended.
    pub final_url: Url,
    /// The verdict.
    pub verdict: ReplayVerdict,
    /// What the page showed: title, headings, table/list summaries.
    pub evidence: Vec<String>,
    /// The `Set-Cookie` (value elided) that refreshed the stolen cookie, if any: the attacker
    /// keeps the victim's session alive just by using it.
    pub set_cookie: Option<String>,
}

/// Did the stolen cookie work?
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayVerdict {
    /// The server answered as the victim.
    GotData,
    /// The server refused the cookie (e.g. sent to the login page).
    Refused(String),
    /// The server recognised the cookie as an id it had replaced by rotation, used after its
    /// grace period, and ended the whole session: the attacker's copy and the victim's new id.
    /// Its login page says so ([`shared::paths::element::THEFT_NOTICE`]).
    TheftDetected,
    /// No answer (refused connection, timeout, …).
    Failed(String),
}

impl ReplayVerdict {
    /// What [`ReplayVerdict::TheftDetected`] means, as the pane and the status line say it.
    pub const THEFT_DETECTED: &'static str = "theft detected: the server ended the whole session \
                                              (a retired id was used after rotation)";
}

/// Where a replay of this cookie goes: the page behind the login on the site that set it (the
/// Store's cart, the Forums' posts), so success means the victim's private data.
pub fn replay_url(cookie: &CookieView, store: &Url, forums: &Url) -> Option<Url> {
    let matches = |site: &Url| {
        site.host_str().is_some_and(|h| {
            h == cookie.domain || (!cookie.host_only && h.ends_with(&format!(".{}", cookie.domain)))
        })
    };
    if matches(store) {
        store.join(shared::paths::store::CART).ok()
    } else if matches(forums) {
        forums.join(shared::paths::forums::POSTS).ok()
    } else {
        Url::parse(&format!("http://{}{}", cookie.domain, cookie.path)).ok()
    }
}

/// Judges a replay's load.
pub fn outcome(cookie: &str, load: &PageLoad) -> Outcome {
    let last = load.exchanges.last();
    let status = last.and_then(|e| e.status);
    let hops = load.exchanges.iter().map(|e| e.status).collect();
    let set_cookie = load
        .exchanges
        .iter()
        .flat_map(|e| &e.set_cookies)
        .rfind(|raw| raw.split('=').next().map(str::trim) == Some(cookie))
        .map(|raw| elide_value(raw));
    let verdict = if let Some(err) = load.error.as_ref().or(last.and_then(|e| e.error.as_ref())) {
        ReplayVerdict::Failed(err.clone())
    } else if load.final_url.path() == shared::paths::common::LOGIN {
        let theft_notice = load
            .page
            .as_ref()
            .and_then(|page| page.alert_with_id(shared::paths::element::THEFT_NOTICE));
        match theft_notice {
            Some(_) => ReplayVerdict::TheftDetected,
            None => ReplayVerdict::Refused("sent to the login page: refused".to_owned()),
        }
    } else if let Some(s @ (401 | 403)) = status {
        ReplayVerdict::Refused(format!("HTTP {s}: refused"))
    } else if status.is_some_and(|s| s >= 400) {
        ReplayVerdict::Failed(format!("HTTP {}", status.unwrap_or_default()))
    } else {
        ReplayVerdict::GotData
    };
    Outcome {
        status,
        hops,
        final_url: load.final_url.clone(),
        evidence: evidence(load),
        verdict,
        set_cookie,
    }
}

/// `name=value; Attrs` → `name=…; Attrs`: the pane shows the attributes that matter (Max-Age,
/// Expires) without printing a session id.
fn elide_value(raw: &str) -> String {
    let (pair, attrs) = raw.split_once(';').unwrap_or((raw, ""));
    let name = pair.split('=').next().unwrap_or(pair).trim();
    if attrs.is_empty() {
        format!("{name}=…")
    } else {
        format!("{name}=…;{attrs}")
    }
}

/// A few lines that show what the page was: its title, headings, and what its tables and lists
/// hold (the cart's items and total, the posts).
fn evidence(load: &PageLoad) -> Vec<String> {
    let Some(page) = &load.page else {
        return Vec::new();
    };
    let mut out = vec![format!("title: {}", page.title)];
    for block in &page.blocks {
        match block {
            Block::Heading { level: 1, text } => out.push(format!("heading: {text}")),
            Block::Table(t) => {
                let items: Vec<&str> = t
                    .rows
                    .iter()
                    .filter_map(|r| r.first().map(|c| c.text.as_str()))
                    .collect();
                let total = t
                    .footer
                    .iter()
                    .flat_map(|r| r.iter().rev().find(|c| !c.text.is_empty()))
                    .map(|c| format!("; total {}", c.text))
                    .next()
                    .unwrap_or_default();
                out.push(format!(
                    "table: {} row{}: {}{total}",
                    items.len(),
                    plural(items.len()),
                    items.join(", ")
                ));
            }
            Block::List { items, .. } => {
                let firsts: Vec<&str> = items
                    .iter()
                    .map(|i| i.lines().next().unwrap_or_default().trim())
                    .collect();
                out.push(format!(
                    "list: {} item{}: {}",
                    items.len(),
                    plural(items.len()),
                    firsts.join(", ")
                ));
            }
            Block::Alert { text, .. } => out.push(format!("alert: {text}")),
            _ => {}
        }
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
