//! API keys: only their digests are kept.

use super::{IdentityDb, digest};
use crate::db::with_pool;

impl IdentityDb {
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
}
