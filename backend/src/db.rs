//! The database behind every repository here: SQLite (the default, one file per part) or
//! PostgreSQL (one database for every part, each part in its own schema).
//!
//! Repositories write each query once, with `$1, $2…` placeholders (which sqlx gives the same
//! meaning on both), and run it with [`with_pool!`] on whichever pool is open.

use anyhow::Context as _;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr as _;
use std::time::Duration;

/// How long a request waits for a PostgreSQL connection before giving up: an outage turns into
/// a quick "unavailable" answer, not a 30-second hang.
pub const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// An open database.
#[derive(Clone, Debug)]
pub enum Db {
    /// A SQLite file (or an in-memory database).
    Sqlite(SqlitePool),
    /// A schema of a PostgreSQL database.
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the open pool of `$db` (a `&Db`): the body is written once
/// and compiled for each database.
///
/// ```ignore
/// let names: Vec<String> = with_pool!(&self.db, |pool| {
///     sqlx::query_scalar("SELECT name FROM products WHERE price_cents < $1")
///         .bind(1000_i64)
///         .fetch_all(pool)
///         .await
/// })?;
/// ```
macro_rules! with_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// True for a PostgreSQL URL (`postgres://…` or `postgresql://…`).
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

impl Db {
    /// Opens the database at `url`: a SQLite URL (`sqlite://data/store.db`, `sqlite::memory:`),
    /// created if missing; or a PostgreSQL URL, where this part's tables live in `schema`
    /// (created if missing), so each part has its own tables and migration history.
    pub async fn open(url: &str, schema: &str) -> anyhow::Result<Self> {
        if is_postgres(url) {
            open_postgres(url, schema).await.map(Self::Postgres)
        } else {
            open_sqlite(url).await.map(Self::Sqlite)
        }
    }

    /// Closes the pool: waits for the connections in use to be given back and closes them all,
    /// so nothing written stays in a connection (SQLite checkpoints its log on the last close).
    pub async fn close(&self) {
        with_pool!(self, |pool| pool.close().await);
    }

    /// The SQLite pool, if this is SQLite.
    pub fn as_sqlite(&self) -> Option<&SqlitePool> {
        match self {
            Self::Sqlite(pool) => Some(pool),
            Self::Postgres(_) => None,
        }
    }

    /// Runs the migrations written for this database.
    pub async fn migrate(
        &self,
        sqlite: &Migrator,
        postgres: &Migrator,
    ) -> Result<(), MigrateError> {
        match self {
            Self::Sqlite(pool) => sqlite.run(pool).await,
            Self::Postgres(pool) => postgres.run(pool).await,
        }
    }
}

/// True when `error` says the database cannot be reached right now (no connection within the
/// acquire timeout, a connection lost, the server shutting down), as opposed to a query the
/// database refused (a constraint, bad SQL): the first is worth a "try again later".
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL's class 08 (connection exception), 57P01-03 (shutting down, starting up)
        // and 53300 (too many connections). SQLite's codes are plain numbers, none of these.
        sqlx::Error::Database(error) => error.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

/// Opens (creating if needed) a SQLite database: WAL, foreign keys on, a busy timeout; an
/// in-memory database kept in its one connection.
async fn open_sqlite(url: &str) -> anyhow::Result<SqlitePool> {
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
    // A SQLite connection is a file handle in this process: it cannot go stale the way a
    // network one can, and checking it before each use would cost a round trip to its worker
    // thread (as much as the query itself).
    .test_before_acquire(false)
    .connect_with(options)
    .await
    .with_context(|| format!("cannot open the database {url:?}"))?;
    Ok(pool)
}

/// Opens a pool on `schema` of the PostgreSQL database at `url`, creating the schema if
/// missing. Every connection starts with `search_path` set to the schema, so unqualified names
/// (the migrations' tables, sqlx's `_sqlx_migrations`) are the schema's own.
async fn open_postgres(url: &str, schema: &str) -> anyhow::Result<PgPool> {
    anyhow::ensure!(
        schema.starts_with(|c: char| c.is_ascii_lowercase())
            && schema
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        "invalid schema name {schema:?}"
    );
    let options = PgConnectOptions::from_str(url)
        .context("invalid PostgreSQL URL")?
        .options([("search_path", schema)]);
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
        // A connection that died while idle (server restarted, network cut) is found out and
        // replaced before use, so the pool recovers by itself once the server is back.
        .test_before_acquire(true)
        .connect_with(options)
        .await
        .with_context(|| format!("cannot connect to PostgreSQL ({})", redacted(url)))?;
    // Looked up first: a role without CREATE on the database can use a schema made for it.
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
            .bind(schema)
            .fetch_one(&pool)
            .await
            .context("cannot look up the schema")?;
    if !exists {
        sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
            .execute(&pool)
            .await
            .with_context(|| format!("cannot create the schema {schema:?}"))?;
    }
    Ok(pool)
}

/// `url` without its password, for error messages.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "an unparsable URL".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_are_told_from_sqlite_ones() {
        assert!(is_postgres("postgres://u:p@localhost/app"));
        assert!(is_postgres("postgresql://localhost/app"));
        assert!(!is_postgres("sqlite://data/store.db"));
        assert!(!is_postgres("sqlite::memory:"));
    }

    #[test]
    fn only_connection_failures_count_as_unavailable() {
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused
        ))));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&sqlx::Error::ColumnNotFound("x".into())));
    }

    #[test]
    fn passwords_stay_out_of_messages() {
        let shown = redacted("postgres://app:secret@db.example:5432/app");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("db.example"), "{shown}");
    }

    #[tokio::test]
    async fn schema_names_are_plain_identifiers() {
        let error = Db::open("postgres://localhost/app", "store\"; DROP")
            .await
            .unwrap_err();
        assert!(error.to_string().contains("invalid schema name"), "{error}");
    }
}
