//! Checks shared by the handlers: who is logged in, whether a form may change state (CSRF token
//! and origin), whether the client wants JSON, and the client's address.

use super::revalidate::revalidate;
use super::{SiteState, WebError};
use crate::session::{AuthSession, SessionUser};
use axum::http::header::{ACCEPT, HOST, ORIGIN};
use axum::http::{HeaderMap, Uri};

/// The logged-in user, if the session is valid and (when due) FusionAuth still vouches for
/// them: see [`AuthSession::user`] and [`revalidate`].
pub async fn signed_in(
    state: &SiteState,
    auth: &AuthSession,
) -> Result<Option<SessionUser>, WebError> {
    match auth.user().await? {
        Some(user) => revalidate(state, auth, user).await,
        None => Ok(None),
    }
}

/// The logged-in user ([`signed_in`]), or [`WebError::LoginRequired`] to come back to `uri`.
pub async fn require_user(
    state: &SiteState,
    auth: &AuthSession,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<SessionUser, WebError> {
    match signed_in(state, auth).await? {
        Some(user) => Ok(user),
        None => Err(WebError::LoginRequired {
            next: uri
                .path_and_query()
                .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned()),
            json: wants_json(headers),
        }),
    }
}

/// True when the client prefers JSON (`Accept: application/json`).
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|t| t.trim().starts_with("application/json"))
        })
}

/// A logged-in user's state-changing form: the user (or the login redirect back to `page`),
/// then the origin and CSRF checks of [`check_form`].
pub async fn form_user(
    state: &SiteState,
    auth: &AuthSession,
    headers: &HeaderMap,
    page: &'static str,
    token: &str,
) -> Result<SessionUser, WebError> {
    let user = require_user(state, auth, &Uri::from_static(page), headers).await?;
    check_form(state, headers, auth, token).await?;
    Ok(user)
}

/// A state-changing form: it must come from this site's own pages (origin) and carry this
/// session's CSRF token.
pub async fn check_form(
    state: &SiteState,
    headers: &HeaderMap,
    auth: &AuthSession,
    token: &str,
) -> Result<(), WebError> {
    check_origin(state, headers)?;
    if token.is_empty() || !auth.csrf_matches(token).await? {
        return Err(WebError::Forbidden("missing or wrong CSRF token"));
    }
    Ok(())
}

/// Refuses requests a browser marks as coming from another origin. Store and Forums are
/// same-site (both `*.localhost`) but different origins, so `SameSite=Lax` alone would not stop
/// one from posting to the other. Clients that send neither header (curl, older browsers) pass
/// on the CSRF token alone.
pub fn check_origin(state: &SiteState, headers: &HeaderMap) -> Result<(), WebError> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Err(WebError::Forbidden("Sec-Fetch-Site is not same-origin"));
    }
    if let Some(origin) = headers.get(ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        let public = state.public_url.origin().ascii_serialization();
        let from_host = headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .map(|host| format!("{}://{host}", state.public_url.scheme()));
        if origin != public && Some(origin) != from_host.as_deref() {
            return Err(WebError::Forbidden("Origin is another site"));
        }
    }
    Ok(())
}
