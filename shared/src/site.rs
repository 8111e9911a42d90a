//! The two web apps of the demo, the Store and the Forums, and what each is called and where
//! it sends a user after login.

use crate::paths::{forums, store};
use serde::Serialize;

/// Which of the two web apps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Site {
    /// The shopping cart app.
    Store,
    /// The forum app.
    Forums,
}

impl Site {
    /// Both sites.
    pub const ALL: [Self; 2] = [Self::Store, Self::Forums];

    /// True when `name` is a site's session cookie, over http or https
    /// ([`Site::session_cookie_name`]).
    pub fn is_session_cookie(name: &str) -> bool {
        Self::any_name(name, Self::session_cookie_name)
    }

    /// True when `name` is a site's login CSRF cookie, over http or https
    /// ([`Site::csrf_cookie_name`]): a nonce, never a session id, so a client picking the
    /// session cookie out of a jar skips it.
    pub fn is_csrf_cookie(name: &str) -> bool {
        Self::any_name(name, Self::csrf_cookie_name)
    }

    /// True when `name` is `name_of(site, https)` for a site and either scheme.
    fn any_name(name: &str, name_of: fn(Self, bool) -> &'static str) -> bool {
        Self::ALL.iter().any(|&site| {
            [false, true]
                .iter()
                .any(|&https| name_of(site, https) == name)
        })
    }

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Store => "Store",
            Self::Forums => "Forums",
        }
    }

    /// Lowercase label: host prefix and file names.
    pub fn label(self) -> &'static str {
        match self {
            Self::Store => "store",
            Self::Forums => "forums",
        }
    }

    /// The session cookie's name: over https with the `__Host-` prefix, which makes browsers
    /// refuse it unless it is `Secure`, `Path=/` and has no `Domain` — so neither a sibling
    /// subdomain nor a plain-http page can plant or overwrite it.
    pub fn session_cookie_name(self, https: bool) -> &'static str {
        match (self, https) {
            (Self::Store, false) => store::SESSION_COOKIE,
            (Self::Store, true) => store::SECURE_SESSION_COOKIE,
            (Self::Forums, false) => forums::SESSION_COOKIE,
            (Self::Forums, true) => forums::SECURE_SESSION_COOKIE,
        }
    }

    /// The login form's CSRF cookie's name (a signed double-submit cookie: a nonce the form's
    /// token signs), `__Host-` over https for the same reasons as [`Site::session_cookie_name`].
    /// Never a session: a client tells the two apart by these names.
    pub fn csrf_cookie_name(self, https: bool) -> &'static str {
        match (self, https) {
            (Self::Store, false) => store::CSRF_COOKIE,
            (Self::Store, true) => store::SECURE_CSRF_COOKIE,
            (Self::Forums, false) => forums::CSRF_COOKIE,
            (Self::Forums, true) => forums::SECURE_CSRF_COOKIE,
        }
    }

    /// Where a login lands when no `next` was given.
    pub fn landing_path(self) -> &'static str {
        match self {
            Self::Store => store::CART,
            Self::Forums => forums::POSTS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_and_csrf_cookies_are_told_apart_by_name() {
        for site in Site::ALL {
            for https in [false, true] {
                let session = site.session_cookie_name(https);
                let csrf = site.csrf_cookie_name(https);
                assert_ne!(session, csrf);
                assert!(Site::is_session_cookie(session) && !Site::is_csrf_cookie(session));
                assert!(Site::is_csrf_cookie(csrf) && !Site::is_session_cookie(csrf));
                assert_eq!(csrf.starts_with("__Host-"), https);
            }
        }
        assert!(!Site::is_session_cookie("session") && !Site::is_csrf_cookie("csrf"));
    }
}
