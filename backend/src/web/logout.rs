//! `POST /logout`: deletes the session from the session storage (a stolen id stops working), clears
//! the cookie and the browser's cache of the site, revokes FusionAuth's refresh token, and goes
//! home.

use super::guard::{CsrfFormIfSignedIn, csrf_form};
use super::sign_out::sign_out;
use super::{SiteState, WebError};
use crate::session::AuthSession;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

/// The logout form.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

csrf_form!(LogoutForm);

/// Logs out.
pub async fn logout(
    State(state): State<SiteState>,
    auth: AuthSession,
    _: CsrfFormIfSignedIn<LogoutForm>,
) -> Result<Response, WebError> {
    sign_out(&state, &auth).await
}
