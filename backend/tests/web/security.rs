//! The security properties of docs/security.md, one test per property, each named after what it
//! proves. The properties whose tests sit next to the code they check (hashed session storage,
//! rate limits, timing, sign-out) are in other files; docs/security.md maps every property to its
//! tests.

use crate::app::{
    Browser, Page, TestApp, assert_cookie_attributes, hidden_field, read, session_records,
    sqlite_sessions,
};
use crate::hashed_sessions::{is_live, records, storage_key};
use crate::logs::Logs;
use crate::stub::{Answer, FusionAuthStub, alice_user};
use backend::session::SessionPolicy;
use backend::stack::{FusionAuth, StackConfig};
use backend::web::{LoginLimits, NextPath};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, HeaderValue, SET_COOKIE};
use serde_json::Value;
use std::collections::HashSet;
use std::time::{Duration, Instant};
use tower_sessions::cookie::Cookie;
use url::Url;

const HOUR: Duration = Duration::from_secs(3600);
const ALICE: &str = "alice@example.com";
const PASSWORD: &str = "password";
const CART: &str = "/shopping-cart";
const TO_LOGIN_FROM_CART: &str = "/login?next=/shopping-cart";

/// The demo stack without login rate limits, for tests that log in many times.
fn unlimited() -> StackConfig {
    StackConfig::ephemeral().with_login_limits(LoginLimits::unlimited())
}

/// The sites as the test reaches them: straight at their listeners, whatever the public URL.
struct Sites {
    store: String,
    forums: String,
}

impl Sites {
    fn of(app: &TestApp) -> Self {
        let base = |label: &str, server: &backend::web::WebServer| {
            format!("http://{label}.localhost:{}/", server.addr().port())
        };
        Self {
            store: base("store", &app.stack.store),
            forums: base("forums", &app.stack.forums),
        }
    }
}

/// Asserts a page is what an anonymous visitor sees.
#[track_caller]
fn assert_anonymous(page: &Page, context: &str) {
    assert_eq!(page.status, StatusCode::OK, "{context}: {}", page.body);
    assert!(
        page.body.contains("href=\"/login\""),
        "{context}: no login link"
    );
    assert!(!page.body.contains("Signed in"), "{context}: signed in");
}

/// The value of the `store_session` cookie a response sets.
fn store_session(page: &Page) -> String {
    page.cookie("store_session")
        .expect("a store_session cookie")
        .value()
        .to_owned()
}

// ----- Session ids -------------------------------------------------------------------------------

/// A FusionAuth stand-in that signs Alice in whatever is posted: fresh sessions, as many as a
/// test needs, for the cost of a loopback call (the login form no longer makes one).
async fn alice_always_signs_in() -> FusionAuthStub {
    let user = alice_user();
    let body = serde_json::json!({ "token": "t", "refreshToken": "r", "user": user });
    FusionAuthStub::start(Answer::json(200, body.to_string())).await
}

/// Login posts from one client without a jar: the CSRF pair of one login form, sent with each.
struct Logins {
    client: reqwest::Client,
    url: String,
    csrf_cookie: HeaderValue,
    token: String,
}

impl Logins {
    async fn new(app: &TestApp) -> Self {
        let client = app.bare_client();
        let url = app.store("/login");
        let form = read(client.get(&url)).await;
        let nonce = form.cookie("store_csrf").expect("the CSRF cookie");
        let csrf_cookie = HeaderValue::from_str(&format!("store_csrf={}", nonce.value())).unwrap();
        Self {
            client,
            url,
            csrf_cookie,
            token: form.csrf(),
        }
    }

    /// A login post; `cookie`, when given, is sent as a second `Cookie` header.
    async fn post(&self, cookie: Option<&HeaderValue>) -> Page {
        let mut request = self
            .client
            .post(&self.url)
            .header(COOKIE, self.csrf_cookie.clone());
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie.clone());
        }
        let login = read(request.form(&[
            ("loginId", ALICE),
            ("password", PASSWORD),
            ("csrf_token", &self.token),
            ("next", ""),
        ]))
        .await;
        login.assert_redirect_to(CART);
        login
    }
}

/// Fresh ids drawn for the session-id test: enough to see a biased bit.
const FRESH_IDS: usize = 1000;

#[tokio::test]
async fn session_ids_are_128_bit_random_and_garbage_gives_an_anonymous_session() {
    let logs = Logs::default();
    let _capture = logs.capture();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let fusionauth = alice_always_signs_in().await;
    let mut config = sqlite_sessions(unlimited(), &db);
    config.fusionauth = FusionAuth::External(fusionauth.url());
    let app = TestApp::spawn_with(config).await;
    let client = app.bare_client();
    let logins = Logins::new(&app).await;

    // 128 bits from a CSPRNG: every fresh id is base64url of 16 random bytes (tower-sessions'
    // `Id`: an i128, 22 characters), no two alike, each bit set in about half of them.
    let mut ids = HashSet::new();
    let mut ones = [0usize; 128];
    for _ in 0..FRESH_IDS {
        let id = store_session(&logins.post(None).await);
        let bytes = URL_SAFE_NO_PAD
            .decode(&id)
            .unwrap_or_else(|e| panic!("{id:?} is not base64url: {e}"));
        assert!(id.len() >= 22 && bytes.len() >= 16, "{id:?}");
        for (bit, count) in ones.iter_mut().enumerate() {
            *count += usize::from(bytes[bit / 8] >> (bit % 8) & 1);
        }
        assert!(ids.insert(id.clone()), "{id:?} was drawn twice");
    }
    for (bit, count) in ones.iter().enumerate() {
        // 1000 fair coins: 500 ± 16; 100 off is 6 standard deviations.
        assert!(
            (400..=600).contains(count),
            "bit {bit} is set in {count} of {FRESH_IDS} ids"
        );
    }

    // Forged, unknown, garbage, oversized, non-ASCII: an anonymous page, never an error, and a
    // login gets a fresh id that owes nothing to what was sent.
    let unknown = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
    let mut cookies: Vec<HeaderValue> = [
        format!("store_session={unknown}"),
        format!("store_session={unknown}{unknown}"),
        format!("store_session={}", &unknown[1..]),
        format!("store_session={unknown}=="),
        "store_session=AAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        "store_session=garbage".to_owned(),
        "store_session=".to_owned(),
        "store_session".to_owned(),
        "store_session=%00%ff".to_owned(),
        "store_session=\"quoted\"".to_owned(),
        "store_session=../../etc/passwd".to_owned(),
        "store_session=a; store_session=b".to_owned(),
        "; ;=; store_session==; =store_session".to_owned(),
        format!("store_session={}", "x".repeat(8000)),
    ]
    .iter()
    .map(|text| HeaderValue::from_str(text).unwrap())
    .collect();
    for bytes in [
        &b"store_session=\xc3\xa9t\xc3\xa9"[..],
        b"store_session=\xff\xfe\x80",
        b"\xffstore_session=x",
    ] {
        cookies.push(HeaderValue::from_bytes(bytes).unwrap());
    }
    for cookie in &cookies {
        let get = |path: &str| read(client.get(app.store(path)).header(COOKIE, cookie.clone()));
        assert_anonymous(&get("/").await, &format!("{cookie:?}"));
        get(CART).await.assert_redirect_to(TO_LOGIN_FROM_CART);
        let form = get("/login").await;
        assert_eq!(form.status, StatusCode::OK, "{cookie:?}");
        // The form stores no session: at most the bad cookie is cleared.
        let session = form.cookie("store_session");
        assert!(
            session.is_none_or(|c| c.max_age() == Some(time::Duration::ZERO)),
            "{cookie:?}: {:?}",
            form.set_cookies()
        );
        let fresh = store_session(&logins.post(Some(cookie)).await);
        assert!(
            !String::from_utf8_lossy(cookie.as_bytes()).contains(&fresh),
            "{cookie:?} chose the new id"
        );
    }

    // No record under an id the attacker chose: the session storage gains the fresh session only,
    // and the forged id stays unknown. A line is logged, without the id.
    let forged = format!(
        "store_session={}",
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
    );
    let before = session_records(&db).await.len();
    let logged_before = logs.text().len();
    let login = logins
        .post(Some(&HeaderValue::from_str(&forged).unwrap()))
        .await;
    assert_ne!(format!("store_session={}", store_session(&login)), forged);
    let records = session_records(&db).await;
    assert_eq!(records.len(), before + 1, "one record, the fresh session's");
    let forged_id = &forged["store_session=".len()..];
    let forged_key = storage_key(forged_id).to_string();
    assert!(
        records
            .iter()
            .all(|(id, _)| id != forged_id && *id != forged_key)
    );
    let logged = logs.text()[logged_before..].to_owned();
    assert!(logged.contains("WARN"), "no warning logged:\n{logged}");
    app.get_with_cookie(&app.store(CART), &forged)
        .await
        .assert_redirect_to(TO_LOGIN_FROM_CART);

    // Only ever from a cookie: a live id in the URL or in another header is nobody's.
    let alice = app.browser();
    alice.login(&app.store("/"), ALICE, PASSWORD).await;
    let live = alice.cookie(&app.store("/"), "store_session").unwrap();
    let all_logs = logs.text();
    for id in ids.iter().map(String::as_str).chain([forged_id, &live]) {
        assert!(!all_logs.contains(id), "a raw session id was logged: {id}");
    }
    for request in [
        client.get(format!("{}?store_session={live}", app.store(CART))),
        client.get(app.store(CART)).bearer_auth(&live),
        client.get(app.store(CART)).header("X-Session-Id", &live),
    ] {
        let page = read(request).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert!(page.header("location").unwrap().starts_with("/login?next="));
    }
}

// ----- Cookie attributes and No caching: a scenario with every kind of response ------------------

/// The sites' idle timeout in the scenario: short, so that an expiry fits in a test.
const SCENARIO_IDLE: Duration = Duration::from_secs(2);

/// A response of the scenario: what it was, whether a logged-in user got it, and the page.
struct Seen {
    what: &'static str,
    logged_in: bool,
    page: Page,
}

/// Both sites through every kind of response that sets, extends or clears a cookie: the CSRF
/// cookie of a login form, refusals, logins, a touch, forms, a pending second factor, logout,
/// a logged-out id, a garbage id, an expired session.
async fn every_kind_of_response(app: &TestApp, browser: &Browser) -> Vec<Seen> {
    let Sites { store, forums } = Sites::of(app);
    let s = |path: &str| format!("{store}{path}");
    let f = |path: &str| format!("{forums}{path}");
    let mut seen = Vec::new();
    let mut see = |what, logged_in, page| {
        seen.push(Seen {
            what,
            logged_in,
            page,
        })
    };

    see("Store home", false, browser.get(&store).await);
    let form = browser.get(&s("login")).await;
    let csrf = form.csrf();
    see("login form", false, form);
    let no_token = [("loginId", ALICE), ("password", PASSWORD)];
    see(
        "login without a token",
        false,
        browser.post_form(&s("login"), &no_token).await,
    );
    let wrong = [
        ("loginId", ALICE),
        ("password", "wrong"),
        ("csrf_token", &csrf),
    ];
    see(
        "wrong password",
        false,
        browser.post_form(&s("login"), &wrong).await,
    );
    let right = [
        ("loginId", ALICE),
        ("password", PASSWORD),
        ("csrf_token", &csrf),
    ];
    see("login", false, browser.post_form(&s("login"), &right).await);
    let cart = browser.get(&s("shopping-cart")).await;
    let csrf = cart.csrf();
    see("cart", true, cart);
    tokio::time::sleep(SCENARIO_IDLE / 10 + Duration::from_millis(100)).await;
    see(
        "cart after a touch interval",
        true,
        browser.get(&s("shopping-cart")).await,
    );
    see(
        "cart as JSON",
        true,
        browser.get_json(&s("shopping-cart")).await,
    );
    let add = [("sku", "TEA-001"), ("quantity", "1"), ("csrf_token", &csrf)];
    see(
        "add to cart",
        true,
        browser.post_form(&s("shopping-cart/add"), &add).await,
    );
    let bad = [
        ("sku", "TEA-001"),
        ("quantity", "lots"),
        ("csrf_token", &csrf),
    ];
    see(
        "bad quantity",
        true,
        browser.post_form(&s("shopping-cart/add"), &bad).await,
    );
    see("Store home, logged in", true, browser.get(&store).await);
    let held = browser.cookies_for(&store);
    see(
        "logout",
        true,
        browser
            .post_form(&s("logout"), &[("csrf_token", &csrf)])
            .await,
    );
    see(
        "a logged-out id",
        false,
        app.get_with_cookie(&s("shopping-cart"), &held).await,
    );
    see(
        "a garbage id",
        false,
        app.get_with_cookie(&store, "store_session=x; __Host-store_session=x")
            .await,
    );
    see(
        "login needing a second factor",
        false,
        browser
            .login(&store, "two-factor@example.com", PASSWORD)
            .await,
    );
    see(
        "two-factor form",
        false,
        browser.get(&s("login/two-factor")).await,
    );

    see(
        "Forums login",
        false,
        browser.login(&forums, ALICE, PASSWORD).await,
    );
    let posts = browser.get(&f("posts")).await;
    let csrf = posts.csrf();
    see("posts", true, posts);
    let post = [("title", "Hi"), ("body", "Tea."), ("csrf_token", &csrf)];
    see("a post", true, browser.post_form(&f("posts"), &post).await);
    let held = browser.cookies_for(&forums);
    tokio::time::sleep(SCENARIO_IDLE + Duration::from_millis(300)).await;
    see(
        "an expired session",
        false,
        app.get_with_cookie(&f("posts"), &held).await,
    );
    seen
}

/// Runs the scenario on a stack served over http or (behind a TLS proxy) https; asserts the
/// attributes of every `Set-Cookie` it saw and returns how many were removals.
async fn every_set_cookie_over(https: bool) -> usize {
    let mut config = StackConfig::ephemeral().with_policy(SessionPolicy {
        idle_timeout: SCENARIO_IDLE,
        absolute_timeout: HOUR,
        ..SessionPolicy::default()
    });
    if https {
        config.store.public_url = Some("https://store.example".parse().unwrap());
        config.forums.public_url = Some("https://forums.example".parse().unwrap());
    }
    let app = TestApp::spawn_with(config).await;
    let browser = if https {
        app.browser_behind_tls()
    } else {
        app.browser()
    };
    let mut removals = 0;
    let mut checked = 0;
    for Seen { what, page, .. } in every_kind_of_response(&app, &browser).await {
        for raw in page.headers.get_all(SET_COOKIE) {
            let text = raw.to_str().unwrap();
            let cookie = Cookie::parse(text)
                .unwrap_or_else(|e| panic!("{what}: unparsable Set-Cookie {text:?}: {e}"));
            assert_cookie_attributes(&cookie, https, what);
            // Over https the name carries the `__Host-` prefix, which makes browsers insist
            // on exactly these attributes.
            assert_eq!(
                cookie.name().starts_with("__Host-"),
                https,
                "{what}: {text}"
            );
            checked += 1;
            if cookie.max_age() == Some(time::Duration::ZERO) {
                removals += 1;
            }
        }
    }
    assert!(checked >= 8, "only {checked} Set-Cookie headers were seen");
    removals
}

#[tokio::test]
async fn every_set_cookie_has_httponly_samesite_lax_path_and_no_domain() {
    let (http, https) = tokio::join!(every_set_cookie_over(false), every_set_cookie_over(true));
    // Logout, the logged-out id and the expired session each clear the cookie.
    assert!(http >= 3, "{http} removal cookies over http");
    assert!(https >= 3, "{https} removal cookies over https");
}

// ----- Fixation ----------------------------------------------------------------------------------

#[tokio::test]
async fn fixation_a_planted_id_dies_at_login_and_another_user_gets_a_flushed_session() {
    let app = TestApp::spawn().await;
    let store = app.store("/");

    // The login form starts no session any more, so the attacker gets a valid one of their own
    // the only way there is, a login (theirs waits for a second factor), and plants its id in
    // the victim's browser; the victim logs in with it.
    let attacker = app.browser();
    attacker
        .login(&store, "two-factor@example.com", PASSWORD)
        .await
        .assert_redirect_to("/login/two-factor");
    let planted = attacker.cookie(&store, "store_session").unwrap();
    let victim = app.browser();
    victim.plant(&format!("store_session={planted}; Path=/"), &store);
    let login = victim.login(&store, ALICE, PASSWORD).await;
    login.assert_redirect_to(CART);
    assert_ne!(store_session(&login), planted, "a new id at login");
    assert_eq!(victim.get(&app.store(CART)).await.status, StatusCode::OK);
    let replay = app
        .get_with_cookie(&app.store(CART), &format!("store_session={planted}"))
        .await;
    replay.assert_redirect_to(TO_LOGIN_FROM_CART);

    // One browser, three people. Tara leaves a login waiting for her second factor; Alice
    // logs in over it; then Sam. Each login starts from an empty session with a new id.
    let browser = app.browser();
    browser
        .login(&store, "two-factor@example.com", PASSWORD)
        .await
        .assert_redirect_to("/login/two-factor");
    browser.login(&store, ALICE, PASSWORD).await;
    browser
        .get(&app.store("/login/two-factor"))
        .await
        .assert_redirect_to("/login");
    let alice = browser.cookie(&store, "store_session").unwrap();
    let alice_csrf = browser.get(&app.store(CART)).await.csrf();
    browser
        .login(&store, "store-only@example.com", PASSWORD)
        .await;
    let sam = browser.cookie(&store, "store_session").unwrap();
    assert_ne!(alice, sam);
    let cart = browser.get(&app.store(CART)).await;
    assert!(cart.body.contains("Sam StoreOnly") && !cart.body.contains("Alice"));
    assert_ne!(cart.csrf(), alice_csrf, "Alice's CSRF token went with her");
    app.get_with_cookie(&app.store(CART), &format!("store_session={alice}"))
        .await
        .assert_redirect_to(TO_LOGIN_FROM_CART);
}

// ----- Idle timeout ------------------------------------------------------------------------------

#[tokio::test]
async fn idle_timeout_extended_by_reads() {
    let idle = Duration::from_secs(2);
    let app = TestApp::spawn_with_policy(idle, HOUR).await;
    let browser = app.browser();
    let cart = app.store(CART);
    let login = browser.login(&app.store("/"), ALICE, PASSWORD).await;
    let cookie = login.cookie("store_session").unwrap();
    assert_eq!(cookie.max_age(), Some(time::Duration::seconds(2)));

    // A read right after a write does not write again (the touch is throttled)…
    let read_at_once = browser.get(&cart).await;
    assert_eq!(read_at_once.status, StatusCode::OK);
    assert!(read_at_once.cookie("store_session").is_none());
    // …a read after the touch interval extends the session, cookie and record alike…
    tokio::time::sleep(idle * 6 / 10).await;
    let touched = browser.get(&cart).await;
    assert_eq!(touched.status, StatusCode::OK);
    let extended = touched.cookie("store_session").expect("the read extends");
    assert_eq!(extended.max_age(), Some(time::Duration::seconds(2)));
    // …so that reading keeps the user in past the idle timeout counted from login…
    tokio::time::sleep(idle * 6 / 10).await;
    assert_eq!(browser.get(&cart).await.status, StatusCode::OK);
    // …and idling logs them out.
    let held = browser.cookies_for(&cart);
    tokio::time::sleep(idle + Duration::from_millis(300)).await;
    app.get_with_cookie(&cart, &held)
        .await
        .assert_redirect_to(TO_LOGIN_FROM_CART);
}

// ----- Absolute timeout --------------------------------------------------------------------------

#[tokio::test]
async fn absolute_timeout_not_extended_by_activity() {
    let absolute = Duration::from_millis(2500);
    let app = TestApp::spawn_with_policy(Duration::from_secs(1), absolute).await;
    let browser = app.browser();
    let started = Instant::now();
    browser.login(&app.store("/"), ALICE, PASSWORD).await;
    // Busy past the idle timeout: every read counts, and extends the idle expiry…
    let mut touched = 0;
    while started.elapsed() < absolute - Duration::from_millis(600) {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let page = browser.get(&app.store(CART)).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", started.elapsed());
        touched += usize::from(page.cookie("store_session").is_some());
    }
    assert!(touched >= 3, "{touched} reads extended the session");
    // …but not the absolute timeout, counted from login.
    tokio::time::sleep(absolute.saturating_sub(started.elapsed()) + Duration::from_millis(200))
        .await;
    let ended = browser.get(&app.store(CART)).await;
    ended.assert_redirect_to(TO_LOGIN_FROM_CART);
}

// ----- Expired or missing session ----------------------------------------------------------------

/// Asserts what a page and a JSON request for `path` on `base` get without a valid session.
async fn assert_sent_to_login(browser: &Browser, base: &str, path: &str, next: &str) {
    let url = format!("{}{}", base.trim_end_matches('/'), path);
    let login_url = format!("/login?next={next}");
    browser.get(&url).await.assert_redirect_to(&login_url);
    let json = browser.get_json(&url).await;
    assert_eq!(json.status, StatusCode::UNAUTHORIZED, "{url}");
    let body: Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(body["error"], "unauthorized");
    assert_eq!(body["login_url"], login_url.as_str());
}

#[tokio::test]
async fn expired_session_pages_redirect_json_gets_401() {
    let idle = Duration::from_secs(1);
    let app = TestApp::spawn_with_policy(idle, HOUR).await;
    let cases = [
        (app.store("/"), CART, "/shopping-cart"),
        (
            app.store("/"),
            "/shopping-cart?from=email&x=%",
            "/shopping-cart%3Ffrom%3Demail%26x%3D%25",
        ),
        (app.forums("/"), "/posts", "/posts"),
    ];
    // Absent: no session at all.
    let stranger = app.browser();
    for (base, path, next) in &cases {
        assert_sent_to_login(&stranger, base, path, next).await;
    }
    // Expired: logged in on both sites, then idle past the timeout.
    let browser = app.browser();
    browser.login(&app.store("/"), ALICE, PASSWORD).await;
    browser.login(&app.forums("/"), ALICE, PASSWORD).await;
    let store = browser.cookies_for(&app.store("/"));
    let forums = browser.cookies_for(&app.forums("/"));
    tokio::time::sleep(idle + Duration::from_millis(300)).await;
    // The browser itself dropped the expired cookies; send them anyway, as a stale tab would.
    let stale = app.browser();
    stale.plant(&format!("{store}; Path=/"), &app.store("/"));
    stale.plant(&format!("{forums}; Path=/"), &app.forums("/"));
    for (base, path, next) in &cases {
        assert_sent_to_login(&stale, base, path, next).await;
    }
}

// ----- Logout ------------------------------------------------------------------------------------

/// True when some record in the session storage still holds a logged-in user.
async fn store_holds_a_user(db: &std::path::Path) -> bool {
    records(db)
        .await
        .iter()
        .any(|record| is_live(record) && record.data.contains_key("user"))
}

#[tokio::test]
async fn logout_post_only_with_csrf_deletes_record_clear_site_data_no_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let app = TestApp::spawn_with(sqlite_sessions(StackConfig::ephemeral(), &db)).await;
    let browser = app.browser();
    browser.login(&app.store("/"), ALICE, PASSWORD).await;
    let stolen = browser.cookies_for(&app.store("/"));
    let csrf = browser.get(&app.store(CART)).await.csrf();
    let logout = app.store("/logout");
    let still_in = || async {
        assert_eq!(browser.get(&app.store(CART)).await.status, StatusCode::OK);
        assert!(store_holds_a_user(&db).await);
    };

    // Not by GET (a link or an image could log the user out), not without the token, not
    // from the other site.
    let get = browser.get(&logout).await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    still_in().await;
    let missing = browser.post_form(&logout, &[]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let wrong = browser
        .post_form(&logout, &[("csrf_token", "forged")])
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let elsewhere = read(
        browser
            .http
            .post(&logout)
            .header("Origin", app.forums("/").trim_end_matches('/'))
            .form(&[("csrf_token", &csrf)]),
    )
    .await;
    assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
    still_in().await;

    // The real thing.
    let done = browser.post_form(&logout, &[("csrf_token", &csrf)]).await;
    done.assert_redirect_to("/");
    let clear = done.header("clear-site-data").unwrap_or_default();
    assert!(clear.contains("\"cookies\""), "Clear-Site-Data: {clear}");
    assert_eq!(done.header("cache-control"), Some("no-store"));
    let removal = done.cookie("store_session").expect("the cookie is cleared");
    assert_eq!(removal.max_age(), Some(time::Duration::ZERO));
    assert!(!store_holds_a_user(&db).await, "the record is deleted");
    // The id, replayed from another client, is nobody's.
    app.get_with_cookie(&app.store(CART), &stolen)
        .await
        .assert_redirect_to(TO_LOGIN_FROM_CART);
    assert_anonymous(&app.get_with_cookie(&app.store("/"), &stolen).await, "");
}

// ----- CSRF and origin checks --------------------------------------------------------------------

/// Asserts that a form posted to `url` with `fields` is refused (403) without the token, with a
/// wrong one, and with the right one from another origin (`Origin`, or `Sec-Fetch-Site`).
async fn assert_csrf_refused(
    browser: &Browser,
    url: &str,
    fields: &[(&str, &str)],
    token: &str,
    other_origin: &str,
) {
    let with = |token| {
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", token));
        fields
    };
    let refused = |page: Page, why: &str| {
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{url} {why}: {}",
            page.body
        );
    };
    refused(browser.post_form(url, fields).await, "without a token");
    refused(browser.post_form(url, &with("forged")).await, "wrong token");
    let right = with(token);
    let post = || browser.http.post(url).form(&right);
    refused(
        read(post().header("Origin", other_origin)).await,
        "from another origin",
    );
    for site in ["same-site", "cross-site"] {
        refused(
            read(post().header("Sec-Fetch-Site", site)).await,
            "from another origin (Sec-Fetch-Site)",
        );
    }
}

/// A logged-in browser's cart, as (sku, quantity).
async fn cart_items(browser: &Browser, app: &TestApp) -> Vec<(String, u64)> {
    let json: Value = serde_json::from_str(&browser.get_json(&app.store(CART)).await.body).unwrap();
    json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["sku"].as_str().unwrap().to_owned(),
                i["quantity"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_same_origin_post_reaching_the_site_under_another_host_name_is_accepted() {
    // The Origin check takes the site's public URL or the request's own Host: a page served
    // at http://127.0.0.1:<port> posts back with that Origin, and it is the same origin.
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.login(&app.store("/"), ALICE, PASSWORD).await;
    let csrf = browser.get(&app.store(CART)).await.csrf();
    let before = cart_items(&browser, &app).await;
    let cookie = browser.cookies_for(&app.store("/"));
    let direct = format!("http://{}", app.stack.store.addr());
    let page = read(
        app.bare_client()
            .post(format!("{direct}/shopping-cart/add"))
            .header("Cookie", cookie)
            .header("Origin", &direct)
            .form(&[("sku", "KET-003"), ("quantity", "1"), ("csrf_token", &csrf)]),
    )
    .await;
    page.assert_redirect_to(CART);
    let after = cart_items(&browser, &app).await;
    assert_ne!(after, before, "the item was added");
    assert!(after.iter().any(|(sku, _)| sku == "KET-003"), "{after:?}");
}

#[tokio::test]
async fn csrf_missing_token_403_and_other_origin_403() {
    // Refused posts count against the login limits too; this test makes many.
    let app = TestApp::spawn_with(unlimited()).await;
    let (store, forums) = (app.store("/"), app.forums("/"));
    let store_origin = store.trim_end_matches('/').to_owned();
    let forums_origin = forums.trim_end_matches('/').to_owned();
    let browser = app.browser();

    // The login form too: its token signs the nonce of the browser's CSRF cookie.
    let anonymous_csrf = browser.get(&app.store("/login")).await.csrf();
    let credentials = [("loginId", ALICE), ("password", PASSWORD)];
    let login = app.store("/login");
    assert_csrf_refused(
        &browser,
        &login,
        &credentials,
        &anonymous_csrf,
        &forums_origin,
    )
    .await;
    browser
        .get(&app.store(CART))
        .await
        .assert_redirect_to(TO_LOGIN_FROM_CART);

    // Logged in on both sites: the token was rotated at login, the old one is dead.
    browser.login(&store, ALICE, PASSWORD).await;
    browser.login(&forums, ALICE, PASSWORD).await;
    let store_csrf = browser.get(&app.store(CART)).await.csrf();
    let forums_csrf = browser.get(&app.forums("/posts")).await.csrf();
    assert_ne!(store_csrf, anonymous_csrf, "rotated at login");
    let stale = [
        ("sku", "KET-003"),
        ("quantity", "1"),
        ("csrf_token", &anonymous_csrf),
    ];
    let refused = browser
        .post_form(&app.store("/shopping-cart/add"), &stale)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let cart = cart_items(&browser, &app).await;
    let posts = browser.get_json(&app.forums("/posts")).await.body;

    // Every state-changing form of both sites.
    let store_forms: [(&str, &[(&str, &str)]); 5] = [
        (
            "/shopping-cart/add",
            &[("sku", "KET-003"), ("quantity", "1")],
        ),
        ("/shopping-cart/remove", &[("sku", "TEA-001")]),
        ("/login/two-factor", &[("code", "123456")]),
        (
            "/login/change-password",
            &[("password", "a new passphrase")],
        ),
        ("/logout", &[]),
    ];
    for (path, fields) in store_forms {
        let url = app.store(path);
        assert_csrf_refused(&browser, &url, fields, &store_csrf, &forums_origin).await;
    }
    let forums_forms: [(&str, &[(&str, &str)]); 2] = [
        (
            "/posts",
            &[("title", "Forged"), ("body", "by another site")],
        ),
        ("/logout", &[]),
    ];
    for (path, fields) in forums_forms {
        let url = app.forums(path);
        assert_csrf_refused(&browser, &url, fields, &forums_csrf, &store_origin).await;
    }

    // Nothing changed, and both sessions are intact…
    assert_eq!(cart_items(&browser, &app).await, cart);
    assert_eq!(browser.get_json(&app.forums("/posts")).await.body, posts);
    // …while the same form from the site itself, as a browser marks it, goes through.
    let same_origin = read(
        browser
            .http
            .post(app.store("/shopping-cart/add"))
            .header("Origin", &store_origin)
            .header("Sec-Fetch-Site", "same-origin")
            .form(&[
                ("sku", "KET-003"),
                ("quantity", "1"),
                ("csrf_token", &store_csrf),
            ]),
    )
    .await;
    same_origin.assert_redirect_to(CART);
    assert_eq!(cart_items(&browser, &app).await.len(), cart.len() + 1);
}

// ----- `next` redirects --------------------------------------------------------------------------

/// Django's `test_bad_urls` for `url_has_allowed_host_and_scheme`, as it stands in
/// django/django, tests/utils_tests/test_http.py (URLHasAllowedHostAndSchemeTests, at commit
/// 01e85f309fe6fc224a9b0cb36db71a34eb04fe1e), repeats included. Python's raw strings are
/// Rust's raw strings.
const DJANGO_BAD_URLS: &[&str] = &[
    "http://example.com",
    "http:///example.com",
    "https://example.com",
    "ftp://example.com",
    r"\\example.com",
    r"\\\example.com",
    r"/\\/example.com",
    r"\\\example.com",
    r"\\example.com",
    r"\\//example.com",
    r"/\/example.com",
    r"\/example.com",
    r"/\example.com",
    "http:///example.com",
    r"http:/\//example.com",
    r"http:\/example.com",
    r"http:/\example.com",
    r#"javascript:alert("XSS")"#,
    "\njavascript:alert(x)",
    "java\nscript:alert(x)",
    "\x08//example.com",
    r"http://otherserver\@example.com",
    r"http:\\testserver\@example.com",
    r"http://testserver\me:pass@example.com",
    r"http://testserver\@example.com",
    r"http:\\testserver\confirm\me@example.com",
    "http:999999999",
    "ftp:9999999999",
    "\n",
    "http://[2001:cdba:0000:0000:0000:0000:3257:9652/",
    "http://2001:cdba:0000:0000:0000:0000:3257:9652]/",
];

/// Logs in on the Store with `next`, from a fresh session, and returns where the login sends
/// the user. (One client, its cookie handled by hand: a client costs a tenth of a second.)
async fn login_location(app: &TestApp, client: &reqwest::Client, next: &str) -> String {
    let form = read(client.get(app.store("/login"))).await;
    let nonce = form
        .cookie("store_csrf")
        .expect("the login form's CSRF cookie");
    let page = read(
        client
            .post(app.store("/login"))
            .header(COOKIE, format!("store_csrf={}", nonce.value()))
            .form(&[
                ("loginId", ALICE),
                ("password", PASSWORD),
                ("csrf_token", &form.csrf()),
                ("next", next),
            ]),
    )
    .await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "{next:?}: {}",
        page.body
    );
    page.header("location").unwrap().to_owned()
}

#[tokio::test]
async fn next_only_same_origin_relative_paths() {
    let app = TestApp::spawn_with(unlimited()).await;
    let client = app.bare_client();
    let unique: HashSet<&str> = DJANGO_BAD_URLS.iter().copied().collect();
    for &bad in &unique {
        assert_eq!(NextPath::parse(bad), None, "{bad:?}");
        // The login ignores it and lands on the cart…
        assert_eq!(login_location(&app, &client, bad).await, CART, "{bad:?}");
        // …and the form does not carry it.
        let form = read(client.get(app.store("/login")).query(&[("next", bad)])).await;
        assert_eq!(
            hidden_field(&form.body, "next").as_deref(),
            Some(""),
            "{bad:?}"
        );
    }
    // Same-origin paths, Django's good relative ones among them, are kept by the form and
    // followed as given.
    for good in [
        "/shopping-cart?from=email",
        "/view/?param=http://example.com",
        "/view?param=ftp://example.com",
        "/url%20with%20spaces/",
        "/confirm/me@example.com",
    ] {
        let form = read(client.get(app.store("/login")).query(&[("next", good)])).await;
        assert_eq!(hidden_field(&form.body, "next").as_deref(), Some(good));
        assert_eq!(login_location(&app, &client, good).await, good);
    }
    // The login redirect of a protected page carries its path as `next`.
    read(client.get(app.store(CART)))
        .await
        .assert_redirect_to(TO_LOGIN_FROM_CART);
}

/// Strings built from the pieces open redirects are made of.
fn next_candidates() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(vec![
            "/", "//", "\\", "/\\", ":", "@", ".", "..", "?", "#", "%2f", "%5c", "%2F%2F",
            "http:", "https://", "javascript:", "evil.example", "store.localhost", "a",
            "\t", "\n", "\r", " ", "\u{0}", "\u{7f}", "\u{85}", "\u{a0}", "\u{2028}",
            "\u{3000}", "\u{ff0f}", "\u{ff3c}", "\u{200b}", "\u{feff}",
        ]).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    prop_oneof![
        prop::collection::vec(piece, 0..10).prop_map(|pieces| pieces.concat()),
        any::<String>(),
        "/[^\\\\]{0,20}",
    ]
}

#[test]
fn any_accepted_next_stays_on_the_site() {
    let sites: Vec<Url> = [
        "http://store.localhost:8080/login",
        "https://store.example/",
    ]
    .iter()
    .map(|u| u.parse().unwrap())
    .collect();
    proptest!(ProptestConfig::with_cases(2048), |(raw in next_candidates())| {
        if let Some(next) = NextPath::parse(&raw) {
            let path = next.as_str();
            prop_assert!(path.starts_with('/') && !path.starts_with("//"), "{path:?}");
            prop_assert!(!path.contains('\\'), "{path:?}");
            prop_assert!(!path.chars().any(char::is_control), "{path:?}");
            for site in &sites {
                let target = site.join(path);
                prop_assert!(
                    target.as_ref().is_ok_and(|t| t.origin() == site.origin()),
                    "{path:?} from {site} goes to {target:?}"
                );
            }
        }
    });
}

// ----- No caching --------------------------------------------------------------------------------

#[tokio::test]
async fn no_store_on_authenticated_pages_and_cookie_setting_responses() {
    let app = TestApp::spawn_with_policy(SCENARIO_IDLE, HOUR).await;
    let (mut private, mut setting) = (0, 0);
    for seen in every_kind_of_response(&app, &app.browser()).await {
        let sets = seen.page.headers.contains_key(SET_COOKIE);
        if seen.logged_in || sets {
            assert_eq!(
                seen.page.header("cache-control"),
                Some("no-store"),
                "{}",
                seen.what
            );
        }
        private += usize::from(seen.logged_in);
        setting += usize::from(sets);
    }
    assert!(private >= 8, "{private} pages for a logged-in user");
    assert!(setting >= 6, "{setting} responses that set a cookie");
}

// ----- Failing closed ----------------------------------------------------------------------------

#[tokio::test]
async fn identity_server_down_or_slow_gives_a_generic_503_and_no_session() {
    let timeout = Duration::from_millis(400);
    let mut fusionauth = FusionAuthStub::start(Answer::json(500, "")).await;
    let mut config = StackConfig::ephemeral();
    config.fusionauth = FusionAuth::External(fusionauth.url());
    config.fusionauth_timeout = timeout;
    let app = TestApp::spawn_with(config).await;
    let store = app.store("/");

    let mut bodies = Vec::new();
    for (case, answer, seen_as) in [
        ("failing", Some(Answer::json(500, "{}")), "500"),
        ("garbled", Some(Answer::json(200, "{\"user\":")), "200"),
        ("silent", Some(Answer::Silence(timeout * 10)), "no answer"),
        ("down", None, "no answer"),
    ] {
        match answer {
            Some(answer) => fusionauth.answer(answer),
            None => fusionauth.stop(),
        }
        let browser = app.browser();
        let started = Instant::now();
        let page = browser.login(&store, ALICE, PASSWORD).await;
        let took = started.elapsed();
        assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE, "{case}");
        assert!(
            page.body.contains("Login is temporarily unavailable"),
            "{case}: {}",
            page.body
        );
        assert!(took < timeout + Duration::from_secs(2), "{case}: {took:?}");
        if case == "silent" {
            assert!(took >= timeout, "{case}: waited for the timeout, {took:?}");
        }
        let timing = page.header("server-timing").unwrap_or_default();
        assert!(
            timing.contains(&format!("POST /api/login {seen_as}")),
            "{case}: {timing}"
        );
        // No session: the browser is as anonymous as before.
        browser
            .get(&app.store(CART))
            .await
            .assert_redirect_to(TO_LOGIN_FROM_CART);
        bodies.push((case, page.body));
    }
    // Generic: whatever went wrong, the page says the same.
    for (case, body) in &bodies[1..] {
        assert_eq!(body, &bodies[0].1, "{case} differs from {}", bodies[0].0);
    }
}

// ----- Elsewhere --------------------------------------------------------------------------------
//
// The other properties' tests sit next to the code they check (hashed_sessions.rs, limits.rs,
// timing.rs, sign_out.rs, fail_closed.rs, replicas.rs, untrusted.rs, and unit tests in
// backend/src): docs/security.md maps every property to the module that enforces it and to its
// tests.
