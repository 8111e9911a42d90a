//! The identity server's HTTP API: FusionAuth's routes, request and response shapes.
//!
//! Every handler returns `Result<Response, ApiError>`; [`ApiError`] is the one place where
//! failures become status codes. Bad input is a 400 Errors object, never a 500.

mod admin;
mod body;
mod error;
mod jwt;
mod login;
mod logout;
mod user;

pub use body::MAX_BODY_BYTES;
pub use error::ApiError;

use super::State;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, X_CONTENT_TYPE_OPTIONS};
use axum::middleware;
use axum::response::Response;
use axum::routing::{delete, get, patch, post};

/// The API router over the server's state.
pub fn router(state: State) -> Router {
    Router::new()
        .route("/api/status", get(admin::status))
        .route("/api/login", post(login::login))
        .route("/api/two-factor/login", post(login::two_factor_login))
        .route("/api/logout", post(logout::logout))
        .route("/api/jwt/validate", get(jwt::validate))
        .route("/api/jwt/refresh", post(jwt::refresh))
        .route(
            "/api/user/change-password/{change_password_id}",
            post(user::change_password),
        )
        .route("/api/user", get(user::search).post(user::create))
        .route(
            "/api/user/{user_id}",
            get(user::retrieve)
                .post(user::create_with_id)
                .patch(user::update)
                .delete(user::delete),
        )
        .route("/api/user/registration", post(user::register))
        .route(
            "/api/user/registration/{user_id}",
            post(user::register_with_id),
        )
        .route(
            "/api/user/registration/{user_id}/{application_id}",
            delete(user::deregister),
        )
        .route("/api/application", post(admin::create_application))
        .route(
            "/api/application/{application_id}",
            post(admin::create_application_with_id),
        )
        .route("/api/tenant/{tenant_id}", patch(admin::patch_tenant))
        .route(
            "/api/user-action/{action_id}",
            post(admin::create_user_action),
        )
        .route(
            "/api/system/login-record/search",
            get(admin::search_login_records),
        )
        .fallback(error::not_found)
        .layer(middleware::map_response(never_sniffed_or_stored))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// `X-Content-Type-Options: nosniff` (JSON is never sniffed into anything else) and
/// `Cache-Control: no-store` (answers carry tokens and users: no cache keeps them) on every answer.
async fn never_sniffed_or_stored(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
