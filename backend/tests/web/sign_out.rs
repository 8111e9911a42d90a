//! Sign out everywhere and revalidation (docs/security.md): "sign out everywhere" and a list of my
//! sessions per site; sessions end when the account is locked, expires, loses the application or
//! changes its password (periodic revalidation with the identity server). Each proves the second
//! client is logged out.

use crate::app::{Browser, Page, TestApp, read};
use crate::logs::Logs;
use backend::stack::{StackConfig, demo};
use backend::web::{TrustedProxies, parse_proxy};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::model::Sessions;
use std::time::Duration;

const CART: &str = "/shopping-cart";
const TO_LOGIN: &str = "/login?next=/shopping-cart";
const ALICE: &str = "alice@example.com";

/// Logs `browser` in to the Store as `login_id`, sending `user_agent`.
async fn login(app: &TestApp, browser: &Browser, login_id: &str, user_agent: &str) {
    browser
        .login_as_agent(&app.store("/"), login_id, "password", user_agent)
        .await
        .assert_redirect_to(CART);
}

/// `browser`'s sessions as the JSON page lists them.
async fn sessions(app: &TestApp, browser: &Browser) -> Sessions {
    let page = browser.get_json(&app.store("/sessions")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    serde_json::from_str(&page.body).unwrap()
}

/// Posts the sessions page's sign-out form for `session` from `browser`.
async fn sign_out(app: &TestApp, browser: &Browser, session: &str) -> Page {
    let page = browser.get(&app.store("/sessions")).await;
    browser
        .post_form(
            &app.store("/sessions/end"),
            &[("csrf_token", &page.csrf()), ("session", session)],
        )
        .await
}

async fn assert_signed_in(app: &TestApp, browser: &Browser) {
    let page = browser.get(&app.store(CART)).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
}

async fn assert_signed_out(app: &TestApp, browser: &Browser) {
    browser
        .get(&app.store(CART))
        .await
        .assert_redirect_to(TO_LOGIN);
}

/// Revalidation runs in the background and its verdict applies from a later request: asks for
/// the cart until `browser` is sent to log in (every page meanwhile is the cart), at most 15 s.
async fn assert_signed_out_soon(app: &TestApp, browser: &Browser) {
    let started = std::time::Instant::now();
    loop {
        let page = browser.get(&app.store(CART)).await;
        if page.status == StatusCode::SEE_OTHER {
            page.assert_redirect_to(TO_LOGIN);
            return;
        }
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "still signed in"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits (at most 15 s) until the log holds `line`: background checks report only there.
async fn wait_for_log(logs: &Logs, line: &str) {
    let started = std::time::Instant::now();
    while !logs.text().contains(line) {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no {line:?} in {}",
            logs.text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_sessions_page_lists_each_browser_and_signs_one_out() {
    let app = TestApp::spawn().await;
    let (laptop, phone) = (app.browser(), app.browser());
    login(&app, &laptop, ALICE, "laptop-browser/1.0").await;
    login(&app, &phone, ALICE, "phone-browser/2.0").await;

    // The page a user sees: both browsers, this one marked, with address and times.
    let page = read(
        laptop
            .http
            .get(app.store("/sessions"))
            .header("User-Agent", "laptop-browser/1.0"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_shows(
        "the sessions page",
        &[
            "Your sessions",
            "laptop-browser/1.0 <strong>(this browser)</strong>",
            "phone-browser/2.0",
            "127.0.0.1",
            "UTC (just now)",
            "Sign out all other sessions",
            "Sign out everywhere",
        ],
    );
    let listed = sessions(&app, &laptop).await;
    assert_eq!(listed.user.id, demo::ALICE_ID.to_string());
    assert_eq!(listed.sessions.len(), 2, "{listed:?}");
    let phone_entry = listed.sessions.iter().find(|s| !s.current).unwrap();
    assert_eq!(phone_entry.user_agent.as_deref(), Some("phone-browser/2.0"));
    assert_eq!(phone_entry.ip.as_deref(), Some("127.0.0.1"));
    // The key names the session; it is not the cookie.
    let phone_cookie = phone.cookie(&app.store("/"), "store_session").unwrap();
    assert_ne!(phone_entry.key, phone_cookie);

    sign_out(&app, &laptop, &phone_entry.key)
        .await
        .assert_redirect_to("/sessions?ended=1");
    assert_signed_out(&app, &phone).await;
    assert_signed_in(&app, &laptop).await;
    let after = laptop.get(&app.store("/sessions?ended=1")).await;
    assert!(
        after.body.contains("Signed out 1 session."),
        "{}",
        after.body
    );
    assert!(!after.body.contains("phone-browser"), "{}", after.body);
    // The phone's stolen cookie is as dead as the phone.
    app.get_with_cookie(&app.store(CART), &format!("store_session={phone_cookie}"))
        .await
        .assert_redirect_to(TO_LOGIN);
}

#[tokio::test]
async fn sign_out_everywhere_else_keeps_only_this_browser() {
    let app = TestApp::spawn().await;
    let (laptop, phone, tablet) = (app.browser(), app.browser(), app.browser());
    for (browser, agent) in [(&laptop, "laptop"), (&phone, "phone"), (&tablet, "tablet")] {
        login(&app, browser, ALICE, agent).await;
    }
    // The Forums session is another site's: no shared sign-out.
    laptop
        .login(&app.forums("/"), ALICE, "password")
        .await
        .assert_redirect_to("/posts");

    sign_out(&app, &laptop, "others")
        .await
        .assert_redirect_to("/sessions?ended=2");
    assert_signed_out(&app, &phone).await;
    assert_signed_out(&app, &tablet).await;
    assert_signed_in(&app, &laptop).await;
    assert_eq!(
        laptop.get(&app.forums("/posts")).await.status,
        StatusCode::OK
    );
    let listed = sessions(&app, &laptop).await;
    assert_eq!(listed.sessions.len(), 1);
    assert!(listed.sessions[0].current);
}

#[tokio::test]
async fn sign_out_everywhere_ends_this_browser_too() {
    let app = TestApp::spawn().await;
    let (laptop, phone) = (app.browser(), app.browser());
    login(&app, &laptop, ALICE, "laptop").await;
    login(&app, &phone, ALICE, "phone").await;

    let page = sign_out(&app, &laptop, "all").await;
    page.assert_redirect_to("/");
    assert!(page.header("clear-site-data").is_some());
    assert_signed_out(&app, &laptop).await;
    assert_signed_out(&app, &phone).await;
}

#[tokio::test]
async fn signing_out_this_browser_from_the_list_is_a_logout() {
    let app = TestApp::spawn().await;
    let laptop = app.browser();
    login(&app, &laptop, ALICE, "laptop").await;
    // Alone, there is nothing "other" to sign out.
    let page = laptop.get(&app.store("/sessions")).await;
    assert!(page.body.contains("Sign out this browser"), "{}", page.body);
    assert!(
        !page.body.contains("Sign out all other sessions"),
        "{}",
        page.body
    );
    let own = sessions(&app, &laptop).await.sessions[0].key.clone();
    sign_out(&app, &laptop, &own).await.assert_redirect_to("/");
    assert_signed_out(&app, &laptop).await;
}

#[tokio::test]
async fn only_your_own_sessions_can_be_signed_out_and_only_by_your_form() {
    let app = TestApp::spawn().await;
    let (alice, sam) = (app.browser(), app.browser());
    login(&app, &alice, ALICE, "alice").await;
    login(&app, &sam, "store-only@example.com", "sam").await;
    let sams_key = sessions(&app, &sam).await.sessions[0].key.clone();

    for (session, message) in [
        (sams_key.as_str(), "already ended, or is not one of yours"),
        (
            "0123456789abcdef0123456789abcdef",
            "already ended, or is not one of yours",
        ),
        ("not-a-key", "That is not one of your sessions."),
        ("", "That is not one of your sessions."),
    ] {
        let page = sign_out(&app, &alice, session).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{session}");
        assert!(page.body.contains(message), "{session}: {}", page.body);
    }
    assert_signed_in(&app, &sam).await;

    // Without the CSRF token, or from the Forums' origin: refused, nothing ends.
    let no_token = alice
        .post_form(&app.store("/sessions/end"), &[("session", "others")])
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let page = alice.get(&app.store("/sessions")).await;
    let cross_origin = read(
        alice
            .http
            .post(app.store("/sessions/end"))
            .header("Origin", app.forums("/").trim_end_matches('/'))
            .form(&[("csrf_token", page.csrf().as_str()), ("session", "all")]),
    )
    .await;
    assert_eq!(cross_origin.status, StatusCode::FORBIDDEN);
    assert_signed_in(&app, &alice).await;

    // Signed out, the page asks to log in.
    app.browser()
        .get(&app.store("/sessions"))
        .await
        .assert_redirect_to("/login?next=/sessions");
}

/// A stack whose sessions are checked with FusionAuth on every request after `every`.
async fn revalidating(every: Duration) -> TestApp {
    let mut config = StackConfig::ephemeral();
    config.store.revalidate_interval = every;
    config.forums.revalidate_interval = every;
    TestApp::spawn_with(config).await
}

/// Sends an admin API request to the embedded identity server.
async fn admin(app: &TestApp, method: reqwest::Method, path: &str, body: Option<Value>) {
    let identity = app.stack.identity.as_ref().unwrap();
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", identity.url()))
        .header("Authorization", demo::API_KEY);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
}

/// Changes Alice at the identity server (`PATCH /api/user/{id}`), as an administrator would.
pub async fn patch_alice(app: &TestApp, user: Value) {
    let path = format!("/api/user/{}", demo::ALICE_ID);
    admin(
        app,
        reqwest::Method::PATCH,
        &path,
        Some(json!({ "user": user })),
    )
    .await;
}

/// Two browsers signed in as Alice; after `change` at FusionAuth, the request of each that finds
/// its session due is still served from the session (the check runs in the background), and a
/// later one is signed out; the login page says why.
async fn both_signed_out_after(change: impl AsyncFnOnce(&TestApp), notice: &str) {
    let app = revalidating(Duration::from_millis(1)).await;
    let (laptop, phone) = (app.browser(), app.browser());
    login(&app, &laptop, ALICE, "laptop").await;
    login(&app, &phone, ALICE, "phone").await;

    change(&app).await;
    for browser in [&laptop, &phone] {
        assert_signed_in(&app, browser).await;
        assert_signed_out_soon(&app, browser).await;
        let login_page = browser.get(&app.store("/login?next=/shopping-cart")).await;
        assert!(login_page.body.contains(notice), "{}", login_page.body);
    }
    // The notice is shown once.
    let again = laptop.get(&app.store("/login")).await;
    assert!(!again.body.contains(notice));
}

#[tokio::test]
async fn locking_the_account_signs_out_every_session() {
    both_signed_out_after(
        async |app| patch_alice(app, json!({ "active": false })).await,
        "your account has been locked",
    )
    .await;
}

#[tokio::test]
async fn a_password_change_signs_out_every_session() {
    both_signed_out_after(
        async |app| patch_alice(app, json!({ "password": "a-new-password-1" })).await,
        "because your password was changed",
    )
    .await;
}

#[tokio::test]
async fn an_expired_account_is_signed_out() {
    let past = backend::clock::now_ms() - 1_000;
    both_signed_out_after(
        async |app| patch_alice(app, json!({ "expiry": past })).await,
        "your account has expired",
    )
    .await;
}

#[tokio::test]
async fn removing_the_registration_signs_out_of_that_site_only() {
    let app = revalidating(Duration::from_millis(1)).await;
    let browser = app.browser();
    login(&app, &browser, ALICE, "laptop").await;
    browser.login(&app.forums("/"), ALICE, "password").await;

    let path = format!(
        "/api/user/registration/{}/{}",
        demo::ALICE_ID,
        demo::STORE_APPLICATION_ID
    );
    admin(&app, reqwest::Method::DELETE, &path, None).await;
    assert_signed_out_soon(&app, &browser).await;
    let login_page = browser.get(&app.store("/login")).await;
    assert!(
        login_page
            .body
            .contains("no longer has access to this site"),
        "{}",
        login_page.body
    );
    assert_eq!(
        browser.get(&app.forums("/posts")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn sessions_are_checked_once_per_interval_not_on_every_request() {
    let logs = Logs::default();
    let _capturing = logs.capture();
    let app = revalidating(Duration::from_millis(1500)).await;
    let browser = app.browser();
    login(&app, &browser, ALICE, "laptop").await;
    // The first check, started by the first page an interval after login, finds Alice in good
    // standing and schedules the next one an interval later.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_signed_in(&app, &browser).await;
    wait_for_log(&logs, "session revalidated: the user is in good standing").await;
    patch_alice(&app, json!({ "active": false })).await;
    // Within the interval the session stands on its own (no FusionAuth call per page).
    assert_signed_in(&app, &browser).await;
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_signed_out_soon(&app, &browser).await;
}

#[tokio::test]
async fn with_fusionauth_down_sessions_go_on_and_the_failure_is_logged() {
    let logs = Logs::default();
    let _capturing = logs.capture();
    let mut app = revalidating(Duration::from_millis(1)).await;
    let browser = app.browser();
    login(&app, &browser, ALICE, "laptop").await;
    app.stack.identity.take().unwrap().stop().await.unwrap();

    assert_signed_in(&app, &browser).await;
    wait_for_log(&logs, "cannot revalidate the session with FusionAuth").await;
    assert_signed_in(&app, &browser).await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_list_shows_the_client_not_the_proxy() {
    let mut config = StackConfig::ephemeral();
    config.store.trusted_proxies = TrustedProxies::new([parse_proxy("127.0.0.1").unwrap()]);
    let app = TestApp::spawn_with(config).await;
    let browser = app.browser();
    let form = browser.get(&app.store("/login")).await;
    read(
        browser
            .http
            .post(app.store("/login"))
            .header("X-Forwarded-For", "203.0.113.7")
            .form(&[
                ("loginId", ALICE),
                ("password", "password"),
                ("csrf_token", &form.csrf()),
            ]),
    )
    .await
    .assert_redirect_to(CART);
    let page = read(
        browser
            .http
            .get(app.store("/sessions"))
            .header("Accept", "application/json")
            .header("X-Forwarded-For", "203.0.113.7"),
    )
    .await;
    let listed: Sessions = serde_json::from_str(&page.body).unwrap();
    assert_eq!(listed.sessions[0].ip.as_deref(), Some("203.0.113.7"));
}
