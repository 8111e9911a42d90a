//! The per-user index of live sessions: which sessions a user has, from where, last seen when.
//! It lets a user list their sessions and sign out everywhere. Kept by [`super::HashedSessions`]
//! on every write, so it follows logins, touches, rotations, logouts and expiry.

use super::key::SessionKey;
use crate::clock::now_ms;
use crate::redis::Redis;
use fred::prelude::{HashesInterface as _, LuaInterface as _};
use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tower_sessions::session_store;

/// One of a user's sessions, as the sessions page lists it (and its JSON shows it).
pub use shared::model::SessionEntry as SessionInfo;

/// An index row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Entry {
    pub user_id: String,
    pub created_at_ms: i64,
    pub last_seen_at_ms: i64,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// When the session expires unless extended, epoch ms.
    pub expires_at_ms: i64,
}

/// Where the index is kept: next to the sessions.
#[derive(Clone, Debug)]
pub enum SessionIndex {
    /// In process memory, with [`super::SessionStorage::Memory`].
    Memory(MemoryIndex),
    /// The `session_index` table of the site's database (`backend/migrations/app`).
    Sqlite(SqlitePool),
    /// A Redis hash per user (`<prefix>user:<id>`: session key → entry as JSON), which
    /// expires when the last of its sessions would.
    Redis(Redis),
}

/// Sets one entry of a user's hash and extends the hash's life to the entry's expiry if that
/// is later. KEYS: the hash; ARGV: field, entry, its expiry and now (epoch ms).
const UPSERT: &str = "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) \
    local left = redis.call('PTTL', KEYS[1]) \
    local wanted = tonumber(ARGV[3]) - tonumber(ARGV[4]) \
    if left < wanted then redis.call('PEXPIRE', KEYS[1], math.max(wanted, 1)) end \
    return 0";

/// The in-memory index's map.
#[derive(Clone, Debug, Default)]
pub struct MemoryIndex(Arc<Mutex<HashMap<SessionKey, Entry>>>);

impl SessionIndex {
    /// An empty in-memory index.
    pub fn memory() -> Self {
        Self::Memory(MemoryIndex::default())
    }

    pub(super) async fn upsert(&self, key: SessionKey, entry: Entry) -> session_store::Result<()> {
        match self {
            Self::Memory(map) => {
                lock(&map.0).insert(key, entry);
                Ok(())
            }
            Self::Sqlite(pool) => {
                sqlx::query(
                    "INSERT INTO session_index \
                     (key, user_id, created_at, last_seen_at, user_agent, ip, expires_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?) \
                     ON CONFLICT (key) DO UPDATE SET user_id = excluded.user_id, \
                     created_at = excluded.created_at, last_seen_at = excluded.last_seen_at, \
                     user_agent = excluded.user_agent, ip = excluded.ip, \
                     expires_at = excluded.expires_at",
                )
                .bind(key.to_string())
                .bind(&entry.user_id)
                .bind(entry.created_at_ms)
                .bind(entry.last_seen_at_ms)
                .bind(&entry.user_agent)
                .bind(&entry.ip)
                .bind(entry.expires_at_ms)
                .execute(pool)
                .await
                .map_err(backend)?;
                Ok(())
            }
            Self::Redis(redis) => {
                let json = serde_json::to_string(&entry)
                    .map_err(|e| session_store::Error::Encode(e.to_string()))?;
                let args: Vec<String> = vec![
                    key.to_string(),
                    json,
                    entry.expires_at_ms.to_string(),
                    now_ms().to_string(),
                ];
                let _: i64 = redis
                    .pool()
                    .eval(UPSERT, vec![user_key(redis, &entry.user_id)], args)
                    .await
                    .map_err(unavailable)?;
                Ok(())
            }
        }
    }

    /// Forgets `key`, a session of `user_id`'s.
    pub(super) async fn remove(&self, key: SessionKey, user_id: &str) -> session_store::Result<()> {
        match self {
            Self::Memory(map) => {
                lock(&map.0).remove(&key);
                Ok(())
            }
            Self::Sqlite(pool) => {
                sqlx::query("DELETE FROM session_index WHERE key = ?")
                    .bind(key.to_string())
                    .execute(pool)
                    .await
                    .map_err(backend)?;
                Ok(())
            }
            Self::Redis(redis) => {
                let _: i64 = redis
                    .pool()
                    .hdel(user_key(redis, user_id), key.to_string())
                    .await
                    .map_err(unavailable)?;
                Ok(())
            }
        }
    }

    /// The user's unexpired sessions, most recently seen first.
    pub(super) async fn of_user(
        &self,
        user_id: &str,
        now_ms: i64,
    ) -> session_store::Result<Vec<(SessionKey, Entry)>> {
        let mut rows: Vec<(SessionKey, Entry)> = match self {
            Self::Memory(map) => lock(&map.0)
                .iter()
                .filter(|(_, e)| e.user_id == user_id && e.expires_at_ms > now_ms)
                .map(|(k, e)| (*k, e.clone()))
                .collect(),
            Self::Sqlite(pool) => {
                type Row = (
                    String,
                    String,
                    i64,
                    i64,
                    Option<String>,
                    Option<String>,
                    i64,
                );
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT key, user_id, created_at, last_seen_at, user_agent, ip, expires_at \
                     FROM session_index WHERE user_id = ? AND expires_at > ?",
                )
                .bind(user_id)
                .bind(now_ms)
                .fetch_all(pool)
                .await
                .map_err(backend)?;
                rows.into_iter()
                    .filter_map(|(key, user_id, created, seen, user_agent, ip, expires)| {
                        let entry = Entry {
                            user_id,
                            created_at_ms: created,
                            last_seen_at_ms: seen,
                            user_agent,
                            ip,
                            expires_at_ms: expires,
                        };
                        Some((key.parse().ok()?, entry))
                    })
                    .collect()
            }
            Self::Redis(redis) => {
                let hash = user_key(redis, user_id);
                let fields: HashMap<String, String> =
                    redis.pool().hgetall(&hash).await.map_err(unavailable)?;
                let mut live = Vec::with_capacity(fields.len());
                let mut expired = Vec::new();
                for (key, json) in fields {
                    let parsed = key.parse::<SessionKey>().ok().zip(
                        serde_json::from_str::<Entry>(&json)
                            .ok()
                            .filter(|e| e.user_id == user_id),
                    );
                    match parsed {
                        Some((key, entry)) if entry.expires_at_ms > now_ms => {
                            live.push((key, entry));
                        }
                        // Expired, or unreadable (written by another version): dropped here,
                        // since Redis expires the hash only as a whole.
                        _ => expired.push(key),
                    }
                }
                if !expired.is_empty() {
                    let _: i64 = redis
                        .pool()
                        .hdel(&hash, expired)
                        .await
                        .map_err(unavailable)?;
                }
                live
            }
        };
        rows.sort_by_key(|(_, e)| std::cmp::Reverse(e.last_seen_at_ms));
        Ok(rows)
    }

    /// Forgets expired sessions (Redis: when their user's sessions are next listed).
    pub(super) async fn delete_expired(&self, now_ms: i64) -> session_store::Result<()> {
        match self {
            Self::Redis(_) => Ok(()),
            Self::Memory(map) => {
                lock(&map.0).retain(|_, e| e.expires_at_ms > now_ms);
                Ok(())
            }
            Self::Sqlite(pool) => {
                sqlx::query("DELETE FROM session_index WHERE expires_at <= ?")
                    .bind(now_ms)
                    .execute(pool)
                    .await
                    .map_err(backend)?;
                Ok(())
            }
        }
    }
}

fn lock<T>(map: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The map holds plain data: a panic elsewhere cannot leave it half-updated.
    map.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The Redis hash of `user_id`'s sessions.
fn user_key(redis: &Redis, user_id: &str) -> String {
    redis.key(&format!("user:{user_id}"))
}

fn unavailable(error: fred::error::Error) -> session_store::Error {
    session_store::Error::Backend(format!("session index in Redis: {error}"))
}

fn backend(error: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(format!("session index: {error}"))
}
