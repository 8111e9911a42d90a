//! JSON views of the pages (`Accept: application/json`).

use serde::{Deserialize, Serialize};

/// Who is logged in, as the apps keep it in the session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    /// FusionAuth user id.
    pub id: String,
    /// Email.
    pub email: Option<String>,
    /// Display name.
    pub name: String,
    /// Roles in this site's application.
    pub roles: Vec<String>,
}

/// One line of a cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartItem {
    /// Product code.
    pub sku: String,
    /// Product name.
    pub name: String,
    /// How many.
    pub quantity: u32,
    /// Unit price in cents.
    pub unit_price_cents: u64,
    /// `quantity × unit_price_cents`.
    pub line_total_cents: u64,
}

/// The `/shopping-cart` page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    /// The owner.
    pub user: UserView,
    /// The lines.
    pub items: Vec<CartItem>,
    /// Sum of the line totals, in cents.
    pub total_cents: u64,
}

/// One forum post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    /// Post id.
    pub id: i64,
    /// Author's display name.
    pub author: String,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// When, RFC 3339.
    pub created_at: String,
}

/// The `/posts` page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posts {
    /// Who is reading.
    pub user: UserView,
    /// Newest first.
    pub posts: Vec<Post>,
}

/// One of the user's sessions on a site, as the sessions page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEntry {
    /// Names the session on the sign-out form. It is a hash of the session id, not the cookie:
    /// it cannot be used to sign in.
    pub key: String,
    /// When it was created by a login, epoch ms.
    pub created_at_ms: i64,
    /// When a request last extended it, epoch ms.
    pub last_seen_at_ms: i64,
    /// The browser's `User-Agent`.
    pub user_agent: Option<String>,
    /// The client's address.
    pub ip: Option<String>,
    /// True for the session that asked.
    pub current: bool,
}

/// The `/sessions` page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sessions {
    /// Whose sessions.
    pub user: UserView,
    /// Most recently seen first.
    pub sessions: Vec<SessionEntry>,
}

/// The JSON body of a 401 for API-style requests without a valid session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unauthorized {
    /// Always `unauthorized`.
    pub error: String,
    /// Where to log in.
    pub login_url: String,
}

/// Formats cents as dollars, e.g. `1234` → `$12.34`.
pub fn format_cents(cents: u64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cents_are_formatted_as_dollars() {
        assert_eq!(super::format_cents(1234), "$12.34");
        assert_eq!(super::format_cents(5), "$0.05");
    }
}
