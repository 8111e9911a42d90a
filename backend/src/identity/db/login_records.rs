//! Login records: one row per successful login (a trigger keeps the last-login columns).

use super::{IdentityDb, stored_id};
use crate::db::with_pool;
use crate::fusionauth::model::LoginRecord;
use sqlx::FromRow;
use uuid::Uuid;

impl IdentityDb {
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

    /// The user's last `limit` login records, newest first.
    pub async fn login_records(
        &self,
        user_id: Uuid,
        limit: i64,
    ) -> anyhow::Result<Vec<LoginRecord>> {
        let rows: Vec<LoginRecordRow> = with_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT application_id, instant, ip_address, login_id FROM login_records
                 WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(user_id.to_string())
            .bind(limit)
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter()
            .map(|row| {
                Ok(LoginRecord {
                    user_id,
                    application_id: row.application_id.as_deref().map(stored_id).transpose()?,
                    instant: row.instant,
                    ip_address: row.ip_address,
                    login_id: row.login_id,
                })
            })
            .collect()
    }
}

/// A login record as stored (the application id as text, absent when the login named none).
#[derive(FromRow)]
struct LoginRecordRow {
    application_id: Option<String>,
    instant: i64,
    ip_address: Option<String>,
    login_id: Option<String>,
}
