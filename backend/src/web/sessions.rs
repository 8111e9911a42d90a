//! `/sessions`: the signed-in user's sessions on this site (browser, address, when signed in, last
//! active) with a sign-out button for each, "sign out all other sessions" and "sign out
//! everywhere". Ending a session tombstones it in the session storage: that browser's cookie stops
//! working on its next request. Each site lists only its own sessions (no single sign-on, no shared
//! sign-out).

use super::guard::{SignedIn, UserForm, WantsJson, csrf_form};
use super::pages::{Layout, SessionRow, SessionsPage, render};
use super::sign_out::sign_out;
use super::{SiteState, WebError, see_other};
use crate::session::{AuthSession, SessionKey};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::model::Sessions;
use shared::paths::{common, form};

/// Query of `GET /sessions`: how many sessions the last sign-out ended.
#[derive(Debug, Deserialize)]
pub struct SessionsQuery {
    ended: Option<String>,
}

/// The sessions page.
pub async fn show(
    State(state): State<SiteState>,
    auth: AuthSession,
    WantsJson(json): WantsJson,
    Query(query): Query<SessionsQuery>,
    SignedIn(user): SignedIn,
) -> Result<Response, WebError> {
    let sessions = auth.sessions(&user.user.id).await?;
    if json {
        let body = Sessions {
            user: user.user,
            sessions,
        };
        return Ok(Json(body).into_response());
    }
    let now = crate::clock::now_ms();
    let csrf = auth.csrf_token().await?;
    let page = SessionsPage {
        layout: Layout::new(state.site, "Your sessions").logged_in(&user.user.name, csrf.clone()),
        csrf,
        notice: query.ended.as_deref().and_then(ended_notice),
        others: sessions.iter().filter(|s| !s.current).count(),
        rows: sessions.iter().map(|s| SessionRow::new(s, now)).collect(),
    };
    render(StatusCode::OK, &page)
}

/// The sign-out form: `session` is a key from the list, `others` or `all`.
#[derive(Debug, Deserialize)]
pub struct EndForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    session: String,
}

csrf_form!(EndForm, page = common::SESSIONS);

/// Signs out one session, all others, or all.
pub async fn end(
    State(state): State<SiteState>,
    auth: AuthSession,
    UserForm(user, request): UserForm<EndForm>,
) -> Result<Response, WebError> {
    let user_id = &user.user.id;
    let ended = match request.session.as_str() {
        form::SESSION_ALL => {
            let others = auth.end_others(user_id).await?;
            tracing::info!(site = state.site.name(), user = %user_id, others, "signed out everywhere");
            return sign_out(&state, &auth).await;
        }
        form::SESSION_OTHERS => auth.end_others(user_id).await?,
        key => {
            let key = key
                .parse::<SessionKey>()
                .map_err(|_| WebError::BadRequest("That is not one of your sessions.".into()))?;
            if auth.key().await? == Some(key) {
                return sign_out(&state, &auth).await;
            }
            if !auth.end_other(user_id, key).await? {
                return Err(WebError::BadRequest(
                    "That session has already ended, or is not one of yours.".into(),
                ));
            }
            1
        }
    };
    Ok(see_other(&format!("{}?ended={ended}", common::SESSIONS)))
}

/// The notice after a sign-out that ended `count` sessions.
fn ended_notice(count: &str) -> Option<String> {
    Some(match count.parse::<usize>().ok()? {
        0 => "There were no other sessions to sign out.".to_owned(),
        1 => "Signed out 1 session.".to_owned(),
        n => format!("Signed out {n} sessions."),
    })
}

#[cfg(test)]
mod tests {
    use super::ended_notice;

    #[test]
    fn the_notice_counts_what_ended_and_ignores_anything_else() {
        assert_eq!(ended_notice("1").as_deref(), Some("Signed out 1 session."));
        assert_eq!(ended_notice("3").as_deref(), Some("Signed out 3 sessions."));
        assert_eq!(
            ended_notice("0").as_deref(),
            Some("There were no other sessions to sign out.")
        );
        for junk in ["", "-1", "x", "<b>", "99999999999999999999999"] {
            assert_eq!(ended_notice(junk), None, "{junk}");
        }
    }
}
