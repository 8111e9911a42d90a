//! The Forums' `/posts`: read them (user from the session, no call to FusionAuth) and write one.

use super::guard::{SignedIn, UserForm, WantsJson, csrf_form};
use super::pages::{Layout, PostsPage, render};
use super::{SiteState, WebError, see_other};
use crate::data::PostError;
use crate::session::{AuthSession, SessionUser};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::model::Posts;
use shared::paths::forums;

/// How many posts a page shows.
const PAGE_SIZE: i64 = 50;

/// The posts page.
pub async fn show(
    State(state): State<SiteState>,
    auth: AuthSession,
    SignedIn(user): SignedIn,
    WantsJson(json): WantsJson,
) -> Result<Response, WebError> {
    let posts = state.data.posts.latest(PAGE_SIZE).await?;
    if json {
        return Ok(Json(Posts {
            user: user.user,
            posts,
        })
        .into_response());
    }
    page(
        &state,
        &auth,
        &user,
        StatusCode::OK,
        None,
        String::new(),
        String::new(),
    )
    .await
}

/// The write-a-post form.
#[derive(Debug, Deserialize)]
pub struct PostForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

csrf_form!(PostForm, page = forums::POSTS);

/// Writes a post, then back to the posts.
pub async fn create(
    State(state): State<SiteState>,
    auth: AuthSession,
    UserForm(user, form): UserForm<PostForm>,
) -> Result<Response, WebError> {
    match state
        .data
        .posts
        .create(&user.user.id, &user.user.name, &form.title, &form.body)
        .await
    {
        Ok(_) => Ok(see_other(forums::POSTS)),
        Err(PostError::Database(error)) => Err(error.into()),
        Err(error) => {
            let message = error.to_string();
            let message = format!("{}{}.", message[..1].to_uppercase(), &message[1..]);
            page(
                &state,
                &auth,
                &user,
                StatusCode::BAD_REQUEST,
                Some(message),
                form.title,
                form.body,
            )
            .await
        }
    }
}

async fn page(
    state: &SiteState,
    auth: &AuthSession,
    user: &SessionUser,
    status: StatusCode,
    error: Option<String>,
    draft_title: String,
    draft_body: String,
) -> Result<Response, WebError> {
    let csrf = auth.csrf_token().await?;
    let page = PostsPage {
        layout: Layout::new(state.site, "Posts").logged_in(&user.user.name, csrf.clone()),
        csrf,
        posts: state.data.posts.latest(PAGE_SIZE).await?,
        error,
        draft_title,
        draft_body,
    };
    render(status, &page)
}
