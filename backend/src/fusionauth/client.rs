//! The one client of FusionAuth's HTTP API that the web apps use: typed requests, and a typed
//! outcome per documented status code. It works the same against the local identity server and
//! a real FusionAuth; every call is bounded by a timeout and recorded for `Server-Timing`.

use super::model::{
    ActionsResponse, ChangePasswordRequired, Errors, LoginRequest, LoginResponse,
    TwoFactorLoginRequest, TwoFactorRequired, User, UserResponse,
};
use super::timing::{self, Call};
use reqwest::StatusCode;
use secrecy::{ExposeSecret as _, SecretString};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;
use uuid::Uuid;

/// Where FusionAuth is and how to talk to it.
#[derive(Clone, Debug)]
pub struct FusionAuthConfig {
    /// Base URL, e.g. `http://127.0.0.1:9011`.
    pub base_url: Url,
    /// The API key (sent raw in `Authorization`).
    pub api_key: SecretString,
    /// Sent as `X-FusionAuth-TenantId` when set (needed when FusionAuth has several tenants).
    pub tenant_id: Option<Uuid>,
    /// Bound on every call, connection included.
    pub timeout: Duration,
}

/// What `POST /api/login` (or `/api/two-factor/login`) answered.
#[derive(Debug)]
pub enum LoginOutcome {
    /// 200: authenticated and registered for the application.
    Success(Box<LoginResponse>),
    /// 202: authenticated but not registered for the application: no access to this app.
    NotRegistered(Box<User>),
    /// 203: the user must change their password first.
    ChangePasswordRequired(ChangePasswordRequired),
    /// 212: the email address is not verified.
    EmailNotVerified,
    /// 242: a second factor is required.
    TwoFactorRequired(TwoFactorRequired),
    /// 400: the request was invalid.
    InvalidRequest(Errors),
    /// 401: the API key is missing or wrong (a configuration error on our side).
    Unauthorized,
    /// 404: unknown user or wrong password (or an unknown/expired `twoFactorId`).
    NotFound,
    /// 409: a user action (e.g. too many failed attempts) prevents login.
    ActionPrevented(ActionsResponse),
    /// 410: the account expired.
    Expired,
    /// 421: wrong two-factor code.
    InvalidTwoFactorCode,
    /// 423: locked by an administrator.
    Locked,
}

/// What `POST /api/user/change-password/{id}` answered.
#[derive(Debug, PartialEq)]
pub enum ChangePasswordOutcome {
    /// 200.
    Changed,
    /// 400: e.g. the password is too short.
    Invalid(Errors),
    /// 404: the `changePasswordId` is unknown, used or expired.
    NotFound,
}

/// FusionAuth could not be used: the caller answers "temporarily unavailable".
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No connection (refused, DNS, TLS).
    #[error("FusionAuth is unreachable: {0}")]
    Unreachable(String),
    /// No answer within the timeout.
    #[error("FusionAuth did not answer within {0:?}")]
    Timeout(Duration),
    /// A 5xx.
    #[error("FusionAuth answered {0}")]
    Server(u16),
    /// A status the API does not document for this call.
    #[error("FusionAuth answered an unexpected {0}")]
    Unexpected(u16),
    /// A body that does not parse as the documented shape.
    #[error("FusionAuth answered {status} with an unreadable body: {reason}")]
    InvalidBody {
        /// The status.
        status: u16,
        /// Why it did not parse.
        reason: String,
    },
}

/// A FusionAuth client (cheap to clone).
#[derive(Clone, Debug)]
pub struct FusionAuthClient {
    http: reqwest::Client,
    config: Arc<FusionAuthConfig>,
}

/// A response read whole: status and body.
struct Answer {
    status: StatusCode,
    body: axum::body::Bytes,
}

impl Answer {
    fn parse<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| ClientError::InvalidBody {
            status: self.status.as_u16(),
            reason: e.to_string(),
        })
    }
}

impl FusionAuthClient {
    /// A client for `config`.
    pub fn new(config: FusionAuthConfig) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder();
        if config.base_url.scheme() == "http" {
            // Plain http (the embedded identity server) needs no CA bundle, and loading one
            // costs tens of milliseconds at start-up.
            builder = builder.tls_certs_only(Vec::new());
        }
        let http = builder
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(3)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "cookie-session-backend/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()?;
        Ok(Self {
            http,
            config: Arc::new(config),
        })
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.config.base_url
    }

    /// `POST /api/login`.
    pub async fn login(&self, request: &LoginRequest) -> Result<LoginOutcome, ClientError> {
        let answer = self
            .send(
                reqwest::Method::POST,
                "/api/login",
                "POST /api/login",
                Some(request),
            )
            .await?;
        login_outcome(answer)
    }

    /// `POST /api/two-factor/login`.
    pub async fn two_factor_login(
        &self,
        request: &TwoFactorLoginRequest,
    ) -> Result<LoginOutcome, ClientError> {
        let answer = self
            .send(
                reqwest::Method::POST,
                "/api/two-factor/login",
                "POST /api/two-factor/login",
                Some(request),
            )
            .await?;
        login_outcome(answer)
    }

    /// `POST /api/user/change-password/{changePasswordId}`.
    pub async fn change_password(
        &self,
        change_password_id: &str,
        new_password: &str,
    ) -> Result<ChangePasswordOutcome, ClientError> {
        let path = format!(
            "/api/user/change-password/{}",
            url::form_urlencoded::byte_serialize(change_password_id.as_bytes()).collect::<String>()
        );
        let body = serde_json::json!({ "password": new_password });
        let answer = self
            .send(
                reqwest::Method::POST,
                &path,
                "POST /api/user/change-password",
                Some(&body),
            )
            .await?;
        match answer.status.as_u16() {
            200 => Ok(ChangePasswordOutcome::Changed),
            400 => Ok(ChangePasswordOutcome::Invalid(answer.parse()?)),
            404 => Ok(ChangePasswordOutcome::NotFound),
            status => Err(unexpected(status)),
        }
    }

    /// `POST /api/logout` with the refresh token (revokes it).
    pub async fn logout(&self, refresh_token: &str) -> Result<(), ClientError> {
        let body = serde_json::json!({ "global": false, "refreshToken": refresh_token });
        let answer = self
            .send(
                reqwest::Method::POST,
                "/api/logout",
                "POST /api/logout",
                Some(&body),
            )
            .await?;
        match answer.status.as_u16() {
            200 => Ok(()),
            status => Err(unexpected(status)),
        }
    }

    /// `GET /api/user/{userId}`: `None` when the user no longer exists.
    pub async fn retrieve_user(&self, user_id: Uuid) -> Result<Option<User>, ClientError> {
        let answer = self
            .send::<()>(
                reqwest::Method::GET,
                &format!("/api/user/{user_id}"),
                "GET /api/user",
                None,
            )
            .await?;
        match answer.status.as_u16() {
            200 => Ok(Some(answer.parse::<UserResponse>()?.user)),
            404 => Ok(None),
            status => Err(unexpected(status)),
        }
    }

    /// Sends one request and reads the whole answer; records it for `Server-Timing`. 5xx and
    /// transport failures become errors here, so callers only see documented statuses.
    async fn send<B: serde::Serialize + ?Sized>(
        &self,
        method: reqwest::Method,
        path: &str,
        name: &str,
        body: Option<&B>,
    ) -> Result<Answer, ClientError> {
        let url = self
            .config
            .base_url
            .join(path)
            .map_err(|e| ClientError::Unreachable(format!("bad FusionAuth URL: {e}")))?;
        let mut request = self.http.request(method, url).header(
            reqwest::header::AUTHORIZATION,
            self.config.api_key.expose_secret(),
        );
        if let Some(tenant) = self.config.tenant_id {
            request = request.header("X-FusionAuth-TenantId", tenant.to_string());
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let started = Instant::now();
        let result = async {
            let response = request.send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>(Answer { status, body })
        }
        .await;
        let duration = started.elapsed();
        timing::record(Call {
            name: name.to_owned(),
            status: result.as_ref().ok().map(|a| a.status.as_u16()),
            duration,
        });
        match result {
            Ok(answer) if answer.status.is_server_error() => {
                tracing::warn!(
                    call = name,
                    status = answer.status.as_u16(),
                    ?duration,
                    "FusionAuth failed"
                );
                Err(ClientError::Server(answer.status.as_u16()))
            }
            Ok(answer) => {
                tracing::debug!(
                    call = name,
                    status = answer.status.as_u16(),
                    ?duration,
                    "FusionAuth answered"
                );
                Ok(answer)
            }
            Err(error) if error.is_timeout() => {
                tracing::warn!(call = name, ?duration, "FusionAuth timed out");
                Err(ClientError::Timeout(self.config.timeout))
            }
            Err(error) => {
                tracing::warn!(call = name, error = %error, "FusionAuth unreachable");
                Err(ClientError::Unreachable(error.to_string()))
            }
        }
    }
}

fn login_outcome(answer: Answer) -> Result<LoginOutcome, ClientError> {
    Ok(match answer.status.as_u16() {
        200 => LoginOutcome::Success(Box::new(answer.parse()?)),
        202 => {
            #[derive(serde::Deserialize)]
            struct Body {
                user: User,
            }
            LoginOutcome::NotRegistered(Box::new(answer.parse::<Body>()?.user))
        }
        203 => LoginOutcome::ChangePasswordRequired(answer.parse()?),
        212 => LoginOutcome::EmailNotVerified,
        242 => LoginOutcome::TwoFactorRequired(answer.parse()?),
        400 => LoginOutcome::InvalidRequest(answer.parse().unwrap_or_default()),
        401 => LoginOutcome::Unauthorized,
        404 => LoginOutcome::NotFound,
        409 => LoginOutcome::ActionPrevented(answer.parse().unwrap_or(ActionsResponse {
            actions: Vec::new(),
        })),
        410 => LoginOutcome::Expired,
        421 => LoginOutcome::InvalidTwoFactorCode,
        423 => LoginOutcome::Locked,
        status => return Err(unexpected(status)),
    })
}

fn unexpected(status: u16) -> ClientError {
    ClientError::Unexpected(status)
}
