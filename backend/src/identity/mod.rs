//! The local FusionAuth-compatible identity server: the embedded default that the Store and
//! Forums log users in against. It speaks FusionAuth's HTTP contract (`docs/identity-server.md`)
//! so a real FusionAuth drops in; it knows nothing of the web apps, their sessions or cookies.

pub mod api;
pub mod db;
pub mod jwt;
pub mod kickstart;
pub mod password;
pub mod totp;

use crate::clock::now_ms;
use crate::random::random_token;
use crate::server::{ServerLimits, Serving};
use anyhow::Context as _;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use secrecy::SecretString;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use api::ApiError;
pub use db::IdentityDb;

/// Where the seed data comes from when the database is empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KickstartSource {
    /// The demo data shipped in `backend/kickstart/kickstart.json` (built into the binary).
    Demo,
    /// A kickstart file in FusionAuth's format.
    File(PathBuf),
    /// Start empty.
    None,
}

/// How to run the identity server.
#[derive(Clone, Debug)]
pub struct IdentityConfig {
    /// Listen address; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Database URL: SQLite, e.g. `sqlite://data/identity.db` or `sqlite::memory:`, or
    /// PostgreSQL, e.g. `postgres://user:pass@host/db` (tables in its schema `identity`).
    pub database_url: String,
    /// Seed data for an empty database.
    pub kickstart: KickstartSource,
    /// HMAC secret for access tokens; generated once and stored when absent.
    pub jwt_secret: Option<SecretString>,
    /// Timeouts and the connection budget (shared with the sites when the stack runs all).
    pub server: ServerLimits,
}

impl IdentityConfig {
    /// An in-memory server on a free loopback port, seeded with the demo data: for tests.
    pub fn ephemeral() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: "sqlite::memory:".into(),
            kickstart: KickstartSource::Demo,
            jwt_secret: None,
            server: ServerLimits::default(),
        }
    }
}

/// Shared state of the API handlers.
pub type State = Arc<IdentityService>;

/// The identity server's state: storage, the token signer, the tenant.
#[derive(Debug)]
pub struct IdentityService {
    /// Storage.
    pub db: IdentityDb,
    /// Access-token signer.
    pub signer: jwt::Signer,
    /// The default tenant (this server has one).
    pub tenant_id: Uuid,
    /// The tenant's configuration, read on every login: kept in memory, written through.
    tenant: RwLock<db::TenantConfig>,
    /// Digests of the API keys, checked on every authenticated call: kept in memory.
    api_keys: RwLock<HashSet<String>>,
    /// The applications, read on every login: kept in memory, written through.
    applications: RwLock<HashMap<Uuid, db::ApplicationRecord>>,
}

/// How long a 242's `twoFactorId` stays valid (FusionAuth's default).
pub const TWO_FACTOR_TTL_MS: i64 = 5 * 60 * 1000;
/// How long a 203's `changePasswordId` stays valid.
pub const CHANGE_PASSWORD_TTL_MS: i64 = 10 * 60 * 1000;

impl IdentityService {
    /// Opens the database, kickstarts it when empty, and returns the API's state.
    pub async fn open(config: &IdentityConfig) -> anyhow::Result<State> {
        let db = IdentityDb::connect(&config.database_url).await?;
        let plan = if db.is_empty().await? {
            kickstart::Plan::load(&config.kickstart)?
        } else {
            None
        };
        if db.setting("tenant_id").await?.is_none() {
            let tenant_id = plan
                .as_ref()
                .and_then(|p| p.default_tenant_id)
                .unwrap_or_else(Uuid::new_v4);
            db.ensure_tenant(tenant_id, "Default").await?;
            db.set_setting("tenant_id", &tenant_id.to_string()).await?;
        }
        let tenant_id = db
            .setting("tenant_id")
            .await?
            .and_then(|t| Uuid::parse_str(&t).ok())
            .context("the identity database has no valid tenant id")?;
        let secret = match &config.jwt_secret {
            Some(secret) => secret.clone(),
            None => match db.setting("jwt_secret").await? {
                Some(secret) => SecretString::from(secret),
                None => {
                    let secret = random_token(32);
                    db.set_setting("jwt_secret", &secret).await?;
                    SecretString::from(secret)
                }
            },
        };
        let tenant = db.tenant_config(tenant_id).await?;
        let api_keys = db.api_key_digests().await?;
        let applications = db.applications().await?;
        let state = Arc::new(Self {
            db,
            signer: jwt::Signer::new(&secret),
            tenant_id,
            tenant: RwLock::new(tenant),
            api_keys: RwLock::new(api_keys),
            applications: RwLock::new(applications),
        });
        if let Some(plan) = plan {
            plan.run(&state)
                .await
                .context("kickstart failed; fix the file and start again with an empty database")?;
        }
        Ok(state)
    }

    /// Checks the `Authorization` API key. A key that is sent must be valid; none is needed
    /// unless `required`.
    pub fn authorize(&self, headers: &HeaderMap, required: bool) -> Result<(), ApiError> {
        match headers.get(AUTHORIZATION).map(|v| v.to_str()) {
            None if !required => Ok(()),
            None => Err(ApiError::Unauthorized),
            Some(Ok(key)) if self.read_keys().contains(&db::digest(key.trim())) => Ok(()),
            Some(_) => Err(ApiError::Unauthorized),
        }
    }

    /// Stores an API key.
    pub async fn add_api_key(&self, key: &str, description: Option<&str>) -> anyhow::Result<()> {
        self.db.add_api_key(key, description).await?;
        self.api_keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(db::digest(key));
        Ok(())
    }

    /// The tenant's configuration.
    pub fn tenant(&self) -> db::TenantConfig {
        self.tenant
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Replaces the tenant's configuration (JSON as FusionAuth's), in the database and in memory.
    pub async fn set_tenant_config(&self, config: &serde_json::Value) -> anyhow::Result<()> {
        let parsed: db::TenantConfig = serde_json::from_value(config.clone())?;
        self.db.set_tenant_config(self.tenant_id, config).await?;
        *self
            .tenant
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = parsed;
        Ok(())
    }

    /// An application by id.
    pub fn application(&self, id: Uuid) -> Option<db::ApplicationRecord> {
        self.applications
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    /// Creates an application; false when the id is taken.
    pub async fn insert_application(&self, app: db::ApplicationRecord) -> anyhow::Result<bool> {
        if !self.db.insert_application(&app, now_ms()).await? {
            return Ok(false);
        }
        self.applications
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(app.id, app);
        Ok(true)
    }

    fn read_keys(&self) -> std::sync::RwLockReadGuard<'_, HashSet<String>> {
        self.api_keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running identity server.
#[derive(Debug)]
pub struct IdentityServer {
    serving: Serving,
    janitor: JoinHandle<()>,
    db: IdentityDb,
}

impl IdentityServer {
    /// Opens the state, binds the listener and serves until [`IdentityServer::stop`].
    pub async fn start(config: IdentityConfig) -> anyhow::Result<Self> {
        let state = IdentityService::open(&config).await?;
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.addr))?;
        let app = api::router(state.clone()).layer(tower_http::trace::TraceLayer::new_for_http());
        let serving = Serving::spawn(listener, app, &config.server)?;
        let addr = serving.addr();
        let janitor = tokio::spawn(purge_expired(state.clone()));
        tracing::info!(%addr, "identity server listening");
        Ok(Self {
            serving,
            janitor,
            db: state.db.clone(),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.serving.addr()
    }

    /// The base URL, e.g. `http://127.0.0.1:9011`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// Stops accepting, lets in-flight requests finish for the shutdown grace, closes the
    /// database, and returns.
    pub async fn stop(self) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + self.serving.shutdown_grace();
        self.stop_by(deadline).await
    }

    /// [`IdentityServer::stop`] with in-flight requests given until `deadline`. The database is
    /// closed after the last request, so every write it acknowledged is on disk.
    pub async fn stop_by(self, deadline: tokio::time::Instant) -> anyhow::Result<()> {
        self.janitor.abort();
        self.serving.stop_by(deadline).await?;
        self.db.close().await;
        Ok(())
    }
}

/// Deletes expired pending logins, tokens and locks once a minute, for as long as the server
/// runs; a failed round is logged and the next one tried.
async fn purge_expired(state: State) {
    let mut ticker = tokio::time::interval(Duration::from_secs(60));
    loop {
        ticker.tick().await;
        if let Err(error) = state.db.purge_expired(now_ms()).await {
            tracing::warn!(
                error = format!("{error:#}"),
                "purging expired identity records failed"
            );
        }
    }
}
