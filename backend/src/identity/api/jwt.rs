//! `GET /api/jwt/validate` and `POST /api/jwt/refresh`.

use super::ApiError;
use super::body::{JsonObject, check};
use super::login::{issue_token, json};
use crate::clock::now_ms;
use crate::fusionauth::model::{Errors, JwtRefreshResponse, ValidateResponse};
use crate::identity::State;
use axum::extract::State as AxumState;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// 200 with the claims of a valid, unexpired token; 401 otherwise.
pub async fn validate(
    AxumState(identity): AxumState<State>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = bearer(&headers)
        .or_else(|| cookie(&headers, "access_token"))
        .ok_or(ApiError::Unauthorized)?;
    let claims = identity
        .signer
        .validate(&token)
        .ok_or(ApiError::Unauthorized)?;
    Ok(json(StatusCode::OK, &ValidateResponse { jwt: claims }))
}

/// A new access token for a valid refresh token (which stays the same: FusionAuth's default
/// "reusable" policy). A revoked, expired or unknown token, or one whose user can no longer log
/// in, gets 400 `[invalid]refreshToken`, as FusionAuth answers.
pub async fn refresh(
    AxumState(identity): AxumState<State>,
    headers: HeaderMap,
    body: JsonObject,
) -> Result<Response, ApiError> {
    let mut errors = Errors::default();
    let token = body
        .fields()
        .string("refreshToken", &mut errors)
        .or_else(|| cookie(&headers, "refresh_token"));
    check(errors)?;
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(ApiError::field(
            "refreshToken",
            "blank",
            "You must specify [refreshToken].",
        ));
    };
    let invalid = || ApiError::field("refreshToken", "invalid", "The refresh token is not valid.");
    let now = now_ms();
    let record = identity
        .db
        .refresh_token(&token)
        .await?
        .ok_or_else(invalid)?;
    if record.expires_at <= now {
        return Err(invalid());
    }
    let user = identity
        .db
        .user_by_id(record.user_id)
        .await?
        .ok_or_else(invalid)?;
    if !user.active || user.expiry.is_some_and(|e| e <= now) {
        return Err(invalid());
    }
    let view = identity.db.user_view(&user).await?;
    let (application_id, refresh_token_id) = (record.application_id, record.id);
    let registration = view.registration(application_id).ok_or_else(invalid)?;
    let application = identity.application(application_id).ok_or_else(invalid)?;
    let (access, _) = issue_token(
        &identity,
        &user,
        Some((application_id, registration.roles.clone())),
        Some(refresh_token_id),
        "REFRESH_TOKEN",
        user.last_login_instant.unwrap_or(now) / 1000,
        application.jwt_ttl_seconds,
    )
    .await?;
    Ok(json(
        StatusCode::OK,
        &JwtRefreshResponse {
            token: access,
            refresh_token: token,
            refresh_token_id,
        },
    ))
}

/// The token of `Authorization: Bearer <jwt>` (or FusionAuth's `JWT <jwt>`).
pub(super) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("jwt"))
        .then(|| token.trim().to_owned())
}

/// A cookie's value from the `Cookie` headers.
pub(super) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}
