//! The API's one error type and its mapping to FusionAuth's status codes and bodies.

use crate::fusionauth::model::Errors;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 with FusionAuth's Errors object.
    #[error("invalid request")]
    BadRequest(Errors),
    /// 401, empty: the API key (or bearer token) is missing or wrong.
    #[error("unauthorized")]
    Unauthorized,
    /// 404, empty.
    #[error("not found")]
    NotFound,
    /// 413, empty: the body is over [`super::MAX_BODY_BYTES`].
    #[error("request body too large")]
    TooLarge,
    /// 500, empty; the cause is logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A 400 with one field error `[kind]field`.
    pub fn field(field: &str, kind: &str, message: impl Into<String>) -> Self {
        Self::BadRequest(Errors::field(field, kind, message))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::BadRequest(errors) => (StatusCode::BAD_REQUEST, Json(errors)).into_response(),
            Self::Unauthorized => StatusCode::UNAUTHORIZED.into_response(),
            Self::NotFound => StatusCode::NOT_FOUND.into_response(),
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE.into_response(),
            Self::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "identity server error");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

/// Unknown paths: 404, empty.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}
