//! Registrations: which users may log in to which application, with which roles.

use super::IdentityDb;
use crate::db::with_pool;
use crate::fusionauth::model::Registration;
use sqlx::FromRow;
use uuid::Uuid;

impl IdentityDb {
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

    /// The user's registrations, oldest first.
    pub async fn registrations_of(&self, user_id: Uuid) -> anyhow::Result<Vec<Registration>> {
        let rows: Vec<RegistrationRow> = with_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT id, application_id, roles, username, verified, insert_instant, last_login_instant
                 FROM registrations WHERE user_id = $1 ORDER BY insert_instant, id",
            )
            .bind(user_id.to_string())
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| Registration {
                id: r.id,
                application_id: r.application_id,
                roles: serde_json::from_str(&r.roles).unwrap_or_default(),
                username: r.username,
                verified: r.verified,
                insert_instant: Some(r.insert_instant),
                last_login_instant: r.last_login_instant,
            })
            .collect())
    }
}

/// A registration as stored (roles as JSON array text).
#[derive(FromRow)]
struct RegistrationRow {
    #[sqlx(try_from = "String")]
    id: Uuid,
    #[sqlx(try_from = "String")]
    application_id: Uuid,
    roles: String,
    username: Option<String>,
    verified: bool,
    insert_instant: i64,
    last_login_instant: Option<i64>,
}
