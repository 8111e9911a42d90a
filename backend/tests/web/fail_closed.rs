//! Failing closed (docs/security.md), the session storage: when it fails, pages answer a 503
//! "temporarily unavailable" page — never an anonymous page in place of the user's session, never a
//! bare 500 — and they work again once the session storage is back.

use crate::app::{Page, TestApp};
use backend::stack::StackConfig;
use backend::web::SessionBackend;
use reqwest::StatusCode;
use sqlx::SqlitePool;
use std::path::Path;

const UNAVAILABLE: &str = "temporarily unavailable";

/// Renames every session table of the database at `db` (`from` suffix → `to` suffix), from a
/// connection of its own, under the running app.
async fn rename_session_tables(db: &Path, from: &str, to: &str) {
    let pool = SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%session%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let tables: Vec<String> = tables
        .into_iter()
        .map(|(name,)| name)
        .filter(|name| name.ends_with(from))
        .collect();
    assert!(!tables.is_empty(), "no session table ending in {from:?}");
    for table in tables {
        let renamed = format!("{}{to}", table.strip_suffix(from).unwrap());
        sqlx::query(&format!("ALTER TABLE \"{table}\" RENAME TO \"{renamed}\""))
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
}

#[track_caller]
fn assert_unavailable(page: &Page, what: &str) {
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{what}: {}",
        page.body
    );
    assert!(
        page.header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{what}: an HTML page, not a bare status"
    );
    assert!(page.body.contains(UNAVAILABLE), "{what}: {}", page.body);
    assert!(!page.body.contains("Log in to"), "{what}: no login form");
}

#[tokio::test]
async fn a_failed_session_storage_is_a_503_page_not_an_anonymous_fallback_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let mut config = StackConfig::ephemeral();
    config.store.sessions = SessionBackend::Sqlite;
    config.store.database_url = format!("sqlite://{}", db.display());
    let first = TestApp::spawn_with(config.clone()).await;
    let alice = first.browser();
    alice
        .login(&first.store("/"), "alice@example.com", "password")
        .await
        .assert_redirect_to("/shopping-cart");
    assert_eq!(
        alice.get(&first.store("/shopping-cart")).await.status,
        StatusCode::OK
    );
    // The app that meets the failure has Alice's session in its table, not in its memory: a
    // process keeps the SQLite sessions it serves in a read cache (every write of them goes
    // through it), so a table taken away from under the process that wrote it would go
    // unnoticed until the next write. Here, as after a restart, it is read from the table.
    let app = TestApp::spawn_with(config).await;

    rename_session_tables(&db, "", "_away").await;

    // Alice's session cannot be read: not the login redirect an anonymous visitor gets, not the
    // home page without her name — 503.
    let cart = alice.get(&app.store("/shopping-cart")).await;
    assert_unavailable(&cart, "the cart");
    let home = alice.get(&app.store("/")).await;
    assert_unavailable(&home, "the home page with a session cookie");
    assert!(
        cart.set_cookies().is_empty() && home.set_cookies().is_empty(),
        "the session cookie is neither replaced nor removed"
    );
    // A new visitor's login form needs no session (its CSRF token is a signed cookie's), so it
    // is still shown. The login itself needs one, and the session layer fails to save it after
    // the answer is made: the 503 page, not its bare 500, and no cookie for an unsaved session.
    let newcomer = app.browser();
    let form = newcomer.get(&app.store("/login")).await;
    assert_eq!(form.status, StatusCode::OK, "the login form: {}", form.body);
    assert!(
        form.cookie("store_session").is_none(),
        "no session for a form"
    );
    let login = newcomer
        .login(&app.store("/"), "alice@example.com", "password")
        .await;
    assert_unavailable(&login, "the login");
    assert!(
        login.cookie("store_session").is_none(),
        "no cookie for an unsaved session"
    );
    // A page that needs no session still works.
    assert_eq!(newcomer.get(&app.store("/")).await.status, StatusCode::OK);

    rename_session_tables(&db, "_away", "").await;

    let cart = alice.get(&app.store("/shopping-cart")).await;
    assert_eq!(cart.status, StatusCode::OK, "{}", cart.body);
    assert!(
        cart.body.contains("Alice Shopper"),
        "the same session, back"
    );
    newcomer
        .login(&app.store("/"), "alice@example.com", "password")
        .await
        .assert_redirect_to("/shopping-cart");
}
