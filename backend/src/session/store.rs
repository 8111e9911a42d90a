//! The plain stores tower-sessions ships, chosen per site: memory, a SQLite table or Redis. They
//! only ever see what [`super::SecureStore`] gives them (hashed keys, tombstones, retired
//! markers).

use async_trait::async_trait;
use sha2::{Digest as _, Sha256};
use tower_sessions::MemoryStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion as _, SessionStore};
use tower_sessions_redis_store::RedisStore;
use tower_sessions_sqlx_store::SqliteStore;

/// Where a site keeps its sessions.
#[derive(Clone, Debug)]
pub enum Store {
    /// In process memory (tests; lost on restart).
    Memory(MemoryStore),
    /// A SQLite table (the default: a restart logs nobody out).
    Sqlite(SqliteStore),
    /// Redis, shared by the site's replicas.
    Redis(RedisSessions),
}

/// Redis under a site's prefix: the record of key `k` is kept at a hash of the prefix and `k`,
/// so sites sharing a server never read each other's sessions (a Store cookie shown to the
/// Forums finds nothing). Records expire by Redis's own TTL.
#[derive(Clone, Debug)]
pub struct RedisSessions {
    store: RedisStore<fred::prelude::Pool>,
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
        self.store.create(&mut stored).await?;
        if stored.id != wanted {
            // Taken: the store chose an id of its own, which no key leads to. Take that back
            // out, and say the key was taken the way the other stores do: by another id.
            self.store.delete(&stored.id).await?;
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let stored = Record {
            id: self.id(&record.id),
            ..record.clone()
        };
        self.store.save(&stored).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        Ok(self
            .store
            .load(&self.id(id))
            .await?
            .map(|record| Record { id: *id, ..record }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store.delete(&self.id(id)).await
    }
}

impl Store {
    /// A SQLite store in `pool`, its table created if missing.
    pub async fn sqlite(pool: sqlx::SqlitePool) -> anyhow::Result<Self> {
        let store = SqliteStore::new(pool);
        store.migrate().await?;
        Ok(Self::Sqlite(store))
    }

    /// Sessions in Redis under `redis`'s prefix.
    pub fn redis(redis: &crate::redis::Redis) -> Self {
        Self::Redis(RedisSessions {
            store: RedisStore::new(redis.pool().clone()),
            prefix: redis.prefix().to_owned(),
        })
    }

    /// Deletes expired sessions (a no-op for memory, which hides them on load, and Redis,
    /// which expires them itself).
    pub async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Memory(_) | Self::Redis(_) => Ok(()),
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
            Self::Redis(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Memory(store) => store.save(record).await,
            Self::Sqlite(store) => store.save(record).await,
            Self::Redis(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Memory(store) => store.load(id).await,
            Self::Sqlite(store) => store.load(id).await,
            Self::Redis(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Memory(store) => store.delete(id).await,
            Self::Sqlite(store) => store.delete(id).await,
            Self::Redis(store) => store.delete(id).await,
        }
    }
}
