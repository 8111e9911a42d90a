//! `POST /api/logout`: revokes a refresh token, or all of the user's with `global`.

use super::ApiError;
use super::body::{JsonObject, check};
use crate::fusionauth::model::Errors;
use crate::identity::State;
use axum::extract::{Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use uuid::Uuid;

/// FusionAuth's logout: `global` and `refreshToken` in the JSON body or the query string (the
/// official Python client sends the query string); the body wins. Always 200 for a valid
/// request, whether or not the token existed.
pub async fn logout(
    AxumState(identity): AxumState<State>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: JsonObject,
) -> Result<Response, ApiError> {
    let mut params = body.0;
    for (key, value) in query {
        params
            .entry(key)
            .or_insert(serde_json::Value::String(value));
    }
    let params = JsonObject(params);
    let fields = params.fields();
    let mut errors = Errors::default();
    let global = fields.bool("global", &mut errors).unwrap_or(false);
    let refresh_token = fields
        .string("refreshToken", &mut errors)
        .or_else(|| super::jwt::cookie(&headers, "refresh_token"));
    check(errors)?;

    let mut user_id = None;
    if let Some(token) = refresh_token.filter(|t| !t.is_empty()) {
        user_id = identity.db.revoke_refresh_token(&token).await?;
    }
    if user_id.is_none() {
        // Without a refresh token, `global` applies to the user of the bearer JWT.
        user_id = super::jwt::bearer(&headers)
            .and_then(|jwt| identity.signer.validate(&jwt))
            .and_then(|claims| Uuid::parse_str(claims.get("sub")?.as_str()?).ok());
    }
    if let (true, Some(user_id)) = (global, user_id) {
        let revoked = identity.db.revoke_user_refresh_tokens(user_id).await?;
        tracing::info!(user = %user_id, revoked, "global logout");
    } else if let Some(user_id) = &user_id {
        tracing::info!(user = %user_id, "logout");
    }
    Ok(StatusCode::OK.into_response())
}
