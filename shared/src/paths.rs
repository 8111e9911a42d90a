//! Route paths, form field names, cookie names, element ids and default addresses.

/// Where the local identity server listens by default (FusionAuth's own default port).
pub const IDENTITY_DEFAULT_URL: &str = "http://127.0.0.1:9011";

/// Paths that both sites serve.
pub mod common {
    /// Home page.
    pub const HOME: &str = "/";
    /// Login form (GET) and its submission (POST).
    pub const LOGIN: &str = "/login";
    /// The authenticator-code form of a 242 login.
    pub const LOGIN_TWO_FACTOR: &str = "/login/two-factor";
    /// The new-password form of a 203 login.
    pub const LOGIN_CHANGE_PASSWORD: &str = "/login/change-password";
    /// Logout (POST only).
    pub const LOGOUT: &str = "/logout";
    /// The signed-in user's sessions on this site (GET; JSON with `Accept: application/json`).
    pub const SESSIONS: &str = "/sessions";
    /// Signs sessions out (POST form: `session` = a session's key from the list, or
    /// [`super::form::SESSION_OTHERS`], or [`super::form::SESSION_ALL`]).
    pub const SESSIONS_END: &str = "/sessions/end";
    /// Counters in Prometheus's text format, for clients on the same machine only (GET).
    pub const METRICS: &str = "/metrics";
    /// The pages' stylesheet (GET).
    pub const STYLESHEET: &str = "/site.css";
}

/// The Store.
pub mod store {
    /// Public URL in the embedded default.
    pub const DEFAULT_URL: &str = "http://store.localhost:8080";
    /// The session cookie's name over http.
    pub const SESSION_COOKIE: &str = "store_session";
    /// The session cookie's name when the Store is served over https: the `__Host-` prefix
    /// makes browsers accept it only `Secure`, with `Path=/` and no `Domain`.
    pub const SECURE_SESSION_COOKIE: &str = "__Host-store_session";
    /// The login form's CSRF cookie over http: a random nonce whose signature the form carries
    /// (a signed double-submit cookie), so showing the form stores nothing.
    pub const CSRF_COOKIE: &str = "store_csrf";
    /// The login form's CSRF cookie over https, `__Host-` like the session cookie.
    pub const SECURE_CSRF_COOKIE: &str = "__Host-store_csrf";
    /// The shopping cart (the page a login lands on).
    pub const CART: &str = "/shopping-cart";
    /// Add an item (POST form: `sku`, `quantity`).
    pub const CART_ADD: &str = "/shopping-cart/add";
    /// Remove an item (POST form: `sku`).
    pub const CART_REMOVE: &str = "/shopping-cart/remove";
}

/// The Forums.
pub mod forums {
    /// Public URL in the embedded default.
    pub const DEFAULT_URL: &str = "http://forums.localhost:8081";
    /// The session cookie's name over http.
    pub const SESSION_COOKIE: &str = "forums_session";
    /// The session cookie's name when the Forums are served over https (see
    /// [`super::store::SECURE_SESSION_COOKIE`]).
    pub const SECURE_SESSION_COOKIE: &str = "__Host-forums_session";
    /// The login form's CSRF cookie over http (see [`super::store::CSRF_COOKIE`]).
    pub const CSRF_COOKIE: &str = "forums_csrf";
    /// The login form's CSRF cookie over https (see [`super::store::SECURE_CSRF_COOKIE`]).
    pub const SECURE_CSRF_COOKIE: &str = "__Host-forums_csrf";
    /// The posts (the page a login lands on); POST writes one (form: `title`, `body`).
    pub const POSTS: &str = "/posts";
}

/// Form field names.
pub mod form {
    /// Email or username.
    pub const LOGIN_ID: &str = "loginId";
    /// Password (login) or new password (change-password).
    pub const PASSWORD: &str = "password";
    /// The CSRF token, on every state-changing form: the session's synchronizer token on a
    /// signed-in user's forms, the signature of the CSRF cookie's nonce on the login form.
    pub const CSRF_TOKEN: &str = "csrf_token";
    /// Where to go after logging in (a same-origin path).
    pub const NEXT: &str = "next";
    /// The authenticator code.
    pub const CODE: &str = "code";
    /// A cart item's SKU.
    pub const SKU: &str = "sku";
    /// A cart item's quantity.
    pub const QUANTITY: &str = "quantity";
    /// A post's title.
    pub const TITLE: &str = "title";
    /// A post's body.
    pub const BODY: &str = "body";
    /// Which session(s) to sign out on the sessions page.
    pub const SESSION: &str = "session";
    /// [`SESSION`]'s value for every session but the one asking ("sign out everywhere else").
    pub const SESSION_OTHERS: &str = "others";
    /// [`SESSION`]'s value for every session, the one asking included ("sign out everywhere").
    pub const SESSION_ALL: &str = "all";
}

/// `id`s of page elements a client recognises by something steadier than their prose.
pub mod element {
    /// The login page's notice that the session was ended because a retired session id was
    /// used after its grace period: suspected theft.
    pub const THEFT_NOTICE: &str = "session-theft-notice";
}
