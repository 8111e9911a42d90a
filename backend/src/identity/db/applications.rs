//! Applications (the Store and the Forums) and their login and token settings.

use super::IdentityDb;
use crate::db::with_pool;
use sqlx::FromRow;
use std::collections::HashMap;
use uuid::Uuid;

/// FusionAuth's default access token lifetime, also what a login without an application gets.
pub const DEFAULT_JWT_TTL_SECONDS: i64 = 3600;
/// FusionAuth's default refresh token lifetime (30 days).
pub const DEFAULT_REFRESH_TTL_MINUTES: i64 = 43_200;

/// An application (the Store or the Forums) as stored.
#[derive(Clone, Debug, FromRow)]
pub struct ApplicationRecord {
    /// Application id.
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// Tenant id.
    #[sqlx(try_from = "String")]
    pub tenant_id: Uuid,
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

impl IdentityDb {
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
            .bind(app.id.to_string())
            .bind(app.tenant_id.to_string())
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
    pub async fn applications(&self) -> anyhow::Result<HashMap<Uuid, ApplicationRecord>> {
        let apps: Vec<ApplicationRecord> = with_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT id, tenant_id, name, roles, require_authentication, generate_refresh_tokens, jwt_ttl_seconds, refresh_ttl_minutes FROM applications",
            )
            .fetch_all(pool)
            .await
        })?;
        Ok(apps.into_iter().map(|app| (app.id, app)).collect())
    }
}
