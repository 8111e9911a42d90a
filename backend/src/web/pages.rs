//! The HTML pages (askama templates in `backend/templates`, escaped by default). Handlers fill
//! these structs; the markup stays plain and semantic (headings, forms, tables, lists,
//! `role="alert"`) so any browser — the TUI included — can render it.

use super::WebError;
use crate::data::Product;
use crate::session::SessionInfo;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use shared::model::{CartItem, Post, format_cents};
use shared::paths::{common, form};
use shared::site::Site;

/// What every page's frame shows: the site, and who is logged in.
#[derive(Clone, Debug)]
pub struct Layout {
    /// `Store` or `Forums`.
    pub site_name: &'static str,
    /// The page title (before the site name).
    pub title: String,
    /// The logged-in user's display name.
    pub user_name: Option<String>,
    /// CSRF token for the logout button, when logged in.
    pub csrf: Option<String>,
    /// The site's main page (cart or posts).
    pub landing_path: &'static str,
    /// Its label.
    pub landing_label: &'static str,
}

impl Layout {
    /// A frame for `site` with `title`, logged out.
    pub fn new(site: Site, title: impl Into<String>) -> Self {
        Self {
            site_name: site.name(),
            title: title.into(),
            user_name: None,
            csrf: None,
            landing_path: site.landing_path(),
            landing_label: match site {
                Site::Store => "Shopping cart",
                Site::Forums => "Posts",
            },
        }
    }

    /// The same frame, showing `user_name` and a logout button.
    pub fn logged_in(mut self, user_name: &str, csrf: String) -> Self {
        self.user_name = Some(user_name.to_owned());
        self.csrf = Some(csrf);
        self
    }
}

/// Names the templates use, so they cannot drift from the handlers.
#[derive(Clone, Copy, Debug)]
pub struct Names;

impl Names {
    /// Field names.
    pub const LOGIN_ID: &'static str = form::LOGIN_ID;
    /// Password field.
    pub const PASSWORD: &'static str = form::PASSWORD;
    /// CSRF field.
    pub const CSRF: &'static str = form::CSRF_TOKEN;
    /// Next field.
    pub const NEXT: &'static str = form::NEXT;
    /// Code field.
    pub const CODE: &'static str = form::CODE;
    /// SKU field.
    pub const SKU: &'static str = form::SKU;
    /// Quantity field.
    pub const QUANTITY: &'static str = form::QUANTITY;
    /// Title field.
    pub const TITLE: &'static str = form::TITLE;
    /// Body field.
    pub const BODY: &'static str = form::BODY;
    /// Login path.
    pub const LOGIN: &'static str = common::LOGIN;
    /// Logout path.
    pub const LOGOUT: &'static str = common::LOGOUT;
    /// The stylesheet.
    pub const STYLESHEET: &'static str = common::STYLESHEET;
    /// Two-factor path.
    pub const LOGIN_TWO_FACTOR: &'static str = common::LOGIN_TWO_FACTOR;
    /// Change-password path.
    pub const LOGIN_CHANGE_PASSWORD: &'static str = common::LOGIN_CHANGE_PASSWORD;
    /// Cart add path.
    pub const CART_ADD: &'static str = shared::paths::store::CART_ADD;
    /// Cart remove path.
    pub const CART_REMOVE: &'static str = shared::paths::store::CART_REMOVE;
    /// Posts path.
    pub const POSTS: &'static str = shared::paths::forums::POSTS;
    /// Sessions page.
    pub const SESSIONS: &'static str = common::SESSIONS;
    /// Sessions sign-out path.
    pub const SESSIONS_END: &'static str = common::SESSIONS_END;
    /// Which session(s) to sign out.
    pub const SESSION: &'static str = form::SESSION;
    /// All but this session.
    pub const SESSION_OTHERS: &'static str = form::SESSION_OTHERS;
    /// All sessions.
    pub const SESSION_ALL: &'static str = form::SESSION_ALL;
}

/// `GET /`.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    /// Frame.
    pub layout: Layout,
}

/// The login form.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    /// Frame.
    pub layout: Layout,
    /// CSRF token.
    pub csrf: String,
    /// Where to go after.
    pub next: String,
    /// The login id typed before (never the password).
    pub login_id: String,
    /// An error to show.
    pub error: Option<String>,
    /// A notice to show.
    pub notice: Option<Notice>,
}

/// A notice on the login page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// What it says.
    pub text: String,
    /// Its element id, for a notice clients look for (e.g.
    /// [`shared::paths::element::THEFT_NOTICE`]).
    pub id: Option<&'static str>,
}

/// The authenticator-code form.
#[derive(Template)]
#[template(path = "two_factor.html")]
pub struct TwoFactorPage {
    /// Frame.
    pub layout: Layout,
    /// CSRF token.
    pub csrf: String,
    /// An error to show.
    pub error: Option<String>,
}

/// The new-password form.
#[derive(Template)]
#[template(path = "change_password.html")]
pub struct ChangePasswordPage {
    /// Frame.
    pub layout: Layout,
    /// CSRF token.
    pub csrf: String,
    /// An error to show.
    pub error: Option<String>,
}

/// One cart line, formatted.
pub struct CartRow {
    /// Product code.
    pub sku: String,
    /// Product name.
    pub name: String,
    /// Quantity.
    pub quantity: u32,
    /// Unit price.
    pub unit_price: String,
    /// Line total.
    pub line_total: String,
}

impl From<&CartItem> for CartRow {
    fn from(item: &CartItem) -> Self {
        Self {
            sku: item.sku.clone(),
            name: item.name.clone(),
            quantity: item.quantity,
            unit_price: format_cents(item.unit_price_cents),
            line_total: format_cents(item.line_total_cents),
        }
    }
}

/// `GET /shopping-cart`.
#[derive(Template)]
#[template(path = "cart.html")]
pub struct CartPage {
    /// Frame.
    pub layout: Layout,
    /// CSRF token.
    pub csrf: String,
    /// The lines.
    pub rows: Vec<CartRow>,
    /// The total.
    pub total: String,
    /// The catalog, for the add form.
    pub products: Vec<Product>,
    /// An error to show.
    pub error: Option<String>,
}

/// `GET /posts`.
#[derive(Template)]
#[template(path = "posts.html")]
pub struct PostsPage {
    /// Frame.
    pub layout: Layout,
    /// CSRF token.
    pub csrf: String,
    /// Newest first.
    pub posts: Vec<Post>,
    /// An error to show.
    pub error: Option<String>,
    /// The title typed before.
    pub draft_title: String,
    /// The body typed before.
    pub draft_body: String,
}

/// One row of the sessions page, formatted.
pub struct SessionRow {
    /// The key the sign-out form names it by.
    pub key: String,
    /// The browser (`User-Agent`), or "Unknown browser".
    pub browser: String,
    /// The client address, or "unknown".
    pub ip: String,
    /// When it signed in.
    pub signed_in: String,
    /// When it was last active.
    pub last_active: String,
    /// The browser looking at the page.
    pub current: bool,
}

impl SessionRow {
    /// `session` as of `now_ms`.
    pub fn new(session: &SessionInfo, now_ms: i64) -> Self {
        Self {
            key: session.key.clone(),
            browser: session
                .user_agent
                .clone()
                .filter(|ua| !ua.trim().is_empty())
                .unwrap_or_else(|| "Unknown browser".into()),
            ip: session.ip.clone().unwrap_or_else(|| "unknown".into()),
            signed_in: when(session.created_at_ms, now_ms),
            last_active: when(session.last_seen_at_ms, now_ms),
            current: session.current,
        }
    }
}

/// `2026-11-28 15:04 UTC (5 min ago)`.
fn when(at_ms: i64, now_ms: i64) -> String {
    let date = time::OffsetDateTime::from_unix_timestamp(at_ms.div_euclid(1000))
        .map(|t| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_else(|_| "unknown".into());
    let minutes = now_ms.saturating_sub(at_ms).max(0) / 60_000;
    let ago = match minutes {
        0 => "just now".to_owned(),
        1..60 => format!("{minutes} min ago"),
        60..1440 => format!("{} h ago", minutes / 60),
        _ => format!("{} days ago", minutes / 1440),
    };
    format!("{date} ({ago})")
}

/// `GET /sessions`.
#[derive(Template)]
#[template(path = "sessions.html")]
pub struct SessionsPage {
    /// Frame.
    pub layout: Layout,
    /// CSRF token.
    pub csrf: String,
    /// What the last sign-out did.
    pub notice: Option<String>,
    /// The sessions, most recently active first.
    pub rows: Vec<SessionRow>,
    /// How many are not this browser's.
    pub others: usize,
}

/// A message page (errors, "no access").
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    /// Frame.
    pub layout: Layout,
    /// What happened.
    pub message: String,
    /// A link onward: (href, label).
    pub link: Option<(String, String)>,
}

/// Renders `page` with `status`. A template that fails to render is a 500.
pub fn render(status: StatusCode, page: &impl Template) -> Result<Response, WebError> {
    let html = page
        .render()
        .map_err(|e| WebError::Internal(anyhow::anyhow!("template failed: {e}")))?;
    Ok((status, Html(html)).into_response())
}

#[cfg(test)]
mod tests {
    use super::when;

    #[test]
    fn times_read_as_utc_with_their_age() {
        // 2026-11-28 15:04:05 UTC.
        let at = 1_795_878_245_000;
        assert_eq!(when(at, at + 30_000), "2026-11-28 15:04 UTC (just now)");
        assert_eq!(
            when(at, at + 5 * 60_000),
            "2026-11-28 15:04 UTC (5 min ago)"
        );
        assert_eq!(
            when(at, at + 3 * 3_600_000),
            "2026-11-28 15:04 UTC (3 h ago)"
        );
        assert_eq!(
            when(at, at + 2 * 86_400_000),
            "2026-11-28 15:04 UTC (2 days ago)"
        );
        assert_eq!(when(at, at - 1_000), "2026-11-28 15:04 UTC (just now)");
        assert_eq!(when(i64::MAX, 0), "unknown (just now)");
    }
}
