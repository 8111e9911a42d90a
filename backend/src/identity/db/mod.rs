//! The identity server's storage: a repository over SQLite or PostgreSQL (sqlx, migrations in
//! `backend/migrations/identity/{sqlite,postgres}`). Handlers call these methods and know no SQL.

use super::password::PasswordHash;
use crate::db::{Db, with_pool};
use crate::fusionauth::model::{Registration, User, UserAction};
use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sqlx::FromRow;
use sqlx::migrate::Migrator;
use uuid::Uuid;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/identity/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/identity/postgres");

/// The identity server's database.
#[derive(Clone, Debug)]
pub struct IdentityDb {
    db: Db,
}

/// A user as stored, password hash included. Turned into the wire [`User`] by [`IdentityDb::user_view`].
#[derive(Clone, Debug, FromRow)]
pub struct UserRecord {
    /// User id (UUID text).
    pub id: String,
    /// Tenant id.
    pub tenant_id: String,
    /// Email, matched case-insensitively.
    pub email: Option<String>,
    /// Username, matched exactly.
    pub username: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Full name.
    pub full_name: Option<String>,
    /// False when an administrator locked the account (423).
    pub active: bool,
    /// Email verified.
    pub verified: bool,
    /// Next login answers 203.
    pub password_change_required: bool,
    /// The 203's reason.
    pub password_change_reason: Option<String>,
    /// Account expiry, epoch ms (410 after it).
    pub expiry: Option<i64>,
    /// Password scheme.
    pub encryption_scheme: String,
    /// Password work factor.
    pub factor: i64,
    /// Base64 salt.
    pub salt: String,
    /// Base64 hash.
    pub password_hash: String,
    /// Base64 TOTP secret, when two-factor is on.
    pub two_factor_secret: Option<String>,
    /// The authenticator method's id.
    pub two_factor_method_id: Option<String>,
    /// Free-form data (JSON object text).
    pub data: String,
    /// Created, epoch ms.
    pub insert_instant: i64,
    /// Last login, epoch ms.
    pub last_login_instant: Option<i64>,
    /// Last login's IP address.
    pub last_login_ip: Option<String>,
    /// Last password change, epoch ms.
    pub password_last_update_instant: i64,
}

impl UserRecord {
    /// The stored password.
    pub fn password(&self) -> PasswordHash {
        PasswordHash {
            scheme: self.encryption_scheme.clone(),
            factor: u32::try_from(self.factor).unwrap_or(0),
            salt: self.salt.clone(),
            hash: self.password_hash.clone(),
        }
    }

    /// The id as a UUID (ids are written by this server, always valid).
    pub fn uuid(&self) -> Uuid {
        Uuid::parse_str(&self.id).unwrap_or_default()
    }

    /// Sets a new password hash.
    pub fn set_password(&mut self, hash: PasswordHash, now: i64) {
        self.encryption_scheme = hash.scheme;
        self.factor = i64::from(hash.factor);
        self.salt = hash.salt;
        self.password_hash = hash.hash;
        self.password_last_update_instant = now;
    }
}

/// An application (the Store or the Forums) as stored.
#[derive(Clone, Debug, FromRow)]
pub struct ApplicationRecord {
    /// Application id.
    pub id: String,
    /// Tenant id.
    pub tenant_id: String,
    /// Name.
    pub name: String,
    /// Role names (JSON array text).
    pub roles: String,
    /// Login requires the API key.
    pub require_authentication: bool,
    /// Login issues refresh tokens.
    pub generate_refresh_tokens: bool,
    /// Access token lifetime.
    pub jwt_ttl_seconds: i64,
    /// Refresh token lifetime.
    pub refresh_ttl_minutes: i64,
}

/// A stored refresh token (its hash only).
#[derive(Clone, Debug, FromRow)]
pub struct RefreshTokenRecord {
    /// Token id (the JWT's `sid`).
    pub id: String,
    /// The user.
    pub user_id: String,
    /// The application.
    pub application_id: String,
    /// Expiry, epoch ms.
    pub expires_at: i64,
}

/// A pending second factor or password change.
#[derive(Clone, Debug, FromRow)]
pub struct PendingLogin {
    /// The user.
    pub user_id: String,
    /// The application of the original login.
    pub application_id: Option<String>,
    /// The IP of the original login.
    pub ip_address: Option<String>,
    /// Why (password change reason).
    pub reason: Option<String>,
}

/// What a pending login waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PendingKind {
    /// An authenticator code (242).
    TwoFactor,
    /// A new password (203).
    ChangePassword,
}

impl PendingKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::TwoFactor => "two-factor",
            Self::ChangePassword => "change-password",
        }
    }
}

/// The parts of a tenant's FusionAuth configuration this server reads.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantConfig {
    /// The JWT `iss` claim.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Lock after repeated failures.
    #[serde(default)]
    pub failed_authentication_configuration: FailedAuthenticationConfig,
    /// Email verification gate (212).
    #[serde(default)]
    pub email_configuration: EmailConfig,
}

/// FusionAuth's `failedAuthenticationConfiguration`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedAuthenticationConfig {
    /// Failures that trigger the lock.
    #[serde(default = "defaults::too_many_attempts")]
    pub too_many_attempts: i64,
    /// The window in which failures are counted.
    #[serde(default = "defaults::reset_count_in_seconds")]
    pub reset_count_in_seconds: i64,
    /// How long the lock lasts, in `action_duration_unit`s.
    #[serde(default = "defaults::action_duration")]
    pub action_duration: i64,
    /// `SECONDS`, `MINUTES`, `HOURS`, `DAYS`.
    #[serde(default = "defaults::action_duration_unit")]
    pub action_duration_unit: String,
    /// The user action applied (FusionAuth requires one; a built-in lock when absent).
    #[serde(default)]
    pub user_action_id: Option<Uuid>,
}

impl Default for FailedAuthenticationConfig {
    fn default() -> Self {
        Self {
            too_many_attempts: defaults::too_many_attempts(),
            reset_count_in_seconds: defaults::reset_count_in_seconds(),
            action_duration: defaults::action_duration(),
            action_duration_unit: defaults::action_duration_unit(),
            user_action_id: None,
        }
    }
}

impl FailedAuthenticationConfig {
    /// The lock's length in milliseconds.
    pub fn action_duration_ms(&self) -> i64 {
        let unit = match self.action_duration_unit.to_ascii_uppercase().as_str() {
            "SECONDS" => 1_000,
            "HOURS" => 3_600_000,
            "DAYS" => 86_400_000,
            "WEEKS" => 7 * 86_400_000,
            _ => 60_000,
        };
        self.action_duration.saturating_mul(unit)
    }
}

mod defaults {
    pub fn too_many_attempts() -> i64 {
        5
    }
    pub fn reset_count_in_seconds() -> i64 {
        60
    }
    pub fn action_duration() -> i64 {
        3
    }
    pub fn action_duration_unit() -> String {
        "MINUTES".into()
    }
}

/// FusionAuth's `emailConfiguration` (the verification gate only).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailConfig {
    /// Users must verify their email.
    #[serde(default)]
    pub verify_email: bool,
    /// What unverified users get.
    #[serde(default)]
    pub unverified: UnverifiedConfig,
}

/// `emailConfiguration.unverified`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UnverifiedConfig {
    /// `Allow` (default) or `Gated` (login answers 212).
    #[serde(default)]
    pub behavior: Option<String>,
}

impl EmailConfig {
    /// True when unverified users must get 212.
    pub fn gates_unverified(&self) -> bool {
        self.verify_email && self.unverified.behavior.as_deref() == Some("Gated")
    }
}

/// SHA-256 hex of a secret (API keys, refresh tokens): what the database keeps instead of it.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl IdentityDb {
    /// Opens (creating if needed) the database at `url` and runs the migrations: a SQLite URL
    /// (`sqlite::memory:` gives a private in-memory database, for tests), or a PostgreSQL URL,
    /// whose schema `identity` holds the tables.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let db = Db::open(url, "identity")
            .await
            .context("cannot open the identity database")?;
        db.migrate(&SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS)
            .await
            .context("cannot migrate the identity database")?;
        Ok(Self { db })
    }

    /// True when nothing was ever stored: kickstart runs only then, as in FusionAuth.
    pub async fn is_empty(&self) -> anyhow::Result<bool> {
        let tenants: i64 = with_pool!(&self.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM tenants")
                .fetch_one(pool)
                .await
        })?;
        Ok(tenants == 0)
    }

    /// A stored setting.
    pub async fn setting(&self, name: &str) -> anyhow::Result<Option<String>> {
        Ok(with_pool!(&self.db, |pool| {
            sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await
        })?)
    }

    /// Stores a setting.
    pub async fn set_setting(&self, name: &str, value: &str) -> anyhow::Result<()> {
        with_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO settings (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            )
            .bind(name)
            .bind(value)
            .execute(pool)
            .await
            .map(drop)
        })?;
        Ok(())
    }

    /// Creates the tenant unless it exists.
    pub async fn ensure_tenant(&self, id: Uuid, name: &str) -> anyhow::Result<()> {
        with_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id.to_string())
            .bind(name)
            .execute(pool)
            .await
            .map(drop)
        })?;
        Ok(())
    }

    /// The tenant's raw configuration JSON, if the tenant exists.
    pub async fn tenant_config_json(&self, id: Uuid) -> anyhow::Result<Option<serde_json::Value>> {
        let text: Option<String> = with_pool!(&self.db, |pool| {
            sqlx::query_scalar("SELECT config FROM tenants WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(pool)
                .await
        })?;
        Ok(text.map(|t| serde_json::from_str(&t).unwrap_or_default()))
    }

    /// The tenant's configuration, defaults where unset.
    pub async fn tenant_config(&self, id: Uuid) -> anyhow::Result<TenantConfig> {
        Ok(self
            .tenant_config_json(id)
            .await?
            .and_then(|json| serde_json::from_value(json).ok())
            .unwrap_or_default())
    }

    /// Replaces the tenant's configuration JSON.
    pub async fn set_tenant_config(
        &self,
        id: Uuid,
        config: &serde_json::Value,
    ) -> anyhow::Result<()> {
        with_pool!(&self.db, |pool| {
            sqlx::query("UPDATE tenants SET config = $1 WHERE id = $2")
                .bind(config.to_string())
                .bind(id.to_string())
                .execute(pool)
                .await
                .map(drop)
        })?;
        Ok(())
    }

    /// Stores an API key (its digest).
    pub async fn add_api_key(&self, key: &str, description: Option<&str>) -> anyhow::Result<()> {
        with_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO api_keys (key_hash, description) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(digest(key))
            .bind(description)
            .execute(pool)
            .await
            .map(drop)
        })?;
        Ok(())
    }

    /// The digests of every stored API key.
    pub async fn api_key_digests(&self) -> anyhow::Result<std::collections::HashSet<String>> {
        let digests: Vec<String> = with_pool!(&self.db, |pool| {
            sqlx::query_scalar("SELECT key_hash FROM api_keys")
                .fetch_all(pool)
                .await
        })?;
        Ok(digests.into_iter().collect())
    }

    /// Creates an application; false when the id is taken.
    pub async fn insert_application(
        &self,
        app: &ApplicationRecord,
        now: i64,
    ) -> anyhow::Result<bool> {
        let done = with_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO applications (id, tenant_id, name, roles, require_authentication, generate_refresh_tokens, jwt_ttl_seconds, refresh_ttl_minutes, insert_instant)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&app.id)
            .bind(&app.tenant_id)
            .bind(&app.name)
            .bind(&app.roles)
            .bind(app.require_authentication)
            .bind(app.generate_refresh_tokens)
            .bind(app.jwt_ttl_seconds)
            .bind(app.refresh_ttl_minutes)
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Every application, by id.
    pub async fn applications(
        &self,
    ) -> anyhow::Result<std::collections::HashMap<Uuid, ApplicationRecord>> {
        let apps: Vec<ApplicationRecord> = with_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT id, tenant_id, name, roles, require_authentication, generate_refresh_tokens, jwt_ttl_seconds, refresh_ttl_minutes FROM applications",
            )
            .fetch_all(pool)
            .await
        })?;
        Ok(apps
            .into_iter()
            .filter_map(|app| Some((Uuid::parse_str(&app.id).ok()?, app)))
            .collect())
    }

    /// Defines a user action (e.g. the lock applied after failed logins).
    pub async fn insert_action_definition(
        &self,
        id: Uuid,
        name: &str,
        prevent_login: bool,
        temporal: bool,
    ) -> anyhow::Result<bool> {
        let done = with_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO user_action_definitions (id, name, prevent_login, temporal) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id.to_string())
            .bind(name)
            .bind(prevent_login)
            .bind(temporal)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// The name of a defined user action.
    pub async fn action_definition_name(&self, id: Uuid) -> anyhow::Result<Option<String>> {
        Ok(with_pool!(&self.db, |pool| {
            sqlx::query_scalar("SELECT name FROM user_action_definitions WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(pool)
                .await
        })?)
    }

    /// Creates a user; false when the id, email or username is taken.
    pub async fn insert_user(&self, user: &UserRecord) -> anyhow::Result<bool> {
        let done = with_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO users (id, tenant_id, email, username, first_name, last_name, full_name, active, verified,
                    password_change_required, password_change_reason, expiry, encryption_scheme, factor, salt, password_hash,
                    two_factor_secret, two_factor_method_id, data, insert_instant, last_login_instant, last_login_ip, password_last_update_instant)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) ON CONFLICT DO NOTHING",
            )
            .bind(&user.id)
            .bind(&user.tenant_id)
            .bind(&user.email)
            .bind(&user.username)
            .bind(&user.first_name)
            .bind(&user.last_name)
            .bind(&user.full_name)
            .bind(user.active)
            .bind(user.verified)
            .bind(user.password_change_required)
            .bind(&user.password_change_reason)
            .bind(user.expiry)
            .bind(&user.encryption_scheme)
            .bind(user.factor)
            .bind(&user.salt)
            .bind(&user.password_hash)
            .bind(&user.two_factor_secret)
            .bind(&user.two_factor_method_id)
            .bind(&user.data)
            .bind(user.insert_instant)
            .bind(user.last_login_instant)
            .bind(&user.last_login_ip)
            .bind(user.password_last_update_instant)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Writes every mutable column of `user` back.
    pub async fn update_user(&self, user: &UserRecord) -> anyhow::Result<()> {
        with_pool!(&self.db, |pool| {
            sqlx::query(
                "UPDATE users SET email = $1, username = $2, first_name = $3, last_name = $4, full_name = $5, active = $6, verified = $7,
                    password_change_required = $8, password_change_reason = $9, expiry = $10, encryption_scheme = $11, factor = $12, salt = $13,
                    password_hash = $14, two_factor_secret = $15, two_factor_method_id = $16, data = $17, last_login_instant = $18, last_login_ip = $19,
                    password_last_update_instant = $20
                 WHERE id = $21",
            )
            .bind(&user.email)
            .bind(&user.username)
            .bind(&user.first_name)
            .bind(&user.last_name)
            .bind(&user.full_name)
            .bind(user.active)
            .bind(user.verified)
            .bind(user.password_change_required)
            .bind(&user.password_change_reason)
            .bind(user.expiry)
            .bind(&user.encryption_scheme)
            .bind(user.factor)
            .bind(&user.salt)
            .bind(&user.password_hash)
            .bind(&user.two_factor_secret)
            .bind(&user.two_factor_method_id)
            .bind(&user.data)
            .bind(user.last_login_instant)
            .bind(&user.last_login_ip)
            .bind(user.password_last_update_instant)
            .bind(&user.id)
            .execute(pool)
            .await
            .map(drop)
        })?;
        Ok(())
    }

    /// Deletes a user and everything of theirs.
    pub async fn delete_user(&self, id: Uuid) -> anyhow::Result<bool> {
        let done = with_pool!(&self.db, |pool| {
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(id.to_string())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// A user by email (case-insensitive) or username (exact).
    pub async fn user_by_login_id(&self, login_id: &str) -> anyhow::Result<Option<UserRecord>> {
        // SQLite's column compares NOCASE; PostgreSQL's unique index is on lower(email).
        let sql = match self.db {
            Db::Sqlite(_) => "SELECT * FROM users WHERE email = $1 OR username = $1 LIMIT 1",
            Db::Postgres(_) => {
                "SELECT * FROM users WHERE lower(email) = lower($1) OR username = $1 LIMIT 1"
            }
        };
        Ok(with_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(login_id)
                .fetch_optional(pool)
                .await
        })?)
    }

    /// A user by id.
    pub async fn user_by_id(&self, id: Uuid) -> anyhow::Result<Option<UserRecord>> {
        Ok(with_pool!(&self.db, |pool| {
            sqlx::query_as("SELECT * FROM users WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(pool)
                .await
        })?)
    }

    /// Registers a user for an application; false when already registered.
    pub async fn insert_registration(
        &self,
        user_id: Uuid,
        registration: &Registration,
    ) -> anyhow::Result<bool> {
        let done = with_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO registrations (id, user_id, application_id, roles, username, verified, insert_instant)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(registration.id.to_string())
            .bind(user_id.to_string())
            .bind(registration.application_id.to_string())
            .bind(serde_json::to_string(&registration.roles)?)
            .bind(&registration.username)
            .bind(registration.verified)
            .bind(registration.insert_instant.unwrap_or_default())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Removes a user's registration for an application; false when there was none.
    pub async fn delete_registration(
        &self,
        user_id: Uuid,
        application_id: Uuid,
    ) -> anyhow::Result<bool> {
        let done = with_pool!(&self.db, |pool| {
            sqlx::query("DELETE FROM registrations WHERE user_id = $1 AND application_id = $2")
                .bind(user_id.to_string())
                .bind(application_id.to_string())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(done > 0)
    }

    /// Records a successful login: a login record, from which a trigger updates the user's and
    /// the registration's last login and clears the counted failures.
    pub async fn record_login(
        &self,
        user_id: Uuid,
        application_id: Option<Uuid>,
        login_id: Option<&str>,
        ip: Option<&str>,
        now: i64,
    ) -> anyhow::Result<()> {
        with_pool!(&self.db, |pool| {
            sqlx::query("INSERT INTO login_records (user_id, application_id, instant, ip_address, login_id) VALUES ($1, $2, $3, $4, $5)")
                .bind(user_id.to_string())
                .bind(application_id.map(|a| a.to_string()))
                .bind(now)
                .bind(ip)
                .bind(login_id)
                .execute(pool)
                .await
                .map(drop)
        })?;
        Ok(())
    }

    /// The user's login records, newest first: (application, instant, ip, login id).
    pub async fn login_records(
        &self,
        user_id: Uuid,
        limit: i64,
    ) -> anyhow::Result<Vec<(Option<String>, i64, Option<String>, Option<String>)>> {
        Ok(with_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT application_id, instant, ip_address, login_id FROM login_records WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(user_id.to_string())
            .bind(limit)
            .fetch_all(pool)
            .await
        })?)
    }

    /// The wire view of a stored user: no password, salt, hash or TOTP secret.
    pub async fn user_view(&self, record: &UserRecord) -> anyhow::Result<User> {
        #[derive(FromRow)]
        struct Row {
            id: String,
            application_id: String,
            roles: String,
            username: Option<String>,
            verified: bool,
            insert_instant: i64,
            last_login_instant: Option<i64>,
        }
        let rows: Vec<Row> = with_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT id, application_id, roles, username, verified, insert_instant, last_login_instant
                 FROM registrations WHERE user_id = $1 ORDER BY insert_instant, id",
            )
            .bind(&record.id)
            .fetch_all(pool)
            .await
        })?;
        let registrations = rows
            .into_iter()
            .map(|r| Registration {
                id: Uuid::parse_str(&r.id).unwrap_or_default(),
                application_id: Uuid::parse_str(&r.application_id).unwrap_or_default(),
                roles: serde_json::from_str(&r.roles).unwrap_or_default(),
                username: r.username,
                verified: r.verified,
                insert_instant: Some(r.insert_instant),
                last_login_instant: r.last_login_instant,
            })
            .collect();
        let two_factor = record.two_factor_method_id.as_ref().map(|id| {
            crate::fusionauth::model::TwoFactorInfo {
                methods: vec![super::totp::method_info(id)],
            }
        });
        Ok(User {
            id: record.uuid(),
            tenant_id: Uuid::parse_str(&record.tenant_id).ok(),
            email: record.email.clone(),
            username: record.username.clone(),
            first_name: record.first_name.clone(),
            last_name: record.last_name.clone(),
            full_name: record.full_name.clone(),
            active: record.active,
            verified: record.verified,
            password_change_required: record.password_change_required,
            expiry: record.expiry,
            insert_instant: Some(record.insert_instant),
            last_login_instant: record.last_login_instant,
            password_last_update_instant: Some(record.password_last_update_instant),
            data: serde_json::from_str(&record.data).unwrap_or_default(),
            registrations,
            two_factor,
        })
    }

    /// Stores a refresh token's digest.
    pub async fn insert_refresh_token(
        &self,
        id: Uuid,
        token: &str,
        user_id: Uuid,
        application_id: Uuid,
        now: i64,
        expires_at: i64,
    ) -> anyhow::Result<()> {
        with_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO refresh_tokens (id, token_hash, user_id, application_id, insert_instant, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id.to_string())
            .bind(digest(token))
            .bind(user_id.to_string())
            .bind(application_id.to_string())
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(drop)
        })?;
        Ok(())
    }

    /// A refresh token by its value.
    pub async fn refresh_token(&self, token: &str) -> anyhow::Result<Option<RefreshTokenRecord>> {
        Ok(with_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT id, user_id, application_id, expires_at FROM refresh_tokens WHERE token_hash = $1",
            )
            .bind(digest(token))
            .fetch_optional(pool)
            .await
        })?)
    }

    /// Revokes one refresh token; returns its owner if it existed.
    pub async fn revoke_refresh_token(&self, token: &str) -> anyhow::Result<Option<String>> {
        Ok(with_pool!(&self.db, |pool| {
            sqlx::query_scalar("DELETE FROM refresh_tokens WHERE token_hash = $1 RETURNING user_id")
                .bind(digest(token))
                .fetch_optional(pool)
                .await
        })?)
    }

    /// Revokes every refresh token of a user.
    pub async fn revoke_user_refresh_tokens(&self, user_id: &str) -> anyhow::Result<u64> {
        Ok(with_pool!(&self.db, |pool| {
            sqlx::query("DELETE FROM refresh_tokens WHERE user_id = $1")
                .bind(user_id)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?)
    }

    /// Counts a failed login inside the window; returns the count including this one.
    pub async fn record_failure(
        &self,
        user_id: &str,
        now: i64,
        window_ms: i64,
    ) -> anyhow::Result<i64> {
        self.count_failure("failed_logins", "user_id", user_id, now, window_ms)
            .await
    }

    /// Counts a failed login for a login id that matches no user (keyed by its digest).
    pub async fn record_unknown_failure(
        &self,
        login_id: &str,
        now: i64,
        window_ms: i64,
    ) -> anyhow::Result<i64> {
        let key = digest(&login_id.to_lowercase());
        self.count_failure(
            "unknown_login_failures",
            "login_id_hash",
            &key,
            now,
            window_ms,
        )
        .await
    }

    /// One windowed counter upsert: restarts at 1 when the window since the first failure has
    /// passed. `table` and `column` are this module's constants, never input.
    async fn count_failure(
        &self,
        table: &'static str,
        column: &'static str,
        key: &str,
        now: i64,
        window_ms: i64,
    ) -> anyhow::Result<i64> {
        let sql = format!(
            "INSERT INTO {table} ({column}, count, first_failure) VALUES ($1, 1, $2)
             ON CONFLICT ({column}) DO UPDATE SET
                count = CASE WHEN $2 - {table}.first_failure > $3 THEN 1 ELSE {table}.count + 1 END,
                first_failure = CASE WHEN $2 - {table}.first_failure > $3 THEN $2 ELSE {table}.first_failure END
             RETURNING count"
        );
        Ok(with_pool!(&self.db, |pool| {
            sqlx::query_scalar(&sql)
                .bind(key)
                .bind(now)
                .bind(window_ms)
                .fetch_one(pool)
                .await
        })?)
    }

    /// Applies an action to a user (and forgets the counted failures).
    pub async fn add_user_action(&self, user_id: &str, action: &UserAction) -> anyhow::Result<()> {
        with_pool!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO user_actions (id, user_id, action_id, name, reason, reason_code, expiry) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(Uuid::new_v4().to_string())
            .bind(user_id)
            .bind(action.action_id.to_string())
            .bind(&action.name)
            .bind(&action.reason)
            .bind(&action.reason_code)
            .bind(action.expiry)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM failed_logins WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })?;
        Ok(())
    }

    /// The actions on a user that have not expired.
    pub async fn active_actions(&self, user_id: &str, now: i64) -> anyhow::Result<Vec<UserAction>> {
        #[derive(FromRow)]
        struct Row {
            action_id: String,
            name: String,
            reason: Option<String>,
            reason_code: Option<String>,
            expiry: Option<i64>,
        }
        let rows: Vec<Row> = with_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT action_id, name, reason, reason_code, expiry FROM user_actions
             WHERE user_id = $1 AND (expiry IS NULL OR expiry > $2) ORDER BY expiry",
            )
            .bind(user_id)
            .bind(now)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| UserAction {
                action_id: Uuid::parse_str(&r.action_id).unwrap_or_default(),
                expiry: r.expiry,
                name: r.name,
                reason: r.reason,
                reason_code: r.reason_code,
            })
            .collect())
    }

    /// Stores a pending second factor or password change under a fresh random id.
    pub async fn insert_pending(
        &self,
        id: &str,
        kind: PendingKind,
        pending: &PendingLogin,
        expires_at: i64,
    ) -> anyhow::Result<()> {
        with_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO pending_logins (id, kind, user_id, application_id, ip_address, reason, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(kind.as_str())
            .bind(&pending.user_id)
            .bind(&pending.application_id)
            .bind(&pending.ip_address)
            .bind(&pending.reason)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(drop)
        })?;
        Ok(())
    }

    /// A pending login that has not expired.
    pub async fn pending(
        &self,
        id: &str,
        kind: PendingKind,
        now: i64,
    ) -> anyhow::Result<Option<PendingLogin>> {
        Ok(with_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT user_id, application_id, ip_address, reason FROM pending_logins WHERE id = $1 AND kind = $2 AND expires_at > $3",
            )
            .bind(id)
            .bind(kind.as_str())
            .bind(now)
            .fetch_optional(pool)
            .await
        })?)
    }

    /// Consumes a pending login; false if another request consumed it first.
    pub async fn delete_pending(&self, id: &str) -> anyhow::Result<bool> {
        Ok(with_pool!(&self.db, |pool| {
            sqlx::query("DELETE FROM pending_logins WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })? == 1)
    }

    /// Deletes expired pending logins, refresh tokens and actions.
    pub async fn purge_expired(&self, now: i64) -> anyhow::Result<()> {
        for sql in [
            "DELETE FROM pending_logins WHERE expires_at <= $1",
            "DELETE FROM refresh_tokens WHERE expires_at <= $1",
            "DELETE FROM user_actions WHERE expiry IS NOT NULL AND expiry <= $1",
        ] {
            with_pool!(&self.db, |pool| {
                sqlx::query(sql).bind(now).execute(pool).await.map(drop)
            })?;
        }
        with_pool!(&self.db, |pool| {
            sqlx::query("DELETE FROM unknown_login_failures WHERE first_failure <= $1")
                .bind(now - 86_400_000)
                .execute(pool)
                .await
                .map(drop)
        })?;
        Ok(())
    }
}
