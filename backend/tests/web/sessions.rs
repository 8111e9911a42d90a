//! Session lifecycle beyond the tests of docs/security.md's properties (`security.rs`): restarts,
//! the cleanup of expired sessions, https cookies, the logged-in home page.

use crate::app::{TestApp, read, session_records};
use crate::hashed_sessions::{is_live, records};
use backend::session::SessionPolicy;
use backend::stack::StackConfig;
use backend::web::SessionBackend;
use reqwest::StatusCode;
use std::time::Duration;

#[tokio::test]
async fn a_restart_logs_nobody_out_with_the_sqlite_session_store() {
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        let mut config = StackConfig::ephemeral();
        config.store.sessions = SessionBackend::Sqlite;
        config.store.database_url = format!("sqlite://{}", dir.path().join("store.db").display());
        config
    };
    let app = TestApp::spawn_with(config()).await;
    let browser = app.browser();
    browser
        .login(&app.store("/"), "alice@example.com", "password")
        .await;
    let id = browser.cookie(&app.store("/"), "store_session").unwrap();
    app.stack.stop().await.unwrap();

    let app = TestApp::spawn_with(config()).await;
    let cart = read(
        app.bare_client()
            .get(app.store("/shopping-cart"))
            .header("Cookie", format!("store_session={id}")),
    )
    .await;
    assert_eq!(cart.status, StatusCode::OK);
    assert!(cart.body.contains("Alice Shopper"));
}

#[tokio::test]
async fn the_home_page_greets_a_logged_in_user_and_offers_logout() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser
        .login(&app.forums("/"), "alice@example.com", "password")
        .await;
    let home = browser.get(&app.forums("/")).await;
    assert!(
        home.body
            .contains("Signed in as <strong>Alice Shopper</strong>")
    );
    assert!(home.body.contains("action=\"/logout\""));
    let logout = browser
        .post_form(&app.forums("/logout"), &[("csrf_token", &home.csrf())])
        .await;
    logout.assert_redirect_to("/");
    let after = browser.get(&app.forums("/")).await;
    assert!(!after.body.contains("Signed in"));
}

#[tokio::test]
async fn expired_sessions_are_deleted_from_the_store_by_the_cleanup_task() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let mut config = StackConfig::ephemeral().with_policy(SessionPolicy {
        idle_timeout: Duration::from_secs(1),
        absolute_timeout: Duration::from_secs(60),
        ..SessionPolicy::default()
    });
    config.store.sessions = SessionBackend::Sqlite;
    config.store.database_url = format!("sqlite://{}", db.display());
    let app = TestApp::spawn_with(config).await;
    app.browser()
        .login(&app.store("/"), "alice@example.com", "password")
        .await;
    let live = records(&db).await.into_iter().filter(is_live).count();
    assert_eq!(live, 1);
    // Expires after 1 s idle (and so do tombstones); the cleanup runs every second.
    tokio::time::sleep(Duration::from_millis(3_200)).await;
    assert!(
        session_records(&db).await.is_empty(),
        "the expired record was deleted"
    );
}

#[tokio::test]
async fn an_https_public_url_makes_every_session_cookie_secure_and_host_prefixed() {
    let mut config = StackConfig::ephemeral();
    config.store.public_url = Some("https://store.example".parse().unwrap());
    let app = TestApp::spawn_with(config).await;
    // TLS is a proxy's job: the app itself is reached over plain http on its own address.
    let base = format!("http://store.localhost:{}", app.stack.store.addr().port());
    let browser = app.browser_behind_tls();
    let login = browser
        .login(&format!("{base}/"), "alice@example.com", "password")
        .await;
    login.assert_redirect_to("/shopping-cart");
    assert!(
        login.cookie("store_session").is_none(),
        "over https the cookie is only ever __Host-store_session"
    );
    // `__Host-`: browsers take it only Secure, Path=/ and without Domain, so no sibling
    // subdomain or http page can plant one.
    let cookie = login.cookie("__Host-store_session").unwrap();
    assert_eq!(cookie.secure(), Some(true), "{cookie}");
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.path(), Some("/"), "{cookie}");
    assert_eq!(cookie.domain(), None, "{cookie}");
    let csrf = browser.get(&format!("{base}/shopping-cart")).await.csrf();
    // The unprefixed name is not a session cookie there: a planted one is ignored.
    let planted = read(
        app.bare_client()
            .get(format!("{base}/shopping-cart"))
            .header("Cookie", format!("store_session={}", cookie.value())),
    )
    .await;
    planted.assert_redirect_to("/login?next=/shopping-cart");
    // The removal cookie too (tower-sessions 0.14 sends it without Secure).
    let logout = read(
        app.bare_client()
            .post(format!("{base}/logout"))
            .header("Cookie", format!("__Host-store_session={}", cookie.value()))
            .form(&[("csrf_token", csrf)]),
    )
    .await;
    logout.assert_redirect_to("/");
    let removal = logout
        .cookie("__Host-store_session")
        .expect("logout clears the cookie");
    assert_eq!(removal.max_age(), Some(time::Duration::ZERO));
    assert_eq!(removal.secure(), Some(true), "{removal}");
    assert_eq!(removal.path(), Some("/"), "{removal}");
    assert_eq!(removal.domain(), None, "{removal}");
    // The Forums, still on http, keep the plain names.
    let forums = app
        .browser()
        .login(&app.forums("/"), "alice@example.com", "password")
        .await;
    assert!(forums.cookie("forums_session").is_some());
}
