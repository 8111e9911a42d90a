//! The browser with no UI: one HTTP client and cookie jar (shared across sites, as a browser's
//! is), redirects followed hop by hop and recorded, pages parsed into a model, forms submitted
//! as a browser would, jar files, and curl export.
//!
//! [`Browser`] is the entry point; [`model`] is the data it hands out (and the UI renders).

mod body;
mod browser;
pub mod curl;
mod duration;
mod failure;
pub mod html;
mod jar;
pub mod model;
pub mod netscape;
pub mod redirect;
pub mod resolve;
pub mod server_timing;

pub use body::BODY_LIMIT;
pub use browser::{Browser, BrowserOptions, DEFAULT_TIMEOUT};
pub use curl::curl_command;
pub use duration::human_duration;
pub use html::parse_page;
pub use jar::JarFormat;
pub use model::*;
pub use server_timing::parse_server_timing;
