//! The whole embedded setup: the identity server (unless a real FusionAuth is used), the Store
//! and the Forums. `main`, the TUI and the tests all start this same code.

use crate::fusionauth::{FusionAuthClient, FusionAuthConfig};
use crate::identity::{IdentityConfig, IdentityServer};
use crate::server::ServerLimits;
pub use crate::session::SessionPolicy;
use crate::session::default_duration;
use crate::web::{
    DEFAULT_RECHECK_TIMEOUT, DEFAULT_REVALIDATE_INTERVAL, LoginLimits, SessionBackend, SiteConfig,
    TrustedProxies, WebServer,
};
use secrecy::SecretString;
use shared::site::Site;
use std::net::SocketAddr;
use std::time::Duration;
use url::Url;
use uuid::Uuid;

/// The ids and key of the shipped demo kickstart (`backend/kickstart/kickstart.json`).
pub mod demo {
    use crate::fusionauth::{FusionAuthClient, FusionAuthConfig};
    use crate::identity::IdentityServer;
    use secrecy::SecretString;
    use std::time::Duration;
    use url::Url;
    use uuid::Uuid;

    /// The demo API key (for the local stack only).
    pub const API_KEY: &str = "demo-api-key-for-the-local-stack-only-0123456789";
    /// The default tenant.
    pub const TENANT_ID: Uuid = Uuid::from_u128(0x8f3a2c4e_7d1b_4e5f_9a6c_2b0d1e3f4a50);
    /// The Store application.
    pub const STORE_APPLICATION_ID: Uuid = Uuid::from_u128(0xe9fdb985_9173_4e01_9d73_ac2d60d1dc8e);
    /// The Forums application.
    pub const FORUMS_APPLICATION_ID: Uuid = Uuid::from_u128(0xa3c1b2d4_5e6f_4a7b_8c9d_0e1f2a3b4c5d);
    /// Alice, registered for both sites.
    pub const ALICE_ID: Uuid = Uuid::from_u128(0x6a8f1f1e_0b39_4b4e_9f1d_0c2a1a000001);
    /// The two-factor demo user's TOTP secret (base64 of "12345678901234567890").
    pub const TOTP_SECRET: &str = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=";

    /// A client of the local identity server `identity` with the demo API key, as sites built
    /// by hand (tests, benchmarks) use it; each call bounded by `timeout`.
    pub fn client(
        identity: &IdentityServer,
        timeout: Duration,
    ) -> anyhow::Result<FusionAuthClient> {
        FusionAuthClient::new(FusionAuthConfig {
            base_url: Url::parse(&identity.url())?,
            api_key: SecretString::from(API_KEY),
            tenant_id: None,
            timeout,
        })
    }
}

/// Which FusionAuth the apps log users in against.
#[derive(Clone, Debug)]
pub enum FusionAuth {
    /// Start the local identity server with this configuration.
    Embedded(IdentityConfig),
    /// Use a running FusionAuth (real or local) at this URL.
    External(Url),
}

/// Bound on each FusionAuth call unless configured, as `backend serve --fusionauth-timeout`
/// spells it.
pub const DEFAULT_FUSIONAUTH_TIMEOUT: &str = "5s";

/// How to run the stack.
#[derive(Clone, Debug)]
pub struct StackConfig {
    /// The FusionAuth the apps use: the embedded identity server or a running one.
    pub fusionauth: FusionAuth,
    /// API key the apps send to FusionAuth.
    pub api_key: SecretString,
    /// `X-FusionAuth-TenantId`, when FusionAuth has several tenants.
    pub tenant_id: Option<Uuid>,
    /// Bound on each FusionAuth call.
    pub fusionauth_timeout: Duration,
    /// The Store.
    pub store: SiteConfig,
    /// The Forums.
    pub forums: SiteConfig,
}

impl StackConfig {
    /// Everything in memory on free loopback ports, seeded with the demo data: for tests and
    /// the TUI's embedded mode. Login rate limits are [`LoginLimits::generous`] (test suites log
    /// the demo users in many times a minute) and refused logins have no minimum time beyond
    /// the slowest recent FusionAuth answer; `backend serve` has the real defaults.
    pub fn ephemeral() -> Self {
        // One budget for the three servers, as `backend serve` has.
        let server = ServerLimits::default();
        let site = |site: Site, application_id: Uuid| SiteConfig {
            site,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            application_id,
            database_url: "sqlite::memory:".into(),
            sessions: SessionBackend::Memory,
            policy: SessionPolicy::default(),
            server_timing: true,
            login_limits: LoginLimits::generous(),
            trusted_proxies: TrustedProxies::default(),
            refusal_floor: Duration::ZERO,
            revalidate_interval: default_duration(DEFAULT_REVALIDATE_INTERVAL),
            server: server.clone(),
            recheck_timeout: default_duration(DEFAULT_RECHECK_TIMEOUT),
        };
        Self {
            fusionauth: FusionAuth::Embedded(IdentityConfig {
                server: server.clone(),
                ..IdentityConfig::ephemeral()
            }),
            api_key: SecretString::from(demo::API_KEY),
            tenant_id: None,
            fusionauth_timeout: default_duration(DEFAULT_FUSIONAUTH_TIMEOUT),
            store: site(Site::Store, demo::STORE_APPLICATION_ID),
            forums: site(Site::Forums, demo::FORUMS_APPLICATION_ID),
        }
    }

    /// Sets both sites' session timeouts.
    pub fn with_policy(mut self, policy: SessionPolicy) -> Self {
        self.store.policy = policy;
        self.forums.policy = policy;
        self
    }

    /// Sets the timeouts and the connection budget of all three servers (one budget, shared).
    pub fn with_server_limits(mut self, limits: ServerLimits) -> Self {
        if let FusionAuth::Embedded(identity) = &mut self.fusionauth {
            identity.server = limits.clone();
        }
        self.store.server = limits.clone();
        self.forums.server = limits;
        self
    }

    /// Sets both sites' login rate limits.
    pub fn with_login_limits(mut self, limits: LoginLimits) -> Self {
        self.store.login_limits = limits;
        self.forums.login_limits = limits;
        self
    }
}

/// The running stack.
#[derive(Debug)]
pub struct Stack {
    /// The local identity server, when embedded.
    pub identity: Option<IdentityServer>,
    /// FusionAuth's base URL (local or real).
    pub fusionauth_url: Url,
    /// The Store.
    pub store: WebServer,
    /// The Forums.
    pub forums: WebServer,
}

impl Stack {
    /// Starts the identity server (if embedded), then both sites.
    pub async fn start(config: StackConfig) -> anyhow::Result<Self> {
        let (identity, fusionauth_url) = match config.fusionauth {
            FusionAuth::Embedded(identity) => {
                let server = IdentityServer::start(identity).await?;
                let url = Url::parse(&server.url())?;
                (Some(server), url)
            }
            FusionAuth::External(url) => (None, url),
        };
        let client = FusionAuthClient::new(FusionAuthConfig {
            base_url: fusionauth_url.clone(),
            api_key: config.api_key,
            tenant_id: config.tenant_id,
            timeout: config.fusionauth_timeout,
        })?;
        let store = WebServer::start(config.store, client.clone()).await?;
        let forums = WebServer::start(config.forums, client).await?;
        Ok(Self {
            identity,
            fusionauth_url,
            store,
            forums,
        })
    }

    /// The Store's public URL.
    pub fn store_url(&self) -> &Url {
        self.store.url()
    }

    /// The Forums' public URL.
    pub fn forums_url(&self) -> &Url {
        self.forums.url()
    }

    /// Stops everything within one shutdown grace: both sites stop accepting at once and
    /// finish their in-flight requests, then the identity server, which kept serving so that
    /// those requests' calls to it could complete, finishes its own in what is left of the
    /// grace. Connections still open at the end are closed; the databases are closed last.
    pub async fn stop(self) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + self.store.shutdown_grace();
        let (store, forums) =
            tokio::join!(self.store.stop_by(deadline), self.forums.stop_by(deadline));
        let identity = match self.identity {
            Some(identity) => identity.stop_by(deadline).await,
            None => Ok(()),
        };
        store.and(forums).and(identity)
    }
}

#[cfg(test)]
mod tests {
    use super::demo;
    use crate::identity::kickstart::DEMO;

    #[test]
    fn the_demo_constants_match_the_kickstart_file() {
        let kickstart: serde_json::Value = serde_json::from_str(DEMO).unwrap();
        let vars = &kickstart["variables"];
        assert_eq!(vars["apiKey"], demo::API_KEY);
        assert_eq!(vars["defaultTenantId"], demo::TENANT_ID.to_string());
        assert_eq!(
            vars["storeApplicationId"],
            demo::STORE_APPLICATION_ID.to_string()
        );
        assert_eq!(
            vars["forumsApplicationId"],
            demo::FORUMS_APPLICATION_ID.to_string()
        );
        assert!(DEMO.contains(&demo::ALICE_ID.to_string()));
        assert!(DEMO.contains(demo::TOTP_SECRET));
    }
}
