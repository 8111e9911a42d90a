//! Refresh tokens: only their digests are kept.

use super::{IdentityDb, digest, stored_id};
use crate::db::with_pool;
use sqlx::FromRow;
use uuid::Uuid;

/// A stored refresh token (its hash only).
#[derive(Clone, Debug, FromRow)]
pub struct RefreshTokenRecord {
    /// Token id (the JWT's `sid`).
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// The user.
    #[sqlx(try_from = "String")]
    pub user_id: Uuid,
    /// The application.
    #[sqlx(try_from = "String")]
    pub application_id: Uuid,
    /// Expiry, epoch ms.
    pub expires_at: i64,
}

impl IdentityDb {
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
    pub async fn revoke_refresh_token(&self, token: &str) -> anyhow::Result<Option<Uuid>> {
        let user_id: Option<String> = with_pool!(&self.db, |pool| {
            sqlx::query_scalar("DELETE FROM refresh_tokens WHERE token_hash = $1 RETURNING user_id")
                .bind(digest(token))
                .fetch_optional(pool)
                .await
        })?;
        user_id.as_deref().map(stored_id).transpose()
    }

    /// Revokes every refresh token of a user.
    pub async fn revoke_user_refresh_tokens(&self, user_id: Uuid) -> anyhow::Result<u64> {
        Ok(with_pool!(&self.db, |pool| {
            sqlx::query("DELETE FROM refresh_tokens WHERE user_id = $1")
                .bind(user_id.to_string())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?)
    }
}
