//! The login form's signed double-submit CSRF cookie (backend/src/web/login_csrf.rs): showing
//! the form stores nothing, whatever the flood; the login post needs the cookie and its token;
//! a session is created only by a login, always with a fresh id.

use crate::app::{
    Page, TestApp, assert_cookie_attributes, hidden_field, read, session_records, sqlite_sessions,
};
use crate::hashed_sessions::record_of;
use crate::replicas::redis_url;
use backend::stack::StackConfig;
use backend::web::SessionBackend;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fred::prelude::{ClientLike as _, Config, ServerInterface as _};
use reqwest::StatusCode;
use reqwest::header::COOKIE;

const ALICE: &str = "alice@example.com";
const PASSWORD: &str = "password";
/// Cookieless login forms in a flood test.
const FLOOD: usize = 1_024;
/// A Redis database no other test uses: the flood test reads its size, which only this test
/// changes. (Session records are named by a hash, not the site's prefix, so they cannot be
/// counted by prefix in the shared database.)
const FLOOD_REDIS_DB: u8 = 13;

/// The `store_csrf` nonce and the form's token of a login page fetched without cookies.
async fn fresh_pair(app: &TestApp) -> (String, String) {
    let form = read(app.bare_client().get(app.store("/login"))).await;
    let nonce = form
        .cookie("store_csrf")
        .expect("the form sets its CSRF cookie")
        .value()
        .to_owned();
    (nonce, form.csrf())
}

/// A login post with `cookie` as the whole `Cookie` header and `token` as the form's token.
async fn post_login(app: &TestApp, cookie: &str, token: &str) -> Page {
    let mut request = app.bare_client().post(app.store("/login")).form(&[
        ("loginId", ALICE),
        ("password", PASSWORD),
        ("csrf_token", token),
        ("next", ""),
    ]);
    if !cookie.is_empty() {
        request = request.header(COOKIE, cookie);
    }
    read(request).await
}

/// Clients sending the flood at once.
const FLOODERS: usize = 32;

/// `FLOOD` cookieless `GET /login` from `FLOODERS` clients at once; asserts each is the form
/// with a CSRF cookie and no session cookie.
async fn flood_of_login_forms(app: &TestApp) {
    let mut flooders = tokio::task::JoinSet::new();
    for _ in 0..FLOODERS {
        let client = app.bare_client();
        let url = app.store("/login");
        flooders.spawn(async move {
            for _ in 0..FLOOD / FLOODERS {
                let form = read(client.get(&url)).await;
                assert_eq!(form.status, StatusCode::OK);
                assert!(hidden_field(&form.body, "csrf_token").is_some());
                assert!(form.cookie("store_csrf").is_some(), "the nonce is set");
                assert!(
                    form.cookie("store_session").is_none(),
                    "no session cookie for a login form"
                );
            }
        });
    }
    while let Some(done) = flooders.join_next().await {
        done.expect("a flooder's assertions held");
    }
}

#[tokio::test]
async fn a_flood_of_cookieless_login_forms_stores_no_session_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let app = TestApp::spawn_with(sqlite_sessions(StackConfig::ephemeral(), &db)).await;
    flood_of_login_forms(&app).await;
    assert_eq!(session_records(&db).await.len(), 0, "no session row stored");
}

#[tokio::test]
async fn a_flood_of_cookieless_login_forms_writes_nothing_to_redis() {
    let url = format!("{}/{FLOOD_REDIS_DB}", redis_url());
    let mut config = StackConfig::ephemeral();
    config.store.sessions = SessionBackend::Redis {
        url: url.clone(),
        prefix: format!("test-{}:store:", uuid::Uuid::new_v4()),
    };
    let app = TestApp::spawn_with(config).await;
    let redis = fred::prelude::Client::new(Config::from_url(&url).unwrap(), None, None, None);
    redis.init().await.unwrap();
    let before: u64 = redis.dbsize().await.unwrap();
    flood_of_login_forms(&app).await;
    let after: u64 = redis.dbsize().await.unwrap();
    assert_eq!(
        after, before,
        "keys in Redis before and after {FLOOD} login forms"
    );
}

#[tokio::test]
async fn a_login_post_without_a_matching_csrf_pair_is_refused_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let app = TestApp::spawn_with(sqlite_sessions(StackConfig::ephemeral(), &db)).await;
    let (nonce, token) = fresh_pair(&app).await;
    let (other_nonce, _) = fresh_pair(&app).await;
    let mut tampered = token.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let cases = [
        ("no CSRF cookie", String::new(), token.clone()),
        ("no token", format!("store_csrf={nonce}"), String::new()),
        (
            "a token of another nonce",
            format!("store_csrf={other_nonce}"),
            token.clone(),
        ),
        ("a tampered token", format!("store_csrf={nonce}"), tampered),
        (
            "a tampered nonce",
            format!("store_csrf={}", &nonce[1..]),
            token.clone(),
        ),
        (
            "the nonce as its own token",
            format!("store_csrf={nonce}"),
            nonce.clone(),
        ),
    ];
    for (what, cookie, token) in cases {
        let refused = post_login(&app, &cookie, &token).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{what}");
        assert!(refused.cookie("store_session").is_none(), "{what}");
    }
    assert_eq!(session_records(&db).await.len(), 0, "no session stored");
}

#[tokio::test]
async fn a_valid_pair_logs_in_with_a_fresh_session_and_a_forged_id_is_never_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let app = TestApp::spawn_with(sqlite_sessions(StackConfig::ephemeral(), &db)).await;

    let (nonce, token) = fresh_pair(&app).await;
    let login = post_login(&app, &format!("store_csrf={nonce}"), &token).await;
    login.assert_redirect_to("/shopping-cart");
    let first = login.cookie("store_session").expect("a session at login");
    assert_eq!(session_records(&db).await.len(), 1, "the one session");

    // A forged id in the session cookie's format, planted beside a valid pair: the login
    // answers with an id of its own, and the forged one is unknown to the storage.
    let forged = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
    let (nonce, token) = fresh_pair(&app).await;
    let cookie = format!("store_session={forged}; store_csrf={nonce}");
    let login = post_login(&app, &cookie, &token).await;
    login.assert_redirect_to("/shopping-cart");
    let issued = login.cookie("store_session").expect("a session at login");
    assert_ne!(issued.value(), forged, "the forged id was not adopted");
    assert_ne!(issued.value(), first.value(), "a fresh id each login");
    assert!(
        record_of(&db, &forged).await.is_none(),
        "the forged id is unknown"
    );
    assert!(record_of(&db, issued.value()).await.is_some());
    let cart = app
        .get_with_cookie(
            &app.store("/shopping-cart"),
            &format!("store_session={forged}"),
        )
        .await;
    assert_eq!(
        cart.status,
        StatusCode::SEE_OTHER,
        "the forged id signs no one in"
    );
}

#[tokio::test]
async fn two_tabs_share_the_nonce_and_the_cookie_has_the_session_cookies_attributes() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let first = browser.get(&app.store("/login")).await;
    let cookie = first.cookie("store_csrf").expect("the CSRF cookie");
    assert_cookie_attributes(&cookie, false, "the CSRF cookie over http");
    assert_eq!(cookie.max_age(), None, "it ends with the browser");
    let second = browser.get(&app.store("/login")).await;
    assert!(second.cookie("store_csrf").is_none(), "the nonce is reused");
    assert_eq!(second.csrf(), first.csrf());
    // The first tab's form still logs in after the second was opened.
    let login = browser
        .post_form(
            &app.store("/login"),
            &[
                ("loginId", ALICE),
                ("password", PASSWORD),
                ("csrf_token", &first.csrf()),
                ("next", ""),
            ],
        )
        .await;
    login.assert_redirect_to("/shopping-cart");
}

#[tokio::test]
async fn over_https_the_csrf_cookie_is_host_prefixed_and_secure() {
    let mut config = StackConfig::ephemeral();
    config.store.public_url = Some("https://store.example".parse().unwrap());
    let app = TestApp::spawn_with(config).await;
    // TLS is a proxy's job: the app itself is reached over plain http on its own address.
    let base = format!("http://store.localhost:{}", app.stack.store.addr().port());
    let browser = app.browser_behind_tls();
    let form = browser.get(&format!("{base}/login")).await;
    assert!(form.cookie("store_csrf").is_none());
    let cookie = form
        .cookie("__Host-store_csrf")
        .expect("the __Host- cookie");
    assert_cookie_attributes(&cookie, true, "the CSRF cookie over https");
    assert!(form.cookie("__Host-store_session").is_none(), "no session");
    let login = browser
        .post_form(
            &format!("{base}/login"),
            &[
                ("loginId", ALICE),
                ("password", PASSWORD),
                ("csrf_token", &form.csrf()),
                ("next", ""),
            ],
        )
        .await;
    login.assert_redirect_to("/shopping-cart");
    assert!(login.cookie("__Host-store_session").is_some());
    // The unprefixed name is not the CSRF cookie there: a pair made for it is refused.
    let plain = read(
        app.bare_client()
            .post(format!("{base}/login"))
            .header(COOKIE, format!("store_csrf={}", cookie.value()))
            .form(&[
                ("loginId", ALICE),
                ("password", PASSWORD),
                ("csrf_token", form.csrf().as_str()),
                ("next", ""),
            ]),
    )
    .await;
    assert_eq!(plain.status, StatusCode::FORBIDDEN);
}
