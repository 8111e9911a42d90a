//! The Store, the Forums and the identity server on one PostgreSQL database (each in its own
//! schema): what they write survives a restart, migrations run once, and an outage of the
//! database is a quick 503 that heals by itself. (The identity server's API on PostgreSQL is
//! checked by `tests/identity.rs`, which runs every check on both databases.)
//!
//! Each test makes a database of its own on the server named by `TEST_POSTGRES_URL`.

#[path = "support/outage.rs"]
mod outage;
#[path = "support/postgres.rs"]
mod test_database;

use backend::data::Data;
use backend::fusionauth::FusionAuthClient;
use backend::identity::{IdentityConfig, IdentityServer};
use backend::stack::{StackConfig, demo};
use backend::web::{SessionBackend, SiteConfig, WebServer};
use outage::Outage;
use reqwest::StatusCode;
use shared::model::{Cart, Posts};
use shared::paths::{common, forums, store};
use shared::site::Site;
use sqlx::PgPool;
use std::time::{Duration, Instant};
use test_database::TestDatabase;
use url::Url;

/// The most an answer may take while the database is down.
const OUTAGE_ANSWER_BOUND: Duration = Duration::from_secs(5);

/// A test database with the identity server on it, and the sites' configuration over it.
struct PgStack {
    identity: IdentityServer,
    fusionauth: FusionAuthClient,
    /// Dropped last: it ends whatever is still connected.
    database: TestDatabase,
}

impl PgStack {
    /// A fresh database, the demo identity server in its schema `identity`.
    async fn start() -> Self {
        let database = TestDatabase::create().await;
        let identity = IdentityServer::start(IdentityConfig {
            database_url: database.url().to_owned(),
            ..IdentityConfig::ephemeral()
        })
        .await
        .expect("the identity server starts on PostgreSQL");
        let fusionauth = demo::client(&identity, Duration::from_secs(5)).unwrap();
        Self {
            identity,
            fusionauth,
            database,
        }
    }

    /// The test stack's configuration of `site` on `database_url`, sessions in memory.
    fn site_config(&self, site: Site, database_url: &str) -> SiteConfig {
        let ephemeral = StackConfig::ephemeral();
        let mut config = match site {
            Site::Store => ephemeral.store,
            Site::Forums => ephemeral.forums,
        };
        config.database_url = database_url.to_owned();
        config.sessions = SessionBackend::Memory;
        config
    }

    /// Starts `site` on `database_url` (the test database, or a proxy in front of it).
    async fn start_site(&self, site: Site, database_url: &str) -> WebServer {
        WebServer::start(
            self.site_config(site, database_url),
            self.fusionauth.clone(),
        )
        .await
        .expect("the site starts on PostgreSQL")
    }

    /// A pool on the test database, to look at what the apps wrote.
    async fn inspect(&self) -> PgPool {
        PgPool::connect(self.database.url()).await.unwrap()
    }
}

/// A response, read whole.
#[derive(Debug)]
struct Page {
    status: StatusCode,
    body: String,
}

impl Page {
    /// The value of the first hidden `csrf_token` field.
    fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self.body.find(marker).expect("the page has a CSRF token") + marker.len();
        let end = self.body[start..].find('"').unwrap();
        self.body[start..start + end].to_owned()
    }
}

/// A browser for one site: a cookie jar, redirects left to the test.
struct Browser {
    http: reqwest::Client,
    base: Url,
}

impl Browser {
    fn new(site: &WebServer) -> Self {
        let base = site.url().clone();
        let http = reqwest::Client::builder()
            .tls_certs_only(Vec::new())
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .resolve(base.host_str().unwrap(), site.addr())
            .build()
            .unwrap();
        Self { http, base }
    }

    async fn read(request: reqwest::RequestBuilder) -> Page {
        let response = request.send().await.expect("the request is answered");
        Page {
            status: response.status(),
            body: response.text().await.unwrap(),
        }
    }

    async fn get(&self, path: &str) -> Page {
        Self::read(self.http.get(self.base.join(path).unwrap())).await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let page = Self::read(
            self.http
                .get(self.base.join(path).unwrap())
                .header("Accept", "application/json"),
        )
        .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        serde_json::from_str(&page.body).unwrap()
    }

    async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Self::read(self.http.post(self.base.join(path).unwrap()).form(fields)).await
    }

    /// Logs Alice in.
    async fn login_alice(&self) {
        let form = self.get(common::LOGIN).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let done = self
            .post_form(
                common::LOGIN,
                &[
                    ("loginId", "alice@example.com"),
                    ("password", "password"),
                    ("csrf_token", &form.csrf()),
                    ("next", ""),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    }

    /// Adds `quantity` of `sku` to the cart with the form of the cart page.
    async fn add_to_cart(&self, csrf: &str, sku: &str, quantity: &str) -> Page {
        self.post_form(
            store::CART_ADD,
            &[("csrf_token", csrf), ("sku", sku), ("quantity", quantity)],
        )
        .await
    }
}

/// Fetches `browser`'s cart and checks its lines, `(sku, quantity)` in order.
async fn assert_cart(browser: &Browser, expected: &[(&str, u32)], why: &str) {
    let cart: Cart = browser.get_json(store::CART).await;
    let lines: Vec<(&str, u32)> = cart
        .items
        .iter()
        .map(|item| (item.sku.as_str(), item.quantity))
        .collect();
    assert_eq!(lines, expected, "{why}");
}

#[tokio::test]
async fn a_cart_kept_in_postgres_is_there_after_the_store_restarts() {
    let pg = PgStack::start().await;
    let site = pg.start_site(Site::Store, pg.database.url()).await;
    let alice = Browser::new(&site);
    alice.login_alice().await;
    assert_cart(
        &alice,
        &[("TEA-001", 2), ("MUG-002", 1)],
        "the demo cart, seeded by the migration",
    )
    .await;
    let csrf = alice.get(store::CART).await.csrf();
    let added = alice.add_to_cart(&csrf, "KET-003", "2").await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let capped = alice.add_to_cart(&csrf, "KET-003", "98").await;
    assert_eq!(capped.status, StatusCode::SEE_OTHER, "{}", capped.body);
    site.stop().await.unwrap();

    let site = pg.start_site(Site::Store, pg.database.url()).await;
    let alice = Browser::new(&site);
    alice.login_alice().await;
    assert_cart(
        &alice,
        &[("TEA-001", 2), ("MUG-002", 1), ("KET-003", 99)],
        "kept across the restart, capped at 99",
    )
    .await;

    let db = pg.inspect().await;
    let in_schema: i64 = sqlx::query_scalar(
        "SELECT quantity FROM store.cart_items WHERE user_id = $1 AND sku = 'KET-003'",
    )
    .bind(demo::ALICE_ID.to_string())
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(in_schema, 99, "the Store's tables are in its schema");
    db.close().await;
}

#[tokio::test]
async fn posts_kept_in_postgres_are_there_after_the_forums_restart() {
    let pg = PgStack::start().await;
    let site = pg.start_site(Site::Forums, pg.database.url()).await;
    let alice = Browser::new(&site);
    alice.login_alice().await;
    let csrf = alice.get(forums::POSTS).await.csrf();
    let posted = alice
        .post_form(
            forums::POSTS,
            &[
                ("csrf_token", &csrf),
                ("title", "Kept in PostgreSQL"),
                ("body", "Still here after a restart?"),
            ],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    site.stop().await.unwrap();

    let site = pg.start_site(Site::Forums, pg.database.url()).await;
    let alice = Browser::new(&site);
    alice.login_alice().await;
    let posts: Posts = alice.get_json(forums::POSTS).await;
    let titles: Vec<&str> = posts.posts.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Kept in PostgreSQL",
            "Which kettle for green tea?",
            "Welcome to the forums"
        ],
        "newest first, the demo posts seeded once"
    );
    assert_eq!(posts.posts[0].author, "Alice Shopper");
    assert!(posts.posts[0].id > posts.posts[1].id);
}

#[tokio::test]
async fn migrations_run_again_change_nothing_and_each_part_has_its_own_schema() {
    let database = TestDatabase::create().await;
    for _ in 0..2 {
        Data::connect(database.url(), "store").await.unwrap();
        Data::connect(database.url(), "forums").await.unwrap();
        backend::identity::IdentityDb::connect(database.url())
            .await
            .unwrap();
    }
    let db = PgPool::connect(database.url()).await.unwrap();
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM store._sqlx_migrations").await,
        3
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM forums._sqlx_migrations").await,
        3
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM identity._sqlx_migrations").await,
        3
    );
    assert_eq!(count("SELECT COUNT(*) FROM store.products").await, 5);
    assert_eq!(count("SELECT COUNT(*) FROM forums.posts").await, 2);
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM information_schema.columns
             WHERE table_schema = 'store' AND table_name = 'session_index'"
        )
        .await,
        7,
        "the session index table is there for the session code"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'").await,
        0,
        "nothing lands in the public schema"
    );
    db.close().await;
}

#[tokio::test]
async fn sqlite_sessions_with_a_postgres_database_stop_the_start_with_a_clear_error() {
    let pg = PgStack::start().await;
    let mut config = pg.site_config(Site::Store, pg.database.url());
    config.sessions = SessionBackend::Sqlite;
    let error = WebServer::start(config, pg.fusionauth.clone())
        .await
        .unwrap_err();
    let message = format!("{error:#}");
    assert!(
        message.contains("--session-store redis://"),
        "says what to do instead: {message}"
    );
}

#[tokio::test]
async fn a_database_outage_is_a_quick_503_and_the_same_session_carries_on_once_it_is_back() {
    let pg = PgStack::start().await;
    let outage = Outage::start(pg.database.server_addr()).await;
    let site = pg
        .start_site(Site::Store, &pg.database.url_via(outage.addr()))
        .await;
    let alice = Browser::new(&site);
    alice.login_alice().await;
    let cart_page = alice.get(store::CART).await;
    assert_eq!(cart_page.status, StatusCode::OK);
    let csrf = cart_page.csrf();
    let added = alice.add_to_cart(&csrf, "KET-003", "1").await;
    assert_eq!(
        added.status,
        StatusCode::SEE_OTHER,
        "acknowledged before the cut"
    );

    outage.cut().await;
    let started = Instant::now();
    let page = alice.get(store::CART).await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.body
    );
    assert!(
        page.body.contains("temporarily unavailable") && page.body.contains("Store"),
        "the site's error page: {}",
        page.body
    );
    assert!(
        started.elapsed() < OUTAGE_ANSWER_BOUND,
        "answered in {:?}",
        started.elapsed()
    );
    let started = Instant::now();
    let refused = alice.add_to_cart(&csrf, "SCL-005", "1").await;
    assert_eq!(
        refused.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        refused.body
    );
    assert!(
        started.elapsed() < OUTAGE_ANSWER_BOUND,
        "answered in {:?}",
        started.elapsed()
    );

    outage.restore().await;
    let page = alice.get(store::CART).await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "the same session, without a restart: {}",
        page.body
    );
    assert_cart(
        &alice,
        &[("TEA-001", 2), ("MUG-002", 1), ("KET-003", 1)],
        "everything acknowledged before the cut, nothing of the refused add",
    )
    .await;
    let added = alice.add_to_cart(&csrf, "SCL-005", "1").await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "writes work again");
    site.stop().await.unwrap();
    pg.identity.stop().await.unwrap();
}
