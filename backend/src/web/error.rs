//! The apps' one error type, mapped to pages in one place. 5xx pages are opaque; the cause is
//! logged.

use super::pages::{Layout, MessagePage, render};
use super::rate_limit::retry_after_seconds;
use crate::session::SessionError;
use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use shared::model::Unauthorized;
use shared::paths::common;
use shared::site::Site;
use std::time::Duration;

/// Why a request could not be served.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No valid session: pages redirect to the login form, JSON requests get 401.
    #[error("login required")]
    LoginRequired {
        /// The path to come back to.
        next: String,
        /// The client asked for JSON.
        json: bool,
    },
    /// A state-changing request without a valid CSRF token, or from another origin: 403.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Bad form input: 400 with the message.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A form body that cannot be read: too large (413), not a form (415), or fields of the
    /// wrong shape (422, 400). Its status, on the site's page.
    #[error("unreadable form: {0}")]
    UnreadableForm(#[from] FormRejection),
    /// Too many login attempts: 429 with `Retry-After`; the login page's look, or JSON for JSON
    /// callers.
    #[error("too many login attempts ({budget})")]
    TooManyRequests {
        /// Which budget ran out (`per IP`, `per account`), for the log.
        budget: &'static str,
        /// Until the next attempt is allowed.
        retry_after: Duration,
        /// The client asked for JSON.
        json: bool,
    },
    /// FusionAuth cannot be used right now: 503 "login is temporarily unavailable".
    #[error("login unavailable: {0}")]
    LoginUnavailable(String),
    /// The shared login rate limits (Redis) cannot be reached: 503, never an uncounted attempt.
    #[error("login rate limits unavailable: {0}")]
    LimitsUnavailable(String),
    /// The session storage failed: 503, never an anonymous fallback.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The site's database cannot be reached (see [`crate::db::is_unavailable`]): 503.
    #[error("database unavailable: {0}")]
    DatabaseUnavailable(sqlx::Error),
    /// Anything else: 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for WebError {
    fn from(error: sqlx::Error) -> Self {
        if crate::db::is_unavailable(&error) {
            Self::DatabaseUnavailable(error)
        } else {
            Self::Internal(error.into())
        }
    }
}

impl WebError {
    /// Renders the error for `site`.
    pub fn into_page(self, site: Site) -> Response {
        let (status, title, message, link) = match self {
            Self::LoginRequired { next, json } => {
                let location = format!("{}?next={}", common::LOGIN, encode(&next));
                if json {
                    let body = Unauthorized {
                        error: "unauthorized".into(),
                        login_url: location,
                    };
                    return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
                }
                return super::see_other(&location);
            }
            Self::Forbidden(reason) => {
                tracing::warn!(site = site.name(), reason, "request refused");
                (
                    StatusCode::FORBIDDEN,
                    "Request refused",
                    "This form has expired or did not come from this site. Reload the page and try again.".to_owned(),
                    Some(back_home()),
                )
            }
            // Logged (sparingly) and counted where the attempt was refused: `super::refusals`.
            Self::TooManyRequests {
                retry_after, json, ..
            } => return too_many_requests(site, retry_after, json),
            Self::BadRequest(message) => (StatusCode::BAD_REQUEST, "Bad request", message, None),
            Self::UnreadableForm(rejection) => {
                let status = rejection.status();
                let (title, message) = match status {
                    StatusCode::PAYLOAD_TOO_LARGE => (
                        "Form too large",
                        "The form is larger than this site accepts.",
                    ),
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                        "Not a form",
                        "This address takes a form (application/x-www-form-urlencoded).",
                    ),
                    _ => (
                        "Bad form",
                        "The form could not be read. Reload the page and try again.",
                    ),
                };
                (status, title, message.to_owned(), Some(back_home()))
            }
            Self::LoginUnavailable(reason) => {
                tracing::error!(site = site.name(), reason, "login unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Login unavailable",
                    "Login is temporarily unavailable. Please try again in a moment.".to_owned(),
                    Some((common::LOGIN.to_owned(), "Try again".to_owned())),
                )
            }
            Self::LimitsUnavailable(reason) => {
                tracing::error!(site = site.name(), reason, "login rate limits unavailable");
                let status = StatusCode::SERVICE_UNAVAILABLE;
                return render(status, &unavailable_page(site))
                    .unwrap_or_else(|_| status.into_response());
            }
            Self::Session(error) => {
                tracing::error!(site = site.name(), %error, "session store failed");
                let status = StatusCode::SERVICE_UNAVAILABLE;
                return render(status, &unavailable_page(site))
                    .unwrap_or_else(|_| status.into_response());
            }
            Self::DatabaseUnavailable(error) => {
                tracing::error!(site = site.name(), %error, "database unavailable");
                let status = StatusCode::SERVICE_UNAVAILABLE;
                return render(status, &unavailable_page(site))
                    .unwrap_or_else(|_| status.into_response());
            }
            Self::Internal(error) => {
                tracing::error!(
                    site = site.name(),
                    error = format!("{error:#}"),
                    "internal error"
                );
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Something went wrong on our side.".to_owned(),
                    None,
                )
            }
        };
        let page = MessagePage {
            layout: Layout::new(site, title),
            message,
            link,
        };
        render(status, &page).unwrap_or_else(|_| status.into_response())
    }
}

/// The link of a refusal page back to the home page.
fn back_home() -> (String, String) {
    ("/".to_owned(), "Home".to_owned())
}

/// The 429 answer: a page (or JSON) that says how long to wait, and `Retry-After` in seconds.
fn too_many_requests(site: Site, wait: Duration, json: bool) -> Response {
    let seconds = retry_after_seconds(wait);
    let status = StatusCode::TOO_MANY_REQUESTS;
    let mut response = if json {
        let body = serde_json::json!({ "error": "too_many_requests", "retryAfter": seconds });
        (status, Json(body)).into_response()
    } else {
        let unit = if seconds == 1 { "second" } else { "seconds" };
        let page = MessagePage {
            layout: Layout::new(site, "Too many attempts"),
            message: format!(
                "Too many login attempts. Please wait {seconds} {unit} and try again."
            ),
            link: Some((
                common::LOGIN.to_owned(),
                "Back to the login form".to_owned(),
            )),
        };
        render(status, &page).unwrap_or_else(|_| status.into_response())
    };
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Percent-encodes a path for use as a query value, keeping `/` readable
/// (`/login?next=/shopping-cart`); everything but unreserved characters is escaped.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Carries a [`WebError`] out of a handler to [`render_errors`], which knows the site.
#[derive(Clone)]
struct PendingError(std::sync::Arc<std::sync::Mutex<Option<WebError>>>);

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
        response
            .extensions_mut()
            .insert(PendingError(std::sync::Arc::new(std::sync::Mutex::new(
                Some(self),
            ))));
        response
    }
}

/// Marks every response that came out of the routes, so that [`fail_closed`], outside the
/// session layer, can tell them from the bare 500 the session layer makes when it cannot save.
#[derive(Clone, Copy, Debug)]
struct FromRoutes;

/// Middleware: turns a [`WebError`] returned by a handler into the site's error page.
pub async fn render_errors(
    axum::extract::State(site): axum::extract::State<Site>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    response.extensions_mut().insert(FromRoutes);
    let pending = response
        .extensions_mut()
        .remove::<PendingError>()
        .and_then(|p| p.0.lock().ok().and_then(|mut e| e.take()));
    match pending {
        Some(error) => {
            let mut page = error.into_page(site);
            // Keep what the handler's layers added (e.g. the session's Set-Cookie).
            for (name, value) in response.headers() {
                if name == axum::http::header::SET_COOKIE {
                    page.headers_mut().append(name, value.clone());
                }
            }
            page.extensions_mut().insert(FromRoutes);
            page
        }
        None => response,
    }
}

/// Middleware outside the session layer: the session storage failing is a 503 page, never a bare
/// 500 (docs/security.md, "Failing closed"). Failures while loading already arrive as
/// [`WebError::Session`]; this catches the save at the end of the request, which tower-sessions
/// answers with an empty 500 of its own, dropping the page and its cookie.
pub async fn fail_closed(
    axum::extract::State(site): axum::extract::State<Site>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    if response.extensions().get::<FromRoutes>().is_some() || !response.status().is_server_error() {
        return response;
    }
    tracing::error!(
        site = site.name(),
        status = response.status().as_u16(),
        "the session layer failed (the session could not be saved): answering 503"
    );
    let status = StatusCode::SERVICE_UNAVAILABLE;
    render(status, &unavailable_page(site)).unwrap_or_else(|_| status.into_response())
}

/// The page of a 503 for a failed session storage or database.
fn unavailable_page(site: Site) -> MessagePage {
    MessagePage {
        layout: Layout::new(site, "Service unavailable"),
        message: "The service is temporarily unavailable. Please try again in a moment.".to_owned(),
        link: None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_values_keep_slashes_and_escape_the_rest() {
        assert_eq!(super::encode("/shopping-cart"), "/shopping-cart");
        assert_eq!(
            super::encode("/posts?page=2&x=%"),
            "/posts%3Fpage%3D2%26x%3D%25"
        );
    }
}
