//! The plain stores tower-sessions ships, chosen per site: memory or a SQLite table. They only
//! ever see what [`super::SecureStore`] gives them (hashed keys, tombstones, retired markers).

use async_trait::async_trait;
use tower_sessions::MemoryStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion as _, SessionStore};
use tower_sessions_sqlx_store::SqliteStore;

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
