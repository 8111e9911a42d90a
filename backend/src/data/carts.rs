//! Products and carts.

use crate::cache::ReadCache;
use crate::db::{Db, with_pool};
use shared::model::CartItem;
use sqlx::FromRow;
use std::sync::Arc;

/// Most of one product a cart holds.
pub const MAX_QUANTITY: u32 = 99;

/// How many users' cart lines are kept in memory with SQLite (the ones in use).
const CACHED_CARTS: usize = 10_000;

/// Why a cart change was refused.
#[derive(Debug, thiserror::Error)]
pub enum CartError {
    /// No such product.
    #[error("unknown product {0:?}")]
    UnknownProduct(String),
    /// Quantity outside 1..=99.
    #[error("quantity must be between 1 and {MAX_QUANTITY}")]
    BadQuantity,
    /// The cart already holds [`MAX_QUANTITY`] of the product: nothing was added.
    #[error("the cart already holds {MAX_QUANTITY} of {0}, the most it takes")]
    Full(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A product of the catalog.
#[derive(Clone, Debug, FromRow, PartialEq, Eq)]
pub struct Product {
    /// Code.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Unit price in cents.
    pub price_cents: i64,
}

/// The carts repository.
#[derive(Clone, Debug)]
pub struct Carts {
    db: Db,
    /// The catalog, by name: the migrations write it and the app never does, so it is read
    /// once, when the database is opened, and the cart page costs one query, not two.
    catalog: Arc<[Product]>,
    /// Each user's cart lines, with SQLite, whose file is this process's alone (see
    /// [`ReadCache`]); with PostgreSQL, other replicas change carts too, so every read is a
    /// query.
    cache: Option<ReadCache<String, Arc<[CartItem]>>>,
}

impl Carts {
    /// The repository over `db`, its catalog read now.
    pub(super) async fn load(db: Db) -> Result<Self, sqlx::Error> {
        let catalog: Vec<Product> = with_pool!(&db, |pool| {
            sqlx::query_as("SELECT sku, name, price_cents FROM products ORDER BY name")
                .fetch_all(pool)
                .await
        })?;
        let cache = db.as_sqlite().map(|_| ReadCache::new(CACHED_CARTS));
        Ok(Self {
            db,
            catalog: catalog.into(),
            cache,
        })
    }

    /// The catalog, by name.
    pub fn products(&self) -> &[Product] {
        &self.catalog
    }

    /// The user's cart lines, oldest first.
    pub async fn items(&self, user_id: &str) -> Result<Vec<CartItem>, sqlx::Error> {
        let Some(cache) = &self.cache else {
            return self.query_items(user_id).await;
        };
        let user_id = user_id.to_owned();
        match cache.get(&user_id) {
            Ok(items) => Ok(items.to_vec()),
            Err(ticket) => {
                let items = self.query_items(&user_id).await?;
                cache.fill(user_id, items.as_slice().into(), ticket);
                Ok(items)
            }
        }
    }

    async fn query_items(&self, user_id: &str) -> Result<Vec<CartItem>, sqlx::Error> {
        #[derive(FromRow)]
        struct Row {
            sku: String,
            name: String,
            quantity: i64,
            price_cents: i64,
        }
        let rows: Vec<Row> = with_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT c.sku, p.name, c.quantity, p.price_cents FROM cart_items c JOIN products p ON p.sku = c.sku
                 WHERE c.user_id = $1 ORDER BY c.added_at, c.sku",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let quantity = u32::try_from(r.quantity).unwrap_or(0);
                let unit = u64::try_from(r.price_cents).unwrap_or(0);
                CartItem {
                    sku: r.sku,
                    name: r.name,
                    quantity,
                    unit_price_cents: unit,
                    line_total_cents: unit * u64::from(quantity),
                }
            })
            .collect())
    }

    /// Adds `quantity` of `sku` (capped at [`MAX_QUANTITY`] per product); [`CartError::Full`]
    /// when the cart already holds the most, so that nothing is added in silence.
    pub async fn add(&self, user_id: &str, sku: &str, quantity: u32) -> Result<(), CartError> {
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            return Err(CartError::BadQuantity);
        }
        if !self.catalog.iter().any(|product| product.sku == sku) {
            return Err(CartError::UnknownProduct(sku.to_owned()));
        }
        let (db, user, product) = (self.db.clone(), user_id.to_owned(), sku.to_owned());
        let write = async move {
            with_pool!(&db, |pool| {
                sqlx::query(
                    "INSERT INTO cart_items (user_id, sku, quantity, added_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (user_id, sku) DO UPDATE SET quantity =
                        CASE WHEN cart_items.quantity + excluded.quantity > $5 THEN $5
                             ELSE cart_items.quantity + excluded.quantity END
                     WHERE cart_items.quantity < $5",
                )
                .bind(&user)
                .bind(&product)
                .bind(i64::from(quantity))
                .bind(crate::clock::now_ms())
                .bind(i64::from(MAX_QUANTITY))
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
            })
        };
        match self.write(user_id, write).await? {
            0 => Err(CartError::Full(sku.to_owned())),
            _ => Ok(()),
        }
    }

    /// Removes `sku` from the cart; false when it was not there.
    pub async fn remove(&self, user_id: &str, sku: &str) -> Result<bool, CartError> {
        let (db, user, sku) = (self.db.clone(), user_id.to_owned(), sku.to_owned());
        let write = async move {
            with_pool!(&db, |pool| {
                sqlx::query("DELETE FROM cart_items WHERE user_id = $1 AND sku = $2")
                    .bind(&user)
                    .bind(&sku)
                    .execute(pool)
                    .await
                    .map(|done| done.rows_affected())
            })
        };
        Ok(self.write(user_id, write).await? == 1)
    }

    /// Runs `write`, a change to `user_id`'s cart, through the cache when there is one (which
    /// then forgets the user's lines).
    async fn write<T: Send + 'static>(
        &self,
        user_id: &str,
        write: impl Future<Output = Result<T, sqlx::Error>> + Send + 'static,
    ) -> Result<T, sqlx::Error> {
        match &self.cache {
            Some(cache) => cache.write(user_id.to_owned(), write, |_| None).await,
            None => write.await,
        }
    }
}
