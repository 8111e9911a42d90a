//! Wire types of FusionAuth's login, user and JWT APIs (JSON, camelCase, epoch milliseconds).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// `POST /api/login` request body.
#[derive(Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    /// Email or username.
    pub login_id: String,
    /// The plain-text password; never logged (see the `Debug` impl).
    pub password: String,
    /// The application the user logs in to; enables the registration check and refresh tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<Uuid>,
    /// The end user's IP address, recorded as the login's address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// When true, no `token` or `refreshToken` is issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_jwt: Option<bool>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("login_id", &self.login_id)
            .field("password", &"[redacted]")
            .field("application_id", &self.application_id)
            .field("ip_address", &self.ip_address)
            .finish()
    }
}

/// Body of a 200 (and 202) login or two-factor login response.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    /// The access token (a JWT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// When `token` expires, epoch milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_expiration_instant: Option<i64>,
    /// Refresh token, when registered and the application generates them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The id of `refresh_token` (the JWT's `sid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_id: Option<Uuid>,
    /// The authenticated user.
    pub user: User,
}

/// A FusionAuth User, as the login and user APIs return it. Never carries a password or hash.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The user's id.
    pub id: Uuid,
    /// The tenant the user belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<Uuid>,
    /// Email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Full name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// False once an administrator locked (deactivated) the user.
    #[serde(default)]
    pub active: bool,
    /// Whether the email address is verified.
    #[serde(default)]
    pub verified: bool,
    /// When true, the next login answers 203.
    #[serde(default)]
    pub password_change_required: bool,
    /// When the account expires, epoch milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<i64>,
    /// Created, epoch milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insert_instant: Option<i64>,
    /// Last successful login, epoch milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_login_instant: Option<i64>,
    /// Last password change, epoch milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_last_update_instant: Option<i64>,
    /// Free-form user data.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, serde_json::Value>,
    /// The applications the user is registered for.
    #[serde(default)]
    pub registrations: Vec<Registration>,
    /// Two-factor state: only whether methods are enabled, never their secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub two_factor: Option<TwoFactorInfo>,
}

impl User {
    /// The user's registration for `application_id`, if any.
    pub fn registration(&self, application_id: Uuid) -> Option<&Registration> {
        self.registrations
            .iter()
            .find(|r| r.application_id == application_id)
    }
}

/// A user's registration for one application.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    /// Registration id.
    pub id: Uuid,
    /// The application.
    pub application_id: Uuid,
    /// Roles in that application.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Username within the application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Whether the registration is verified.
    #[serde(default)]
    pub verified: bool,
    /// Created, epoch milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insert_instant: Option<i64>,
    /// Last login to this application, epoch milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_login_instant: Option<i64>,
}

/// The enabled two-factor methods of a user (ids and kinds only).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorInfo {
    /// Enabled methods.
    #[serde(default)]
    pub methods: Vec<TwoFactorMethod>,
}

/// One two-factor method as the login API describes it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorMethod {
    /// Method id.
    pub id: String,
    /// `authenticator` (TOTP) here.
    pub method: String,
    /// TOTP parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticator: Option<AuthenticatorConfig>,
}

/// TOTP parameters of an authenticator method.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorConfig {
    /// `HmacSHA1`.
    pub algorithm: String,
    /// Digits in a code (6).
    pub code_length: u32,
    /// Seconds per code (30).
    pub time_step: u64,
}

/// Body of a 203 login response.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordRequired {
    /// The id to complete the change with `POST /api/user/change-password/{id}`.
    pub change_password_id: String,
    /// `Administrative`, `Breached`, `Expired` or `Validation`.
    pub change_password_reason: String,
}

/// Body of a 242 login response.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorRequired {
    /// The id to complete the login with `POST /api/two-factor/login`.
    pub two_factor_id: String,
    /// The methods the user can use.
    #[serde(default)]
    pub methods: Vec<TwoFactorMethod>,
}

/// `POST /api/two-factor/login` request body.
#[derive(Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorLoginRequest {
    /// From the 242 response.
    pub two_factor_id: String,
    /// The authenticator code.
    pub code: String,
    /// As in [`LoginRequest`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<Uuid>,
    /// As in [`LoginRequest`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
}

impl std::fmt::Debug for TwoFactorLoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactorLoginRequest")
            .field("two_factor_id", &"[redacted]")
            .field("code", &"[redacted]")
            .field("application_id", &self.application_id)
            .finish()
    }
}

/// Body of a 409 login response: the actions that prevent login.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ActionsResponse {
    /// Active actions on the user.
    pub actions: Vec<UserAction>,
}

/// An action taken on a user (e.g. a temporary lock after failed logins).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserAction {
    /// The action definition's id.
    pub action_id: Uuid,
    /// When the action ends, epoch milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<i64>,
    /// Action name.
    pub name: String,
    /// Why it was taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Machine-readable reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
}

/// FusionAuth's Errors object (400 responses).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Errors {
    /// Errors not tied to one field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub general_errors: Vec<ErrorItem>,
    /// Errors keyed by field name (an object, not an array).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub field_errors: BTreeMap<String, Vec<ErrorItem>>,
}

impl Errors {
    /// One field error, with the code `[<kind>]<field>`.
    pub fn field(field: &str, kind: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add_field(field, kind, message);
        errors
    }

    /// One general error.
    pub fn general(code: &str, message: impl Into<String>) -> Self {
        Self {
            general_errors: vec![ErrorItem {
                code: code.to_owned(),
                message: message.into(),
            }],
            ..Self::default()
        }
    }

    /// Adds an error for `field` with the code `[<kind>]<field>`.
    pub fn add_field(&mut self, field: &str, kind: &str, message: impl Into<String>) {
        self.field_errors
            .entry(field.to_owned())
            .or_default()
            .push(ErrorItem {
                code: format!("[{kind}]{field}"),
                message: message.into(),
            });
    }

    /// True when no error was recorded.
    pub fn is_empty(&self) -> bool {
        self.general_errors.is_empty() && self.field_errors.is_empty()
    }
}

/// One error: a code such as `[blank]loginId` and a message.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ErrorItem {
    /// Machine-readable code.
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

/// `GET /api/user/{id}` response and `PATCH` response.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct UserResponse {
    /// The user.
    pub user: User,
}

/// `POST /api/jwt/refresh` response.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JwtRefreshResponse {
    /// A new access token.
    pub token: String,
    /// The refresh token (reusable).
    pub refresh_token: String,
    /// Its id.
    pub refresh_token_id: Uuid,
}

/// `GET /api/jwt/validate` response.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ValidateResponse {
    /// The JWT's claims.
    pub jwt: serde_json::Value,
}

/// One recorded login (`GET /api/system/login-record/search`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LoginRecord {
    /// The user.
    pub user_id: Uuid,
    /// The application, when the login named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<Uuid>,
    /// When, epoch milliseconds.
    pub instant: i64,
    /// The end user's IP address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// The login id that was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_id: Option<String>,
}

/// `GET /api/system/login-record/search` response.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LoginRecordSearchResponse {
    /// Matching records, newest first.
    pub logins: Vec<LoginRecord>,
    /// How many matched.
    pub total: u64,
}
