//! [`HashedSessions`]: the wrapper every site's session storage sits behind. It keys records by a
//! hash of the session id, turns deletes into tombstones that refuse later saves, keeps retired ids
//! pointing at their successor for the rotation grace period and ends the session when one is used
//! after it, and keeps the per-user index. See the module doc of [`super`] for why.

use super::index::{Entry, SessionIndex, SessionInfo};
use super::key::SessionKey;
use super::lock::{Guard, Locks};
use super::{CLIENT, ClientInfo, REVALIDATE_AT, SessionPolicy, SessionUser, USER};
use crate::clock::{millis, now_ms};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// Where the inner storage's records keep their marker; a record without one is a live session.
pub const MARKER: &str = "__marker";
/// Set on a record served for a retired id within its grace period: the successor's data, to
/// be read and never written (a write would set the old id's cookie again).
pub(super) const READ_ONLY: &str = "__read_only";
/// Set on the record served for an id whose session was ended as stolen: [`super::AuthSession`]
/// replaces it with an anonymous session that carries the notice.
pub(super) const ENDED_AS_STOLEN: &str = "__ended_as_stolen";
/// Set on the record served for an id whose session was ended from outside any request of it
/// (a background revalidation): the notice for the login page. [`super::AuthSession`] replaces
/// it with an anonymous session that carries the notice, as for [`ENDED_AS_STOLEN`].
pub(super) const ENDED_WITH_NOTICE: &str = "__ended_with_notice";
/// Put by [`super::AuthSession`] on a record whose id it is rotating: the key it had before. The
/// storage takes it off and retires that key when the new record is created.
pub(super) const ROTATED_FROM: &str = "__rotated_from";

/// The keys above: never stored in a live record.
const RESERVED: [&str; 5] = [
    MARKER,
    READ_ONLY,
    ENDED_AS_STOLEN,
    ENDED_WITH_NOTICE,
    ROTATED_FROM,
];
/// How many retired ids are followed to the live one (rotations within one grace period).
const MAX_CHAIN: usize = 8;

/// What a marker record says.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Marker {
    /// The session ended (logout, login over it, sign-out elsewhere, theft).
    Tombstone {
        /// Ended because a retired id was used after its grace period.
        theft: bool,
        /// Why it ended, for the login page of the browser that comes back with the id (absent
        /// in tombstones written before it existed, and when the browser itself ended it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notice: Option<String>,
    },
    /// The id was rotated; `successor` is the new key.
    Retired {
        successor: String,
        retired_at_ms: i64,
    },
}

/// A key's state in the inner storage.
enum Stored {
    Live(Record),
    Tombstone { theft: bool, notice: Option<String> },
    Retired { successor: SessionKey, at_ms: i64 },
}

/// How a session is ended: what its tombstones tell a later request that presents its id.
#[derive(Clone, Copy, Debug)]
enum Ending<'a> {
    /// Nothing to tell (logout, sign-out from another session): the id is simply unknown.
    Quietly,
    /// Ended as stolen: the next request gets the theft notice.
    AsStolen,
    /// Ended from outside the browser's requests: the next request gets this notice.
    WithNotice(&'a str),
}

impl Ending<'_> {
    fn tombstone(self) -> Marker {
        Marker::Tombstone {
            theft: matches!(self, Self::AsStolen),
            notice: match self {
                Self::WithNotice(notice) => Some(notice.to_owned()),
                Self::Quietly | Self::AsStolen => None,
            },
        }
    }
}

tokio::task_local! {
    /// The key whose id is being rotated by this task: its delete (from `Session::cycle_id`) is
    /// not a logout; the key is retired when the successor is created instead.
    static ROTATING: SessionKey;
}

/// Runs `cycle_id` for a rotation of `old` (see [`ROTATING`]).
pub(super) async fn rotating<F: Future>(old: SessionKey, cycle: F) -> F::Output {
    ROTATING.scope(old, cycle).await
}

/// A [`SessionStore`] over any other: hashed keys, tombstones, rotation, the per-user index.
#[derive(Clone, Debug)]
pub struct HashedSessions<S> {
    inner: S,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    index: SessionIndex,
    policy: SessionPolicy,
    locks: Locks,
}

impl<S: SessionStore> HashedSessions<S> {
    /// Wraps `inner`, keeping the per-user index in `index`. Tombstones last an idle timeout of
    /// `policy` (longer than any request), retired markers an absolute timeout (as long as the
    /// session they lead to may live).
    /// Writes are serialized on locks in this process: one replica.
    pub fn new(inner: S, index: SessionIndex, policy: SessionPolicy) -> Self {
        Self::with_locks(inner, index, Locks::local(), policy)
    }

    /// As [`Self::new`], with writes serialized on `locks` (in Redis when replicas share the
    /// session storage).
    pub fn with_locks(inner: S, index: SessionIndex, locks: Locks, policy: SessionPolicy) -> Self {
        Self {
            inner,
            shared: Arc::new(Shared {
                index,
                policy,
                locks,
            }),
        }
    }

    /// The user's live sessions, most recently seen first; `current` is marked.
    pub async fn sessions_of(
        &self,
        user_id: &str,
        current: Option<SessionKey>,
    ) -> session_store::Result<Vec<SessionInfo>> {
        let rows = self.shared.index.of_user(user_id, now_ms()).await?;
        Ok(rows
            .into_iter()
            .map(|(key, entry)| SessionInfo {
                key: key.to_string(),
                created_at_ms: entry.created_at_ms,
                last_seen_at_ms: entry.last_seen_at_ms,
                user_agent: entry.user_agent,
                ip: entry.ip,
                current: Some(key) == current,
            })
            .collect())
    }

    /// Ends the user's session `key`; false when it is not one of theirs (nothing happens).
    pub async fn end_session(&self, user_id: &str, key: SessionKey) -> session_store::Result<bool> {
        let owned = self
            .shared
            .index
            .of_user(user_id, now_ms())
            .await?
            .iter()
            .any(|(k, _)| *k == key);
        if owned {
            self.end(key, Ending::Quietly).await?;
            tracing::info!(session = %key.log_id(), user = %user_id, "session ended from another session");
        }
        Ok(owned)
    }

    /// Ends all the user's sessions but `except` (the caller's own, to sign out elsewhere);
    /// returns how many ended.
    pub async fn end_all(
        &self,
        user_id: &str,
        except: Option<SessionKey>,
    ) -> session_store::Result<usize> {
        let mut ended = 0;
        for (key, _) in self.shared.index.of_user(user_id, now_ms()).await? {
            if Some(key) != except {
                self.end(key, Ending::Quietly).await?;
                ended += 1;
            }
        }
        tracing::info!(user = %user_id, ended, "sessions ended everywhere");
        Ok(ended)
    }

    /// Ends the session at `key` (and the successors a retired key leads to).
    pub(super) async fn end_key(&self, key: SessionKey) -> session_store::Result<()> {
        self.end(key, Ending::Quietly).await.map(drop)
    }

    /// Ends the session at `key` (and the successors a retired key leads to) from outside its
    /// requests, leaving `notice` for the login page of the browser that comes back with either
    /// id. Returns the user of the live session it ended; `None` when it had ended already
    /// (its tombstone is kept as it was).
    pub async fn end_with_notice(
        &self,
        key: SessionKey,
        notice: &str,
    ) -> session_store::Result<Option<String>> {
        self.end(key, Ending::WithNotice(notice)).await
    }

    /// Schedules the next identity-server check of the session at `key` `after` from now, from
    /// outside its requests (a background revalidation). A key rotated meanwhile leads to its
    /// successor, which gets it. False when the session ended meanwhile: nothing is written,
    /// so an ended session is never brought back.
    pub async fn revalidate_at(
        &self,
        key: SessionKey,
        after: Duration,
    ) -> session_store::Result<bool> {
        let at = now_ms().saturating_add(millis(after));
        self.update_live(key, |data| {
            data.insert(REVALIDATE_AT.to_owned(), at.into());
        })
        .await
    }

    /// Applies `change` to the data of the live session `key` leads to (itself, or its successor
    /// after rotations), under that session's lock; false when there is none.
    async fn update_live(
        &self,
        key: SessionKey,
        change: impl FnOnce(&mut std::collections::HashMap<String, serde_json::Value>),
    ) -> session_store::Result<bool> {
        let Some((live, _)) = self.live(key).await? else {
            return Ok(false);
        };
        let _guard = self.lock(live).await?;
        // Read again under the lock: it may have ended (or been rotated) since.
        let Some(Stored::Live(mut record)) = self.read(live).await? else {
            return Ok(false);
        };
        change(&mut record.data);
        self.write_live(live, &record, false).await
    }

    async fn lock(&self, key: SessionKey) -> session_store::Result<Guard<'_>> {
        self.shared.locks.lock(key).await
    }

    async fn read(&self, key: SessionKey) -> session_store::Result<Option<Stored>> {
        let Some(mut record) = self.inner.load(&key.as_storage_id()).await? else {
            return Ok(None);
        };
        let Some(marker) = record.data.remove(MARKER) else {
            return Ok(Some(Stored::Live(record)));
        };
        Ok(Some(match serde_json::from_value(marker) {
            Ok(Marker::Retired {
                successor,
                retired_at_ms,
            }) => match successor.parse() {
                Ok(successor) => Stored::Retired {
                    successor,
                    at_ms: retired_at_ms,
                },
                Err(_) => Stored::Tombstone {
                    theft: false,
                    notice: None,
                },
            },
            Ok(Marker::Tombstone { theft, notice }) => Stored::Tombstone { theft, notice },
            // A marker this version cannot read: the session is over (fail closed).
            Err(_) => Stored::Tombstone {
                theft: false,
                notice: None,
            },
        }))
    }

    /// Stores `record` as the live session `key` and indexes it. A `new` key is created only
    /// if absent, atomically in the inner storage; false when it was taken. Otherwise the caller
    /// holds `key`'s lock.
    async fn write_live(
        &self,
        key: SessionKey,
        record: &Record,
        new: bool,
    ) -> session_store::Result<bool> {
        let mut data = record.data.clone();
        for reserved in RESERVED {
            data.remove(reserved);
        }
        let mut record = Record {
            id: key.as_storage_id(),
            data,
            expiry_date: record.expiry_date,
        };
        if new {
            self.inner.create(&mut record).await?;
            if record.id != key.as_storage_id() {
                // The inner storage found the key taken and stored the record under another id,
                // which no cookie leads to: take it back out.
                self.inner.delete(&record.id).await?;
                return Ok(false);
            }
        } else {
            self.inner.save(&record).await?;
        }
        if let Some(entry) = index_entry(&record) {
            self.shared.index.upsert(key, entry).await?;
        }
        Ok(true)
    }

    /// Replaces whatever `key` holds with `marker` for `ttl`, and takes the key out of the
    /// index of `user` (the live session's user, if it was one). The caller holds `key`'s lock.
    async fn write_marker(
        &self,
        key: SessionKey,
        marker: Marker,
        ttl: Duration,
        user: Option<&str>,
    ) -> session_store::Result<()> {
        let marker = serde_json::to_value(marker)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let record = Record {
            id: key.as_storage_id(),
            data: [(MARKER.to_owned(), marker)].into(),
            expiry_date: OffsetDateTime::now_utc() + ttl,
        };
        self.inner.save(&record).await?;
        match user {
            Some(user) => self.shared.index.remove(key, user).await,
            None => Ok(()),
        }
    }

    /// Ends the session at `key`: a tombstone there and at every successor a retired id leads
    /// to. Returns the user of the live session it ended, if any.
    async fn end(
        &self,
        mut key: SessionKey,
        how: Ending<'_>,
    ) -> session_store::Result<Option<String>> {
        let mut user = None;
        for _ in 0..MAX_CHAIN {
            let _guard = self.lock(key).await?;
            let (next, ended) = match self.read(key).await? {
                None | Some(Stored::Tombstone { .. }) => break,
                Some(Stored::Live(record)) => (None, index_entry(&record).map(|e| e.user_id)),
                Some(Stored::Retired { successor, .. }) => (Some(successor), None),
            };
            let ttl = self.shared.policy.idle_timeout;
            self.write_marker(key, how.tombstone(), ttl, ended.as_deref())
                .await?;
            user = user.or(ended);
            match next {
                Some(successor) => key = successor,
                None => break,
            }
        }
        Ok(user)
    }

    /// The live session `key` leads to (itself, or the successor of a retired id, following
    /// rotations), with its key.
    async fn live(
        &self,
        mut key: SessionKey,
    ) -> session_store::Result<Option<(SessionKey, Record)>> {
        for _ in 0..MAX_CHAIN {
            match self.read(key).await? {
                Some(Stored::Live(record)) => return Ok(Some((key, record))),
                Some(Stored::Retired { successor, .. }) => key = successor,
                None | Some(Stored::Tombstone { .. }) => return Ok(None),
            }
        }
        Ok(None)
    }

    /// After `new` was created to replace `old`: `old` becomes a retired id leading to `new`.
    /// If `old` ended meanwhile (a logout raced the rotation), `new` ends too.
    async fn retire(&self, old: SessionKey, new: SessionKey) -> session_store::Result<()> {
        {
            let _guard = self.lock(old).await?;
            match self.read(old).await? {
                Some(Stored::Live(record)) => {
                    let retired = Marker::Retired {
                        successor: new.to_string(),
                        retired_at_ms: now_ms(),
                    };
                    let user = index_entry(&record).map(|e| e.user_id);
                    let ttl = self.shared.policy.absolute_timeout;
                    self.write_marker(old, retired, ttl, user.as_deref())
                        .await?;
                    tracing::info!(previous_session = %old.log_id(), session = %new.log_id(), "session id rotated");
                    return Ok(());
                }
                // Two requests rotated the same id at once: the browser may keep either cookie,
                // so both successors stay valid.
                Some(Stored::Retired { .. }) => return Ok(()),
                None | Some(Stored::Tombstone { .. }) => {}
            }
        }
        tracing::info!(previous_session = %old.log_id(), session = %new.log_id(), "session ended while its id was rotated; the new id ends too");
        self.end(new, Ending::Quietly).await.map(drop)
    }
}

impl HashedSessions<super::SessionStorage> {
    /// Deletes expired records and index entries (tombstones and retired ids expire too).
    pub async fn delete_expired(&self) -> session_store::Result<()> {
        self.inner.delete_expired().await?;
        self.shared.index.delete_expired(now_ms()).await
    }
}

#[async_trait]
impl<S: SessionStore> SessionStore for HashedSessions<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let rotated_from = record
            .data
            .remove(ROTATED_FROM)
            .and_then(|v| v.as_str()?.parse::<SessionKey>().ok());
        // A fresh id needs no lock: the inner storage creates its key only if absent.
        let key = loop {
            let key = SessionKey::of(&record.id);
            if self.write_live(key, record, true).await? {
                break key;
            }
            record.id = Id::default();
        };
        if let Some(old) = rotated_from {
            self.retire(old, key).await?;
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let key = SessionKey::of(&record.id);
        let _guard = self.lock(key).await?;
        match self.read(key).await? {
            Some(Stored::Live(_)) => self.write_live(key, record, false).await.map(drop),
            // A logout, a rotation or the expiry got there first: an upsert here would bring the
            // session back to life.
            _ => {
                tracing::debug!(session = %key.log_id(), "session save refused: it ended, was rotated or expired");
                Ok(())
            }
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let key = SessionKey::of(id);
        let record = match self.read(key).await? {
            None
            | Some(Stored::Tombstone {
                theft: false,
                notice: None,
            }) => return Ok(None),
            Some(Stored::Live(record)) => record,
            Some(Stored::Tombstone { theft: true, .. }) => ended_as_stolen(),
            Some(Stored::Tombstone {
                notice: Some(notice),
                ..
            }) => ended_with_notice(notice),
            Some(Stored::Retired { successor, at_ms })
                if now_ms().saturating_sub(at_ms) <= millis(self.shared.policy.rotation_grace) =>
            {
                let Some((_, mut record)) = self.live(successor).await? else {
                    return Ok(None);
                };
                record.data.insert(READ_ONLY.to_owned(), true.into());
                record
            }
            Some(Stored::Retired { successor, .. }) => {
                let user = self.end(key, Ending::AsStolen).await?;
                tracing::warn!(
                    session = %key.log_id(),
                    successor = %successor.log_id(),
                    user = user.as_deref().unwrap_or("-"),
                    "session theft suspected: a retired session id was used after its grace period"
                );
                ended_as_stolen()
            }
        };
        Ok(Some(Record { id: *id, ..record }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let key = SessionKey::of(id);
        if ROTATING
            .try_with(|rotating| *rotating == key)
            .unwrap_or(false)
        {
            return Ok(());
        }
        self.end(key, Ending::Quietly).await.map(drop)
    }
}

/// The record served for an id whose session ended as stolen.
fn ended_as_stolen() -> Record {
    Record {
        id: Id::default(),
        data: [(ENDED_AS_STOLEN.to_owned(), true.into())].into(),
        expiry_date: OffsetDateTime::now_utc() + Duration::from_secs(60),
    }
}

/// The record served for an id whose session was ended with `notice`.
fn ended_with_notice(notice: String) -> Record {
    Record {
        id: Id::default(),
        data: [(ENDED_WITH_NOTICE.to_owned(), notice.into())].into(),
        expiry_date: OffsetDateTime::now_utc() + Duration::from_secs(60),
    }
}

/// The index entry of a logged-in session's record; `None` for an anonymous one.
fn index_entry(record: &Record) -> Option<Entry> {
    let user: SessionUser = serde_json::from_value(record.data.get(USER)?.clone()).ok()?;
    let client: ClientInfo = record
        .data
        .get(CLIENT)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    Some(Entry {
        user_id: user.user.id,
        created_at_ms: user.login_at_ms,
        last_seen_at_ms: user.last_seen_ms,
        user_agent: client.user_agent,
        ip: client.ip,
        expires_at_ms: i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1_000_000)
            .unwrap_or(i64::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_sessions::MemoryStore;

    const GRACE: Duration = Duration::from_millis(150);

    fn policy() -> SessionPolicy {
        SessionPolicy {
            idle_timeout: Duration::from_secs(60),
            rotation_grace: GRACE,
            ..SessionPolicy::default()
        }
    }

    fn hashed<S: SessionStore>(inner: S) -> HashedSessions<S> {
        HashedSessions::new(inner, SessionIndex::memory(), policy())
    }

    fn record(user_id: &str) -> Record {
        let user = serde_json::json!({
            "user": {"id": user_id, "email": null, "name": "A", "roles": []},
            "login_at_ms": 1, "last_seen_ms": 2,
        });
        let client = serde_json::json!({"user_agent": "test-agent", "ip": "192.0.2.1"});
        Record {
            id: Id::default(),
            data: [(USER.to_owned(), user), (CLIENT.to_owned(), client)].into(),
            expiry_date: OffsetDateTime::now_utc() + Duration::from_secs(3600),
        }
    }

    /// Creates `record` and returns the id tower-sessions would put in the cookie.
    async fn create<S: SessionStore>(sessions: &HashedSessions<S>, mut record: Record) -> Id {
        sessions.create(&mut record).await.unwrap();
        record.id
    }

    /// Rotates `old` as `AuthSession::user` does; returns the new id.
    async fn rotate<S: SessionStore>(sessions: &HashedSessions<S>, old: Id, user_id: &str) -> Id {
        let key = SessionKey::of(&old);
        rotating(key, sessions.delete(&old)).await.unwrap();
        let mut next = record(user_id);
        next.data
            .insert(ROTATED_FROM.to_owned(), key.to_string().into());
        create(sessions, next).await
    }

    #[tokio::test]
    async fn the_inner_storage_sees_only_the_hash_of_the_id() {
        let inner = MemoryStore::default();
        let sessions = hashed(inner.clone());
        let id = create(&sessions, record("u")).await;
        assert!(inner.load(&id).await.unwrap().is_none());
        let stored = inner
            .load(&SessionKey::of(&id).as_storage_id())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.data[USER]["user"]["id"], "u");
        let loaded = sessions.load(&id).await.unwrap().unwrap();
        assert_eq!(loaded.id, id, "tower-sessions gets the presented id back");
        // The key, presented as an id, is just an unknown id.
        assert!(sessions.load(&stored.id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_save_after_a_delete_is_refused() {
        let sessions = hashed(MemoryStore::default());
        let mut loaded = record("u");
        loaded.id = create(&sessions, loaded.clone()).await;
        sessions.delete(&loaded.id).await.unwrap();
        loaded.data.insert("late".into(), true.into());
        sessions.save(&loaded).await.unwrap();
        assert!(sessions.load(&loaded.id).await.unwrap().is_none());
        // Nor can a save bring back a session that was never stored.
        let stranger = record("u");
        sessions.save(&stranger).await.unwrap();
        assert!(sessions.load(&stranger.id).await.unwrap().is_none());
    }

    /// An inner storage whose saves take a while between being asked and writing.
    #[derive(Clone, Debug, Default)]
    struct SlowSaves(MemoryStore);

    #[async_trait]
    impl SessionStore for SlowSaves {
        async fn save(&self, record: &Record) -> session_store::Result<()> {
            if !record.data.contains_key(MARKER) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            self.0.save(record).await
        }
        async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
            self.0.load(id).await
        }
        async fn delete(&self, id: &Id) -> session_store::Result<()> {
            self.0.delete(id).await
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_save_in_flight_cannot_undo_a_delete() {
        let sessions = hashed(SlowSaves::default());
        let mut loaded = record("u");
        loaded.id = create(&sessions, loaded.clone()).await;
        loaded.data.insert("touched".into(), true.into());
        // The save has checked that the session is live and is writing when the delete comes.
        let save = tokio::spawn({
            let (sessions, loaded) = (sessions.clone(), loaded.clone());
            async move { sessions.save(&loaded).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        sessions.delete(&loaded.id).await.unwrap();
        save.await.unwrap().unwrap();
        assert!(sessions.load(&loaded.id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_retired_id_serves_its_successor_read_only_within_the_grace_period() {
        let sessions = hashed(MemoryStore::default());
        let old = create(&sessions, record("u")).await;
        let new = rotate(&sessions, old, "u").await;
        let served = sessions.load(&old).await.unwrap().unwrap();
        assert_eq!(served.id, old);
        assert_eq!(served.data[READ_ONLY], true);
        assert_eq!(served.data[USER]["user"]["id"], "u");
        // Its writes are refused; the successor is untouched.
        sessions.save(&served).await.unwrap();
        let current = sessions.load(&new).await.unwrap().unwrap();
        assert!(!current.data.contains_key(READ_ONLY));
        // A delete with the old id (a logout from a request in flight) ends both.
        sessions.delete(&old).await.unwrap();
        assert!(sessions.load(&new).await.unwrap().is_none());
        assert!(sessions.load(&old).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_retired_id_used_after_the_grace_period_ends_the_whole_session() {
        let sessions = hashed(MemoryStore::default());
        let old = create(&sessions, record("u")).await;
        let new = rotate(&sessions, old, "u").await;
        tokio::time::sleep(GRACE + Duration::from_millis(50)).await;
        for id in [old, new, old] {
            let record = sessions.load(&id).await.unwrap().unwrap();
            assert_eq!(record.data.len(), 1);
            assert_eq!(record.data[ENDED_AS_STOLEN], true);
        }
        assert!(sessions.sessions_of("u", None).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_logout_racing_a_rotation_ends_the_new_id_too() {
        let sessions = hashed(MemoryStore::default());
        let old = create(&sessions, record("u")).await;
        let key = SessionKey::of(&old);
        rotating(key, sessions.delete(&old)).await.unwrap();
        assert!(
            sessions.load(&old).await.unwrap().is_some(),
            "not yet retired"
        );
        sessions.delete(&old).await.unwrap();
        let mut next = record("u");
        next.data
            .insert(ROTATED_FROM.to_owned(), key.to_string().into());
        let new = create(&sessions, next).await;
        assert!(sessions.load(&new).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn the_index_follows_logins_touches_rotations_and_ends() {
        let sessions = hashed(MemoryStore::default());
        let first = create(&sessions, record("u")).await;
        let second = create(&sessions, record("u")).await;
        create(&sessions, record("someone else")).await;
        let current = SessionKey::of(&first);
        let listed = sessions.sessions_of("u", Some(current)).await.unwrap();
        assert_eq!(listed.len(), 2);
        let mine = listed.iter().find(|s| s.current).unwrap();
        assert_eq!(mine.key, current.to_string());
        assert_eq!(mine.user_agent.as_deref(), Some("test-agent"));
        assert_eq!(mine.ip.as_deref(), Some("192.0.2.1"));
        assert_eq!((mine.created_at_ms, mine.last_seen_at_ms), (1, 2));

        let mut touched = sessions.load(&second).await.unwrap().unwrap();
        touched.data.get_mut(USER).unwrap()["last_seen_ms"] = 99.into();
        sessions.save(&touched).await.unwrap();
        let listed = sessions.sessions_of("u", None).await.unwrap();
        assert_eq!(listed[0].key, SessionKey::of(&second).to_string());
        assert_eq!(listed[0].last_seen_at_ms, 99);

        let rotated = rotate(&sessions, second, "u").await;
        let keys: Vec<String> = sessions
            .sessions_of("u", None)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.key)
            .collect();
        assert!(keys.contains(&SessionKey::of(&rotated).to_string()));
        assert!(!keys.contains(&SessionKey::of(&second).to_string()));

        assert!(!sessions.end_session("someone else", current).await.unwrap());
        assert!(sessions.load(&first).await.unwrap().is_some());
        assert_eq!(sessions.end_all("u", Some(current)).await.unwrap(), 1);
        assert!(sessions.load(&rotated).await.unwrap().is_none());
        assert!(sessions.end_session("u", current).await.unwrap());
        assert!(sessions.load(&first).await.unwrap().is_none());
        assert!(sessions.sessions_of("u", None).await.unwrap().is_empty());
        assert_eq!(
            sessions
                .sessions_of("someone else", None)
                .await
                .unwrap()
                .len(),
            1
        );
    }

    #[tokio::test]
    async fn a_retired_id_is_not_taken_for_stolen_while_its_grace_period_lasts() {
        // A generous grace period, so that a busy machine cannot push the load past it.
        let sessions = HashedSessions::new(
            MemoryStore::default(),
            SessionIndex::memory(),
            SessionPolicy {
                rotation_grace: Duration::from_secs(5),
                ..policy()
            },
        );
        let old = create(&sessions, record("u")).await;
        let new = rotate(&sessions, old, "u").await;
        tokio::time::sleep(Duration::from_millis(30)).await;
        let served = sessions.load(&old).await.unwrap().unwrap();
        assert!(!served.data.contains_key(ENDED_AS_STOLEN));
        assert_eq!(served.data[READ_ONLY], true);
        assert!(
            sessions.load(&new).await.unwrap().is_some(),
            "the session goes on"
        );
    }

    #[tokio::test]
    async fn an_expired_session_is_not_listed() {
        let sessions = hashed(MemoryStore::default());
        let mut short = record("u");
        short.expiry_date = OffsetDateTime::now_utc() + Duration::from_millis(100);
        create(&sessions, short).await;
        let live = create(&sessions, record("u")).await;
        assert_eq!(sessions.sessions_of("u", None).await.unwrap().len(), 2);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let listed = sessions.sessions_of("u", None).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].key, SessionKey::of(&live).to_string());
    }

    #[tokio::test]
    async fn housekeeping_forgets_expired_sessions_and_keeps_live_ones() {
        let sessions = HashedSessions::new(
            super::super::SessionStorage::Memory(MemoryStore::default()),
            SessionIndex::memory(),
            policy(),
        );
        let mut short = record("u");
        short.expiry_date = OffsetDateTime::now_utc() + Duration::from_millis(100);
        let expired = SessionKey::of(&create(&sessions, short).await);
        let live = create(&sessions, record("u")).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        sessions.delete_expired().await.unwrap();
        // Every index row, expired or not.
        let rows = sessions.shared.index.of_user("u", i64::MIN).await.unwrap();
        let keys: Vec<SessionKey> = rows.into_iter().map(|(key, _)| key).collect();
        assert_eq!(keys, [SessionKey::of(&live)], "{expired} is forgotten");
        // The live one can still be ended from elsewhere.
        assert_eq!(sessions.end_all("u", None).await.unwrap(), 1);
        assert!(sessions.load(&live).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_session_ended_with_a_notice_tells_both_ids_and_refuses_saves() {
        let sessions = hashed(MemoryStore::default());
        let old = create(&sessions, record("u")).await;
        let new = rotate(&sessions, old, "u").await;
        let ended = sessions
            .end_with_notice(SessionKey::of(&old), "locked")
            .await
            .unwrap();
        assert_eq!(ended.as_deref(), Some("u"));
        for id in [old, new] {
            let served = sessions.load(&id).await.unwrap().unwrap();
            assert_eq!(served.data.len(), 1, "{served:?}");
            assert_eq!(served.data[ENDED_WITH_NOTICE], "locked");
        }
        assert!(sessions.sessions_of("u", None).await.unwrap().is_empty());
        // A request that loaded the session before saves after: refused.
        let mut late = record("u");
        late.id = new;
        sessions.save(&late).await.unwrap();
        assert_eq!(
            sessions.load(&new).await.unwrap().unwrap().data[ENDED_WITH_NOTICE],
            "locked"
        );
        // A session that had ended already keeps its own (quiet) tombstone.
        let logged_out = create(&sessions, record("u")).await;
        sessions.delete(&logged_out).await.unwrap();
        let key = SessionKey::of(&logged_out);
        assert_eq!(sessions.end_with_notice(key, "locked").await.unwrap(), None);
        assert!(sessions.load(&logged_out).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_background_revalidation_time_goes_to_the_live_session_and_never_revives_one() {
        let sessions = hashed(MemoryStore::default());
        let next_check = |record: &Record| record.data.get(REVALIDATE_AT).cloned();
        let old = create(&sessions, record("u")).await;
        let key = SessionKey::of(&old);
        assert!(
            sessions
                .revalidate_at(key, Duration::from_secs(60))
                .await
                .unwrap()
        );
        let at = next_check(&sessions.load(&old).await.unwrap().unwrap()).unwrap();
        assert!(at.as_i64().unwrap() >= now_ms() + 59_000, "{at}");
        // Rotated meanwhile: the successor gets it.
        let new = rotate(&sessions, old, "u").await;
        assert!(
            sessions
                .revalidate_at(key, Duration::from_secs(60))
                .await
                .unwrap()
        );
        assert!(next_check(&sessions.load(&new).await.unwrap().unwrap()).is_some());
        // Ended meanwhile: nothing is written, the session stays ended.
        sessions.delete(&new).await.unwrap();
        assert!(
            !sessions
                .revalidate_at(key, Duration::from_secs(60))
                .await
                .unwrap()
        );
        assert!(sessions.load(&new).await.unwrap().is_none());
        assert!(sessions.load(&old).await.unwrap().is_none());
        assert!(
            !sessions
                .revalidate_at(SessionKey::of(&Id::default()), Duration::ZERO)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn ending_a_retired_key_ends_the_session_it_was_rotated_into() {
        let sessions = hashed(MemoryStore::default());
        let old = create(&sessions, record("u")).await;
        let new = rotate(&sessions, old, "u").await;
        sessions.end_key(SessionKey::of(&old)).await.unwrap();
        assert!(sessions.load(&new).await.unwrap().is_none());
        assert!(sessions.load(&old).await.unwrap().is_none());
        assert!(sessions.sessions_of("u", None).await.unwrap().is_empty());
    }
}
