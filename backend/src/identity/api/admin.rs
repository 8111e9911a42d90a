//! Administration: applications, the tenant's settings, user actions, login records, status.
//! These are what a kickstart file calls; all need the API key except the status probe.

use super::ApiError;
use super::body::{JsonObject, check, missing, parse_id};
use super::login::json;
use crate::fusionauth::model::{Errors, LoginRecordSearchResponse};
use crate::identity::State;
use crate::identity::db::{
    ApplicationRecord, DEFAULT_JWT_TTL_SECONDS, DEFAULT_REFRESH_TTL_MINUTES, TenantConfig,
};
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

/// `GET /api/status`: 200 while the server and its database answer.
pub async fn status(AxumState(identity): AxumState<State>) -> Result<Response, ApiError> {
    identity.db.is_empty().await?;
    Ok(json(StatusCode::OK, &json!({ "status": "ok" })))
}

/// `POST /api/application`.
pub async fn create_application(
    state: AxumState<State>,
    headers: HeaderMap,
    body: JsonObject,
) -> Result<Response, ApiError> {
    create(state, headers, Uuid::new_v4(), body).await
}

/// `POST /api/application/{applicationId}`.
pub async fn create_application_with_id(
    state: AxumState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: JsonObject,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "applicationId")?;
    create(state, headers, id, body).await
}

async fn create(
    AxumState(identity): AxumState<State>,
    headers: HeaderMap,
    id: Uuid,
    body: JsonObject,
) -> Result<Response, ApiError> {
    identity.authorize(&headers, true)?;
    let fields = body.required_object("application")?;
    let mut errors = Errors::default();
    let name = fields.required_string("name", &mut errors);
    let roles = fields.names("roles", &mut errors);
    let login = fields.object("loginConfiguration");
    let require_authentication = login
        .as_ref()
        .and_then(|l| l.bool("requireAuthentication", &mut errors))
        .unwrap_or(true);
    let generate_refresh_tokens = login
        .as_ref()
        .and_then(|l| l.bool("generateRefreshTokens", &mut errors))
        .unwrap_or(false);
    let jwt = fields.object("jwtConfiguration");
    let jwt_ttl_seconds = jwt
        .as_ref()
        .and_then(|j| j.i64("timeToLiveInSeconds", &mut errors))
        .unwrap_or(DEFAULT_JWT_TTL_SECONDS);
    let refresh_ttl_minutes = jwt
        .as_ref()
        .and_then(|j| j.i64("refreshTokenTimeToLiveInMinutes", &mut errors))
        .unwrap_or(DEFAULT_REFRESH_TTL_MINUTES);
    if jwt_ttl_seconds <= 0 || refresh_ttl_minutes <= 0 {
        errors.add_field(
            "application.jwtConfiguration",
            "invalid",
            "Lifetimes must be positive.",
        );
    }
    let Some(name) = name else {
        return Err(ApiError::BadRequest(errors));
    };
    check(errors)?;
    let record = ApplicationRecord {
        id,
        tenant_id: identity.tenant_id,
        name,
        roles: serde_json::to_string(&roles).map_err(anyhow::Error::from)?,
        require_authentication,
        generate_refresh_tokens,
        jwt_ttl_seconds,
        refresh_ttl_minutes,
    };
    if !identity.insert_application(record.clone()).await? {
        return Err(ApiError::field(
            "applicationId",
            "duplicate",
            "An application with this id already exists.",
        ));
    }
    tracing::info!(application = %id, name = %record.name, "application created");
    Ok(json(
        StatusCode::OK,
        &json!({ "application": {
            "id": id,
            "tenantId": identity.tenant_id,
            "name": record.name,
            "active": true,
            "roles": roles.iter().map(|r| json!({ "name": r })).collect::<Vec<_>>(),
            "loginConfiguration": {
                "requireAuthentication": require_authentication,
                "generateRefreshTokens": generate_refresh_tokens,
            },
            "jwtConfiguration": {
                "timeToLiveInSeconds": jwt_ttl_seconds,
                "refreshTokenTimeToLiveInMinutes": refresh_ttl_minutes,
            },
        }}),
    ))
}

/// `PATCH /api/tenant/{tenantId}`: merges `tenant` into the tenant's configuration (the
/// failed-login lock, the email-verification gate and the issuer are read from it).
pub async fn patch_tenant(
    AxumState(identity): AxumState<State>,
    headers: HeaderMap,
    Path(tenant_id): Path<String>,
    body: JsonObject,
) -> Result<Response, ApiError> {
    identity.authorize(&headers, true)?;
    let tenant_id = Uuid::parse_str(&tenant_id)
        .ok()
        .filter(|id| *id == identity.tenant_id)
        .ok_or(ApiError::NotFound)?;
    let mut config = identity
        .db
        .tenant_config_json(tenant_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let Some(patch) = body.0.get("tenant").filter(|t| t.is_object()) else {
        return Err(missing("tenant"));
    };
    merge(&mut config, patch);
    if let Err(error) = serde_json::from_value::<TenantConfig>(config.clone()) {
        return Err(ApiError::field(
            "tenant",
            "invalid",
            format!("Invalid tenant configuration: {error}"),
        ));
    }
    identity.set_tenant_config(&config).await?;
    let mut tenant = config;
    if let Value::Object(map) = &mut tenant {
        map.insert("id".into(), json!(tenant_id));
    }
    Ok(json(StatusCode::OK, &json!({ "tenant": tenant })))
}

/// `POST /api/user-action/{userActionId}`: defines an action (e.g. the lock applied after
/// failed logins, named by the tenant's `failedAuthenticationConfiguration.userActionId`).
pub async fn create_user_action(
    AxumState(identity): AxumState<State>,
    headers: HeaderMap,
    Path(action_id): Path<String>,
    body: JsonObject,
) -> Result<Response, ApiError> {
    identity.authorize(&headers, true)?;
    let action_id = parse_id(&action_id, "userActionId")?;
    let fields = body.required_object("userAction")?;
    let mut errors = Errors::default();
    let name = fields.required_string("name", &mut errors);
    let prevent_login = fields.bool("preventLogin", &mut errors).unwrap_or(false);
    let temporal = fields.bool("temporal", &mut errors).unwrap_or(false);
    let Some(name) = name else {
        return Err(ApiError::BadRequest(errors));
    };
    check(errors)?;
    if !identity
        .db
        .insert_action_definition(action_id, &name, prevent_login, temporal)
        .await?
    {
        return Err(ApiError::field(
            "userActionId",
            "duplicate",
            "A user action with this id already exists.",
        ));
    }
    Ok(json(
        StatusCode::OK,
        &json!({ "userAction": { "id": action_id, "name": name, "preventLogin": prevent_login, "temporal": temporal } }),
    ))
}

/// `GET /api/system/login-record/search?userId=…&numberOfResults=…`: the user's logins,
/// newest first, with the IP address each came from.
pub async fn search_login_records(
    AxumState(identity): AxumState<State>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    identity.authorize(&headers, true)?;
    let user_id = query
        .get("userId")
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| {
            ApiError::field(
                "userId",
                "couldNotConvert",
                "You must specify a valid [userId].",
            )
        })?;
    let limit = query
        .get("numberOfResults")
        .and_then(|n| n.parse::<i64>().ok())
        .unwrap_or(25)
        .clamp(1, 500);
    let logins = identity.db.login_records(user_id, limit).await?;
    let total = logins.len() as u64;
    Ok(json(
        StatusCode::OK,
        &LoginRecordSearchResponse { logins, total },
    ))
}

/// JSON merge: objects merge key by key, anything else replaces.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                merge(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}
