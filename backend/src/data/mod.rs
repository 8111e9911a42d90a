//! A site's own data (carts and products for the Store, posts for the Forums): repositories over
//! SQLite through sqlx, migrations in `backend/migrations/app`. Handlers call these and know no SQL.

mod carts;
mod posts;

pub use carts::{CartError, Carts, Product};
pub use posts::{PostError, Posts};

use anyhow::Context as _;
use sqlx::SqlitePool;

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
        let pool = crate::sqlite::open(url).await?;
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
