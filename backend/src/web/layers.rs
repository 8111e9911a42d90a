//! Response policies applied to every page of a site.

use crate::fusionauth::timing;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::Response;
use tower_sessions::cookie::{Cookie, SameSite};

/// Adds `Server-Timing` naming each FusionAuth call the request made, when enabled.
pub async fn server_timing(State(enabled): State<bool>, request: Request, next: Next) -> Response {
    if !enabled {
        return next.run(request).await;
    }
    let (mut response, calls) = timing::scope(next.run(request)).await;
    if !calls.is_empty()
        && let Ok(value) = HeaderValue::from_str(&timing::header_value(&calls))
    {
        response.headers_mut().append("server-timing", value);
    }
    response
}

/// `Cache-Control: no-store` on every response: pages are private or set cookies, and there are
/// no static assets worth caching.
pub async fn no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// What the pages may load and do: only this origin's resources (and the `data:` icon), forms
/// that post only to this site (a `<form action>` injected into a page cannot send a password
/// elsewhere; the identity server is never a form target), no framing (clickjacking of the
/// login form), no `<base>` to re-point relative links and actions, no plugins, and no inline
/// script or style (the stylesheet is a file).
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The security headers of every site response, with why each is there (docs/security.md lists
/// them too).
pub const SECURITY_HEADERS: [(HeaderName, &str); 6] = [
    (CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_VALUE),
    // For browsers that predate `frame-ancestors`.
    (X_FRAME_OPTIONS, "DENY"),
    // No response is sniffed into a type it was not sent as (a page or text into script).
    (X_CONTENT_TYPE_OPTIONS, "nosniff"),
    // As the pages' `<meta name=referrer>`: full URLs stay on the site. Not `no-referrer`, under
    // which Chromium sends `Origin: null` on form posts and the origin check refuses them.
    (REFERRER_POLICY, "same-origin"),
    // Another window this page opens, or that opened it, gets no handle on it.
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
    // Features the pages never use, off for them and anything they could embed.
    (
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    ),
];

/// Adds [`SECURITY_HEADERS`] to every response, error pages and refusals included, so that a
/// route added later has them too.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    add_security_headers(response.headers_mut());
    response
}

fn add_security_headers(headers: &mut HeaderMap) {
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// `GET /site.css`: the pages' one stylesheet, compiled in.
pub async fn stylesheet() -> ([(HeaderName, &'static str); 1], &'static str) {
    (
        [(CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/site.css"),
    )
}

/// The attributes every session cookie must carry.
#[derive(Clone, Copy, Debug)]
pub struct CookiePolicy {
    /// The session cookie's name.
    pub name: &'static str,
    /// Add `Secure` (the site is https).
    pub secure: bool,
}

/// Rewrites every `Set-Cookie` of the session cookie — the removal one included, which
/// tower-sessions 0.14 sends bare — to `HttpOnly; SameSite=Lax; Path=/`, no `Domain`, and
/// `Secure` on https, where the cookie is named with the `__Host-` prefix that requires
/// exactly those (a browser drops a `__Host-` cookie lacking any of them).
pub async fn cookie_policy(
    State(policy): State<CookiePolicy>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let values: Vec<HeaderValue> = headers.get_all(SET_COOKIE).iter().cloned().collect();
    if values.is_empty() {
        return response;
    }
    headers.remove(SET_COOKIE);
    for value in values {
        let rewritten = value
            .to_str()
            .ok()
            .and_then(|text| Cookie::parse(text.to_owned()).ok())
            .filter(|cookie| cookie.name() == policy.name)
            .and_then(|mut cookie| {
                cookie.set_http_only(true);
                cookie.set_same_site(SameSite::Lax);
                cookie.set_path("/");
                cookie.unset_domain();
                cookie.set_secure(policy.secure);
                HeaderValue::from_str(&cookie.encoded().to_string()).ok()
            });
        headers.append(SET_COOKIE, rewritten.unwrap_or(value));
    }
    response
}
