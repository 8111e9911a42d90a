//! Back / forward history of the victim's browser: the URLs its loads ended on.

use url::Url;

/// How a navigation in flight will change the history when it lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NavKind {
    /// A new navigation (typed, link, form): the final URL is pushed, forward entries dropped.
    New,
    /// Back, forward or reload: the cursor already moved; the entry is replaced by the final
    /// URL (a reload of the cart after logout lands on the login page, and that is the truth).
    Traverse,
}

/// The visited URLs and a cursor into them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    entries: Vec<Url>,
    index: usize,
}

impl History {
    /// The entry the cursor is on.
    pub fn current(&self) -> Option<&Url> {
        self.entries.get(self.index)
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> &[Url] {
        &self.entries
    }

    /// Whether Back has somewhere to go.
    pub fn can_back(&self) -> bool {
        self.index > 0
    }

    /// Whether Forward has somewhere to go.
    pub fn can_forward(&self) -> bool {
        self.index + 1 < self.entries.len()
    }

    /// Moves back; the URL to load.
    pub fn back(&mut self) -> Option<Url> {
        self.can_back().then(|| {
            self.index -= 1;
            self.entries[self.index].clone()
        })
    }

    /// Moves forward; the URL to load.
    pub fn forward(&mut self) -> Option<Url> {
        self.can_forward().then(|| {
            self.index += 1;
            self.entries[self.index].clone()
        })
    }

    /// Records where a navigation ended.
    pub fn land(&mut self, kind: NavKind, url: Url) {
        match kind {
            NavKind::Traverse if !self.entries.is_empty() => self.entries[self.index] = url,
            // A form posted back to the page it came from (add to cart → 303 → the cart) is the
            // same page: one Back should leave it, not replay it.
            _ if self.current() == Some(&url) => {}
            _ => {
                self.entries.truncate(self.index + 1);
                self.entries.push(url);
                self.index = self.entries.len() - 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(path: &str) -> Url {
        Url::parse("http://store.localhost:8080")
            .and_then(|b| b.join(path))
            .expect("test URL")
    }

    #[test]
    fn new_navigation_after_back_drops_the_forward_entries() {
        let mut h = History::default();
        h.land(NavKind::New, u("/"));
        h.land(NavKind::New, u("/login"));
        h.land(NavKind::New, u("/shopping-cart"));
        assert_eq!(h.back(), Some(u("/login")));
        h.land(NavKind::Traverse, u("/login"));
        h.land(NavKind::New, u("/other"));
        assert!(!h.can_forward());
        assert_eq!(h.entries(), [u("/"), u("/login"), u("/other")]);
    }

    #[test]
    fn landing_on_the_current_url_again_is_not_a_new_entry() {
        let mut h = History::default();
        h.land(NavKind::New, u("/shopping-cart"));
        h.land(NavKind::New, u("/shopping-cart"));
        assert_eq!(h.entries().len(), 1);
    }

    #[test]
    fn a_traversal_that_redirects_replaces_its_entry() {
        let mut h = History::default();
        h.land(NavKind::New, u("/"));
        h.land(NavKind::New, u("/shopping-cart"));
        h.land(NavKind::Traverse, u("/login"));
        assert_eq!(h.current(), Some(&u("/login")));
        assert!(h.can_back());
        assert_eq!(h.forward(), None);
    }
}
