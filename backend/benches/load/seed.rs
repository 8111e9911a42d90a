//! Filling session storage with sessions quickly: copies of a real login's record, each under a
//! fresh id and user id. Memory and Redis go through the site's sessions (what a login calls, many
//! at once, so that Redis's round trips overlap); SQLite, where that costs a transaction per write
//! (about 2,000 a second), gets the same rows written directly in large transactions. Either way a
//! sample is read back through the site's sessions (record and per-user index) to prove the rows
//! are what the app would have written.

use anyhow::{Context as _, ensure};
use backend::session::{ClientInfo, SessionKey, SessionUser, SiteSessions};
use serde_json::Value;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use std::collections::HashMap;
use tower_sessions::SessionStore as _;
use tower_sessions::session::{Id, Record};

/// Where seeded records go.
pub enum Target<'a> {
    /// Through [`SiteSessions`]'s `create`, as a login does, `in_flight` at once.
    SiteSessions { in_flight: usize },
    /// Straight into the SQLite tables the session storage and its index use.
    Sqlite(&'a SqlitePool),
}

/// A seeded session: its cookie id and user.
type Seeded = (Id, String);

/// Alive for the whole benchmark: the cleanup task must not delete them between levels.
fn expiry() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc() + time::Duration::hours(12)
}

/// `template`'s data for a new user; returns the data and the user id.
fn copy(template: &HashMap<String, Value>) -> (HashMap<String, Value>, String) {
    let mut data = template.clone();
    let user_id = uuid::Uuid::new_v4().to_string();
    if let Some(id) = data
        .get_mut("user")
        .and_then(|user| user.get_mut("user"))
        .and_then(|user| user.get_mut("id"))
    {
        *id = user_id.clone().into();
    }
    (data, user_id)
}

/// Adds `count` sessions like `template` to `target`, then checks a few through `sessions`.
pub async fn seed(
    target: Target<'_>,
    sessions: &SiteSessions,
    template: &Record,
    count: usize,
) -> anyhow::Result<()> {
    let sample = match target {
        Target::SiteSessions { in_flight } => {
            through_site_sessions(sessions, template, count, in_flight).await?
        }
        Target::Sqlite(pool) => sqlite(pool, template, count).await?,
    };
    for (id, user_id) in sample {
        let record = sessions
            .load(&id)
            .await?
            .context("a seeded session loads")?;
        let loaded = record.data["user"]["user"]["id"]
            .as_str()
            .unwrap_or_default();
        ensure!(loaded == user_id, "a seeded session has its user");
        let listed = sessions.sessions_of(&user_id, None).await?;
        ensure!(
            listed.len() == 1,
            "a seeded session is in the per-user index"
        );
    }
    Ok(())
}

async fn through_site_sessions(
    sessions: &SiteSessions,
    template: &Record,
    count: usize,
    tasks_n: usize,
) -> anyhow::Result<Vec<Seeded>> {
    let expiry = expiry();
    let mut tasks = Vec::new();
    for task in 0..tasks_n {
        let n = count / tasks_n + usize::from(task < count % tasks_n);
        let (sessions, template) = (sessions.clone(), template.data.clone());
        tasks.push(tokio::spawn(async move {
            let mut last = None;
            for _ in 0..n {
                let (data, user_id) = copy(&template);
                let mut record = Record {
                    id: Id::default(),
                    data,
                    expiry_date: expiry,
                };
                sessions.create(&mut record).await?;
                last = Some((record.id, user_id));
            }
            anyhow::Ok(last)
        }));
    }
    let mut sample = Vec::new();
    for task in tasks {
        sample.extend(task.await??);
    }
    Ok(sample.into_iter().take(3).collect())
}

/// The rows `HashedSessions` over `tower_sessions_sqlx_store::SqliteStore` writes for a new
/// session: the record under the hash of its id (MessagePack, as the sqlx store encodes it) in
/// `tower_sessions`, and its entry in `session_index`.
async fn sqlite(pool: &SqlitePool, template: &Record, count: usize) -> anyhow::Result<Vec<Seeded>> {
    const BATCH: usize = 500;
    let expiry = expiry();
    let expires_at_ms = i64::try_from(expiry.unix_timestamp_nanos() / 1_000_000)?;
    let mut sample = Vec::new();
    let mut left = count;
    while left > 0 {
        let n = left.min(100 * BATCH);
        left -= n;
        let mut tx = pool.begin().await?;
        // Random keys land all over both B-trees: keep them in cache (256 MiB) while seeding.
        sqlx::query("PRAGMA cache_size = -262144")
            .execute(&mut *tx)
            .await?;
        let mut batch_left = n;
        while batch_left > 0 {
            let b = batch_left.min(BATCH);
            batch_left -= b;
            let mut records = Vec::with_capacity(b);
            let mut entries = Vec::with_capacity(b);
            for _ in 0..b {
                let id = Id::default();
                let key = SessionKey::of(&id);
                let (data, user_id) = copy(&template.data);
                let user: SessionUser = serde_json::from_value(data["user"].clone())
                    .context("the template is a logged-in session")?;
                let client: ClientInfo = data
                    .get("client")
                    .and_then(|c| serde_json::from_value(c.clone()).ok())
                    .unwrap_or_default();
                let stored = Record {
                    id: key.as_storage_id(),
                    data,
                    expiry_date: expiry,
                };
                records.push((stored.id.to_string(), rmp_serde::to_vec(&stored)?));
                entries.push((key.to_string(), user, client));
                if sample.len() < 3 {
                    sample.push((id, user_id));
                }
            }
            let mut insert: QueryBuilder<Sqlite> =
                QueryBuilder::new("INSERT INTO tower_sessions (id, data, expiry_date) ");
            insert.push_values(records, |mut row, (id, blob)| {
                row.push_bind(id).push_bind(blob).push_bind(expiry);
            });
            insert.build().execute(&mut *tx).await?;
            let mut index: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO session_index \
                 (key, user_id, created_at, last_seen_at, user_agent, ip, expires_at) ",
            );
            index.push_values(entries, |mut row, (key, user, client)| {
                row.push_bind(key)
                    .push_bind(user.user.id)
                    .push_bind(user.login_at_ms)
                    .push_bind(user.last_seen_ms)
                    .push_bind(client.user_agent)
                    .push_bind(client.ip)
                    .push_bind(expires_at_ms);
            });
            index.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    Ok(sample)
}
