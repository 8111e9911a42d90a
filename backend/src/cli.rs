//! The `backend` command line. Every flag can also come from an environment variable.

use crate::identity::{IdentityConfig, IdentityServer, KickstartSource};
use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// Run the identity server, Store and Forums (the default). Step 2 adds the web apps; for now
    /// this runs the identity server.
    Serve(IdentityArgs),
    /// Run only the local FusionAuth-compatible identity server.
    Identity(IdentityArgs),
}

/// Flags of the identity server.
#[derive(Debug, Args, Clone)]
pub struct IdentityArgs {
    /// Address the identity server listens on.
    #[arg(long, env = "IDENTITY_ADDR", default_value = "127.0.0.1:9011")]
    pub addr: SocketAddr,

    /// Directory for the SQLite databases (created if missing).
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Identity database URL; default `sqlite://<data-dir>/identity.db`. `sqlite::memory:` keeps
    /// everything in memory.
    #[arg(long, env = "IDENTITY_DATABASE_URL")]
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
}

impl Default for IdentityArgs {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 9011)),
            data_dir: PathBuf::from("data"),
            database: None,
            kickstart: None,
            no_kickstart: false,
            jwt_secret: None,
        }
    }
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
        })
    }
}

/// Runs the parsed command until Ctrl-C.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    crate::telemetry::init(cli.log_json);
    let args = match cli.command {
        Some(Command::Serve(args) | Command::Identity(args)) => args,
        None => IdentityArgs::default(),
    };
    let server = IdentityServer::start(args.config()?).await?;
    println!("identity server: {}", server.url());
    tokio::select! {
        result = tokio::signal::ctrl_c() => {
            result?;
            server.stop().await
        }
    }
}
