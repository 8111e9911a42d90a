//! The per-user index of live sessions: which sessions a user has, from where, last seen when.
//! It lets a user list their sessions and sign out everywhere. Kept by [`super::SecureStore`]
//! on every write, so it follows logins, touches, rotations, logouts and expiry.

use super::key::SessionKey;
use sqlx::SqlitePool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tower_sessions::session_store;

/// One of a user's sessions, as the sessions page lists it (and its JSON shows it).
pub use shared::model::SessionEntry as SessionInfo;

/// An index row.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// In process memory, with [`super::Store::Memory`].
    Memory(MemoryIndex),
    /// The `session_index` table of the site's database (`backend/migrations/app`).
    Sqlite(SqlitePool),
}

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
        }
    }

    pub(super) async fn remove(&self, key: SessionKey) -> session_store::Result<()> {
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
        };
        rows.sort_by_key(|(_, e)| std::cmp::Reverse(e.last_seen_at_ms));
        Ok(rows)
    }

    /// Forgets expired sessions.
    pub(super) async fn delete_expired(&self, now_ms: i64) -> session_store::Result<()> {
        match self {
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

fn backend(error: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(format!("session index: {error}"))
}
