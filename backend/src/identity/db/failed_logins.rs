//! Failed-login counters, per user and per unknown login id, over a sliding window.

use super::{IdentityDb, digest};
use crate::db::with_pool;
use uuid::Uuid;

impl IdentityDb {
    /// Counts a failed login inside the window; returns the count including this one.
    pub async fn record_failure(
        &self,
        user_id: Uuid,
        now: i64,
        window_ms: i64,
    ) -> anyhow::Result<i64> {
        self.count_failure(
            "failed_logins",
            "user_id",
            &user_id.to_string(),
            now,
            window_ms,
        )
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
}
