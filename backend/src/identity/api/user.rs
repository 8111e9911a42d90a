//! The User and Registration APIs: retrieve, create, update (lock, expire, reset), delete,
//! register, and the change-password completion of a 203. All but change-password need the API
//! key. Kickstart creates its users through these same handlers.

use super::ApiError;
use super::body::{Fields, JsonObject, check, parse_id};
use super::login::json;
use crate::clock::now_ms;
use crate::fusionauth::model::{Errors, Registration, UserResponse};
use crate::identity::db::{PendingKind, UserRecord};
use crate::identity::{State, password, totp};
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// FusionAuth's default minimum password length.
const MIN_PASSWORD_LENGTH: usize = 8;

/// `GET /api/user/{userId}`.
pub async fn retrieve(
    AxumState(identity): AxumState<State>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
) -> Result<Response, ApiError> {
    identity.authorize(&headers, true)?;
    let user = find(&identity, &user_id).await?;
    respond_user(&identity, &user).await
}

/// `GET /api/user?email=…` (or `username`, `loginId`).
pub async fn search(
    AxumState(identity): AxumState<State>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    identity.authorize(&headers, true)?;
    let login_id = ["email", "username", "loginId"]
        .iter()
        .find_map(|key| query.get(*key))
        .ok_or_else(|| {
            ApiError::field(
                "email",
                "blank",
                "You must specify [email], [username] or [loginId].",
            )
        })?;
    let user = identity
        .db
        .user_by_login_id(login_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    respond_user(&identity, &user).await
}

/// `POST /api/user`: creates a user with a generated id.
pub async fn create(
    state: AxumState<State>,
    headers: HeaderMap,
    body: JsonObject,
) -> Result<Response, ApiError> {
    create_user(state, headers, Uuid::new_v4(), body).await
}

/// `POST /api/user/{userId}`.
pub async fn create_with_id(
    state: AxumState<State>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    body: JsonObject,
) -> Result<Response, ApiError> {
    create_user(state, headers, parse_id(&user_id, "userId")?, body).await
}

async fn create_user(
    AxumState(identity): AxumState<State>,
    headers: HeaderMap,
    user_id: Uuid,
    body: JsonObject,
) -> Result<Response, ApiError> {
    identity.authorize(&headers, true)?;
    let user = new_user(&identity, user_id, &body).await?;
    respond_user(&identity, &user).await
}

/// `POST /api/user/registration`: registers an existing or new user for an application.
pub async fn register(
    state: AxumState<State>,
    headers: HeaderMap,
    body: JsonObject,
) -> Result<Response, ApiError> {
    let user_id = body
        .object("user")
        .and_then(|u| u.map.get("id").and_then(Value::as_str).map(str::to_owned));
    let user_id = match user_id {
        Some(id) => parse_id(&id, "user.id")?,
        None => Uuid::new_v4(),
    };
    register_user(state, headers, user_id, body).await
}

/// `POST /api/user/registration/{userId}`.
pub async fn register_with_id(
    state: AxumState<State>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    body: JsonObject,
) -> Result<Response, ApiError> {
    register_user(state, headers, parse_id(&user_id, "userId")?, body).await
}

async fn register_user(
    AxumState(identity): AxumState<State>,
    headers: HeaderMap,
    user_id: Uuid,
    body: JsonObject,
) -> Result<Response, ApiError> {
    identity.authorize(&headers, true)?;
    let mut errors = Errors::default();
    let registration_fields = body.required_object("registration")?;
    let application_id = registration_fields.uuid("applicationId", &mut errors);
    let roles = registration_fields.names("roles", &mut errors);
    let username = registration_fields.string("username", &mut errors);
    check(errors)?;
    let Some(application_id) = application_id else {
        return Err(ApiError::field(
            "registration.applicationId",
            "blank",
            "You must specify [registration.applicationId].",
        ));
    };
    if identity.application(application_id).is_none() {
        return Err(ApiError::field(
            "registration.applicationId",
            "invalid",
            "No application exists with that id.",
        ));
    }
    // Validate the user before creating anything, so a bad request leaves no trace.
    let user =
        if body.object("user").is_some() {
            new_user(&identity, user_id, &body).await?
        } else {
            identity.db.user_by_id(user_id).await?.ok_or_else(|| {
                ApiError::field("userId", "invalid", "No user exists with that id.")
            })?
        };
    let registration = Registration {
        id: Uuid::new_v4(),
        application_id,
        roles,
        username,
        verified: true,
        insert_instant: Some(now_ms()),
        last_login_instant: None,
    };
    if !identity
        .db
        .insert_registration(user.id, &registration)
        .await?
    {
        return Err(ApiError::field(
            "registration.applicationId",
            "duplicate",
            "The user is already registered for this application.",
        ));
    }
    let view = identity.db.user_view(&user).await?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "user": view, "registration": registration }),
    ))
}

/// `PATCH /api/user/{userId}`: changes the given fields. `active: false` locks the user (423),
/// `expiry` in the past expires them (410), `password` resets it; the last two and a lock
/// revoke the user's refresh tokens.
pub async fn update(
    AxumState(identity): AxumState<State>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    body: JsonObject,
) -> Result<Response, ApiError> {
    identity.authorize(&headers, true)?;
    let mut user = find(&identity, &user_id).await?;
    let fields = body.required_object("user")?;
    let mut errors = Errors::default();
    let now = now_ms();
    let mut revoke = false;
    for (key, slot) in [
        ("email", &mut user.email),
        ("username", &mut user.username),
        ("firstName", &mut user.first_name),
        ("lastName", &mut user.last_name),
        ("fullName", &mut user.full_name),
    ] {
        if fields.has(key) {
            *slot = fields.string(key, &mut errors);
        }
    }
    if let Some(active) = fields.bool("active", &mut errors) {
        revoke |= user.active && !active;
        user.active = active;
    }
    if let Some(verified) = fields.bool("verified", &mut errors) {
        user.verified = verified;
    }
    if let Some(required) = fields.bool("passwordChangeRequired", &mut errors) {
        user.password_change_required = required;
        user.password_change_reason = required.then(|| "Administrative".into());
    }
    if fields.has("expiry") {
        user.expiry = fields.i64("expiry", &mut errors);
        revoke |= user.expiry.is_some_and(|e| e <= now);
    }
    if let Some(data) = fields.map.get("data").and_then(Value::as_object) {
        user.data = Value::Object(data.clone()).to_string();
    }
    let password = fields.string("password", &mut errors);
    if let Some(password) = &password {
        check_password_policy(password, "user.password", &mut errors);
    }
    if user.email.is_none() && user.username.is_none() {
        errors.add_field(
            "user.email",
            "blank",
            "You must specify [user.email] or [user.username].",
        );
    }
    check(errors)?;
    if let Some(password) = password {
        user.set_password(
            password::hash_blocking(password, password::DEFAULT_FACTOR).await,
            now,
        );
        revoke = true;
    }
    identity.db.update_user(&user).await.map_err(|error| {
        if error.to_string().contains("UNIQUE") {
            ApiError::field(
                "user.email",
                "duplicate",
                "Another user has that email or username.",
            )
        } else {
            error.into()
        }
    })?;
    if revoke {
        identity.db.revoke_user_refresh_tokens(user.id).await?;
    }
    tracing::info!(user = %user.id, active = user.active, "user updated");
    respond_user(&identity, &user).await
}

/// `DELETE /api/user/registration/{userId}/{applicationId}`: the user can no longer log in to
/// the application (a login answers 202).
pub async fn deregister(
    AxumState(identity): AxumState<State>,
    headers: HeaderMap,
    Path((user_id, application_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    identity.authorize(&headers, true)?;
    let user = find(&identity, &user_id).await?;
    let application_id = Uuid::parse_str(&application_id).map_err(|_| ApiError::NotFound)?;
    if !identity
        .db
        .delete_registration(user.id, application_id)
        .await?
    {
        return Err(ApiError::NotFound);
    }
    tracing::info!(user = %user.id, application = %application_id, "registration deleted");
    Ok(StatusCode::OK.into_response())
}

/// `DELETE /api/user/{userId}`: deactivates (locks) the user, as FusionAuth does;
/// `?hardDelete=true` deletes them.
pub async fn delete(
    AxumState(identity): AxumState<State>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    identity.authorize(&headers, true)?;
    let mut user = find(&identity, &user_id).await?;
    if query.get("hardDelete").is_some_and(|v| v == "true") {
        identity.db.delete_user(user.id).await?;
    } else {
        user.active = false;
        identity.db.update_user(&user).await?;
        identity.db.revoke_user_refresh_tokens(user.id).await?;
    }
    Ok(StatusCode::OK.into_response())
}

/// `POST /api/user/change-password/{changePasswordId}`: completes a 203. The id is the
/// credential (single use, short-lived); no API key.
pub async fn change_password(
    AxumState(identity): AxumState<State>,
    Path(change_password_id): Path<String>,
    body: JsonObject,
) -> Result<Response, ApiError> {
    let mut errors = Errors::default();
    let password = body.fields().required_string("password", &mut errors);
    if let Some(password) = &password {
        check_password_policy(password, "password", &mut errors);
    }
    let Some(password) = password else {
        return Err(ApiError::BadRequest(errors));
    };
    check(errors)?;
    let now = now_ms();
    let pending = identity
        .db
        .pending(&change_password_id, PendingKind::ChangePassword, now)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut user = identity
        .db
        .user_by_id(pending.user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let hash = password::hash_blocking(password, password::DEFAULT_FACTOR).await;
    if !identity.db.delete_pending(&change_password_id).await? {
        return Err(ApiError::NotFound);
    }
    user.set_password(hash, now);
    user.password_change_required = false;
    user.password_change_reason = None;
    identity.db.update_user(&user).await?;
    identity.db.revoke_user_refresh_tokens(user.id).await?;
    tracing::info!(user = %user.id, "password changed");
    Ok(json(StatusCode::OK, &serde_json::json!({})))
}

/// Validates the `user` object of `body` and stores a new user with `id`.
async fn new_user(identity: &State, id: Uuid, body: &JsonObject) -> Result<UserRecord, ApiError> {
    let fields = body.required_object("user")?;
    let mut errors = Errors::default();
    let skip_verification = body
        .fields()
        .bool("skipVerification", &mut errors)
        .unwrap_or(false);
    let email = fields
        .string("email", &mut errors)
        .filter(|e| !e.trim().is_empty());
    let username = fields
        .string("username", &mut errors)
        .filter(|u| !u.trim().is_empty());
    if email.is_none() && username.is_none() {
        errors.add_field(
            "user.email",
            "blank",
            "You must specify [user.email] or [user.username].",
        );
    }
    if email.as_deref().is_some_and(|e| !is_email(e)) {
        errors.add_field(
            "user.email",
            "invalid",
            "[user.email] is not a valid email address.",
        );
    }
    let password = fields.required_string("password", &mut errors);
    if let Some(password) = &password {
        check_password_policy(password, "user.password", &mut errors);
    }
    if let Some(scheme) = fields.string("encryptionScheme", &mut errors)
        && scheme != password::SCHEME
    {
        errors.add_field(
            "user.encryptionScheme",
            "invalid",
            format!("Only [{}] is supported.", password::SCHEME),
        );
    }
    let factor = match fields.i64("factor", &mut errors) {
        Some(factor) if (1..=10_000_000).contains(&factor) => factor as u32,
        Some(_) => {
            errors.add_field(
                "user.factor",
                "invalid",
                "[user.factor] must be between 1 and 10000000.",
            );
            password::DEFAULT_FACTOR
        }
        None => password::DEFAULT_FACTOR,
    };
    let two_factor_secret = two_factor_secret(&fields, &mut errors);
    let tenant = identity.tenant();
    let user = UserRecord {
        id,
        tenant_id: identity.tenant_id,
        email,
        username,
        first_name: fields.string("firstName", &mut errors),
        last_name: fields.string("lastName", &mut errors),
        full_name: fields.string("fullName", &mut errors),
        active: fields.bool("active", &mut errors).unwrap_or(true),
        verified: skip_verification || !tenant.email_configuration.verify_email,
        password_change_required: fields
            .bool("passwordChangeRequired", &mut errors)
            .unwrap_or(false),
        password_change_reason: None,
        expiry: fields.i64("expiry", &mut errors),
        encryption_scheme: password::SCHEME.into(),
        factor: i64::from(factor),
        salt: String::new(),
        password_hash: String::new(),
        two_factor_method_id: two_factor_secret.as_ref().map(|_| short_id()),
        two_factor_secret,
        data: fields
            .map
            .get("data")
            .filter(|d| d.is_object())
            .map_or_else(|| "{}".into(), Value::to_string),
        insert_instant: now_ms(),
        last_login_instant: None,
        last_login_ip: None,
        password_last_update_instant: now_ms(),
    };
    let Some(password) = password else {
        return Err(ApiError::BadRequest(errors));
    };
    check(errors)?;
    for (login_id, field) in [
        (&user.email, "user.email"),
        (&user.username, "user.username"),
    ] {
        if let Some(login_id) = login_id
            && identity.db.user_by_login_id(login_id).await?.is_some()
        {
            return Err(ApiError::field(
                field,
                "duplicate",
                format!("A user with this [{field}] already exists."),
            ));
        }
    }
    let mut user = user;
    let now = user.insert_instant;
    user.set_password(password::hash_blocking(password, factor).await, now);
    if !identity.db.insert_user(&user).await? {
        return Err(ApiError::field(
            "userId",
            "duplicate",
            "A user with this id already exists.",
        ));
    }
    tracing::info!(user = %user.id, "user created");
    Ok(user)
}

/// The base64 secret of an `authenticator` method in `twoFactor.methods` (or FusionAuth's
/// older `twoFactorSecret`).
fn two_factor_secret(fields: &Fields<'_>, errors: &mut Errors) -> Option<String> {
    let from_methods = fields
        .object("twoFactor")
        .and_then(|tf| tf.map.get("methods").and_then(Value::as_array).cloned())
        .unwrap_or_default()
        .into_iter()
        .find(|m| m.get("method").and_then(Value::as_str) == Some("authenticator"))
        .and_then(|m| m.get("secret").and_then(Value::as_str).map(str::to_owned));
    let secret = from_methods.or_else(|| fields.string("twoFactorSecret", errors))?;
    if totp::valid_secret(&secret) {
        Some(secret)
    } else {
        errors.add_field(
            "user.twoFactor.methods.secret",
            "invalid",
            "The authenticator secret must be base64 of at least 10 bytes.",
        );
        None
    }
}

fn check_password_policy(password: &str, field: &str, errors: &mut Errors) {
    if password.chars().count() < MIN_PASSWORD_LENGTH {
        errors.add_field(
            field,
            "tooShort",
            format!("[{field}] must be at least {MIN_PASSWORD_LENGTH} characters."),
        );
    }
}

fn is_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !value.contains(char::is_whitespace)
        }
        None => false,
    }
}

fn short_id() -> String {
    crate::random::random_token(3)
}

async fn find(identity: &State, user_id: &str) -> Result<UserRecord, ApiError> {
    let id = Uuid::parse_str(user_id).map_err(|_| ApiError::NotFound)?;
    identity.db.user_by_id(id).await?.ok_or(ApiError::NotFound)
}

async fn respond_user(identity: &State, user: &UserRecord) -> Result<Response, ApiError> {
    let user = identity.db.user_view(user).await?;
    Ok(json(StatusCode::OK, &UserResponse { user }))
}
