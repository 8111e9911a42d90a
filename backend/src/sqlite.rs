//! Opening a SQLite database the way every store here wants it: created if missing, WAL,
//! foreign keys on, a busy timeout; an in-memory database kept in its one connection.

use anyhow::Context as _;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr as _;
use std::time::Duration;

/// Opens (creating if needed) the database at `url`, e.g. `sqlite://data/store.db` or
/// `sqlite::memory:`.
pub async fn open(url: &str) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| format!("invalid database URL {url:?}"))?
        .create_if_missing(true)
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5));
    // An in-memory database lives in one connection: keep exactly that one forever.
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
