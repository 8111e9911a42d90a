//! The victim's cookie jar as the Cookies pane shows it: sorted domain → path → name, the
//! selection (kept on the same cookie across jar updates), which values are revealed, and the
//! decisions for the current URL.

use crate::engine::{CookieDecision, CookieView, Expiry};
use std::collections::HashSet;

/// What identifies a cookie in a jar (RFC 6265: name, domain, path).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CookieKey {
    /// Domain.
    pub domain: String,
    /// Path.
    pub path: String,
    /// Name.
    pub name: String,
}

impl CookieKey {
    /// The key of a cookie.
    pub fn of(c: &CookieView) -> Self {
        Self {
            domain: c.domain.clone(),
            path: c.path.clone(),
            name: c.name.clone(),
        }
    }
}

/// A jar as a pane shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JarView {
    /// Cookies sorted by domain, path, name: the order the pane groups them in.
    pub cookies: Vec<CookieView>,
    /// For the current URL (victim only).
    pub decisions: Vec<CookieDecision>,
    /// Selected cookie (index into `cookies`).
    pub selected: usize,
    /// Whether any jar snapshot has arrived yet.
    pub loaded: bool,
}

impl JarView {
    /// Takes a new snapshot, keeping the selection on the same cookie when it is still there.
    pub fn replace(&mut self, mut cookies: Vec<CookieView>, decisions: Vec<CookieDecision>) {
        let was = self.selected().map(CookieKey::of);
        cookies.sort_by(|a, b| (&a.domain, &a.path, &a.name).cmp(&(&b.domain, &b.path, &b.name)));
        self.selected = was
            .and_then(|k| cookies.iter().position(|c| CookieKey::of(c) == k))
            .unwrap_or(self.selected)
            .min(cookies.len().saturating_sub(1));
        self.cookies = cookies;
        self.decisions = decisions;
        self.loaded = true;
    }

    /// The selected cookie.
    pub fn selected(&self) -> Option<&CookieView> {
        self.cookies.get(self.selected)
    }

    /// Moves the selection by `delta`, clamped.
    pub fn step(&mut self, delta: isize) {
        let last = self.cookies.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Whether any cookie has an expiry instant (so a countdown is on screen).
    pub fn has_countdown(&self) -> bool {
        self.cookies
            .iter()
            .any(|c| matches!(c.expires, Expiry::At(_)))
    }
}

/// Which cookie values are shown in clear (both jars: the attacker holds the same value).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Revealed(HashSet<CookieKey>);

impl Revealed {
    /// Whether this cookie's value is shown.
    pub fn contains(&self, c: &CookieView) -> bool {
        self.0.contains(&CookieKey::of(c))
    }

    /// Shows or masks this cookie's value.
    pub fn toggle(&mut self, c: &CookieView) {
        let k = CookieKey::of(c);
        if !self.0.remove(&k) {
            self.0.insert(k);
        }
    }
}
