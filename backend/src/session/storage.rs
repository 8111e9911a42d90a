//! The plain stores tower-sessions ships, chosen per site: memory, a SQLite table or Redis. They
//! only ever see what [`super::HashedSessions`] gives them (hashed keys, tombstones, retired
//! markers).
//!
//! The SQLite table is read through a [`ReadCache`]: the table is this process's alone, every
//! write goes through the cache, and a page load then reads its session as fast as from
//! memory while every change is still on disk.

use crate::cache::ReadCache;
use async_trait::async_trait;
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use tower_sessions::MemoryStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion as _, SessionStore};
use tower_sessions_redis_store::RedisStore;
use tower_sessions_sqlx_store::SqliteStore;

/// Where a site keeps its sessions.
#[derive(Clone, Debug)]
pub enum SessionStorage {
    /// In process memory (tests; lost on restart).
    Memory(MemoryStore),
    /// A SQLite table (the default: a restart logs nobody out).
    Sqlite(SqliteSessions),
    /// Redis, shared by the site's replicas.
    Redis(RedisSessions),
}

/// Redis under a site's prefix: the record of key `k` is kept at a hash of the prefix and `k`,
/// so sites sharing a server never read each other's sessions (a Store cookie shown to the
/// Forums finds nothing). Records expire by Redis's own TTL.
#[derive(Clone, Debug)]
pub struct RedisSessions {
    inner: RedisStore<fred::prelude::Pool>,
    prefix: String,
}

impl RedisSessions {
    fn id(&self, id: &Id) -> Id {
        let digest = Sha256::new()
            .chain_update(self.prefix.as_bytes())
            .chain_update([0])
            .chain_update(id.0.to_le_bytes())
            .finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Id(i128::from_le_bytes(bytes))
    }

    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let wanted = self.id(&record.id);
        let mut stored = Record {
            id: wanted,
            ..record.clone()
        };
        self.inner.create(&mut stored).await?;
        if stored.id != wanted {
            // Taken: the Redis store chose an id of its own, which no key leads to. Take that back
            // out, and say the key was taken the way the other stores do: by another id.
            self.inner.delete(&stored.id).await?;
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let stored = Record {
            id: self.id(&record.id),
            ..record.clone()
        };
        self.inner.save(&stored).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        Ok(self
            .inner
            .load(&self.id(id))
            .await?
            .map(|record| Record { id: *id, ..record }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(&self.id(id)).await
    }
}

/// How many sessions the SQLite storage keeps in memory (about 4 kB each): the ones in use. The
/// others are read from the table when they come back.
const SQLITE_CACHED_SESSIONS: usize = 10_000;

/// The SQLite table, read through a cache of the sessions in use.
#[derive(Clone, Debug)]
pub struct SqliteSessions {
    inner: SqliteStore,
    cache: ReadCache<Id, Record>,
}

impl SqliteSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let inner = self.inner.clone();
        let mut created = record.clone();
        let wanted = record.id;
        let write = async move { inner.create(&mut created).await.map(|()| created) };
        // Cached under the id asked for only if the SQLite store kept it (a taken id gets another).
        let created = self
            .cache
            .write(wanted, write, move |result| {
                result.as_ref().ok().filter(|r| r.id == wanted).cloned()
            })
            .await?;
        record.id = created.id;
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let inner = self.inner.clone();
        let saved = record.clone();
        let write = async move { inner.save(&saved).await.map(|()| saved) };
        self.cache
            .write(record.id, write, |result| result.as_ref().ok().cloned())
            .await
            .map(drop)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let ticket = match self.cache.get(id) {
            Ok(record) if record.expiry_date > OffsetDateTime::now_utc() => {
                return Ok(Some(record));
            }
            Ok(_) => return Ok(None),
            Err(ticket) => ticket,
        };
        let record = self.inner.load(id).await?;
        if let Some(record) = &record {
            self.cache.fill(*id, record.clone(), ticket);
        }
        Ok(record)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let inner = self.inner.clone();
        let gone = *id;
        let write = async move { inner.delete(&gone).await };
        self.cache.write(*id, write, |_| None).await
    }
}

impl SessionStorage {
    /// SQLite session storage in `pool`, its table created if missing.
    pub async fn sqlite(pool: sqlx::SqlitePool) -> anyhow::Result<Self> {
        let inner = SqliteStore::new(pool);
        inner.migrate().await?;
        Ok(Self::Sqlite(SqliteSessions {
            inner,
            cache: ReadCache::new(SQLITE_CACHED_SESSIONS),
        }))
    }

    /// Sessions in Redis under `redis`'s prefix.
    pub fn redis(redis: &crate::redis::Redis) -> Self {
        Self::Redis(RedisSessions {
            inner: RedisStore::new(redis.pool().clone()),
            prefix: redis.prefix().to_owned(),
        })
    }

    /// Deletes expired sessions (a no-op for memory, which hides them on load, and Redis,
    /// which expires them itself).
    pub async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Memory(_) | Self::Redis(_) => Ok(()),
            // The cache serves no expired record: a hit is checked against its expiry.
            Self::Sqlite(sessions) => sessions.inner.delete_expired().await,
        }
    }
}

#[async_trait]
impl SessionStore for SessionStorage {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Memory(sessions) => sessions.create(record).await,
            Self::Sqlite(sessions) => sessions.create(record).await,
            Self::Redis(sessions) => sessions.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Memory(sessions) => sessions.save(record).await,
            Self::Sqlite(sessions) => sessions.save(record).await,
            Self::Redis(sessions) => sessions.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Memory(sessions) => sessions.load(id).await,
            Self::Sqlite(sessions) => sessions.load(id).await,
            Self::Redis(sessions) => sessions.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Memory(sessions) => sessions.delete(id).await,
            Self::Sqlite(sessions) => sessions.delete(id).await,
            Self::Redis(sessions) => sessions.delete(id).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::SqlitePoolOptions;

    async fn rows(pool: &sqlx::SqlitePool) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM tower_sessions")
            .fetch_one(pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn sqlite_sessions_are_written_to_the_table_and_read_from_memory() {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        let storage = SessionStorage::sqlite(pool.clone()).await.unwrap();
        let mut record = Record {
            id: Id::default(),
            data: [("user".to_owned(), "alice".into())].into(),
            expiry_date: OffsetDateTime::now_utc() + time::Duration::hours(1),
        };
        storage.create(&mut record).await.unwrap();
        assert_eq!(rows(&pool).await, 1, "a created session is in the table");

        // Served from memory: the row taken away behind the storage's back is not even read.
        sqlx::query("DELETE FROM tower_sessions")
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(
            storage.load(&record.id).await.unwrap(),
            Some(record.clone())
        );

        // A save goes to the table, and what it saved is what is read.
        record.data.insert("cart".to_owned(), 2.into());
        storage.save(&record).await.unwrap();
        assert_eq!(rows(&pool).await, 1, "the save reached the table");
        assert_eq!(
            storage.load(&record.id).await.unwrap(),
            Some(record.clone())
        );

        // A delete is seen at once.
        storage.delete(&record.id).await.unwrap();
        assert_eq!(rows(&pool).await, 0);
        assert_eq!(storage.load(&record.id).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_cached_sqlite_session_past_its_expiry_is_not_served() {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        let storage = SessionStorage::sqlite(pool).await.unwrap();
        let mut record = Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: OffsetDateTime::now_utc() + time::Duration::milliseconds(50),
        };
        storage.create(&mut record).await.unwrap();
        assert!(storage.load(&record.id).await.unwrap().is_some());
        tokio::time::sleep(std::time::Duration::from_millis(80)).await;
        assert_eq!(storage.load(&record.id).await.unwrap(), None);
    }
}
