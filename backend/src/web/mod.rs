//! The Store and Forums web apps: one codebase, parameterized by [`Site`]. Each site has its own
//! host, session cookie, session storage and database; they share nothing but FusionAuth, which
//! they reach only through [`crate::fusionauth::FusionAuthClient`].

mod cart;
mod client_ip;
mod error;
mod guard;
mod home;
mod in_flight;
mod layers;
mod login;
mod login_csrf;
mod logout;
mod next;
mod pages;
mod posts;
mod rate_limit;
mod refusal_timing;
mod refusals;
mod revalidate;
mod sessions;
mod sign_out;

pub use client_ip::{ClientIp, TrustedProxies, parse_proxy};
pub use error::WebError;
pub use next::NextPath;
pub use rate_limit::{Limit, LoginLimits, Rate};

use crate::data::Data;
use crate::fusionauth::FusionAuthClient;
use crate::redis::Redis;
use crate::server::{ServerLimits, Serving};
use crate::session::{self, SessionPolicy};
use anyhow::Context as _;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{MethodRouter, get, post};
use shared::paths::{common, forums, store};
use shared::site::Site;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use url::Url;
use uuid::Uuid;

/// How often a session's user is checked with FusionAuth unless configured, as `backend serve
/// --revalidate-interval` spells it.
pub const DEFAULT_REVALIDATE_INTERVAL: &str = "5m";

/// How long a background revalidation waits for FusionAuth unless configured, as `backend serve
/// --recheck-timeout` spells it: shorter than `--fusionauth-timeout`, since a check that does not
/// come back is simply tried again later.
pub const DEFAULT_RECHECK_TIMEOUT: &str = "2s";

/// Where sessions are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionBackend {
    /// In memory (tests).
    Memory,
    /// In the site's SQLite database (the default).
    Sqlite,
    /// In Redis (or Valkey), shared by the site's replicas: the sessions, the locks that
    /// serialize writes to one, the per-user index and the login rate limits.
    Redis {
        /// `redis://…`, `rediss://…`, `redis-cluster://…`, `valkey://…`.
        url: String,
        /// Put before every key the site writes, e.g. `store:`; replicas of one site share it,
        /// and no two sites may.
        prefix: String,
    },
}

/// How to run one site.
#[derive(Clone, Debug)]
pub struct SiteConfig {
    /// Which app.
    pub site: Site,
    /// Listen address; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The URL users reach it at; default `http://<label>.localhost:<port>`. `https` makes the
    /// cookie `Secure`.
    pub public_url: Option<Url>,
    /// The site's FusionAuth application id.
    pub application_id: Uuid,
    /// The site's database (carts, posts, and SQLite sessions): a SQLite URL, or a PostgreSQL
    /// URL whose schema named after the site's label holds its tables.
    pub database_url: String,
    /// Session storage.
    pub sessions: SessionBackend,
    /// Session timeouts.
    pub policy: SessionPolicy,
    /// Add `Server-Timing` for FusionAuth calls.
    pub server_timing: bool,
    /// Rate limits on the login posts.
    pub login_limits: LoginLimits,
    /// Reverse proxies whose `X-Forwarded-For` is believed; none by default.
    pub trusted_proxies: TrustedProxies,
    /// The least time a refused login takes (it also takes as long as the slowest recent
    /// FusionAuth answer): see `refusal_timing`.
    pub refusal_floor: Duration,
    /// How often a session's user is checked with FusionAuth (locked, expired, deregistered,
    /// password changed: the session ends); zero: never. See `revalidate`.
    pub revalidate_interval: Duration,
    /// Timeouts and the connection budget, shared with the other servers of the process.
    pub server: ServerLimits,
    /// How long a revalidation (run in the background) waits for FusionAuth before it counts
    /// as unreachable; more than zero.
    pub recheck_timeout: Duration,
}

/// Everything a handler needs, shared.
#[derive(Clone, Debug)]
pub struct SiteState(Arc<SiteInner>);

/// The contents of [`SiteState`].
#[derive(Debug)]
pub struct SiteInner {
    /// Which app.
    pub site: Site,
    /// Public URL (origin checks, `Secure`).
    pub public_url: Url,
    /// FusionAuth application id.
    pub application_id: Uuid,
    /// FusionAuth.
    pub fusionauth: FusionAuthClient,
    /// Carts and posts.
    pub data: Data,
    /// Login rate limits.
    pub login_limiter: rate_limit::LoginLimiter,
    /// How long refused logins take.
    pub refusal_timing: refusal_timing::RefusalTiming,
    /// What the login rate limits refused: counted, and logged sparingly.
    pub refusals: refusals::Refusals,
    /// How often sessions are checked with FusionAuth (zero: never).
    pub revalidate_interval: Duration,
    /// The login form's signed CSRF cookie: the form is shown without storing a session.
    pub login_csrf: login_csrf::LoginCsrf,
    /// How long a background check waits for FusionAuth.
    pub recheck_timeout: Duration,
    /// The site's session storage, for background checks that outlive the request.
    pub sessions: session::SiteSessions,
    /// The sessions with a background check under way (one each).
    pub rechecks: in_flight::InFlight<session::SessionKey>,
}

impl std::ops::Deref for SiteState {
    type Target = SiteInner;
    fn deref(&self) -> &SiteInner {
        &self.0
    }
}

impl SiteInner {
    /// True when served over https (cookies get `Secure`).
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

/// The site's routes, as one table: the router is built from it and the tests walk it (axum's
/// router cannot list its routes), so every page is checked for what every page must have.
pub fn route_table(site: Site) -> Vec<(&'static str, MethodRouter<SiteState>)> {
    let mut table = vec![
        (common::HOME, get(home::home)),
        (common::LOGIN, get(login::form).post(login::submit)),
        (
            common::LOGIN_TWO_FACTOR,
            get(login::two_factor_form).post(login::two_factor_submit),
        ),
        (
            common::LOGIN_CHANGE_PASSWORD,
            get(login::change_password_form).post(login::change_password_submit),
        ),
        (common::LOGOUT, post(logout::logout)),
        (common::SESSIONS, get(sessions::show)),
        (common::SESSIONS_END, post(sessions::end)),
        (common::METRICS, get(refusals::metrics)),
        (common::STYLESHEET, get(layers::stylesheet)),
    ];
    match site {
        Site::Store => table.extend([
            (store::CART, get(cart::show)),
            (store::CART_ADD, post(cart::add)),
            (store::CART_REMOVE, post(cart::remove)),
        ]),
        Site::Forums => table.push((forums::POSTS, get(posts::show).post(posts::create))),
    }
    table
}

/// The paths `site` serves, from [`route_table`].
pub fn paths(site: Site) -> Vec<&'static str> {
    route_table(site)
        .into_iter()
        .map(|(path, _)| path)
        .collect()
}

/// The site's routes, without the session and response layers.
fn routes(site: Site) -> Router<SiteState> {
    route_table(site)
        .into_iter()
        .fold(Router::new(), |router, (path, method)| {
            router.route(path, method)
        })
}

/// A running site.
#[derive(Debug)]
pub struct WebServer {
    site: Site,
    public_url: Url,
    serving: Serving,
    sessions: session::SiteSessions,
    data: Data,
    cleanup: JoinHandle<()>,
    forget_idle_limits: JoinHandle<()>,
}

impl WebServer {
    /// Opens the site's database and session storage, binds, and serves.
    pub async fn start(config: SiteConfig, fusionauth: FusionAuthClient) -> anyhow::Result<Self> {
        let data = Data::connect(&config.database_url, config.site.label())
            .await
            .with_context(|| format!("{} database", config.site.name()))?;
        let limits = config.login_limits;
        let (inner, index, locks, login_limiter) = match &config.sessions {
            SessionBackend::Memory => (
                session::SessionStorage::Memory(Default::default()),
                session::SessionIndex::memory(),
                session::Locks::local(),
                rate_limit::LoginLimiter::new(limits),
            ),
            SessionBackend::Sqlite => {
                let pool = data.db().as_sqlite().context(
                    "--session-store sqlite keeps sessions in the site's SQLite database; with a \
                     PostgreSQL --database use --session-store redis://… (or memory)",
                )?;
                (
                    session::SessionStorage::sqlite(pool.clone()).await?,
                    session::SessionIndex::Sqlite(pool.clone()),
                    session::Locks::local(),
                    rate_limit::LoginLimiter::new(limits),
                )
            }
            SessionBackend::Redis { url, prefix } => {
                let redis = Redis::connect(url, prefix.clone())
                    .await
                    .with_context(|| format!("{} sessions", config.site.name()))?;
                (
                    session::SessionStorage::redis(&redis),
                    session::SessionIndex::Redis(redis.clone()),
                    session::Locks::redis(redis.clone()),
                    rate_limit::LoginLimiter::shared(limits, redis),
                )
            }
        };
        let site_sessions = session::HashedSessions::with_locks(inner, index, locks, config.policy);
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("{} cannot listen on {}", config.site.name(), config.addr))?;
        let addr = listener.local_addr()?;
        let public_url = match config.public_url {
            Some(url) => url,
            None => Url::parse(&format!(
                "http://{}.localhost:{}",
                config.site.label(),
                addr.port()
            ))?,
        };
        let csrf_key = data
            .secrets
            .key(login_csrf::KEY_NAME)
            .await
            .with_context(|| format!("{} login CSRF key", config.site.name()))?;
        let login_csrf =
            login_csrf::LoginCsrf::new(csrf_key, config.site, public_url.scheme() == "https");
        let state = SiteState(Arc::new(SiteInner {
            site: config.site,
            public_url: public_url.clone(),
            application_id: config.application_id,
            fusionauth,
            data: data.clone(),
            login_limiter,
            refusal_timing: refusal_timing::RefusalTiming::new(config.refusal_floor),
            refusals: refusals::Refusals::default(),
            revalidate_interval: config.revalidate_interval,
            login_csrf,
            recheck_timeout: config.recheck_timeout,
            sessions: site_sessions.clone(),
            rechecks: in_flight::InFlight::default(),
        }));
        let forget_idle_limits = spawn_forget_idle_limits(state.clone());
        let https = state.is_https();
        let cookie_name = config.site.session_cookie_name(https);
        let session_layer = SessionManagerLayer::new(site_sessions.clone())
            .with_name(cookie_name)
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(https)
            .with_path("/")
            .with_expiry(Expiry::OnInactivity(time::Duration::try_from(
                config.policy.idle_timeout,
            )?));
        let app = routes(config.site)
            .layer(middleware::from_fn_with_state(
                config.site,
                error::render_errors,
            ))
            .layer(axum::Extension(config.policy))
            .layer(axum::Extension(site_sessions.clone()))
            .layer(middleware::from_fn_with_state(
                config.trusted_proxies,
                client_ip::client_addr,
            ))
            .layer(session_layer)
            .layer(middleware::from_fn_with_state(
                config.site,
                error::fail_closed,
            ))
            .layer(middleware::from_fn_with_state(
                layers::CookiePolicy {
                    name: cookie_name,
                    secure: https,
                },
                layers::cookie_policy,
            ))
            .layer(middleware::from_fn(layers::no_store))
            .layer(middleware::from_fn(layers::security_headers))
            .layer(middleware::from_fn_with_state(
                config.server_timing,
                layers::server_timing,
            ))
            .layer(DefaultBodyLimit::max(64 * 1024))
            .layer(tower_http::trace::TraceLayer::new_for_http())
            .with_state(state);
        let serving = Serving::spawn(listener, app, &config.server)?;
        let cleanup = session::spawn_cleanup(
            site_sessions.clone(),
            cleanup_period(config.policy.idle_timeout),
        );
        tracing::info!(site = config.site.name(), %addr, url = %public_url, "site listening");
        Ok(Self {
            site: config.site,
            public_url,
            serving,
            sessions: site_sessions,
            data,
            cleanup,
            forget_idle_limits,
        })
    }

    /// Which app.
    pub fn site(&self) -> Site {
        self.site
    }

    /// The site's session storage: its users' sessions, to list and end.
    pub fn sessions(&self) -> &session::SiteSessions {
        &self.sessions
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.serving.addr()
    }

    /// The public URL, e.g. `http://store.localhost:8080`.
    pub fn url(&self) -> &Url {
        &self.public_url
    }

    /// Stops accepting, lets in-flight requests finish for the shutdown grace, closes the
    /// connections still open then, and closes the site's database.
    pub async fn stop(self) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + self.serving.shutdown_grace();
        self.stop_by(deadline).await
    }

    /// [`WebServer::stop`] with in-flight requests given until `deadline`. The database (and
    /// the SQLite sessions in it) is closed after the last request, so every session and cart
    /// write a response acknowledged is on disk; Redis acknowledges each write as it is made.
    pub async fn stop_by(self, deadline: tokio::time::Instant) -> anyhow::Result<()> {
        self.cleanup.abort();
        self.forget_idle_limits.abort();
        self.serving.stop_by(deadline).await?;
        self.data.close().await;
        Ok(())
    }

    /// How long in-flight requests may finish after a stop.
    pub fn shutdown_grace(&self) -> Duration {
        self.serving.shutdown_grace()
    }

    /// Serves until the server fails.
    pub async fn wait(self) -> anyhow::Result<()> {
        self.serving.wait().await
    }
}

/// `303 See Other` to `location` (a path on this site): the answer to every successful form.
pub fn see_other(location: &str) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let mut response = axum::http::StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(location) {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, value);
    }
    response
}

/// Drops the rate limiters' idle keys every minute, so their memory follows recent traffic.
fn spawn_forget_idle_limits(state: SiteState) -> JoinHandle<()> {
    let state = Arc::downgrade(&state.0);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(60));
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let Some(state) = state.upgrade() else { return };
            state.login_limiter.forget_idle();
            state.refusals.forget_idle();
        }
    })
}

/// Expired sessions are deleted every idle timeout, between 1 second and 5 minutes apart.
fn cleanup_period(idle: Duration) -> Duration {
    idle.clamp(Duration::from_secs(1), Duration::from_secs(300))
}
