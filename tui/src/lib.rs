//! A terminal browser for the cookie-session login flow, with its devtools open: a page view,
//! the cookie jar, the network log and an attacker who replays a stolen cookie.
//!
//! `engine` is the browser with no UI; `app` holds the state and the only code that changes it;
//! `ui` draws that state and knows no HTTP.

pub mod app;
pub mod engine;
pub mod ui;
