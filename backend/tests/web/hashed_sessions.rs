//! The session storage beyond tower-sessions: keyed by a hash of the id (a dump holds no usable
//! cookie), tombstones that in-flight requests cannot undo, id rotation with a grace period and
//! theft detection, and the per-user index of sessions.

use crate::app::{Browser, Page, TestApp, read, session_records, sqlite_sessions};
use crate::logs::Logs;
use backend::session::{MARKER, SessionKey, SessionPolicy, THEFT_NOTICE};
use backend::stack::{StackConfig, demo};
use reqwest::StatusCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tower_sessions::session::{Id, Record};

const ALICE: &str = "alice@example.com";
const PASSWORD: &str = "password";
const CART: &str = "/shopping-cart";
const TO_LOGIN_FROM_CART: &str = "/login?next=/shopping-cart";

/// The Store's session records in the SQLite file `db`, decoded.
pub async fn records(db: &std::path::Path) -> Vec<Record> {
    session_records(db)
        .await
        .iter()
        .map(|(_, blob)| rmp_serde::from_slice(blob).unwrap())
        .collect()
}

/// True for a session's record; false for a tombstone or a retired id's marker.
pub fn is_live(record: &Record) -> bool {
    !record.data.contains_key(MARKER)
}

/// The id under which the session storage keeps the session whose cookie holds `cookie_id`.
pub fn storage_key(cookie_id: &str) -> Id {
    SessionKey::of(&cookie_id.parse().unwrap()).as_storage_id()
}

/// The record the session storage keeps for the cookie `cookie_id`.
pub async fn record_of(db: &std::path::Path, cookie_id: &str) -> Option<Record> {
    let key = storage_key(cookie_id);
    records(db).await.into_iter().find(|r| r.id == key)
}

/// The Store's session cookie as a browser holds it.
fn store_cookie(app: &TestApp, browser: &Browser) -> String {
    browser.cookie(&app.store("/"), "store_session").unwrap()
}

/// `path` on the Store from a client with no jar, sending `cookie_id` as the session cookie
/// (a stolen or stale cookie replayed by hand).
async fn page_with(app: &TestApp, path: &str, cookie_id: &str) -> Page {
    let cookie = format!("store_session={cookie_id}");
    read(
        app.bare_client()
            .get(app.store(path))
            .header("Cookie", cookie),
    )
    .await
}

async fn cart_with(app: &TestApp, cookie_id: &str) -> Page {
    page_with(app, CART, cookie_id).await
}

#[tokio::test]
async fn beyond_a_session_storage_dump_holds_no_usable_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let app = TestApp::spawn_with(sqlite_sessions(StackConfig::ephemeral(), &db)).await;
    let browser = app.browser();
    browser.login(&app.store("/"), ALICE, PASSWORD).await;
    let cookie = store_cookie(&app, &browser);

    let dump = records(&db).await;
    assert!(
        dump.iter()
            .any(|r| is_live(r) && r.id == storage_key(&cookie))
    );
    for record in &dump {
        let stored = record.id.to_string();
        assert_ne!(stored, cookie, "a stored key is the cookie");
        // Replaying a stored key as a cookie gives nobody's session.
        cart_with(&app, &stored)
            .await
            .assert_redirect_to(TO_LOGIN_FROM_CART);
    }
    assert_eq!(cart_with(&app, &cookie).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logout_is_not_undone_by_a_request_in_flight() {
    const RACES: usize = 50;
    const IN_FLIGHT: usize = 8;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    // Idle 2 s: a page load more than 200 ms after the last write touches (saves) the session.
    let policy = SessionPolicy {
        idle_timeout: Duration::from_secs(2),
        ..SessionPolicy::default()
    };
    let config = StackConfig::ephemeral().with_policy(policy);
    let app = Arc::new(TestApp::spawn_with(sqlite_sessions(config, &db)).await);
    let mut touches_racing_logouts = 0;
    for race in 0..RACES {
        let browser = Arc::new(app.browser());
        browser.login(&app.store("/"), ALICE, PASSWORD).await;
        let cookie = store_cookie(&app, &browser);
        let csrf = browser.get(&app.store(CART)).await.csrf();
        tokio::time::sleep(policy.touch_interval() + Duration::from_millis(20)).await;

        // Page loads that will each save the session, and a logout, all at once.
        let mut loads = JoinSet::new();
        for _ in 0..IN_FLIGHT {
            let (app, browser) = (app.clone(), browser.clone());
            loads.spawn(async move { browser.get(&app.store(CART)).await });
        }
        let logout = {
            let (app, browser) = (app.clone(), browser.clone());
            tokio::spawn(async move {
                browser
                    .post_form(&app.store("/logout"), &[("csrf_token", &csrf)])
                    .await
            })
        };
        logout.await.unwrap().assert_redirect_to("/");
        while let Some(load) = loads.join_next().await {
            let page = load.unwrap();
            let saved = page
                .cookie("store_session")
                .is_some_and(|c| c.value() == cookie);
            if page.status == StatusCode::OK && saved {
                touches_racing_logouts += 1;
            }
        }

        // Whatever order they ran in, the old cookie is nobody's now.
        cart_with(&app, &cookie)
            .await
            .assert_redirect_to(TO_LOGIN_FROM_CART);
        let record = record_of(&db, &cookie).await;
        assert!(
            record.as_ref().is_none_or(|r| !is_live(r)),
            "race {race}: the session is back in the session storage"
        );
    }
    // The races were real: page loads that had read the live session saved it around the
    // logout (their saves were refused or came first and were overwritten by the tombstone).
    assert!(touches_racing_logouts > 0, "no page load raced a logout");
}

const INTERVAL: Duration = Duration::from_secs(1);
const GRACE: Duration = Duration::from_secs(1);

/// The demo stack rotating ids every second, with a one-second grace period.
async fn rotating_app() -> TestApp {
    TestApp::spawn_with(StackConfig::ephemeral().with_policy(SessionPolicy {
        rotation_interval: INTERVAL,
        rotation_grace: GRACE,
        ..SessionPolicy::default()
    }))
    .await
}

/// Logs `browser` in, waits out the rotation interval and loads a page: returns the cookie
/// before and after the rotation.
async fn login_and_rotate(app: &TestApp, browser: &Browser) -> (String, String) {
    browser.login(&app.store("/"), ALICE, PASSWORD).await;
    let old = store_cookie(app, browser);
    let cart = browser.get(&app.store(CART)).await;
    assert!(cart.cookie("store_session").is_none(), "no rotation yet");
    tokio::time::sleep(INTERVAL + Duration::from_millis(100)).await;
    let cart = browser.get(&app.store(CART)).await;
    assert_eq!(cart.status, StatusCode::OK);
    let new = cart
        .cookie("store_session")
        .expect("the rotation sets a new cookie")
        .value()
        .to_owned();
    assert_ne!(new, old, "the id was rotated");
    assert_eq!(store_cookie(app, browser), new);
    (old, new)
}

/// Asserts that a login page shows the theft notice, with the id clients recognise it by.
fn assert_theft_notice(body: &str) {
    let notice = THEFT_NOTICE.split(" — ").next().unwrap();
    assert!(body.contains(notice), "no theft notice:\n{body}");
    let marker = format!("id=\"{}\"", shared::paths::element::THEFT_NOTICE);
    assert!(
        body.contains(&marker),
        "the theft notice has no {marker}:\n{body}"
    );
}

#[tokio::test]
async fn beyond_a_retired_id_after_the_grace_period_ends_the_whole_session() {
    let logs = Logs::default();
    let _capture = logs.capture();
    let app = rotating_app().await;
    let browser = app.browser();
    let (old, new) = login_and_rotate(&app, &browser).await;
    let index = app
        .stack
        .store
        .sessions()
        .sessions_of(&demo::ALICE_ID.to_string(), None)
        .await
        .unwrap();
    let keys: Vec<String> = index.into_iter().map(|s| s.key).collect();
    assert_eq!(keys, [SessionKey::of(&new.parse().unwrap()).to_string()]);

    // Within the grace period the old id still works, read-only: it does not set its cookie
    // again (which would revert the browser's) and does not rotate.
    let in_grace = cart_with(&app, &old).await;
    assert_eq!(in_grace.status, StatusCode::OK);
    assert!(in_grace.body.contains("Alice Shopper"));
    assert!(in_grace.cookie("store_session").is_none(), "read-only");
    assert_eq!(
        browser.get(&app.store(CART)).await.status,
        StatusCode::OK,
        "the new id works"
    );

    // After it, the old id means a copy of the cookie is in other hands: the session ends.
    tokio::time::sleep(GRACE + Duration::from_millis(200)).await;
    // tracing caches per call site whether anyone listens; a sibling test on a thread without
    // a subscriber can leave it at "never" (see `Logs`).
    tracing::callsite::rebuild_interest_cache();
    let stale = cart_with(&app, &old).await;
    stale.assert_redirect_to(TO_LOGIN_FROM_CART);
    let anonymous = stale
        .cookie("store_session")
        .expect("an anonymous session carries the notice")
        .value()
        .to_owned();
    assert!(anonymous != old && anonymous != new);
    let login = page_with(&app, "/login", &anonymous).await;
    assert_eq!(login.status, StatusCode::OK);
    assert_theft_notice(&login.body);

    // The new id is over too, and its browser is told why, on whichever page it comes to.
    cart_with(&app, &new)
        .await
        .assert_redirect_to(TO_LOGIN_FROM_CART);
    assert_theft_notice(&browser.get(&app.store("/login")).await.body);
    browser
        .get(&app.store(CART))
        .await
        .assert_redirect_to(TO_LOGIN_FROM_CART);
    cart_with(&app, &old)
        .await
        .assert_redirect_to(TO_LOGIN_FROM_CART);
    let text = logs.text();
    assert!(
        text.lines().any(|line| line.contains("WARN")
            && line.contains(
                "session theft suspected: a retired session id was used after its grace period"
            )),
        "no warning:\n{text}"
    );
    for id in [&old, &new, &anonymous] {
        assert!(!text.contains(id.as_str()), "a raw session id was logged");
    }
}

#[tokio::test]
async fn a_logout_with_a_retired_id_in_its_grace_period_ends_the_new_id_too() {
    let app = rotating_app().await;
    let browser = app.browser();
    let (old, new) = login_and_rotate(&app, &browser).await;
    let page = cart_with(&app, &old).await;
    let logout = read(
        app.bare_client()
            .post(app.store("/logout"))
            .header("Cookie", format!("store_session={old}"))
            .form(&[("csrf_token", page.csrf())]),
    )
    .await;
    logout.assert_redirect_to("/");
    cart_with(&app, &new)
        .await
        .assert_redirect_to(TO_LOGIN_FROM_CART);
    browser
        .get(&app.store(CART))
        .await
        .assert_redirect_to(TO_LOGIN_FROM_CART);
}

/// Logs in as Alice with `user_agent`.
async fn login_as(app: &TestApp, browser: &Browser, user_agent: &str) {
    browser
        .login_as_agent(&app.store("/"), ALICE, PASSWORD, user_agent)
        .await
        .assert_redirect_to(CART);
}

#[tokio::test]
async fn the_session_index_lists_a_users_sessions_and_ends_them_everywhere_else() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let app = TestApp::spawn_with(sqlite_sessions(StackConfig::ephemeral(), &db)).await;
    let site_sessions = app.stack.store.sessions();
    let alice = demo::ALICE_ID.to_string();
    let (laptop, phone) = (app.browser(), app.browser());
    login_as(&app, &laptop, "laptop-browser/1.0").await;
    login_as(&app, &phone, "phone-browser/2.0").await;
    let laptop_cookie = store_cookie(&app, &laptop);
    let laptop_key = SessionKey::of(&laptop_cookie.parse().unwrap());

    let sessions = site_sessions
        .sessions_of(&alice, Some(laptop_key))
        .await
        .unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    let current = sessions.iter().find(|s| s.current).unwrap();
    assert_eq!(current.key, laptop_key.to_string());
    assert_eq!(current.user_agent.as_deref(), Some("laptop-browser/1.0"));
    assert_eq!(current.ip.as_deref(), Some("127.0.0.1"));
    assert!(current.created_at_ms > 0 && current.last_seen_at_ms >= current.created_at_ms);
    let other = sessions.iter().find(|s| !s.current).unwrap();
    assert_eq!(other.user_agent.as_deref(), Some("phone-browser/2.0"));
    assert!(sessions.iter().all(|s| s.key != laptop_cookie));
    assert!(
        site_sessions
            .sessions_of("nobody", None)
            .await
            .unwrap()
            .is_empty()
    );

    // Sign out everywhere else: the phone is out, the laptop stays in.
    assert_eq!(
        site_sessions
            .end_all(&alice, Some(laptop_key))
            .await
            .unwrap(),
        1
    );
    phone
        .get(&app.store(CART))
        .await
        .assert_redirect_to(TO_LOGIN_FROM_CART);
    let cart = laptop.get(&app.store(CART)).await;
    assert_eq!(cart.status, StatusCode::OK);
    assert_eq!(
        site_sessions.sessions_of(&alice, None).await.unwrap().len(),
        1
    );

    // Logging out takes the laptop's session off the list.
    laptop
        .post_form(&app.store("/logout"), &[("csrf_token", &cart.csrf())])
        .await
        .assert_redirect_to("/");
    assert!(
        site_sessions
            .sessions_of(&alice, None)
            .await
            .unwrap()
            .is_empty()
    );
    // Ending a session that is not the user's does nothing.
    login_as(&app, &laptop, "laptop-browser/1.0").await;
    let key = SessionKey::of(&store_cookie(&app, &laptop).parse().unwrap());
    assert!(
        !site_sessions
            .end_session("someone else", key)
            .await
            .unwrap()
    );
    assert_eq!(laptop.get(&app.store(CART)).await.status, StatusCode::OK);
    assert!(site_sessions.end_session(&alice, key).await.unwrap());
    laptop
        .get(&app.store(CART))
        .await
        .assert_redirect_to(TO_LOGIN_FROM_CART);
}

#[tokio::test]
async fn a_logout_that_comes_when_a_rotation_is_due_still_ends_the_session() {
    let app = rotating_app().await;
    let browser = app.browser();
    browser.login(&app.store("/"), ALICE, PASSWORD).await;
    let old = store_cookie(&app, &browser);
    let csrf = browser.get(&app.store(CART)).await.csrf();
    tokio::time::sleep(INTERVAL + Duration::from_millis(100)).await;
    // The logout's own check of the user rotates the id; the old one must die all the same.
    browser
        .post_form(&app.store("/logout"), &[("csrf_token", &csrf)])
        .await
        .assert_redirect_to("/");
    cart_with(&app, &old)
        .await
        .assert_redirect_to(TO_LOGIN_FROM_CART);
    tokio::time::sleep(GRACE + Duration::from_millis(200)).await;
    let later = cart_with(&app, &old).await;
    later.assert_redirect_to(TO_LOGIN_FROM_CART);
}
