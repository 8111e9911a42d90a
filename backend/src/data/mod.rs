//! A site's own data (carts and products for the Store, posts for the Forums): repositories over
//! SQLite through sqlx, migrations in `backend/migrations/app`. Handlers call these and know no SQL.

mod carts;
mod posts;

pub use carts::{CartError, Carts, Product};
pub use posts::{PostError, Posts};

use anyhow::Context as _;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr as _;
use std::time::Duration;

/// Opens (creating if needed) a SQLite database and returns its pool. An in-memory database
/// lives in one connection, kept forever.
pub async fn open_sqlite(url: &str) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| format!("invalid database URL {url:?}"))?
        .create_if_missing(true)
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5));
    let pool = if url.contains(":memory:") || url.contains("mode=memory") {
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        SqlitePoolOptions::new().max_connections(8)
    }
    .connect_with(options)
    .await
    .with_context(|| format!("cannot open the database {url:?}"))?;
    Ok(pool)
}

/// A site's data.
#[derive(Clone, Debug)]
pub struct Data {
    /// Products and carts.
    pub carts: Carts,
    /// Forum posts.
    pub posts: Posts,
    pool: SqlitePool,
}

impl Data {
    /// Opens the site's database and runs the migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let pool = open_sqlite(url).await?;
        sqlx::migrate!("./migrations/app")
            .run(&pool)
            .await
            .context("cannot migrate the site database")?;
        Ok(Self {
            carts: Carts::new(pool.clone()),
            posts: Posts::new(pool.clone()),
            pool,
        })
    }

    /// The pool, shared with the SQLite session store.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// Now, in epoch milliseconds.
fn now_ms() -> i64 {
    crate::identity::now_ms()
}
