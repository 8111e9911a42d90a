//! The identity server's storage: a repository over SQLite or PostgreSQL (sqlx, migrations in
//! `backend/migrations/identity/{sqlite,postgres}`), one file per table. Handlers call these
//! methods and know no SQL. Ids are UUID text in both databases; rows carry them as `Uuid`,
//! parsed once where the row is read.

mod api_keys;
mod applications;
mod failed_logins;
mod login_records;
mod pending_logins;
mod refresh_tokens;
mod registrations;
mod tenant;
mod user_actions;
mod users;

pub use applications::{ApplicationRecord, DEFAULT_JWT_TTL_SECONDS, DEFAULT_REFRESH_TTL_MINUTES};
pub use pending_logins::{PendingKind, PendingLogin};
pub use refresh_tokens::RefreshTokenRecord;
pub use tenant::{EmailConfig, FailedAuthenticationConfig, TenantConfig, UnverifiedConfig};
pub use users::UserRecord;

use crate::db::{Db, with_pool};
use anyhow::Context as _;
use sha2::{Digest as _, Sha256};
use sqlx::migrate::Migrator;
use uuid::Uuid;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/identity/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/identity/postgres");

/// The identity server's database.
#[derive(Clone, Debug)]
pub struct IdentityDb {
    db: Db,
}

/// SHA-256 hex of a secret (API keys, refresh tokens): what the database keeps instead of it.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads back an id this server wrote into a TEXT column. One that is not a UUID is a damaged
/// row: an error, never a nil UUID standing in for it.
fn stored_id(text: &str) -> anyhow::Result<Uuid> {
    Uuid::parse_str(text).with_context(|| format!("a stored id is not a UUID: {text:?}"))
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

    /// Closes the connections, waiting for those in use (SQLite checkpoints its log).
    pub async fn close(&self) {
        self.db.close().await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_damaged_stored_id_is_an_error_not_a_nil_uuid() {
        let db = IdentityDb::connect("sqlite::memory:").await.unwrap();
        let tenant = Uuid::new_v4();
        db.ensure_tenant(tenant, "Default").await.unwrap();
        let pool = db.db.as_sqlite().unwrap();
        sqlx::query(
            "INSERT INTO users (id, tenant_id, email, encryption_scheme, factor, salt, password_hash,
                insert_instant, password_last_update_instant)
             VALUES ('not-a-uuid', $1, 'broken@example.com', 's', 1, '', '', 0, 0)",
        )
        .bind(tenant.to_string())
        .execute(pool)
        .await
        .unwrap();
        assert!(db.user_by_login_id("broken@example.com").await.is_err());
        sqlx::query(
            "INSERT INTO users (id, tenant_id, email, encryption_scheme, factor, salt, password_hash,
                insert_instant, password_last_update_instant)
             VALUES ($1, $2, 'sound@example.com', 's', 1, '', '', 0, 0)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(tenant.to_string())
        .execute(pool)
        .await
        .unwrap();
        let user = db.user_by_login_id("sound@example.com").await.unwrap();
        assert_eq!(user.unwrap().tenant_id, tenant);
    }
}
