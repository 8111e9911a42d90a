//! A site's own data (carts and products for the Store, posts for the Forums, the site's secret
//! keys): repositories over
//! SQLite or PostgreSQL through sqlx, migrations in `backend/migrations/app/{sqlite,postgres}`.
//! Handlers call these and know no SQL.

mod carts;
mod posts;
mod secrets;

pub use carts::{CartError, Carts, Product};
pub use posts::{PostError, Posts};
pub use secrets::{SecretKey, Secrets};

use crate::db::Db;
use anyhow::Context as _;
use sqlx::migrate::Migrator;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/app/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/app/postgres");

/// A site's data.
#[derive(Clone, Debug)]
pub struct Data {
    /// Products and carts.
    pub carts: Carts,
    /// Forum posts.
    pub posts: Posts,
    /// The site's secret keys.
    pub secrets: Secrets,
    db: Db,
}

impl Data {
    /// Opens the site's database and runs the migrations. `schema` is where the site's tables
    /// live in a PostgreSQL database (its label, e.g. `store`); SQLite ignores it.
    pub async fn connect(url: &str, schema: &str) -> anyhow::Result<Self> {
        let db = Db::open(url, schema).await?;
        db.migrate(&SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS)
            .await
            .context("cannot migrate the site database")?;
        Ok(Self {
            carts: Carts::load(db.clone())
                .await
                .context("cannot read the catalog")?,
            posts: Posts::new(db.clone()),
            secrets: Secrets::new(db.clone()),
            db,
        })
    }

    /// Closes the database, after the site's last request.
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// The database, shared with the SQLite session storage that lives in it.
    pub fn db(&self) -> &Db {
        &self.db
    }
}
