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
