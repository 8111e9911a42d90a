//! The typed session over tower-sessions: what a logged-in session holds, `login()` that cycles
//! the id, `logout()` that ends the session, idle and absolute timeouts enforced server-side,
//! reads that extend the idle timeout (a throttled touch), periodic id rotation, CSRF tokens,
//! and the storage every site's sessions sit in.
//!
//! # The storage: [`HashedSessions`] over a plain one
//!
//! tower-sessions hands the storage the cookie's id and upserts on save. The wrapper changes three
//! things, for any inner storage (memory, SQLite or Redis):
//!
//! - **Keyed by a hash.** The inner storage only sees [`SessionKey`]: SHA-256 of the id, cut to
//!   128 bits. Records come back to tower-sessions under the id the browser presented. A dump of
//!   the storage (a backup, a SQL injection, a shared Redis) holds no usable cookie. The ids are
//!   128 random bits, so the hash needs no secret.
//! - **Tombstones.** A request that loaded the session before a logout saves it after: an upsert
//!   would bring the session back. So a delete writes a tombstone (expiring after the idle
//!   timeout, longer than any request), a save is refused unless the key holds a live record
//!   (tombstoned, retired or expired: skipped, logged at debug), and a load of a tombstone is
//!   nothing. Saves and deletes of one key are serialized on a striped lock, so the
//!   check-then-write is atomic within the process. A session ended from outside its requests
//!   (a background revalidation, [`HashedSessions::end_with_notice`]) leaves the reason in its
//!   tombstones: the browser's next request gets a new anonymous session holding it for the
//!   login page, as after a theft.
//! - **Rotation and theft detection.** Every `rotation_interval` [`AuthSession::user`] cycles
//!   the id. The old key then holds a retired marker naming its successor (its key, and its id
//!   sealed with the old id, which only a request presenting the old id can open). The states
//!   of a key:
//!
//!   ```text
//!   (none) --create--> live --delete--> tombstone --expiry--> (none)
//!                       |                  (the whole family)
//!                       +--rotation--> retired --grace over, id used--> tombstone (theft),
//!                       (once)            |                            the whole family
//!                                         +--delete (in grace)--> tombstone, the whole family
//!   ```
//!
//!   Rotation is single-flight: the storage decides it under the old key's lock (in Redis for
//!   replicas) when the response saves. The first request finds the old key live, creates the
//!   successor and retires the old key; every other request that had loaded the old record
//!   finds it retired and is given that same successor's id (its own changes to the session
//!   are dropped, as a read-only request's are). So one login makes one *family*: a chain of
//!   ids, each live record and retired marker naming the key it replaced, each marker its
//!   successor. Ending any id of it (logout, sign-out from the sessions page, theft) follows
//!   the chain back and forth and tombstones every id, so none of the family stays valid.
//!
//!   Within the grace period a retired id is served its successor's data read-only (requests in
//!   flight when the cookie changed still work, and cannot set the old cookie again). After it,
//!   only a copy of the cookie the browser has replaced can present it: the whole session ends,
//!   a warning is logged, and both the old and the new cookie get an anonymous session with a
//!   notice for the login page. A thief who replays a stolen cookie before its next rotation
//!   is not detected; the rotation after that (or a logout) shuts one of the two out, and the
//!   first use of the retired id ends both.
//!
//! The wrapper also keeps the per-user [`SessionIndex`] (list sessions, sign out everywhere).

mod hashed;
mod index;
pub mod key;
mod lock;
mod storage;
mod stored;

pub use hashed::HashedSessions;
pub use index::{SessionIndex, SessionInfo};
pub use key::{SessionKey, log_id};
pub use lock::Locks;
pub use storage::{RedisSessions, SessionStorage};
pub use stored::MARKER;

use crate::clock::{millis, now_ms};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderValue;
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use shared::model::UserView;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq as _;
use tower_sessions::Session;
use tower_sessions::session_store;

/// A site's sessions: [`HashedSessions`] over the configured [`SessionStorage`].
pub type SiteSessions = HashedSessions<SessionStorage>;

/// Key of the logged-in user.
const USER: &str = "user";
/// Key of the synchronizer CSRF token.
const CSRF: &str = "csrf";
/// Key of the browser's [`ClientInfo`], for the sessions list.
const CLIENT: &str = "client";
/// Key of the last id rotation, epoch ms (absent: the login time).
const ROTATED_AT: &str = "rotated_at_ms";
/// Key of a notice for the next login page.
const FLASH: &str = "flash";
/// Key of when the user is next checked with the identity server, epoch ms (absent: one
/// revalidation interval after login).
const REVALIDATE_AT: &str = "revalidate_at_ms";

/// The login page's notice after a session was ended as stolen.
pub const THEFT_NOTICE: &str = "Your session was ended because an old session id was used again \
                                — possibly stolen. Log in again.";

/// Timeouts and id rotation of a site's sessions.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    /// A session unused this long ends (each read extends it).
    pub idle_timeout: Duration,
    /// A session ends this long after login, however busy.
    pub absolute_timeout: Duration,
    /// A session's id is replaced this often (zero: never).
    pub rotation_interval: Duration,
    /// How long a replaced id still works (read-only) for requests already under way; used
    /// after that, it ends the session as stolen.
    pub rotation_grace: Duration,
}

impl SessionPolicy {
    /// Default of [`SessionPolicy::idle_timeout`], as `backend serve --idle-timeout` spells it.
    pub const DEFAULT_IDLE_TIMEOUT: &'static str = "30m";
    /// Default of [`SessionPolicy::absolute_timeout`] (`--absolute-timeout`).
    pub const DEFAULT_ABSOLUTE_TIMEOUT: &'static str = "12h";
    /// Default of [`SessionPolicy::rotation_interval`] (`--rotation-interval`).
    pub const DEFAULT_ROTATION_INTERVAL: &'static str = "15m";
    /// Default of [`SessionPolicy::rotation_grace`] (`--rotation-grace`).
    pub const DEFAULT_ROTATION_GRACE: &'static str = "30s";

    /// How often a read may rewrite the session to extend it: a tenth of the idle timeout, at
    /// most a minute, so a busy page does not write on every request.
    pub fn touch_interval(&self) -> Duration {
        (self.idle_timeout / 10).min(Duration::from_secs(60))
    }
}

impl Default for SessionPolicy {
    /// The `DEFAULT_…` constants: the flags of `backend serve` default to the same text.
    fn default() -> Self {
        Self {
            idle_timeout: default_duration(Self::DEFAULT_IDLE_TIMEOUT),
            absolute_timeout: default_duration(Self::DEFAULT_ABSOLUTE_TIMEOUT),
            rotation_interval: default_duration(Self::DEFAULT_ROTATION_INTERVAL),
            rotation_grace: default_duration(Self::DEFAULT_ROTATION_GRACE),
        }
    }
}

/// A default written as its flag spells it, e.g. `30m`.
pub fn default_duration(text: &'static str) -> Duration {
    shared::duration::parse_duration(text).expect("every default duration parses")
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
    /// The user's `passwordLastUpdateInstant` at login: a different one later means the
    /// password was changed since, which ends the session (see [`AuthSession::revalidation_due`]).
    #[serde(default)]
    pub credentials_changed_at_ms: Option<i64>,
}

/// The browser behind a session, as the sessions list shows it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClientInfo {
    /// `User-Agent`, cut to 256 characters.
    pub user_agent: Option<String>,
    /// The client's address.
    pub ip: Option<String>,
}

/// The client's real address, for a layer that knows it better than the socket does (behind a
/// trusted proxy) to put in the request's extensions; otherwise the peer address is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Session storage failed: the caller answers 503, never an anonymous fallback.
#[derive(Debug, thiserror::Error)]
#[error("session store unavailable: {0}")]
pub struct SessionError(String);

impl From<tower_sessions::session::Error> for SessionError {
    fn from(error: tower_sessions::session::Error) -> Self {
        Self(error.to_string())
    }
}

impl From<session_store::Error> for SessionError {
    fn from(error: session_store::Error) -> Self {
        Self(error.to_string())
    }
}

/// The session of the current request, typed.
#[derive(Clone, Debug)]
pub struct AuthSession {
    session: Session,
    policy: SessionPolicy,
    sessions: SiteSessions,
    /// The request's `User-Agent` and client address, made into a [`ClientInfo`] only when the
    /// session is written (most requests do not write it).
    user_agent: Option<HeaderValue>,
    ip: Option<IpAddr>,
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
        let sessions = parts
            .extensions
            .get::<SiteSessions>()
            .cloned()
            .ok_or(missing)?;
        let ip = match parts.extensions.get::<ClientAddr>() {
            Some(ClientAddr(ip)) => Some(*ip),
            None => parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip()),
        };
        Ok(Self {
            session,
            policy,
            sessions,
            user_agent: parts.headers.get(USER_AGENT).cloned(),
            ip,
        })
    }
}

/// Whether this request may write its session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Writable,
    /// A retired id within its grace period: the successor's data, not to be written.
    ReadOnly,
}

impl AuthSession {
    /// The logged-in user, if the session is valid. Enforces the absolute timeout (the session
    /// is deleted), extends the idle timeout (writing at most once per touch interval) and
    /// rotates the id every rotation interval.
    pub async fn user(&self) -> Result<Option<SessionUser>, SessionError> {
        let mode = self.mode().await?;
        let Some(mut user) = self.get::<SessionUser>(USER).await? else {
            return Ok(None);
        };
        let now = now_ms();
        if now.saturating_sub(user.login_at_ms) >= millis(self.policy.absolute_timeout) {
            tracing::info!(session = %self.log_id(), user = %user.user.id, "session reached its absolute timeout");
            self.session.flush().await?;
            return Ok(None);
        }
        if mode == Mode::ReadOnly {
            return Ok(Some(user));
        }
        let rotated_at = self.get::<i64>(ROTATED_AT).await?;
        let interval = self.policy.rotation_interval;
        let rotate = !interval.is_zero()
            && now.saturating_sub(rotated_at.unwrap_or(user.login_at_ms)) >= millis(interval);
        if rotate || now.saturating_sub(user.last_seen_ms) >= millis(self.policy.touch_interval()) {
            user.last_seen_ms = now;
            self.session.insert(USER, &user).await?;
            self.session.insert(CLIENT, &self.client()).await?;
        }
        if rotate && let Some(id) = self.session.id() {
            // The new id is chosen when the response saves the session: the session storage then
            // retires the old id, or gives the successor another request already made for it
            // (see the module doc). The old id stays in this request's memory only.
            self.session.insert(ROTATED_AT, now).await?;
            self.session
                .insert(stored::ROTATED_FROM, id.to_string())
                .await?;
            hashed::rotating(SessionKey::of(&id), self.session.cycle_id()).await?;
        }
        Ok(Some(user))
    }

    /// Logs `user` in: whatever the session held is dropped, the id is cycled (the old id dies:
    /// no fixation), and a new CSRF token is issued.
    pub async fn login(&self, user: SessionUser) -> Result<(), SessionError> {
        let previous = self.log_id();
        self.end_pending_rotation().await?;
        self.session.clear().await;
        self.session.cycle_id().await?;
        self.session.insert(USER, &user).await?;
        self.session.insert(CSRF, new_token()).await?;
        self.session.insert(CLIENT, &self.client()).await?;
        self.session.insert(ROTATED_AT, user.login_at_ms).await?;
        tracing::info!(previous_session = %previous, user = %user.user.id, "session created at login");
        Ok(())
    }

    /// Logs out: ends the session in the session storage (a retired id ends its successor too) and
    /// clears the cookie. Returns who it was.
    pub async fn logout(&self) -> Result<Option<SessionUser>, SessionError> {
        let user = self.get::<SessionUser>(USER).await?;
        let id = self.log_id();
        self.end_pending_rotation().await?;
        self.session.flush().await?;
        if let Some(user) = &user {
            tracing::info!(session = %id, user = %user.user.id, "session deleted at logout");
        }
        Ok(user)
    }

    /// Ends this session as [`AuthSession::logout`] does and leaves `notice` for the login page
    /// the browser is sent to (why it was signed out). Returns who it was.
    pub async fn end_with_notice(&self, notice: &str) -> Result<Option<SessionUser>, SessionError> {
        let user = self.logout().await?;
        // The flushed session has no id; this starts a new anonymous one for the notice.
        self.session.insert(FLASH, notice).await?;
        Ok(user)
    }

    /// True when `user` is due to be checked with the identity server: `every` after login,
    /// then `every` after each check ([`AuthSession::revalidate_at`] moves it). Zero: never.
    pub async fn revalidation_due(
        &self,
        user: &SessionUser,
        every: Duration,
    ) -> Result<bool, SessionError> {
        if every.is_zero() {
            return Ok(false);
        }
        let due = match self.get::<i64>(REVALIDATE_AT).await? {
            Some(at) => at,
            None => user.login_at_ms.saturating_add(millis(every)),
        };
        Ok(now_ms() >= due)
    }

    /// Schedules the next check with the identity server `after` from now.
    pub async fn revalidate_at(&self, after: Duration) -> Result<(), SessionError> {
        self.set(REVALIDATE_AT, &now_ms().saturating_add(millis(after)))
            .await
    }

    /// The user's live sessions on this site, most recently seen first, this one marked.
    pub async fn sessions(&self, user_id: &str) -> Result<Vec<SessionInfo>, SessionError> {
        let current = self.key().await?;
        Ok(self.sessions.sessions_of(user_id, current).await?)
    }

    /// Signs out the user's session `key` (another browser's); false when it is not one of
    /// theirs or already ended.
    pub async fn end_other(&self, user_id: &str, key: SessionKey) -> Result<bool, SessionError> {
        Ok(self.sessions.end_session(user_id, key).await?)
    }

    /// Signs out every session of the user but this one; returns how many ended.
    pub async fn end_others(&self, user_id: &str) -> Result<usize, SessionError> {
        let current = self.key().await?;
        Ok(self.sessions.end_all(user_id, current).await?)
    }

    /// This session's synchronizer CSRF token, created on first use: for the forms shown to a
    /// session (a signed-in user's, a pending login step's). The login form does not use it, so
    /// showing that form stores nothing (see `web::login_csrf`).
    pub async fn csrf_token(&self) -> Result<String, SessionError> {
        if let Some(token) = self.get::<String>(CSRF).await? {
            return Ok(token);
        }
        let token = new_token();
        self.set(CSRF, &token).await?;
        Ok(token)
    }

    /// True when `presented` is this session's CSRF token (compared in constant time).
    pub async fn csrf_matches(&self, presented: &str) -> Result<bool, SessionError> {
        Ok(match self.get::<String>(CSRF).await? {
            Some(token) => token.as_bytes().ct_eq(presented.as_bytes()).into(),
            None => false,
        })
    }

    /// Stores a value under `key` (pending two-factor or password-change state). Skipped for a
    /// retired id in its grace period: its writes would be refused, and the response would set
    /// the retired id's cookie again.
    pub async fn set<T: Serialize>(&self, key: &str, value: &T) -> Result<(), SessionError> {
        if self.mode().await? == Mode::ReadOnly {
            tracing::debug!(session = %self.log_id(), "write to a retired session id skipped");
            return Ok(());
        }
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

    /// Removes a value stored with [`AuthSession::set`] (skipped as `set` is).
    pub async fn remove(&self, key: &str) -> Result<(), SessionError> {
        if self.mode().await? == Mode::ReadOnly || self.get_raw(key).await?.is_none() {
            return Ok(());
        }
        self.session.remove_value(key).await?;
        Ok(())
    }

    /// Takes the notice left for the next login page (a session ended as stolen leaves one).
    pub async fn take_flash(&self) -> Result<Option<String>, SessionError> {
        if self.mode().await? == Mode::ReadOnly {
            return Ok(None);
        }
        let flash = self.get::<String>(FLASH).await?;
        if flash.is_some() {
            self.session.remove_value(FLASH).await?;
        }
        Ok(flash)
    }

    /// The storage key of this request's session (its entry in the sessions list); while this
    /// request rotates the id, the key being replaced.
    pub async fn key(&self) -> Result<Option<SessionKey>, SessionError> {
        Ok(match self.session.id() {
            Some(id) => Some(SessionKey::of(&id)),
            None => self.pending_rotation().await?,
        })
    }

    /// A salted hash of the session id, safe to log; `-` when there is none.
    pub fn log_id(&self) -> String {
        self.session
            .id()
            .map_or_else(|| "-".to_owned(), |id| log_id(&id))
    }

    /// The browser behind this request, as the sessions list shows it.
    fn client(&self) -> ClientInfo {
        ClientInfo {
            user_agent: self
                .user_agent
                .as_ref()
                .and_then(|v| v.to_str().ok())
                .map(|v| v.chars().take(256).collect()),
            ip: self.ip.map(|ip| ip.to_string()),
        }
    }

    /// The key this request's rotation replaces, until the response stores the new id.
    async fn pending_rotation(&self) -> Result<Option<SessionKey>, SessionError> {
        let old = self.get::<String>(stored::ROTATED_FROM).await?;
        Ok(old
            .and_then(|id| id.parse::<tower_sessions::session::Id>().ok())
            .map(|id| SessionKey::of(&id)))
    }

    /// Ends the session this request started rotating: a login or logout in the same request drops
    /// the new record, so the session storage would never retire the old key; it must end here.
    async fn end_pending_rotation(&self) -> Result<(), SessionError> {
        if let Some(old) = self.pending_rotation().await? {
            self.sessions.end_key(old).await?;
        }
        Ok(())
    }

    /// The notice of a session the storage says was ended while this browser was away.
    async fn ended_notice(&self) -> Result<Option<String>, SessionError> {
        if self.get_raw(stored::ENDED_AS_STOLEN).await?.is_some() {
            return Ok(Some(THEFT_NOTICE.to_owned()));
        }
        self.get::<String>(stored::ENDED_WITH_NOTICE).await
    }

    async fn get_raw(&self, key: &str) -> Result<Option<serde_json::Value>, SessionError> {
        Ok(self.session.get_value(key).await?)
    }

    /// Deals with what the session storage marked on the record, then says whether it may be
    /// written. A session ended as stolen, or ended with a notice by a background check, becomes
    /// a new anonymous one holding the notice for the login page (a fresh id: the old one is a
    /// tombstone).
    async fn mode(&self) -> Result<Mode, SessionError> {
        if let Some(notice) = self.ended_notice().await? {
            self.session.clear().await;
            self.session.cycle_id().await?;
            self.session.insert(FLASH, notice).await?;
            return Ok(Mode::Writable);
        }
        Ok(match self.get_raw(stored::READ_ONLY).await? {
            Some(_) => Mode::ReadOnly,
            None => Mode::Writable,
        })
    }
}

fn new_token() -> String {
    crate::random::random_token(32)
}

/// Deletes expired sessions every `period` for as long as the site runs. A failed round is
/// logged and retried at the next period; a panic restarts the task (it is supervised).
pub fn spawn_cleanup(sessions: SiteSessions, period: Duration) -> tokio::task::JoinHandle<()> {
    let sessions = Arc::new(sessions);
    tokio::spawn(async move {
        loop {
            let sessions = sessions.clone();
            let round = tokio::spawn(async move {
                let mut ticker = tokio::time::interval(period);
                ticker.tick().await;
                loop {
                    ticker.tick().await;
                    if let Err(error) = sessions.delete_expired().await {
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
