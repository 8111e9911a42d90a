//! `GET /`: a login link, or who you are and a logout button. Reading it creates no session.

use super::SiteState;
use super::WebError;
use super::guard::MaybeSignedIn;
use super::pages::{HomePage, Layout, render};
use crate::session::AuthSession;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

/// The home page.
pub async fn home(
    State(state): State<SiteState>,
    auth: AuthSession,
    MaybeSignedIn(user): MaybeSignedIn,
) -> Result<Response, WebError> {
    let mut layout = Layout::new(state.site, "Home");
    if let Some(user) = user {
        layout = layout.logged_in(&user.user.name, auth.csrf_token().await?);
    }
    render(StatusCode::OK, &HomePage { layout })
}
