//! Forum posts.

use crate::db::{Db, with_pool};
use shared::model::Post;
use sqlx::FromRow;

/// Longest title, in characters.
pub const MAX_TITLE: usize = 120;
/// Longest body, in characters.
pub const MAX_BODY: usize = 5_000;

/// Why a post was refused.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// Title blank or too long.
    #[error("the title must be 1 to {MAX_TITLE} characters")]
    BadTitle,
    /// Body blank or too long.
    #[error("the text must be 1 to {MAX_BODY} characters")]
    BadBody,
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The posts repository.
#[derive(Clone, Debug)]
pub struct Posts {
    db: Db,
}

impl Posts {
    pub(super) fn new(db: Db) -> Self {
        Self { db }
    }

    /// The newest `limit` posts, newest first.
    pub async fn latest(&self, limit: i64) -> Result<Vec<Post>, sqlx::Error> {
        #[derive(FromRow)]
        struct Row {
            id: i64,
            author_name: String,
            title: String,
            body: String,
            created_at: i64,
        }
        let rows: Vec<Row> = with_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT id, author_name, title, body, created_at FROM posts ORDER BY created_at DESC, id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| Post {
                id: r.id,
                author: r.author_name,
                title: r.title,
                body: r.body,
                created_at: rfc3339(r.created_at),
            })
            .collect())
    }

    /// Writes a post; returns its id.
    pub async fn create(
        &self,
        author_id: &str,
        author_name: &str,
        title: &str,
        body: &str,
    ) -> Result<i64, PostError> {
        let (title, body) = (title.trim(), body.trim());
        if title.is_empty() || title.chars().count() > MAX_TITLE {
            return Err(PostError::BadTitle);
        }
        if body.is_empty() || body.chars().count() > MAX_BODY {
            return Err(PostError::BadBody);
        }
        let id: i64 = with_pool!(&self.db, |pool| {
            sqlx::query_scalar(
                "INSERT INTO posts (author_id, author_name, title, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(author_id)
            .bind(author_name)
            .bind(title)
            .bind(body)
            .bind(crate::clock::now_ms())
            .fetch_one(pool)
            .await
        })?;
        Ok(id)
    }
}

fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
