//! Pending logins: a 242 waiting for its second factor or a 203 for its new password,
//! single use and short-lived.

use super::{IdentityDb, stored_id};
use crate::db::with_pool;
use sqlx::FromRow;
use uuid::Uuid;

/// A pending second factor or password change.
#[derive(Clone, Debug)]
pub struct PendingLogin {
    /// The user.
    pub user_id: Uuid,
    /// The application of the original login.
    pub application_id: Option<Uuid>,
    /// The IP of the original login.
    pub ip_address: Option<String>,
    /// Why (password change reason).
    pub reason: Option<String>,
}

/// A pending login as stored (ids as text).
#[derive(FromRow)]
struct PendingRow {
    user_id: String,
    application_id: Option<String>,
    ip_address: Option<String>,
    reason: Option<String>,
}

impl TryFrom<PendingRow> for PendingLogin {
    type Error = anyhow::Error;

    fn try_from(row: PendingRow) -> anyhow::Result<Self> {
        Ok(Self {
            user_id: stored_id(&row.user_id)?,
            application_id: row.application_id.as_deref().map(stored_id).transpose()?,
            ip_address: row.ip_address,
            reason: row.reason,
        })
    }
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

impl IdentityDb {
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
            .bind(pending.user_id.to_string())
            .bind(pending.application_id.map(|a| a.to_string()))
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
        let row: Option<PendingRow> = with_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT user_id, application_id, ip_address, reason FROM pending_logins WHERE id = $1 AND kind = $2 AND expires_at > $3",
            )
            .bind(id)
            .bind(kind.as_str())
            .bind(now)
            .fetch_optional(pool)
            .await
        })?;
        row.map(PendingLogin::try_from).transpose()
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
}
