//! Ending a signed-in session from the web side: the session goes from the session storage and
//! FusionAuth's refresh token is revoked. Used by the logout form, the sessions page's "sign out
//! everywhere" and revalidation, so it sits below all three.

use super::{SiteState, WebError, see_other};
use crate::session::{AuthSession, SessionUser};
use axum::http::HeaderValue;
use axum::response::Response;

/// Ends this request's session and answers as a logout does: home, with the browser told to
/// drop the site's cookies and cache.
pub async fn sign_out(state: &SiteState, auth: &AuthSession) -> Result<Response, WebError> {
    if let Some(user) = auth.logout().await? {
        revoke_refresh_token(state, &user).await;
    }
    let mut response = see_other("/");
    response
        .headers_mut()
        // "cache" also evicts the back/forward cache, so Back cannot show the private page
        // again (Chromium restores no-store pages from it).
        .insert(
            "clear-site-data",
            HeaderValue::from_static("\"cache\", \"cookies\""),
        );
    Ok(response)
}

/// Revokes the refresh token FusionAuth gave at `user`'s login, if any. A failure is logged:
/// the session is gone either way, and the token expires on its own.
pub async fn revoke_refresh_token(state: &SiteState, user: &SessionUser) {
    if let Some(refresh_token) = &user.refresh_token
        && let Err(error) = state.fusionauth.logout(refresh_token).await
    {
        tracing::warn!(%error, user = %user.user.id, "FusionAuth logout failed");
    }
}
