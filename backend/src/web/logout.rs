//! `POST /logout`: deletes the session from the store (a stolen id stops working), clears the
//! cookie and the browser's cache of the site, revokes FusionAuth's refresh token, and goes home.

use super::guard::{check_form, signed_in};
use super::{SiteState, WebError, see_other};
use crate::session::{AuthSession, SessionUser};
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use serde::Deserialize;

/// The logout form.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

/// Logs out.
pub async fn logout(
    State(state): State<SiteState>,
    auth: AuthSession,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Result<Response, WebError> {
    if signed_in(&state, &auth).await?.is_some() {
        check_form(&state, &headers, &auth, &form.csrf_token).await?;
    }
    // Without a valid session there is nothing to protect: clear whatever is left.
    sign_out(&state, &auth).await
}

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
