//! `POST /api/login` and `POST /api/two-factor/login`: every outcome of FusionAuth's table.

use super::ApiError;
use super::body::{JsonObject, check};
use crate::clock::now_ms;
use crate::fusionauth::model::{
    ActionsResponse, ChangePasswordRequired, Errors, LoginResponse, TwoFactorRequired, User,
    UserAction,
};
use crate::identity::db::{
    ApplicationRecord, DEFAULT_JWT_TTL_SECONDS, PendingKind, PendingLogin, UserRecord,
};
use crate::identity::jwt::{Claims, new_jti};
use crate::identity::{CHANGE_PASSWORD_TTL_MS, State, TWO_FACTOR_TTL_MS, password, totp};
use crate::random::random_token;
use axum::Json;
use axum::extract::{ConnectInfo, State as AxumState};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use uuid::Uuid;

/// The built-in lock applied after too many failed logins when the tenant names no action.
const BUILT_IN_LOCK_ACTION: Uuid = Uuid::from_u128(0x6f1c_d3a2_8e4b_4c1a_9d7e_0a5b_3c2f_1e00);

/// FusionAuth's `/api/login`.
pub async fn login(
    AxumState(identity): AxumState<State>,
    headers: HeaderMap,
    extensions: Extensions,
    body: JsonObject,
) -> Result<Response, ApiError> {
    let fields = body.fields();
    let mut errors = Errors::default();
    let login_id = fields.required_string("loginId", &mut errors);
    let password = fields.required_string("password", &mut errors);
    let application_id = fields.uuid("applicationId", &mut errors);
    let ip_address = fields.string("ipAddress", &mut errors);
    let no_jwt = fields.bool("noJWT", &mut errors).unwrap_or(false);
    let (Some(login_id), Some(password)) = (login_id, password) else {
        return Err(ApiError::BadRequest(errors));
    };
    check(errors)?;

    let application = match application_id {
        Some(id) => identity.application(id),
        None => None,
    };
    let key_required = application_id.is_some()
        && application
            .as_ref()
            .is_none_or(|a| a.require_authentication);
    identity.authorize(&headers, key_required)?;

    // Verify against a dummy hash for unknown users, so that "no such user" and "wrong
    // password" cost the same. The user's actions and registrations are read meanwhile, for
    // every outcome alike: the reads take the other core while PBKDF2 takes one, and a login
    // then costs little more than its hash.
    let user = identity.db.user_by_login_id(&login_id).await?;
    let now = now_ms();
    // An unknown login id's actions are read too, under the nil id that matches nobody.
    let actions_of = user.as_ref().map_or(Uuid::nil(), |user| user.id);
    let (matches, actions, view) = tokio::join!(
        password::verify_blocking(password, user.as_ref().map(UserRecord::password)),
        identity.db.active_actions(actions_of, now),
        async {
            match &user {
                Some(user) => identity.db.user_view(user).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let (actions, view) = (actions?, view?);
    let (Some(user), Some(view)) = (user, view) else {
        // The same database work as a wrong password below (the reads above and a failure
        // write), so the two 404s cost the same time.
        let window = identity
            .tenant()
            .failed_authentication_configuration
            .reset_count_in_seconds
            .saturating_mul(1000);
        identity
            .db
            .record_unknown_failure(&login_id, now, window)
            .await?;
        tracing::info!(outcome = 404, "login failed: unknown login id");
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    if !actions.is_empty() {
        tracing::info!(user = %user.id, outcome = 409, "login refused: user action in force");
        return Ok(json(StatusCode::CONFLICT, &ActionsResponse { actions }));
    }
    if !matches {
        record_failure(&identity, &user, now).await?;
        tracing::info!(user = %user.id, outcome = 404, "login failed: wrong password");
        return Ok(StatusCode::NOT_FOUND.into_response());
    }
    let ip = client_ip(ip_address, &headers, &extensions);
    let attempt = Attempt {
        application_id,
        application,
        ip,
        login_id: Some(login_id),
        no_jwt,
    };
    if let Some(refusal) = refuse_inactive(&user, now) {
        return Ok(refusal);
    }
    if user.password_change_required {
        let change_password_id = random_token(32);
        let reason = user
            .password_change_reason
            .clone()
            .unwrap_or_else(|| "Administrative".into());
        identity
            .db
            .insert_pending(
                &change_password_id,
                PendingKind::ChangePassword,
                &PendingLogin {
                    user_id: user.id,
                    application_id,
                    ip_address: attempt.ip.clone(),
                    reason: Some(reason.clone()),
                },
                now + CHANGE_PASSWORD_TTL_MS,
            )
            .await?;
        tracing::info!(user = %user.id, outcome = 203, "login needs a password change");
        return Ok(json(
            StatusCode::NON_AUTHORITATIVE_INFORMATION,
            &ChangePasswordRequired {
                change_password_id,
                change_password_reason: reason,
            },
        ));
    }
    let tenant = identity.tenant();
    if tenant.email_configuration.gates_unverified() && !user.verified {
        tracing::info!(user = %user.id, outcome = 212, "login refused: email not verified");
        return Ok(json(
            StatusCode::from_u16(212).expect("212 is a valid status"),
            &serde_json::json!({ "user": view }),
        ));
    }
    if let Some(method_id) = &user.two_factor_method_id {
        let two_factor_id = random_token(32);
        identity
            .db
            .insert_pending(
                &two_factor_id,
                PendingKind::TwoFactor,
                &PendingLogin {
                    user_id: user.id,
                    application_id,
                    ip_address: attempt.ip.clone(),
                    reason: None,
                },
                now + TWO_FACTOR_TTL_MS,
            )
            .await?;
        tracing::info!(user = %user.id, outcome = 242, "login needs a second factor");
        return Ok(json(
            StatusCode::from_u16(242).expect("242 is a valid status"),
            &TwoFactorRequired {
                two_factor_id,
                methods: vec![totp::method_info(method_id)],
            },
        ));
    }
    complete(&identity, &user, attempt, now, view).await
}

/// FusionAuth's `/api/two-factor/login`: completes a 242 with an authenticator code.
pub async fn two_factor_login(
    AxumState(identity): AxumState<State>,
    headers: HeaderMap,
    extensions: Extensions,
    body: JsonObject,
) -> Result<Response, ApiError> {
    let fields = body.fields();
    let mut errors = Errors::default();
    let two_factor_id = fields.required_string("twoFactorId", &mut errors);
    let code = fields.required_string("code", &mut errors);
    let application_id = fields.uuid("applicationId", &mut errors);
    let ip_address = fields.string("ipAddress", &mut errors);
    let (Some(two_factor_id), Some(code)) = (two_factor_id, code) else {
        return Err(ApiError::BadRequest(errors));
    };
    check(errors)?;

    let now = now_ms();
    let Some(pending) = identity
        .db
        .pending(&two_factor_id, PendingKind::TwoFactor, now)
        .await?
    else {
        return Err(ApiError::NotFound);
    };
    let Some(user) = identity.db.user_by_id(pending.user_id).await? else {
        return Err(ApiError::NotFound);
    };
    let Some(secret) = &user.two_factor_secret else {
        return Err(ApiError::NotFound);
    };
    let unix_seconds = u64::try_from(now / 1000).unwrap_or_default();
    if !totp::check(secret, code.trim(), unix_seconds) {
        tracing::info!(user = %user.id, outcome = 421, "two-factor code refused");
        return Ok(StatusCode::from_u16(421)
            .expect("421 is a valid status")
            .into_response());
    }
    // Single use: a concurrent request with the same id gets 404.
    if !identity.db.delete_pending(&two_factor_id).await? {
        return Err(ApiError::NotFound);
    }
    if let Some(refusal) = refuse_inactive(&user, now) {
        return Ok(refusal);
    }
    let application_id = application_id.or(pending.application_id);
    let application = match application_id {
        Some(id) => identity.application(id),
        None => None,
    };
    let ip = client_ip(ip_address, &headers, &extensions).or(pending.ip_address);
    let attempt = Attempt {
        application_id,
        application,
        ip,
        login_id: None,
        no_jwt: false,
    };
    let view = identity.db.user_view(&user).await?;
    complete(&identity, &user, attempt, now, view).await
}

/// What a login asked for, carried to [`complete`].
struct Attempt {
    application_id: Option<Uuid>,
    application: Option<ApplicationRecord>,
    ip: Option<String>,
    login_id: Option<String>,
    no_jwt: bool,
}

/// 423 for a user an administrator locked, 410 for an expired one.
fn refuse_inactive(user: &UserRecord, now: i64) -> Option<Response> {
    if !user.active {
        tracing::info!(user = %user.id, outcome = 423, "login refused: user locked");
        return Some(StatusCode::LOCKED.into_response());
    }
    if user.expiry.is_some_and(|expiry| expiry <= now) {
        tracing::info!(user = %user.id, outcome = 410, "login refused: user expired");
        return Some(StatusCode::GONE.into_response());
    }
    None
}

/// Counts a failure and applies the tenant's lock when there were too many.
async fn record_failure(identity: &State, user: &UserRecord, now: i64) -> Result<(), ApiError> {
    let config = identity.tenant().failed_authentication_configuration;
    let count = identity
        .db
        .record_failure(
            user.id,
            now,
            config.reset_count_in_seconds.saturating_mul(1000),
        )
        .await?;
    if count >= config.too_many_attempts {
        let action_id = config.user_action_id.unwrap_or(BUILT_IN_LOCK_ACTION);
        let name = identity
            .db
            .action_definition_name(action_id)
            .await?
            .unwrap_or_else(|| "Locked".into());
        identity
            .db
            .add_user_action(
                user.id,
                &UserAction {
                    action_id,
                    expiry: Some(now + config.action_duration_ms()),
                    name,
                    reason: Some("Too many failed login attempts".into()),
                    reason_code: Some("failed_authentication".into()),
                },
            )
            .await?;
        tracing::warn!(user = %user.id, failures = count, "user locked after too many failed logins");
    }
    Ok(())
}

/// The end of every successful authentication: records the login and answers 200 (or 202
/// when the user is not registered for the application) with `view` (the user as read before
/// the login, its last-login instants set here) and the tokens.
async fn complete(
    identity: &State,
    user: &UserRecord,
    attempt: Attempt,
    now: i64,
    mut view: User,
) -> Result<Response, ApiError> {
    let user_id = user.id;
    identity
        .db
        .record_login(
            user_id,
            attempt.application_id,
            attempt.login_id.as_deref(),
            attempt.ip.as_deref(),
            now,
        )
        .await?;
    view.last_login_instant = Some(now);
    if let Some(registration) = attempt.application_id.and_then(|a| {
        view.registrations
            .iter_mut()
            .find(|r| r.application_id == a)
    }) {
        registration.last_login_instant = Some(now);
    }
    let registration = attempt
        .application_id
        .and_then(|a| view.registration(a))
        .cloned();
    let registered = attempt.application_id.is_some() && registration.is_some();
    let status = if attempt.application_id.is_some() && !registered {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };

    let mut response = LoginResponse {
        token: None,
        token_expiration_instant: None,
        refresh_token: None,
        refresh_token_id: None,
        user: view,
    };
    if !attempt.no_jwt {
        let app = attempt.application.as_ref().filter(|_| registered);
        if let Some(app) = app.filter(|a| a.generate_refresh_tokens) {
            let id = Uuid::new_v4();
            let token = random_token(48);
            let ttl_ms = app.refresh_ttl_minutes.saturating_mul(60_000);
            identity
                .db
                .insert_refresh_token(id, &token, user_id, app.id, now, now + ttl_ms)
                .await?;
            response.refresh_token = Some(token);
            response.refresh_token_id = Some(id);
        }
        let ttl_seconds = app.map_or(DEFAULT_JWT_TTL_SECONDS, |a| a.jwt_ttl_seconds);
        let (token, expires) = issue_token(
            identity,
            user,
            registration
                .as_ref()
                .map(|r| (r.application_id, r.roles.clone())),
            response.refresh_token_id,
            "PASSWORD",
            now / 1000,
            ttl_seconds,
        )
        .await?;
        response.token = Some(token);
        response.token_expiration_instant = Some(expires);
    }
    tracing::info!(user = %user.id, outcome = status.as_u16(), "login succeeded");
    Ok(json(status, &response))
}

/// Signs an access token for `user`; returns it and its expiry (epoch ms).
pub(super) async fn issue_token(
    identity: &State,
    user: &UserRecord,
    registration: Option<(Uuid, Vec<String>)>,
    refresh_token_id: Option<Uuid>,
    authentication_type: &str,
    auth_time: i64,
    ttl_seconds: i64,
) -> Result<(String, i64), ApiError> {
    let tenant = identity.tenant();
    let iat = now_ms() / 1000;
    let exp = iat + ttl_seconds;
    let claims = Claims {
        aud: registration.as_ref().map(|(app, _)| app.to_string()),
        exp,
        iat,
        auth_time,
        iss: tenant.issuer.unwrap_or_else(|| "acme.com".into()),
        sub: user.id.to_string(),
        jti: new_jti(),
        authentication_type: authentication_type.into(),
        email: user.email.clone(),
        email_verified: user.verified,
        preferred_username: user.username.clone(),
        application_id: registration.as_ref().map(|(app, _)| app.to_string()),
        roles: registration.map(|(_, roles)| roles),
        sid: refresh_token_id.map(|id| id.to_string()),
        tid: user.tenant_id.to_string(),
    };
    Ok((identity.signer.sign(&claims)?, exp * 1000))
}

/// The end user's address: the body's `ipAddress`, else the first `X-Forwarded-For` entry,
/// else the peer.
fn client_ip(body: Option<String>, headers: &HeaderMap, extensions: &Extensions) -> Option<String> {
    body.filter(|ip| !ip.trim().is_empty())
        .or_else(|| {
            headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(|ip| ip.trim().to_owned())
                .filter(|ip| !ip.is_empty())
        })
        .or_else(|| {
            extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip().to_string())
        })
}

/// A JSON response with `status`.
pub(super) fn json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    (status, Json(body)).into_response()
}
