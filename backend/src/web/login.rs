//! The login form and its outcomes: FusionAuth's `POST /api/login` through the one client, then a
//! server-side session on 200; the two-factor and change-password forms for 242 and 203; one
//! generic answer, in the same time, for every other refusal. The three posts are rate-limited
//! per client IP and per account. The password is never stored or logged. Showing the login form
//! stores nothing (its CSRF token is a signed cookie's, `login_csrf`): a session is created only
//! by a successful login, or to hold a pending second step.

use super::client_ip::ClientIp;
use super::guard::{CsrfField, CsrfScheme, check_form, csrf_form, parse_form, wants_json};
use super::pages::{ChangePasswordPage, Layout, LoginPage, Notice, TwoFactorPage, render};
use super::rate_limit::LimitError;
use super::{NextPath, SiteState, WebError, see_other};
use crate::fusionauth::LoginOutcome;
use crate::fusionauth::client::ChangePasswordOutcome;
use crate::fusionauth::model::{LoginRequest, LoginResponse, TwoFactorLoginRequest, User};
use crate::session::{AuthSession, SessionUser, THEFT_NOTICE};
use axum::RequestExt as _;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse as _, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use shared::model::UserView;
use shared::paths::{common, element};
use std::net::IpAddr;
use std::time::Instant;

/// The one message for every refused login, whatever FusionAuth said (404, 409, 410, 423,
/// 212, and 202 — which would otherwise tell that the password was right): the same status,
/// body and cookies, after the same time, so a response reveals nothing about the account.
pub const GENERIC_FAILURE: &str = "Invalid login or account unavailable.";

/// Session key of a pending second factor.
const PENDING_TWO_FACTOR: &str = "pending_two_factor";
/// Session key of a pending password change.
const PENDING_CHANGE_PASSWORD: &str = "pending_change_password";

/// A login that needs one more step (a code or a new password).
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    /// FusionAuth's `twoFactorId` or `changePasswordId`.
    id: String,
    /// Where to go after logging in.
    next: Option<String>,
    /// The login id it started with: the step's attempts count against the same account.
    #[serde(default)]
    login_id: Option<String>,
}

/// A refused attempt from `ip` as the error that answers it; the refusal is counted (and
/// logged at most once a minute per client).
fn limited(state: &SiteState, ip: IpAddr, error: LimitError, headers: &HeaderMap) -> WebError {
    match error {
        LimitError::Limited(limited) => {
            state.refusals.record(ip, limited);
            WebError::TooManyRequests {
                budget: limited.budget,
                retry_after: limited.retry_after,
                json: wants_json(headers),
            }
        }
        LimitError::Unavailable(reason) => WebError::LimitsUnavailable(reason),
    }
}

/// Counts an attempt from `ip`.
async fn check_ip(state: &SiteState, ip: IpAddr, headers: &HeaderMap) -> Result<(), WebError> {
    state
        .login_limiter
        .check_ip(ip)
        .await
        .map_err(|e| limited(state, ip, e, headers))
}

/// Counts an attempt from `ip` against `login_id`'s account, when there is one.
async fn check_account(
    state: &SiteState,
    ip: IpAddr,
    login_id: Option<&str>,
    headers: &HeaderMap,
) -> Result<(), WebError> {
    match login_id {
        Some(login_id) => state
            .login_limiter
            .check_account(login_id)
            .await
            .map_err(|e| limited(state, ip, e, headers)),
        None => Ok(()),
    }
}

/// A post of one of the login forms: the attempt counted against the client's IP, then the
/// origin and CSRF checks of [`check_form`]. `started` is when the checks began, for the refusal
/// timing.
#[derive(Debug)]
pub struct LoginPost<T> {
    form: T,
    ip: IpAddr,
    headers: HeaderMap,
    started: Instant,
}

impl<T> FromRequest<SiteState> for LoginPost<T>
where
    T: DeserializeOwned + CsrfField + Send + Sync,
{
    type Rejection = Response;

    async fn from_request(mut request: Request, state: &SiteState) -> Result<Self, Response> {
        let Ok(ClientIp(ip)) = request.extract_parts::<ClientIp>().await;
        let (auth, headers, form) = parse_form::<T>(request, state).await?;
        let started = Instant::now();
        let checked = async {
            check_ip(state, ip, &headers).await?;
            check_form(state, &headers, &auth, &form).await
        };
        checked.await.map_err(|e| e.into_response())?;
        Ok(Self {
            form,
            ip,
            headers,
            started,
        })
    }
}

/// Query of `GET /login`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    notice: Option<String>,
}

/// `GET /login`: the form, with the signed double-submit CSRF token of [`super::login_csrf`]:
/// showing it stores no session.
pub async fn form(
    State(state): State<SiteState>,
    auth: AuthSession,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Result<Response, WebError> {
    let next = query.next.as_deref().and_then(NextPath::parse);
    let notice = match query.notice.as_deref().and_then(notice_text) {
        Some(text) => Some(Notice {
            text: text.to_owned(),
            id: None,
        }),
        // A notice the session left, e.g. that it was ended as stolen: that one carries an id,
        // so a client can tell it from other notices without reading the prose.
        None => auth.take_flash().await?.map(|text| Notice {
            id: (text == THEFT_NOTICE).then_some(element::THEFT_NOTICE),
            text,
        }),
    };
    login_page(
        &state,
        &headers,
        StatusCode::OK,
        next,
        String::new(),
        None,
        notice,
    )
    .await
}

/// The login form as posted.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(rename = "loginId", default)]
    login_id: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    next: String,
}

csrf_form!(LoginForm, scheme = CsrfScheme::SignedCookie);

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("login_id", &self.login_id)
            .field("password", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// `POST /login`.
pub async fn submit(
    State(state): State<SiteState>,
    auth: AuthSession,
    LoginPost {
        form,
        ip,
        headers,
        started,
    }: LoginPost<LoginForm>,
) -> Result<Response, WebError> {
    let next = NextPath::parse(&form.next);
    let login_id = form.login_id.trim().to_owned();
    if login_id.is_empty() || form.password.is_empty() {
        let error = Some("Enter your email and password.".to_owned());
        return login_page(
            &state,
            &headers,
            StatusCode::BAD_REQUEST,
            next,
            login_id,
            error,
            None,
        )
        .await;
    }
    check_account(&state, ip, Some(&login_id), &headers).await?;
    let request = LoginRequest {
        login_id: login_id.clone(),
        password: form.password,
        application_id: Some(state.application_id),
        ip_address: Some(ip.to_string()),
        no_jwt: None,
    };
    let outcome = state
        .fusionauth
        .login(&request)
        .await
        .map_err(|e| WebError::LoginUnavailable(e.to_string()))?;
    state.refusal_timing.record(started.elapsed());
    match outcome {
        LoginOutcome::Success(response) => establish(&state, &auth, *response, next).await,
        LoginOutcome::TwoFactorRequired(required) => {
            let pending = Pending {
                id: required.two_factor_id,
                next: next.map(|n| n.to_string()),
                login_id: Some(login_id),
            };
            auth.set(PENDING_TWO_FACTOR, &pending).await?;
            tracing::info!(site = state.site.name(), session = %auth.log_id(), "login needs a second factor");
            Ok(see_other(common::LOGIN_TWO_FACTOR))
        }
        LoginOutcome::ChangePasswordRequired(required) => {
            let pending = Pending {
                id: required.change_password_id,
                next: next.map(|n| n.to_string()),
                login_id: Some(login_id),
            };
            auth.set(PENDING_CHANGE_PASSWORD, &pending).await?;
            tracing::info!(site = state.site.name(), session = %auth.log_id(), "login needs a password change");
            Ok(see_other(common::LOGIN_CHANGE_PASSWORD))
        }
        other => refuse(&state, &headers, other, next, login_id, started).await,
    }
}

/// Every outcome but success and the two extra steps. The refusals that depend on the account
/// all get [`GENERIC_FAILURE`], held until the same floor after `started`.
async fn refuse(
    state: &SiteState,
    headers: &HeaderMap,
    outcome: LoginOutcome,
    next: Option<NextPath>,
    login_id: String,
    started: Instant,
) -> Result<Response, WebError> {
    match outcome {
        LoginOutcome::Unauthorized => Err(WebError::LoginUnavailable(
            "FusionAuth refused the API key".into(),
        )),
        LoginOutcome::InvalidRequest(errors) => {
            tracing::warn!(
                site = state.site.name(),
                ?errors,
                "FusionAuth refused the login request"
            );
            let error = Some("Enter your email and password.".to_owned());
            login_page(
                state,
                headers,
                StatusCode::BAD_REQUEST,
                next,
                login_id,
                error,
                None,
            )
            .await
        }
        outcome => {
            if let LoginOutcome::NotRegistered(user) = &outcome {
                tracing::info!(site = state.site.name(), user = %user.id, "login refused: not registered for this site");
            } else {
                tracing::info!(
                    site = state.site.name(),
                    outcome = outcome_name(&outcome),
                    "login refused"
                );
            }
            state.refusal_timing.hold(started).await;
            // The login id is not echoed either: the body is the same whoever was tried.
            let error = Some(GENERIC_FAILURE.to_owned());
            login_page(
                state,
                headers,
                StatusCode::UNAUTHORIZED,
                next,
                String::new(),
                error,
                None,
            )
            .await
        }
    }
}

/// `GET /login/two-factor`.
pub async fn two_factor_form(
    State(state): State<SiteState>,
    auth: AuthSession,
) -> Result<Response, WebError> {
    if auth.get::<Pending>(PENDING_TWO_FACTOR).await?.is_none() {
        return Ok(see_other(common::LOGIN));
    }
    two_factor_page(&state, &auth, StatusCode::OK, None).await
}

/// The code form as posted.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf_token: String,
}

csrf_form!(CodeForm);

/// `POST /login/two-factor`: completes a 242 through `POST /api/two-factor/login`.
pub async fn two_factor_submit(
    State(state): State<SiteState>,
    auth: AuthSession,
    LoginPost {
        form,
        ip,
        headers,
        started,
    }: LoginPost<CodeForm>,
) -> Result<Response, WebError> {
    let Some(pending) = auth.get::<Pending>(PENDING_TWO_FACTOR).await? else {
        return Ok(see_other(common::LOGIN));
    };
    check_account(&state, ip, pending.login_id.as_deref(), &headers).await?;
    let code = form.code.trim();
    if code.is_empty() {
        let error = Some("Enter the code from your authenticator app.".to_owned());
        return two_factor_page(&state, &auth, StatusCode::BAD_REQUEST, error).await;
    }
    let request = TwoFactorLoginRequest {
        two_factor_id: pending.id.clone(),
        code: code.to_owned(),
        application_id: Some(state.application_id),
        ip_address: Some(ip.to_string()),
    };
    let outcome = state
        .fusionauth
        .two_factor_login(&request)
        .await
        .map_err(|e| WebError::LoginUnavailable(e.to_string()))?;
    let next = pending.next.as_deref().and_then(NextPath::parse);
    match outcome {
        LoginOutcome::Success(response) => establish(&state, &auth, *response, next).await,
        LoginOutcome::InvalidTwoFactorCode | LoginOutcome::InvalidRequest(_) => {
            let error = Some("That code is not valid. Try the current one.".to_owned());
            two_factor_page(&state, &auth, StatusCode::UNAUTHORIZED, error).await
        }
        LoginOutcome::NotFound => {
            auth.remove(PENDING_TWO_FACTOR).await?;
            Ok(see_other(&format!("{}?notice=expired", common::LOGIN)))
        }
        other => {
            auth.remove(PENDING_TWO_FACTOR).await?;
            refuse(&state, &headers, other, next, String::new(), started).await
        }
    }
}

/// `GET /login/change-password`.
pub async fn change_password_form(
    State(state): State<SiteState>,
    auth: AuthSession,
) -> Result<Response, WebError> {
    if auth
        .get::<Pending>(PENDING_CHANGE_PASSWORD)
        .await?
        .is_none()
    {
        return Ok(see_other(common::LOGIN));
    }
    change_password_page(&state, &auth, StatusCode::OK, None).await
}

/// The new-password form as posted.
#[derive(Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
}

csrf_form!(NewPasswordForm);

/// `POST /login/change-password`: completes a 203, then back to the login form.
pub async fn change_password_submit(
    State(state): State<SiteState>,
    auth: AuthSession,
    LoginPost {
        form, ip, headers, ..
    }: LoginPost<NewPasswordForm>,
) -> Result<Response, WebError> {
    let Some(pending) = auth.get::<Pending>(PENDING_CHANGE_PASSWORD).await? else {
        return Ok(see_other(common::LOGIN));
    };
    check_account(&state, ip, pending.login_id.as_deref(), &headers).await?;
    if form.password.chars().count() < 8 {
        let error = Some("The new password must be at least 8 characters.".to_owned());
        return change_password_page(&state, &auth, StatusCode::BAD_REQUEST, error).await;
    }
    let outcome = state
        .fusionauth
        .change_password(&pending.id, &form.password)
        .await
        .map_err(|e| WebError::LoginUnavailable(e.to_string()))?;
    match outcome {
        ChangePasswordOutcome::Changed => {
            auth.remove(PENDING_CHANGE_PASSWORD).await?;
            tracing::info!(site = state.site.name(), session = %auth.log_id(), "password changed");
            let mut location = format!("{}?notice=password-changed", common::LOGIN);
            if let Some(next) = pending.next.as_deref().and_then(NextPath::parse) {
                location.push_str(&format!("&next={}", super::error::encode(next.as_str())));
            }
            Ok(see_other(&location))
        }
        ChangePasswordOutcome::Invalid(errors) => {
            let detail = errors
                .field_errors
                .values()
                .flatten()
                .chain(errors.general_errors.iter())
                .map(|e| e.message.clone())
                .next()
                .unwrap_or_else(|| "it does not meet the password rules".into());
            let error = Some(format!("That password was not accepted: {detail}"));
            change_password_page(&state, &auth, StatusCode::BAD_REQUEST, error).await
        }
        ChangePasswordOutcome::NotFound => {
            auth.remove(PENDING_CHANGE_PASSWORD).await?;
            Ok(see_other(&format!("{}?notice=expired", common::LOGIN)))
        }
    }
}

/// A 200 from FusionAuth: a new session (new id) holding the user, then `303` to `next` or the
/// site's landing page.
async fn establish(
    state: &SiteState,
    auth: &AuthSession,
    response: LoginResponse,
    next: Option<NextPath>,
) -> Result<Response, WebError> {
    let user = response.user;
    let now = crate::clock::now_ms();
    let view = UserView {
        id: user.id.to_string(),
        email: user.email.clone(),
        name: display_name(&user),
        roles: user
            .registration(state.application_id)
            .map(|r| r.roles.clone())
            .unwrap_or_default(),
    };
    auth.login(SessionUser {
        user: view,
        login_at_ms: now,
        last_seen_ms: now,
        refresh_token: response.refresh_token,
        credentials_changed_at_ms: user.password_last_update_instant,
    })
    .await?;
    tracing::info!(site = state.site.name(), session = %auth.log_id(), user = %user.id, "login succeeded");
    let target = next.map_or_else(|| state.site.landing_path().to_owned(), |n| n.to_string());
    Ok(see_other(&target))
}

/// A name to greet the user with.
fn display_name(user: &User) -> String {
    user.full_name
        .clone()
        .or_else(|| match (&user.first_name, &user.last_name) {
            (Some(first), Some(last)) => Some(format!("{first} {last}")),
            (Some(first), None) => Some(first.clone()),
            _ => None,
        })
        .or_else(|| user.username.clone())
        .or_else(|| user.email.clone())
        .unwrap_or_else(|| user.id.to_string())
}

fn outcome_name(outcome: &LoginOutcome) -> &'static str {
    match outcome {
        LoginOutcome::Success(_) => "200",
        LoginOutcome::NotRegistered(_) => "202",
        LoginOutcome::ChangePasswordRequired(_) => "203",
        LoginOutcome::EmailNotVerified => "212",
        LoginOutcome::TwoFactorRequired(_) => "242",
        LoginOutcome::InvalidRequest(_) => "400",
        LoginOutcome::Unauthorized => "401",
        LoginOutcome::NotFound => "404",
        LoginOutcome::ActionPrevented(_) => "409",
        LoginOutcome::Expired => "410",
        LoginOutcome::InvalidTwoFactorCode => "421",
        LoginOutcome::Locked => "423",
    }
}

fn notice_text(key: &str) -> Option<&'static str> {
    match key {
        "password-changed" => Some("Your password was changed. Log in with the new one."),
        "expired" => Some("That login attempt expired. Please log in again."),
        _ => None,
    }
}

/// The login form in answer to a request with `headers`: its token signs the request's CSRF
/// nonce, or a new one the response sets.
async fn login_page(
    state: &SiteState,
    headers: &HeaderMap,
    status: StatusCode,
    next: Option<NextPath>,
    login_id: String,
    error: Option<String>,
    notice: Option<Notice>,
) -> Result<Response, WebError> {
    let token = state.login_csrf.issue(headers);
    let page = LoginPage {
        layout: Layout::new(state.site, "Log in"),
        csrf: token.token.clone(),
        next: next.map(|n| n.to_string()).unwrap_or_default(),
        login_id,
        error,
        notice,
    };
    render(status, &page).map(|response| token.set_on(response))
}

async fn two_factor_page(
    state: &SiteState,
    auth: &AuthSession,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, WebError> {
    let page = TwoFactorPage {
        layout: Layout::new(state.site, "Two-factor authentication"),
        csrf: auth.csrf_token().await?,
        error,
    };
    render(status, &page)
}

async fn change_password_page(
    state: &SiteState,
    auth: &AuthSession,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, WebError> {
    let page = ChangePasswordPage {
        layout: Layout::new(state.site, "Choose a new password"),
        csrf: auth.csrf_token().await?,
        error,
    };
    render(status, &page)
}
