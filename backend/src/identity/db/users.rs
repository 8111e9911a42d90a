//! Users: their rows (password hash and TOTP secret included) and their wire view.

use super::IdentityDb;
use crate::db::{Db, with_pool};
use crate::fusionauth::model::{TwoFactorInfo, User};
use crate::identity::password::PasswordHash;
use crate::identity::totp;
use sqlx::query::Query;
use sqlx::{Database, Encode, FromRow, Type};
use uuid::Uuid;

/// Every column of `users`, in the order [`IdentityDb::insert_user`] binds them: the three
/// set once at creation, then the ones [`bind_mutable`] binds.
const USER_COLUMNS: &str = "id, tenant_id, insert_instant, email, username, first_name, \
    last_name, full_name, active, verified, password_change_required, password_change_reason, \
    expiry, encryption_scheme, factor, salt, password_hash, two_factor_secret, \
    two_factor_method_id, data, last_login_instant, last_login_ip, password_last_update_instant";

/// Binds the 20 columns a user's update may change, in [`USER_COLUMNS`] order (`email`
/// to `password_last_update_instant`): insert and update share this list, so a new column
/// cannot be bound in one and forgotten in the other. Generic over the database so it works
/// on either arm of `with_pool!`.
fn bind_mutable<'q, DB>(
    query: Query<'q, DB, <DB as Database>::Arguments<'q>>,
    user: &'q UserRecord,
) -> Query<'q, DB, <DB as Database>::Arguments<'q>>
where
    DB: Database,
    String: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
    Option<String>: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
{
    query
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
}

/// A user as stored, password hash included. Turned into the wire [`User`] by
/// [`IdentityDb::user_view`].
#[derive(Clone, Debug, FromRow)]
pub struct UserRecord {
    /// User id.
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// Tenant id.
    #[sqlx(try_from = "String")]
    pub tenant_id: Uuid,
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

    /// Sets a new password hash.
    pub fn set_password(&mut self, hash: PasswordHash, now: i64) {
        self.encryption_scheme = hash.scheme;
        self.factor = i64::from(hash.factor);
        self.salt = hash.salt;
        self.password_hash = hash.hash;
        self.password_last_update_instant = now;
    }
}

impl IdentityDb {
    /// Creates a user; false when the id, email or username is taken.
    pub async fn insert_user(&self, user: &UserRecord) -> anyhow::Result<bool> {
        let sql = format!(
            "INSERT INTO users ({USER_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
             ON CONFLICT DO NOTHING"
        );
        let done = with_pool!(&self.db, |pool| {
            let query = sqlx::query(&sql)
                .bind(user.id.to_string())
                .bind(user.tenant_id.to_string())
                .bind(user.insert_instant);
            bind_mutable(query, user)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Writes every mutable column of `user` back.
    pub async fn update_user(&self, user: &UserRecord) -> anyhow::Result<()> {
        with_pool!(&self.db, |pool| {
            let query = sqlx::query(
                "UPDATE users SET email = $1, username = $2, first_name = $3, last_name = $4, full_name = $5, active = $6, verified = $7,
                    password_change_required = $8, password_change_reason = $9, expiry = $10, encryption_scheme = $11, factor = $12, salt = $13,
                    password_hash = $14, two_factor_secret = $15, two_factor_method_id = $16, data = $17, last_login_instant = $18, last_login_ip = $19,
                    password_last_update_instant = $20
                 WHERE id = $21",
            );
            bind_mutable(query, user)
                .bind(user.id.to_string())
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
        let condition = match self.db {
            Db::Sqlite(_) => "email = $1 OR username = $1",
            Db::Postgres(_) => "lower(email) = lower($1) OR username = $1",
        };
        self.user_where(condition, login_id).await
    }

    /// A user by id.
    pub async fn user_by_id(&self, id: Uuid) -> anyhow::Result<Option<UserRecord>> {
        self.user_where("id = $1", &id.to_string()).await
    }

    /// The one user query: the first user matching `condition` (one of this module's
    /// constants, never input) with `$1` bound to `value`.
    async fn user_where(
        &self,
        condition: &'static str,
        value: &str,
    ) -> anyhow::Result<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {condition} LIMIT 1");
        Ok(with_pool!(&self.db, |pool| {
            sqlx::query_as(&sql).bind(value).fetch_optional(pool).await
        })?)
    }

    /// The wire view of a stored user: no password, salt, hash or TOTP secret.
    pub async fn user_view(&self, record: &UserRecord) -> anyhow::Result<User> {
        let registrations = self.registrations_of(record.id).await?;
        let two_factor = record
            .two_factor_method_id
            .as_ref()
            .map(|id| TwoFactorInfo {
                methods: vec![totp::method_info(id)],
            });
        Ok(User {
            id: record.id,
            tenant_id: Some(record.tenant_id),
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
}
