//! The tenant: its row and the parts of its FusionAuth configuration this server reads.

use super::IdentityDb;
use crate::db::with_pool;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The parts of a tenant's FusionAuth configuration this server reads.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantConfig {
    /// The JWT `iss` claim.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Lock after repeated failures.
    #[serde(default)]
    pub failed_authentication_configuration: FailedAuthenticationConfig,
    /// Email verification gate (212).
    #[serde(default)]
    pub email_configuration: EmailConfig,
}

/// FusionAuth's `failedAuthenticationConfiguration`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedAuthenticationConfig {
    /// Failures that trigger the lock.
    #[serde(default = "defaults::too_many_attempts")]
    pub too_many_attempts: i64,
    /// The window in which failures are counted.
    #[serde(default = "defaults::reset_count_in_seconds")]
    pub reset_count_in_seconds: i64,
    /// How long the lock lasts, in `action_duration_unit`s.
    #[serde(default = "defaults::action_duration")]
    pub action_duration: i64,
    /// `SECONDS`, `MINUTES`, `HOURS`, `DAYS`.
    #[serde(default = "defaults::action_duration_unit")]
    pub action_duration_unit: String,
    /// The user action applied (FusionAuth requires one; a built-in lock when absent).
    #[serde(default)]
    pub user_action_id: Option<Uuid>,
}

impl Default for FailedAuthenticationConfig {
    fn default() -> Self {
        Self {
            too_many_attempts: defaults::too_many_attempts(),
            reset_count_in_seconds: defaults::reset_count_in_seconds(),
            action_duration: defaults::action_duration(),
            action_duration_unit: defaults::action_duration_unit(),
            user_action_id: None,
        }
    }
}

impl FailedAuthenticationConfig {
    /// The lock's length in milliseconds.
    pub fn action_duration_ms(&self) -> i64 {
        let unit = match self.action_duration_unit.to_ascii_uppercase().as_str() {
            "SECONDS" => 1_000,
            "HOURS" => 3_600_000,
            "DAYS" => 86_400_000,
            "WEEKS" => 7 * 86_400_000,
            _ => 60_000,
        };
        self.action_duration.saturating_mul(unit)
    }
}

mod defaults {
    pub fn too_many_attempts() -> i64 {
        5
    }
    pub fn reset_count_in_seconds() -> i64 {
        60
    }
    pub fn action_duration() -> i64 {
        3
    }
    pub fn action_duration_unit() -> String {
        "MINUTES".into()
    }
}

/// FusionAuth's `emailConfiguration` (the verification gate only).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailConfig {
    /// Users must verify their email.
    #[serde(default)]
    pub verify_email: bool,
    /// What unverified users get.
    #[serde(default)]
    pub unverified: UnverifiedConfig,
}

/// `emailConfiguration.unverified`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UnverifiedConfig {
    /// `Allow` (default) or `Gated` (login answers 212).
    #[serde(default)]
    pub behavior: Option<String>,
}

impl EmailConfig {
    /// True when unverified users must get 212.
    pub fn gates_unverified(&self) -> bool {
        self.verify_email && self.unverified.behavior.as_deref() == Some("Gated")
    }
}

impl IdentityDb {
    /// Creates the tenant unless it exists.
    pub async fn ensure_tenant(&self, id: Uuid, name: &str) -> anyhow::Result<()> {
        with_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id.to_string())
            .bind(name)
            .execute(pool)
            .await
            .map(drop)
        })?;
        Ok(())
    }

    /// The tenant's raw configuration JSON, if the tenant exists.
    pub async fn tenant_config_json(&self, id: Uuid) -> anyhow::Result<Option<serde_json::Value>> {
        let text: Option<String> = with_pool!(&self.db, |pool| {
            sqlx::query_scalar("SELECT config FROM tenants WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(pool)
                .await
        })?;
        Ok(text.map(|t| serde_json::from_str(&t).unwrap_or_default()))
    }

    /// The tenant's configuration, defaults where unset.
    pub async fn tenant_config(&self, id: Uuid) -> anyhow::Result<TenantConfig> {
        Ok(self
            .tenant_config_json(id)
            .await?
            .and_then(|json| serde_json::from_value(json).ok())
            .unwrap_or_default())
    }

    /// Replaces the tenant's configuration JSON.
    pub async fn set_tenant_config(
        &self,
        id: Uuid,
        config: &serde_json::Value,
    ) -> anyhow::Result<()> {
        with_pool!(&self.db, |pool| {
            sqlx::query("UPDATE tenants SET config = $1 WHERE id = $2")
                .bind(config.to_string())
                .bind(id.to_string())
                .execute(pool)
                .await
                .map(drop)
        })?;
        Ok(())
    }
}
