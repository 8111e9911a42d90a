//! The `backend` command line. Every flag can also come from an environment variable.

use crate::identity::{IdentityConfig, IdentityServer, KickstartSource};
use crate::session::SessionPolicy;
use crate::stack::DEFAULT_FUSIONAUTH_TIMEOUT;
use crate::stack::{FusionAuth, Stack, StackConfig, demo};
use crate::web::{
    DEFAULT_RECHECK_TIMEOUT, DEFAULT_REVALIDATE_INTERVAL, Limit, LoginLimits, SessionBackend,
    SiteConfig, TrustedProxies,
};
use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;
use server::{StopSignals, log_shutdown};
use shared::duration::parse_duration;
use shared::paths;
use shared::site::Site;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;
use uuid::Uuid;

mod server;

pub use server::ServerArgs;

/// Store and Forums with server-side sessions, and a local FusionAuth-compatible identity server.
#[derive(Debug, Parser)]
#[command(name = "backend", version, about)]
pub struct Cli {
    /// What to run; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Log one JSON object per line instead of text.
    #[arg(long, env = "LOG_JSON", global = true)]
    pub log_json: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the identity server, the Store and the Forums (the default).
    Serve(Box<ServeArgs>),
    /// Run only the local FusionAuth-compatible identity server.
    Identity(IdentityArgs),
}

/// `backend serve` without a subcommand: the defaults, with environment variables applied.
#[derive(Debug, Parser)]
struct DefaultServe {
    #[command(flatten)]
    serve: ServeArgs,
}

/// Flags of `serve`.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// The local identity server (ignored with --fusionauth-url).
    #[command(flatten)]
    pub identity: IdentityArgs,

    /// Address the Store listens on.
    #[arg(long, env = "STORE_ADDR", default_value_t = loopback(paths::store::DEFAULT_URL))]
    pub store_addr: SocketAddr,

    /// Address the Forums listen on.
    #[arg(long, env = "FORUMS_ADDR", default_value_t = loopback(paths::forums::DEFAULT_URL))]
    pub forums_addr: SocketAddr,

    /// The Store's public URL; default http://store.localhost:<port>. https makes its cookie
    /// Secure.
    #[arg(long, env = "STORE_URL")]
    pub store_url: Option<Url>,

    /// The Forums' public URL; default http://forums.localhost:<port>.
    #[arg(long, env = "FORUMS_URL")]
    pub forums_url: Option<Url>,

    /// Use this FusionAuth (e.g. http://localhost:9011) instead of starting the local identity
    /// server. Needs --fusionauth-api-key.
    #[arg(long, env = "FUSIONAUTH_URL")]
    pub fusionauth_url: Option<Url>,

    /// API key for FusionAuth; default: the demo key of the embedded identity server.
    #[arg(long, env = "FUSIONAUTH_API_KEY", hide_env_values = true)]
    pub fusionauth_api_key: Option<SecretString>,

    /// Tenant id sent as X-FusionAuth-TenantId (needed when FusionAuth has several tenants).
    #[arg(long, env = "FUSIONAUTH_TENANT_ID")]
    pub fusionauth_tenant_id: Option<Uuid>,

    /// The Store's FusionAuth application id.
    #[arg(long, env = "STORE_APPLICATION_ID", default_value_t = demo::STORE_APPLICATION_ID)]
    pub store_application_id: Uuid,

    /// The Forums' FusionAuth application id.
    #[arg(long, env = "FORUMS_APPLICATION_ID", default_value_t = demo::FORUMS_APPLICATION_ID)]
    pub forums_application_id: Uuid,

    /// Bound on each call to FusionAuth (e.g. 5s, 500ms).
    #[arg(long, env = "FUSIONAUTH_TIMEOUT", default_value = DEFAULT_FUSIONAUTH_TIMEOUT, value_parser = parse_duration)]
    pub fusionauth_timeout: Duration,

    /// A session unused this long ends; each page load extends it (e.g. 30m, 20s).
    #[arg(long, env = "IDLE_TIMEOUT", default_value = SessionPolicy::DEFAULT_IDLE_TIMEOUT, value_parser = parse_duration)]
    pub idle_timeout: Duration,

    /// A session ends this long after login, however busy (e.g. 12h).
    #[arg(long, env = "ABSOLUTE_TIMEOUT", default_value = SessionPolicy::DEFAULT_ABSOLUTE_TIMEOUT, value_parser = parse_duration)]
    pub absolute_timeout: Duration,

    /// A session's id is replaced this often while it is used (e.g. 15m; 0 turns rotation off).
    #[arg(long, env = "ROTATION_INTERVAL", default_value = SessionPolicy::DEFAULT_ROTATION_INTERVAL, value_parser = parse_duration)]
    pub rotation_interval: Duration,

    /// How long a replaced session id still works for requests under way; used later, it ends
    /// the session as stolen (e.g. 30s).
    #[arg(long, env = "ROTATION_GRACE", default_value = SessionPolicy::DEFAULT_ROTATION_GRACE, value_parser = parse_duration)]
    pub rotation_grace: Duration,

    /// Where sessions are kept: sqlite (in each site's database; survives restarts), memory,
    /// or a Redis/Valkey URL (redis://host:6379/0, rediss://…, redis-cluster://…) that replicas
    /// of each site share, with their login rate limits.
    #[arg(long = "session-store", env = "SESSION_STORE", default_value = "sqlite", value_parser = parse_session_backend)]
    pub sessions: SessionBackendArg,

    /// Put before every Redis key (then `store:` or `forums:`), to share one Redis between
    /// deployments, e.g. `staging:`.
    #[arg(long, env = "REDIS_PREFIX", default_value = "")]
    pub redis_prefix: String,

    /// Add Server-Timing headers naming each FusionAuth call; default on with the local
    /// identity server, off with --fusionauth-url. They show what FusionAuth answered and how
    /// long it took, which refused logins otherwise hide: keep them off in production.
    #[arg(long, env = "SERVER_TIMING")]
    pub server_timing: Option<bool>,

    /// Login attempts allowed per client IP (IPv6: per /64), e.g. 20/min, 100/h, 10/30s, or
    /// off. The count is also the largest burst; attempts then refill evenly over the period.
    #[arg(long, env = "LOGIN_RATE_IP", default_value_t = Limit(LoginLimits::default().per_ip))]
    pub login_rate_ip: Limit,

    /// Login attempts allowed per account (the login id, case-folded), from any address.
    #[arg(long, env = "LOGIN_RATE_ACCOUNT", default_value_t = Limit(LoginLimits::default().per_account))]
    pub login_rate_account: Limit,

    /// A reverse proxy (address or CIDR network) whose X-Forwarded-For is believed; repeat
    /// for several (the env variable takes a comma-separated list). Default: none, so the TCP
    /// peer is the client and the header is ignored.
    #[arg(long = "trusted-proxy", env = "TRUSTED_PROXIES", value_delimiter = ',', value_parser = crate::web::parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// The least time a refused login takes (refusals also take as long as the slowest
    /// FusionAuth login answer of the last ten minutes, so that none is answered faster).
    #[arg(long, env = "LOGIN_REFUSAL_FLOOR", default_value = "100ms", value_parser = parse_duration)]
    pub login_refusal_floor: Duration,

    /// How often a signed-in user is checked with FusionAuth; a user locked, expired, no
    /// longer registered for the site or whose password changed is signed out (e.g. 5m; 0
    /// turns it off).
    #[arg(long, env = "REVALIDATE_INTERVAL", default_value = DEFAULT_REVALIDATE_INTERVAL, value_parser = parse_duration)]
    pub revalidate_interval: Duration,

    /// How long a revalidation waits for FusionAuth. It runs in the background (the page is
    /// served from the session meanwhile); one that times out is retried 30 s later, and the
    /// session goes on (e.g. 2s; more than zero).
    #[arg(long, env = "RECHECK_TIMEOUT", default_value = DEFAULT_RECHECK_TIMEOUT, value_parser = parse_duration)]
    pub recheck_timeout: Duration,
}

impl ServeArgs {
    /// The stack's configuration; creates the data directory when it is used.
    pub fn config(&self) -> anyhow::Result<StackConfig> {
        // One connection budget for the identity server and both sites.
        let server = self.identity.server.limits();
        let (fusionauth, api_key) = match &self.fusionauth_url {
            Some(url) => {
                let key = self.fusionauth_api_key.clone().ok_or_else(|| {
                    anyhow::anyhow!(
                        "--fusionauth-url needs --fusionauth-api-key (or FUSIONAUTH_API_KEY)"
                    )
                })?;
                (FusionAuth::External(url.clone()), key)
            }
            None => (
                FusionAuth::Embedded(IdentityConfig {
                    server: server.clone(),
                    ..self.identity.config()?
                }),
                self.fusionauth_api_key
                    .clone()
                    .unwrap_or_else(|| SecretString::from(demo::API_KEY)),
            ),
        };
        if self.idle_timeout.is_zero() || self.absolute_timeout.is_zero() {
            anyhow::bail!("session timeouts must be at least one second");
        }
        if self.recheck_timeout.is_zero() {
            anyhow::bail!(
                "--recheck-timeout must be more than zero (it bounds each revalidation; \
                 --revalidate-interval 0 turns revalidation off)"
            );
        }
        let server_timing = self.server_timing.unwrap_or(self.fusionauth_url.is_none());
        let policy = SessionPolicy {
            idle_timeout: self.idle_timeout,
            absolute_timeout: self.absolute_timeout,
            rotation_interval: self.rotation_interval,
            rotation_grace: self.rotation_grace,
        };
        let login_limits = LoginLimits {
            per_ip: self.login_rate_ip.0,
            per_account: self.login_rate_account.0,
        };
        let trusted_proxies = TrustedProxies::new(self.trusted_proxies.iter().copied());
        let site = |site: Site,
                    addr,
                    public_url: &Option<Url>,
                    application_id|
         -> anyhow::Result<SiteConfig> {
            let database_url = match &self.identity.database {
                // One PostgreSQL database for every part; `Data` puts the site in its schema.
                Some(url) if crate::db::is_postgres(url) => url.clone(),
                _ => {
                    std::fs::create_dir_all(&self.identity.data_dir).map_err(|e| {
                        anyhow::anyhow!(
                            "cannot create the data directory {}: {e}",
                            self.identity.data_dir.display()
                        )
                    })?;
                    format!(
                        "sqlite://{}",
                        self.identity
                            .data_dir
                            .join(format!("{}.db", site.label()))
                            .display()
                    )
                }
            };
            Ok(SiteConfig {
                site,
                addr,
                public_url: public_url.clone(),
                application_id,
                database_url,
                sessions: match &self.sessions {
                    SessionBackendArg::Memory => SessionBackend::Memory,
                    SessionBackendArg::Sqlite => SessionBackend::Sqlite,
                    SessionBackendArg::Redis(url) => SessionBackend::Redis {
                        url: url.clone(),
                        prefix: format!("{}{}:", self.redis_prefix, site.label()),
                    },
                },
                policy,
                server_timing,
                login_limits,
                trusted_proxies: trusted_proxies.clone(),
                refusal_floor: self.login_refusal_floor,
                revalidate_interval: self.revalidate_interval,
                server: server.clone(),
                recheck_timeout: self.recheck_timeout,
            })
        };
        Ok(StackConfig {
            fusionauth,
            api_key,
            tenant_id: self.fusionauth_tenant_id,
            fusionauth_timeout: self.fusionauth_timeout,
            store: site(
                Site::Store,
                self.store_addr,
                &self.store_url,
                self.store_application_id,
            )?,
            forums: site(
                Site::Forums,
                self.forums_addr,
                &self.forums_url,
                self.forums_application_id,
            )?,
        })
    }
}

/// The loopback address on the port of `url`, one of the default public URLs: a site listens
/// where its default URL points.
fn loopback(url: &str) -> SocketAddr {
    let port = Url::parse(url)
        .ok()
        .and_then(|url| url.port())
        .expect("the default URLs name their port");
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// `--session-store`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionBackendArg {
    /// `memory`.
    Memory,
    /// `sqlite`.
    Sqlite,
    /// A Redis or Valkey URL.
    Redis(String),
}

/// Parses `--session-store`: `sqlite`, `memory` or a Redis URL.
pub fn parse_session_backend(text: &str) -> Result<SessionBackendArg, String> {
    match text.trim() {
        "sqlite" => Ok(SessionBackendArg::Sqlite),
        "memory" => Ok(SessionBackendArg::Memory),
        url if crate::redis::is_redis_url(url) => Ok(SessionBackendArg::Redis(url.to_owned())),
        // clap shows the value given beside this message.
        _ => Err(
            "not a session store: use sqlite, memory or a Redis URL such as \
                  redis://127.0.0.1:6379"
                .to_owned(),
        ),
    }
}

/// Flags of the identity server.
#[derive(Debug, Args, Clone)]
pub struct IdentityArgs {
    /// Address the identity server listens on.
    #[arg(
        long,
        visible_alias = "identity-addr",
        env = "IDENTITY_ADDR",
        default_value_t = loopback(paths::IDENTITY_DEFAULT_URL)
    )]
    pub addr: SocketAddr,

    /// Directory for the SQLite databases (created if missing).
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database URL. PostgreSQL (`postgres://user:pass@host/db`) keeps everything in that one
    /// database, each part in its own schema: the identity server in `identity` and, with
    /// `serve`, the Store and the Forums in `store` and `forums`. A SQLite URL is the identity
    /// server's database only (the sites keep theirs in --data-dir); default
    /// `sqlite://<data-dir>/identity.db`; `sqlite::memory:` keeps it in memory.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,

    /// FusionAuth kickstart file seeding an empty database; default: the shipped demo data
    /// (backend/kickstart/kickstart.json, built in).
    #[arg(
        long,
        env = "FUSIONAUTH_APP_KICKSTART_FILE",
        conflicts_with = "no_kickstart"
    )]
    pub kickstart: Option<PathBuf>,

    /// Start with an empty database instead of the demo data.
    #[arg(long, env = "NO_KICKSTART")]
    pub no_kickstart: bool,

    /// HMAC-SHA256 secret that signs access tokens; default: one generated on first start and
    /// kept in the database.
    #[arg(long, env = "IDENTITY_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<SecretString>,

    /// Timeouts, the connection budget and the shutdown grace of every listener.
    #[command(flatten)]
    pub server: ServerArgs,
}

impl IdentityArgs {
    /// The identity server's configuration; creates the data directory when it is used.
    pub fn config(&self) -> anyhow::Result<IdentityConfig> {
        let database_url = match &self.database {
            Some(url) => url.clone(),
            None => {
                std::fs::create_dir_all(&self.data_dir).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot create the data directory {}: {e}",
                        self.data_dir.display()
                    )
                })?;
                format!("sqlite://{}", self.data_dir.join("identity.db").display())
            }
        };
        let kickstart = match (&self.kickstart, self.no_kickstart) {
            (_, true) => KickstartSource::None,
            (Some(path), false) => KickstartSource::File(path.clone()),
            (None, false) => KickstartSource::Demo,
        };
        Ok(IdentityConfig {
            addr: self.addr,
            database_url,
            kickstart,
            jwt_secret: self.jwt_secret.clone(),
            server: self.server.limits(),
        })
    }
}

/// Runs the parsed command until SIGTERM or SIGINT (Ctrl-C), then shuts down within the grace.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    crate::telemetry::init(cli.log_json);
    // Listening for the signals before serving: one sent as soon as the addresses are printed
    // still shuts down gracefully.
    let signals = StopSignals::listen()?;
    match cli.command {
        Some(Command::Identity(args)) => {
            let server = IdentityServer::start(args.config()?).await?;
            println!("identity server: {}", server.url());
            let signal = signals.received().await;
            log_shutdown(signal, args.server.shutdown_grace);
            server.stop().await?;
            tracing::info!("stopped");
            Ok(())
        }
        Some(Command::Serve(args)) => serve(*args, signals).await,
        None => serve(DefaultServe::parse_from(["backend"]).serve, signals).await,
    }
}

async fn serve(args: ServeArgs, signals: StopSignals) -> anyhow::Result<()> {
    let stack = Stack::start(args.config()?).await?;
    match &stack.identity {
        Some(identity) => println!("identity server: {} (local, demo data)", identity.url()),
        None => println!("FusionAuth:      {}", stack.fusionauth_url),
    }
    println!("Store:           {}", stack.store_url());
    println!("Forums:          {}", stack.forums_url());
    println!("Demo login:      alice@example.com / password. Ctrl-C stops.");
    let signal = signals.received().await;
    log_shutdown(signal, args.identity.server.shutdown_grace);
    stack.stop().await?;
    tracing::info!("stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The arguments `backend serve` parses from `args`.
    fn serve_args(args: &[&str]) -> ServeArgs {
        let cli = Cli::try_parse_from(["backend", "serve"].iter().chain(args)).unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve")
        };
        *args
    }

    /// The configuration of `backend serve --data-dir <data_dir>` and then `args`: every test
    /// keeps its data in its own temporary folder.
    fn serve_config(data_dir: &str, args: &[&str]) -> StackConfig {
        serve_args(&[&["--data-dir", data_dir], args].concat())
            .config()
            .unwrap()
    }

    #[test]
    fn a_real_fusionauth_needs_an_api_key() {
        let args = serve_args(&["--fusionauth-url", "http://localhost:9011"]);
        let error = args.config().unwrap_err().to_string();
        assert!(error.contains("--fusionauth-api-key"), "{error}");
    }

    #[test]
    fn a_redis_session_store_gives_each_site_its_own_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let config = serve_config(
            dir.path().to_str().unwrap(),
            &[
                "--session-store",
                "redis://:secret@127.0.0.1:6379/2",
                "--redis-prefix",
                "staging:",
            ],
        );
        let prefix = |site: &SiteConfig| match &site.sessions {
            SessionBackend::Redis { url, prefix } => {
                assert_eq!(url, "redis://:secret@127.0.0.1:6379/2");
                prefix.clone()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(prefix(&config.store), "staging:store:");
        assert_eq!(prefix(&config.forums), "staging:forums:");

        let error =
            Cli::try_parse_from(["backend", "serve", "--session-store", "mongodb://x:pw@h"])
                .unwrap_err()
                .to_string();
        assert!(error.contains("sqlite, memory or a Redis URL"), "{error}");
        assert!(Cli::try_parse_from(["backend", "serve", "--session-store", "memcached"]).is_err());
    }

    #[test]
    fn login_limits_and_trusted_proxies_come_from_flags() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().to_str().unwrap();
        let serve = |args: &[&str]| serve_config(data_dir, args);
        let defaults = serve(&[]);
        assert_eq!(defaults.store.login_limits, LoginLimits::default());
        assert!(defaults.store.trusted_proxies.is_empty());
        assert_eq!(defaults.store.refusal_floor, Duration::from_millis(100));
        let set = serve(&[
            "--login-rate-ip",
            "100/h",
            "--login-rate-account",
            "off",
            "--trusted-proxy",
            "10.0.0.0/8",
            "--trusted-proxy",
            "::1",
            "--login-refusal-floor",
            "250ms",
        ]);
        assert_eq!(set.forums.login_limits.per_ip.unwrap().to_string(), "100/h");
        assert_eq!(set.forums.login_limits.per_account, None);
        assert!(
            set.forums
                .trusted_proxies
                .contains("10.2.3.4".parse().unwrap())
        );
        assert!(set.forums.trusted_proxies.contains("::1".parse().unwrap()));
        assert!(
            !set.forums
                .trusted_proxies
                .contains("192.0.2.1".parse().unwrap())
        );
        assert_eq!(set.forums.refusal_floor, Duration::from_millis(250));
        assert!(
            Cli::try_parse_from(["backend", "serve", "--trusted-proxy", "proxy.example"]).is_err()
        );
        assert!(Cli::try_parse_from(["backend", "serve", "--login-rate-ip", "many"]).is_err());
    }

    #[test]
    fn the_recheck_timeout_comes_from_its_flag_and_is_never_zero() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().to_str().unwrap();
        let defaults = serve_config(data_dir, &[]);
        assert_eq!(defaults.store.recheck_timeout, Duration::from_secs(2));
        let set = serve_config(data_dir, &["--recheck-timeout", "500ms"]);
        assert_eq!(set.store.recheck_timeout, Duration::from_millis(500));
        assert_eq!(set.forums.recheck_timeout, Duration::from_millis(500));
        let error = serve_args(&["--data-dir", data_dir, "--recheck-timeout", "0"])
            .config()
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("--recheck-timeout must be more than zero"),
            "{error}"
        );
    }

    #[test]
    fn a_postgres_database_holds_every_part_and_sqlite_stays_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().to_str().unwrap();
        let serve = |args: &[&str]| serve_config(data_dir, args);
        let identity_url = |config: &StackConfig| match &config.fusionauth {
            FusionAuth::Embedded(identity) => identity.database_url.clone(),
            FusionAuth::External(_) => panic!("embedded"),
        };
        let url = "postgres://app:secret@db.example/app";
        let postgres = serve(&["--database", url]);
        assert_eq!(postgres.store.database_url, url);
        assert_eq!(postgres.forums.database_url, url);
        assert_eq!(identity_url(&postgres), url);

        let sqlite = serve(&[]);
        assert_eq!(
            sqlite.store.database_url,
            format!("sqlite://{}/store.db", data_dir)
        );
        assert_eq!(
            sqlite.forums.database_url,
            format!("sqlite://{}/forums.db", data_dir)
        );
        assert_eq!(
            identity_url(&sqlite),
            format!("sqlite://{}/identity.db", data_dir)
        );

        let cli = Cli::try_parse_from(["backend", "identity", "--database", url]).unwrap();
        let Some(Command::Identity(args)) = cli.command else {
            panic!("identity")
        };
        assert_eq!(args.config().unwrap().database_url, url);
    }

    #[test]
    fn the_three_servers_share_one_connection_budget() {
        let dir = tempfile::tempdir().unwrap();
        let config = serve_config(dir.path().to_str().unwrap(), &["--max-connections", "5"]);
        let FusionAuth::Embedded(identity) = &config.fusionauth else {
            panic!("embedded")
        };
        let _held = config.store.server.connections.admit();
        assert_eq!(config.forums.server.connections.open(), 1);
        assert_eq!(identity.server.connections.open(), 1);
        assert_eq!(identity.server.connections.max(), 5);
    }

    #[test]
    fn the_cli_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }
}
