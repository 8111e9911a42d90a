//! What the app asks the runtime to do. `update` never performs I/O: it returns these and the
//! runtime executes them, answering with [`crate::app::Msg`]s.

use crate::app::Who;
use crate::engine::{CookieView, Request};

/// A side effect for the runtime to execute.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Navigate `who`'s client (following redirects hop by hop); answer with
    /// [`crate::app::Msg::Loaded`] and then [`crate::app::Msg::Jar`].
    Load {
        /// Whose client.
        who: Who,
        /// What to send.
        request: Request,
    },
    /// Plant this cookie (one of the victim's) into the attacker's jar; answer with
    /// `Msg::Jar { who: Attacker, .. }`.
    StealCookie(CookieView),
    /// Remove a cookie from the victim's jar; answer with `Msg::Jar`.
    DeleteCookie {
        /// Its domain.
        domain: String,
        /// Its path.
        path: String,
        /// Its name.
        name: String,
    },
    /// Change a victim cookie's value, keeping its other attributes; answer with `Msg::Jar`.
    SetCookieValue {
        /// Its domain.
        domain: String,
        /// Its path.
        path: String,
        /// Its name.
        name: String,
        /// The new value.
        value: String,
    },
    /// Make a victim cookie expire now (as `Max-Age=0` would); answer with `Msg::Jar`.
    ExpireCookie {
        /// Its domain.
        domain: String,
        /// Its path.
        path: String,
        /// Its name.
        name: String,
    },
    /// Drop every session cookie of the victim's jar, as closing the browser would; answer with
    /// `Msg::Jar`.
    ClearSessionCookies,
    /// Write the victim's jar to the jar file (`--cookie-jar`); answer with `Msg::Status`.
    SaveJar,
    /// Put this text on the clipboard (OSC 52); answer with `Msg::Status` if it failed.
    Copy(String),
    /// Build the curl command (`-b`/`-c`/`-L`) for this exchange id, copy it, and answer with
    /// `Msg::Status`.
    CurlFor(u64),
    /// Run the article's scenario (`tui flow`'s runner) against the Store and the Forums with
    /// browsers of its own, never the victim's jar; answer with a [`crate::app::Msg::Flow`] per
    /// step and wait, then one `Done` or `Failed`.
    RunFlow,
    /// Restore the terminal and exit.
    Quit,
}
