//! `POST /logout`: deletes the session from the store (a stolen id stops working), clears the
//! cookie and the browser's cache of the site, revokes FusionAuth's refresh token, and goes home.

use super::guard::{check_form, signed_in};
use super::sign_out::sign_out;
use super::{SiteState, WebError};
use crate::session::AuthSession;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
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
