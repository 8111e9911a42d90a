//! `POST /logout`: deletes the session from the store (a stolen id stops working), clears the
//! cookie and the browser's cache of the site, revokes FusionAuth's refresh token, and goes home.

use super::guard::check_form;
use super::{SiteState, WebError, see_other};
use crate::session::AuthSession;
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
    if auth.user().await?.is_some() {
        check_form(&state, &headers, &auth, &form.csrf_token).await?;
    }
    // Without a valid session there is nothing to protect: clear whatever is left.
    if let Some(user) = auth.logout().await?
        && let Some(refresh_token) = &user.refresh_token
        && let Err(error) = state.fusionauth.logout(refresh_token).await
    {
        // The session is gone either way; the refresh token expires on its own.
        tracing::warn!(%error, user = %user.user.id, "FusionAuth logout failed");
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
