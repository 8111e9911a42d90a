//! User actions: their definitions and the ones applied to users (the lock after failed logins).

use super::IdentityDb;
use crate::db::with_pool;
use crate::fusionauth::model::UserAction;
use sqlx::FromRow;
use uuid::Uuid;

impl IdentityDb {
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

    /// Applies an action to a user (and forgets the counted failures).
    pub async fn add_user_action(&self, user_id: Uuid, action: &UserAction) -> anyhow::Result<()> {
        with_pool!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO user_actions (id, user_id, action_id, name, reason, reason_code, expiry) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(Uuid::new_v4().to_string())
            .bind(user_id.to_string())
            .bind(action.action_id.to_string())
            .bind(&action.name)
            .bind(&action.reason)
            .bind(&action.reason_code)
            .bind(action.expiry)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM failed_logins WHERE user_id = $1")
                .bind(user_id.to_string())
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })?;
        Ok(())
    }

    /// The actions on a user that have not expired.
    pub async fn active_actions(&self, user_id: Uuid, now: i64) -> anyhow::Result<Vec<UserAction>> {
        #[derive(FromRow)]
        struct Row {
            #[sqlx(try_from = "String")]
            action_id: Uuid,
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
            .bind(user_id.to_string())
            .bind(now)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| UserAction {
                action_id: r.action_id,
                expiry: r.expiry,
                name: r.name,
                reason: r.reason,
                reason_code: r.reason_code,
            })
            .collect())
    }
}
