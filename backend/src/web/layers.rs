//! Response policies applied to every page of a site.

use crate::fusionauth::timing;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, SET_COOKIE};
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
