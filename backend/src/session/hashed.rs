//! [`HashedSessions`]: the wrapper every site's session storage sits behind. It keys records by a
//! hash of the session id, turns deletes into tombstones that refuse later saves, rotates an id
//! once however many requests ask at the same time, keeps retired ids pointing at their successor
//! for the rotation grace period and ends the session when one is used after it, ends a session's
//! whole family (every id rotation gave it) at once, and keeps the per-user index. See the module
//! doc of [`super`] for why.

use super::index::{SessionIndex, SessionInfo};
use super::key::{SealedId, SessionKey};
use super::lock::{Guard, Locks};
use super::stored::{
    Ending, MARKER, Marker, PREDECESSOR, READ_ONLY, RESERVED, ROTATED_FROM, Stored,
    ended_as_stolen, ended_with_notice, index_entry,
};
use super::{REVALIDATE_AT, SessionPolicy};
use crate::clock::{millis, now_ms};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// How many retired ids are followed to the live one (rotations within one grace period).
const MAX_CHAIN: usize = 8;
/// How many ids of one family an end follows, back and forth. A family grows by one id per
/// rotation interval (48 in the default absolute timeout); an id older than this stays a retired
/// marker, which can only end a session, never serve one.
const MAX_FAMILY: usize = 256;

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

    /// Ends the session at `key` and its whole family from outside its requests, leaving
    /// `notice` for the login page of the browser that comes back with any of its ids. Returns
    /// the user of the live session it ended; `None` when it had ended already (its tombstone is
    /// kept as it was).
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
        let Some((live, _)) = self.live(key).await? else {
            return Ok(false);
        };
        let _guard = self.lock(live).await?;
        // Read again under the lock: it may have ended (or been rotated) since.
        let Some(Stored::Live {
            mut record,
            predecessor,
        }) = self.read(live).await?
        else {
            return Ok(false);
        };
        let at = now_ms().saturating_add(millis(after));
        record.data.insert(REVALIDATE_AT.to_owned(), at.into());
        self.write_live(live, &record, false, predecessor).await
    }

    async fn lock(&self, key: SessionKey) -> session_store::Result<Guard<'_>> {
        self.shared.locks.lock(key).await
    }

    async fn read(&self, key: SessionKey) -> session_store::Result<Option<Stored>> {
        let record = self.inner.load(&key.as_storage_id()).await?;
        Ok(record.map(Stored::from_inner))
    }

    /// Stores `record` as the live session `key` (rotated from `predecessor`) and indexes it. A
    /// `new` key is created only if absent, atomically in the inner storage; false when it was
    /// taken. Otherwise the caller holds `key`'s lock.
    async fn write_live(
        &self,
        key: SessionKey,
        record: &Record,
        new: bool,
        predecessor: Option<SessionKey>,
    ) -> session_store::Result<bool> {
        let mut data = record.data.clone();
        for reserved in RESERVED {
            data.remove(reserved);
        }
        if let Some(predecessor) = predecessor {
            data.insert(PREDECESSOR.to_owned(), predecessor.to_string().into());
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

    /// Ends the session at `key` and its whole family: a tombstone at every id rotation gave it,
    /// from the first still retired to the live one (however old the id presented). Returns the
    /// user of the live session it ended, if any.
    async fn end(&self, key: SessionKey, how: Ending<'_>) -> session_store::Result<Option<String>> {
        let first = self.first_of_family(key).await?;
        self.end_from(first, how).await
    }

    /// The oldest id of `key`'s family still retired: its predecessors, followed back while each
    /// is a retired id leading to the next.
    async fn first_of_family(&self, key: SessionKey) -> session_store::Result<SessionKey> {
        let mut first = key;
        let mut before = self
            .read(key)
            .await?
            .and_then(|stored| stored.predecessor());
        for _ in 0..MAX_FAMILY {
            let Some(candidate) = before else { break };
            match self.read(candidate).await? {
                Some(Stored::Retired {
                    successor,
                    predecessor,
                    ..
                }) if successor == first => {
                    first = candidate;
                    before = predecessor;
                }
                _ => break,
            }
        }
        Ok(first)
    }

    /// A tombstone at `key` and at every successor a retired id leads to. Returns the user of
    /// the live session it ended, if any.
    async fn end_from(
        &self,
        mut key: SessionKey,
        how: Ending<'_>,
    ) -> session_store::Result<Option<String>> {
        let mut user = None;
        for _ in 0..MAX_FAMILY {
            let _guard = self.lock(key).await?;
            let (next, ended) = match self.read(key).await? {
                None | Some(Stored::Tombstone { .. }) => break,
                Some(Stored::Live { record, .. }) => {
                    (None, index_entry(&record).map(|e| e.user_id))
                }
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
                Some(Stored::Live { record, .. }) => return Ok(Some((key, record))),
                Some(Stored::Retired { successor, .. }) => key = successor,
                None | Some(Stored::Tombstone { .. }) => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Creates `record` as a new live session under a fresh id (set in `record`), rotated from
    /// `predecessor` if any. A fresh id needs no lock: the inner storage creates its key only if
    /// absent.
    async fn create_live(
        &self,
        record: &mut Record,
        predecessor: Option<SessionKey>,
    ) -> session_store::Result<SessionKey> {
        loop {
            let key = SessionKey::of(&record.id);
            if self.write_live(key, record, true, predecessor).await? {
                return Ok(key);
            }
            record.id = Id::default();
        }
    }

    /// Gives `record` (a session whose id `old` is being replaced) its new id, once for all the
    /// requests that loaded `old` before it was replaced: under `old`'s lock, the first creates
    /// the successor and retires `old`; the others find `old` retired and are given that same
    /// successor's id (their changes to the session are dropped, as a retired id's are in its
    /// grace period). If `old` ended meanwhile (a logout raced the rotation), the id given leads
    /// to nothing.
    async fn rotate(&self, old: Id, record: &mut Record) -> session_store::Result<()> {
        let old_key = SessionKey::of(&old);
        let _guard = self.lock(old_key).await?;
        match self.read(old_key).await? {
            Some(Stored::Live {
                record: current,
                predecessor,
            }) => {
                let new = self.create_live(record, Some(old_key)).await?;
                let retired = Marker::Retired {
                    successor: new.to_string(),
                    retired_at_ms: now_ms(),
                    sealed_successor: Some(SealedId::seal(&record.id, &old).to_string()),
                    predecessor: predecessor.map(|key| key.to_string()),
                };
                let user = index_entry(&current).map(|e| e.user_id);
                let ttl = self.shared.policy.absolute_timeout;
                self.write_marker(old_key, retired, ttl, user.as_deref())
                    .await?;
                tracing::info!(previous_session = %old_key.log_id(), session = %new.log_id(), "session id rotated");
            }
            Some(Stored::Retired {
                successor, sealed, ..
            }) => {
                record.id = match self.live_successor(old, successor, sealed).await? {
                    Some(id) => {
                        tracing::debug!(previous_session = %old_key.log_id(), session = %SessionKey::of(&id).log_id(), "session id already rotated by another request; its successor is shared");
                        id
                    }
                    None => {
                        tracing::info!(previous_session = %old_key.log_id(), "session id already rotated, and its successor cannot be handed out; the request gets no session");
                        Id::default()
                    }
                };
            }
            None | Some(Stored::Tombstone { .. }) => {
                tracing::info!(previous_session = %old_key.log_id(), "session ended while its id was rotated; no new id");
                record.id = Id::default();
            }
        }
        Ok(())
    }

    /// The id of the live session the retired id `old` leads to (its successor, or theirs if they
    /// were rotated in turn), opening each sealed successor id with the one before; `None` if
    /// the session ended or a marker holds no seal.
    async fn live_successor(
        &self,
        mut old: Id,
        mut successor: SessionKey,
        mut sealed: Option<SealedId>,
    ) -> session_store::Result<Option<Id>> {
        for _ in 0..MAX_CHAIN {
            let Some(id) = sealed.and_then(|sealed| sealed.open(&old, successor)) else {
                return Ok(None);
            };
            match self.read(successor).await? {
                Some(Stored::Live { .. }) => return Ok(Some(id)),
                Some(Stored::Retired {
                    successor: next,
                    sealed: next_sealed,
                    ..
                }) => (old, successor, sealed) = (id, next, next_sealed),
                None | Some(Stored::Tombstone { .. }) => return Ok(None),
            }
        }
        Ok(None)
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
            .and_then(|v| v.as_str()?.parse::<Id>().ok());
        match rotated_from {
            Some(old) => self.rotate(old, record).await,
            None => self.create_live(record, None).await.map(drop),
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let key = SessionKey::of(&record.id);
        let _guard = self.lock(key).await?;
        match self.read(key).await? {
            Some(Stored::Live { predecessor, .. }) => self
                .write_live(key, record, false, predecessor)
                .await
                .map(drop),
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
            Some(Stored::Live { record, .. }) => record,
            Some(Stored::Tombstone { theft: true, .. }) => ended_as_stolen(),
            Some(Stored::Tombstone {
                notice: Some(notice),
                ..
            }) => ended_with_notice(notice),
            Some(Stored::Retired {
                successor, at_ms, ..
            }) if now_ms().saturating_sub(at_ms) <= millis(self.shared.policy.rotation_grace) => {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::stored::{ENDED_AS_STOLEN, ENDED_WITH_NOTICE};
    use crate::session::{CLIENT, USER};
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
        rotating(SessionKey::of(&old), sessions.delete(&old))
            .await
            .unwrap();
        create(sessions, rotated(old, user_id)).await
    }

    /// The record a request that rotates `old` saves (`cycle_id` has given it no id yet).
    fn rotated(old: Id, user_id: &str) -> Record {
        let mut next = record(user_id);
        next.data
            .insert(ROTATED_FROM.to_owned(), old.to_string().into());
        next
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
        let new = create(&sessions, rotated(old, "u")).await;
        assert!(sessions.load(&new).await.unwrap().is_none());
    }

    /// Asserts that `id` serves no session, as a live or in-grace record or as a theft.
    async fn assert_ended<S: SessionStore>(sessions: &HashedSessions<S>, id: &Id, what: &str) {
        let loaded = sessions.load(id).await.unwrap();
        assert!(
            loaded.is_none_or(|r| r.data.contains_key(ENDED_AS_STOLEN)),
            "{what} still serves a session"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_rotating_one_id_at_once_share_one_successor() {
        const REQUESTS: usize = 20;
        let sessions = hashed(MemoryStore::default());
        let old = create(&sessions, record("u")).await;
        // Every request loaded the live record before any of them saved: each rotates.
        let mut requests = tokio::task::JoinSet::new();
        for _ in 0..REQUESTS {
            let sessions = sessions.clone();
            requests.spawn(async move { rotate(&sessions, old, "u").await });
        }
        let ids: std::collections::HashSet<Id> = requests.join_all().await.into_iter().collect();
        assert_eq!(ids.len(), 1, "one successor: {ids:?}");
        let new = *ids.iter().next().unwrap();
        assert_ne!(new, old);
        let current = sessions.load(&new).await.unwrap().unwrap();
        assert!(!current.data.contains_key(READ_ONLY));
        assert_eq!(
            sessions.load(&old).await.unwrap().unwrap().data[READ_ONLY],
            true
        );
        let listed = sessions.sessions_of("u", None).await.unwrap();
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0].key, SessionKey::of(&new).to_string());
    }

    #[tokio::test]
    async fn a_request_that_loaded_the_old_record_is_given_the_live_successor() {
        let sessions = hashed(MemoryStore::default());
        let old = create(&sessions, record("u")).await;
        let first = rotate(&sessions, old, "u").await;
        let second = rotate(&sessions, first, "u").await;
        // A request that read `old` while it was live saves after both rotations.
        let late = create(&sessions, rotated(old, "u")).await;
        assert_eq!(late, second, "the live end of the family");
        assert_eq!(sessions.sessions_of("u", None).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_retired_marker_without_a_sealed_successor_hands_out_no_session() {
        let inner = MemoryStore::default();
        let sessions = hashed(inner.clone());
        let old = create(&sessions, record("u")).await;
        let new = rotate(&sessions, old, "u").await;
        // A marker written before successors were sealed (or damaged).
        let key = SessionKey::of(&old).as_storage_id();
        let mut marker = inner.load(&key).await.unwrap().unwrap();
        marker.data.get_mut(MARKER).unwrap()["sealed_successor"] = serde_json::Value::Null;
        inner.save(&marker).await.unwrap();
        let late = create(&sessions, rotated(old, "u")).await;
        assert_ne!(late, new);
        assert!(sessions.load(&late).await.unwrap().is_none());
        assert!(
            sessions.load(&new).await.unwrap().is_some(),
            "the session goes on"
        );
    }

    #[tokio::test]
    async fn ending_any_id_of_a_family_ends_every_id_of_it() {
        let sessions = hashed(MemoryStore::default());
        for end_at in 0..3 {
            let first = create(&sessions, record("u")).await;
            let second = rotate(&sessions, first, "u").await;
            let third = rotate(&sessions, second, "u").await;
            let family = [first, second, third];
            sessions.delete(&family[end_at]).await.unwrap();
            for (n, id) in family.iter().enumerate() {
                // Not even read-only in the grace period: the session is over.
                assert!(
                    sessions.load(id).await.unwrap().is_none(),
                    "ended at {end_at}: id {n} is still served"
                );
            }
            assert!(sessions.sessions_of("u", None).await.unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn signing_out_everywhere_and_theft_end_every_id_of_a_family() {
        let sessions = hashed(MemoryStore::default());
        let first = create(&sessions, record("u")).await;
        let second = rotate(&sessions, first, "u").await;
        let third = rotate(&sessions, second, "u").await;
        assert_eq!(sessions.end_all("u", None).await.unwrap(), 1);
        for id in [first, second, third] {
            assert!(sessions.load(&id).await.unwrap().is_none());
        }

        let first = create(&sessions, record("u")).await;
        let second = rotate(&sessions, first, "u").await;
        tokio::time::sleep(GRACE + Duration::from_millis(50)).await;
        let third = rotate(&sessions, second, "u").await;
        // `first` is used after its grace period: theft, and all three end.
        assert_eq!(
            sessions.load(&first).await.unwrap().unwrap().data[ENDED_AS_STOLEN],
            true
        );
        for (id, what) in [(second, "the middle id"), (third, "the live id")] {
            assert_ended(&sessions, &id, what).await;
        }
        let middle = sessions.read(SessionKey::of(&second)).await.unwrap();
        assert!(
            matches!(middle, Some(Stored::Tombstone { theft: true, .. })),
            "the retired id between is ended as stolen too"
        );
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
