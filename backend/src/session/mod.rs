//! The typed session over tower-sessions: what a logged-in session holds, `login()` that cycles
//! the id, `logout()` that deletes the record, idle and absolute timeouts enforced server-side,
//! reads that extend the idle timeout (a throttled touch), CSRF tokens, and the store choice.

use async_trait::async_trait;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use rand::RngCore as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use shared::model::UserView;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use subtle::ConstantTimeEq as _;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion as _, SessionStore};
use tower_sessions::{MemoryStore, Session};
use tower_sessions_sqlx_store::SqliteStore;

/// Key of the logged-in user.
const USER: &str = "user";
/// Key of the synchronizer CSRF token.
const CSRF: &str = "csrf";

/// Timeouts of a site's sessions.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    /// A session unused this long ends (each read extends it).
    pub idle_timeout: Duration,
    /// A session ends this long after login, however busy.
    pub absolute_timeout: Duration,
}

impl SessionPolicy {
    /// How often a read may rewrite the session to extend it: a tenth of the idle timeout, at
    /// most a minute, so a busy page does not write on every request.
    pub fn touch_interval(&self) -> Duration {
        (self.idle_timeout / 10).min(Duration::from_secs(60))
    }
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 60 * 60),
        }
    }
}

/// What a logged-in session holds. Never a password.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionUser {
    /// The user as FusionAuth returned them.
    pub user: UserView,
    /// When they logged in, epoch ms (the absolute timeout counts from here).
    pub login_at_ms: i64,
    /// Last read or write that extended the session, epoch ms.
    pub last_seen_ms: i64,
    /// FusionAuth's refresh token, revoked at logout.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// Session storage failed: the caller answers 503, never an anonymous fallback.
#[derive(Debug, thiserror::Error)]
#[error("session store unavailable: {0}")]
pub struct SessionError(String);

impl From<tower_sessions::session::Error> for SessionError {
    fn from(error: tower_sessions::session::Error) -> Self {
        Self(error.to_string())
    }
}

/// The session of the current request, typed.
#[derive(Clone, Debug)]
pub struct AuthSession {
    session: Session,
    policy: SessionPolicy,
}

impl<S: Send + Sync> FromRequestParts<S> for AuthSession {
    type Rejection = (axum::http::StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let missing = (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "the session layer is not installed",
        );
        let session = parts.extensions.get::<Session>().cloned().ok_or(missing)?;
        let policy = parts
            .extensions
            .get::<SessionPolicy>()
            .copied()
            .ok_or(missing)?;
        Ok(Self { session, policy })
    }
}

impl AuthSession {
    /// The logged-in user, if the session is valid. Enforces the absolute timeout (the session
    /// is deleted) and extends the idle timeout, writing at most once per touch interval.
    pub async fn user(&self) -> Result<Option<SessionUser>, SessionError> {
        let Some(mut user) = self.get::<SessionUser>(USER).await? else {
            return Ok(None);
        };
        let now = now_ms();
        let absolute_ms = millis(self.policy.absolute_timeout);
        if now.saturating_sub(user.login_at_ms) >= absolute_ms {
            tracing::info!(session = %self.log_id(), user = %user.user.id, "session reached its absolute timeout");
            self.session.flush().await?;
            return Ok(None);
        }
        if now.saturating_sub(user.last_seen_ms) >= millis(self.policy.touch_interval()) {
            user.last_seen_ms = now;
            self.session.insert(USER, &user).await?;
        }
        Ok(Some(user))
    }

    /// Logs `user` in: whatever the session held is dropped, the id is cycled (the old id dies:
    /// no fixation), and a new CSRF token is issued.
    pub async fn login(&self, user: SessionUser) -> Result<(), SessionError> {
        let previous = self.log_id();
        self.session.clear().await;
        self.session.cycle_id().await?;
        self.session.insert(USER, &user).await?;
        self.session.insert(CSRF, new_token()).await?;
        tracing::info!(previous_session = %previous, user = %user.user.id, "session created at login");
        Ok(())
    }

    /// Logs out: deletes the record from the store and clears the cookie. Returns who it was.
    pub async fn logout(&self) -> Result<Option<SessionUser>, SessionError> {
        let user = self.get::<SessionUser>(USER).await?;
        let id = self.log_id();
        self.session.flush().await?;
        if let Some(user) = &user {
            tracing::info!(session = %id, user = %user.user.id, "session deleted at logout");
        }
        Ok(user)
    }

    /// This session's CSRF token, created on first use (that creates an anonymous session,
    /// which is what lets the login form carry one).
    pub async fn csrf_token(&self) -> Result<String, SessionError> {
        if let Some(token) = self.get::<String>(CSRF).await? {
            return Ok(token);
        }
        let token = new_token();
        self.session.insert(CSRF, &token).await?;
        Ok(token)
    }

    /// True when `presented` is this session's CSRF token (compared in constant time).
    pub async fn csrf_matches(&self, presented: &str) -> Result<bool, SessionError> {
        Ok(match self.get::<String>(CSRF).await? {
            Some(token) => token.as_bytes().ct_eq(presented.as_bytes()).into(),
            None => false,
        })
    }

    /// Stores a value under `key` (pending two-factor or password-change state).
    pub async fn set<T: Serialize>(&self, key: &str, value: &T) -> Result<(), SessionError> {
        Ok(self.session.insert(key, value).await?)
    }

    /// Reads a value stored with [`AuthSession::set`].
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        // A value that no longer deserializes (an older shape) counts as absent.
        match self.session.get::<T>(key).await {
            Ok(value) => Ok(value),
            Err(tower_sessions::session::Error::SerdeJson(_)) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Removes a value stored with [`AuthSession::set`].
    pub async fn remove(&self, key: &str) -> Result<(), SessionError> {
        self.session.remove_value(key).await?;
        Ok(())
    }

    /// A salted hash of the session id, safe to log; `-` when there is none.
    pub fn log_id(&self) -> String {
        self.session
            .id()
            .map_or_else(|| "-".to_owned(), |id| log_id(&id))
    }
}

/// A salted hash of a session id for logs (never the id itself). The salt is per process.
pub fn log_id(id: &Id) -> String {
    static SALT: LazyLock<[u8; 16]> = LazyLock::new(|| {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        salt
    });
    let digest = Sha256::new()
        .chain_update(*SALT)
        .chain_update(id.to_string().as_bytes())
        .finalize();
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

fn new_token() -> String {
    crate::identity::random_token(32)
}

fn now_ms() -> i64 {
    crate::identity::now_ms()
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Where a site keeps its sessions.
#[derive(Clone, Debug)]
pub enum Store {
    /// In process memory (tests; lost on restart).
    Memory(MemoryStore),
    /// A SQLite table (the default: a restart logs nobody out).
    Sqlite(SqliteStore),
}

impl Store {
    /// A SQLite store in `pool`, its table created if missing.
    pub async fn sqlite(pool: sqlx::SqlitePool) -> anyhow::Result<Self> {
        let store = SqliteStore::new(pool);
        store.migrate().await?;
        Ok(Self::Sqlite(store))
    }

    /// Deletes expired sessions (a no-op for memory, which hides them on load).
    pub async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Memory(_) => Ok(()),
            Self::Sqlite(store) => store.delete_expired().await,
        }
    }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Memory(store) => store.create(record).await,
            Self::Sqlite(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Memory(store) => store.save(record).await,
            Self::Sqlite(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Memory(store) => store.load(id).await,
            Self::Sqlite(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Memory(store) => store.delete(id).await,
            Self::Sqlite(store) => store.delete(id).await,
        }
    }
}

/// Deletes expired sessions every `period` for as long as the site runs. A failed round is
/// logged and retried at the next period; a panic restarts the task (it is supervised).
pub fn spawn_cleanup(store: Store, period: Duration) -> tokio::task::JoinHandle<()> {
    let store = Arc::new(store);
    tokio::spawn(async move {
        loop {
            let store = store.clone();
            let round = tokio::spawn(async move {
                let mut ticker = tokio::time::interval(period);
                ticker.tick().await;
                loop {
                    ticker.tick().await;
                    if let Err(error) = store.delete_expired().await {
                        tracing::warn!(%error, "deleting expired sessions failed; retrying next period");
                    }
                }
            });
            match round.await {
                Err(error) if error.is_panic() => {
                    tracing::error!("the session cleanup task panicked; restarting it");
                }
                _ => return,
            }
        }
    })
}
