//! Revalidation in the background (docs/security.md, "Sign out everywhere and revalidation"): a
//! session due its check with FusionAuth is served from the session at once, whatever FusionAuth
//! does; its requests start one check between them; the check's verdict applies from the next
//! request. The sign-out outcomes of each verdict are in `sign_out.rs`.

use crate::app::{TestApp, sqlite_sessions};
use crate::logs::Logs;
use crate::replicas::redis_sessions;
use crate::sign_out::patch_alice;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use backend::identity::{IdentityConfig, IdentityServer};
use backend::stack::{FusionAuth, StackConfig};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use url::Url;

const CART: &str = "/shopping-cart";
const ALICE: &str = "alice@example.com";
/// How long each test waits at most for something that happens in the background.
const PATIENCE: Duration = Duration::from_secs(15);

/// FusionAuth as the apps see it: the local identity server behind a front that counts the user
/// lookups revalidation makes (`GET /api/user/{id}`) and can freeze them (the connection is
/// accepted, the request read, and no answer ever comes), relaying everything else.
struct FusionAuthFront {
    url: Url,
    lookups: Arc<AtomicUsize>,
    frozen: Arc<AtomicBool>,
    _identity: IdentityServer,
}

/// What the front's handler shares.
#[derive(Clone)]
struct Relay {
    identity: Url,
    http: reqwest::Client,
    lookups: Arc<AtomicUsize>,
    frozen: Arc<AtomicBool>,
}

impl FusionAuthFront {
    async fn start() -> Self {
        let identity = IdentityServer::start(IdentityConfig::ephemeral())
            .await
            .unwrap();
        let relay = Relay {
            identity: Url::parse(&identity.url()).unwrap(),
            http: reqwest::Client::builder()
                .tls_certs_only(Vec::new())
                .build()
                .unwrap(),
            lookups: Arc::default(),
            frozen: Arc::default(),
        };
        let (lookups, frozen) = (relay.lookups.clone(), relay.frozen.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let router = axum::Router::new().fallback(move |request: Request| {
            let relay = relay.clone();
            async move { relay.answer(request).await }
        });
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            url,
            lookups,
            frozen,
            _identity: identity,
        }
    }

    /// From now on user lookups get no answer.
    fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }

    /// How many user lookups reached FusionAuth so far.
    fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

impl Relay {
    async fn answer(&self, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        if parts.method == Method::GET && parts.uri.path().starts_with("/api/user/") {
            self.lookups.fetch_add(1, Ordering::SeqCst);
            if self.frozen.load(Ordering::SeqCst) {
                return std::future::pending().await;
            }
        }
        let body: Bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        let path = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let mut relayed = self
            .http
            .request(parts.method, self.identity.join(path).unwrap())
            .body(body);
        for (name, value) in &parts.headers {
            if name != "host" {
                relayed = relayed.header(name, value);
            }
        }
        let answer = relayed.send().await.unwrap();
        let mut response = Response::builder().status(answer.status().as_u16());
        for (name, value) in answer.headers() {
            response = response.header(name, value);
        }
        response
            .body(Body::from(answer.bytes().await.unwrap()))
            .unwrap()
    }
}

/// A stack against `front` whose sessions are due their check one millisecond after login, each
/// check waiting `recheck_timeout` at most; FusionAuth calls otherwise wait the default 5 s.
async fn checked_through(front: &FusionAuthFront, recheck_timeout: Duration) -> TestApp {
    let mut config = StackConfig::ephemeral();
    config.fusionauth = FusionAuth::External(front.url.clone());
    assert_eq!(config.fusionauth_timeout, Duration::from_secs(5));
    for site in [&mut config.store, &mut config.forums] {
        site.revalidate_interval = Duration::from_millis(1);
        site.recheck_timeout = recheck_timeout;
    }
    TestApp::spawn_with(config).await
}

/// Waits until `ready` holds, checking every 20 ms; panics after [`PATIENCE`] naming `what`.
async fn eventually(what: &str, mut ready: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !ready().await {
        assert!(started.elapsed() < PATIENCE, "still not {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_frozen_fusionauth_holds_up_no_page_and_is_asked_once_per_check() {
    let logs = Logs::default();
    let _capturing = logs.capture();
    let front = FusionAuthFront::start().await;
    let recheck_timeout = Duration::from_secs(3);
    let app = checked_through(&front, recheck_timeout).await;
    let browser = app.browser();
    browser
        .login(&app.store("/"), ALICE, "password")
        .await
        .assert_redirect_to(CART);
    front.freeze();

    // Twenty pages at once, all due their check: each is served from the session at once (the
    // check inline would hold each for the 5 s FusionAuth timeout), and one check is started.
    let started = Instant::now();
    let mut pages = JoinSet::new();
    for _ in 0..20 {
        let (http, url) = (browser.http.clone(), app.store(CART));
        pages.spawn(async move {
            let asked = Instant::now();
            let status = http.get(url).send().await.unwrap().status();
            (status, asked.elapsed())
        });
    }
    while let Some(page) = pages.join_next().await {
        let (status, took) = page.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert!(took < Duration::from_secs(1), "a page took {took:?}");
    }
    // All were answered while the first check still waited, so none could start another.
    assert!(
        started.elapsed() < recheck_timeout,
        "{:?}",
        started.elapsed()
    );
    eventually("asked", async || front.lookups() >= 1).await;
    assert_eq!(front.lookups(), 1, "one check for twenty requests");

    // The check gives up after the recheck timeout: the session goes on, the failure is logged,
    // and the next page starts the next check.
    let warning = "cannot revalidate the session with FusionAuth; it goes on, retrying later";
    eventually("logged", async || logs.text().contains(warning)).await;
    assert!(
        logs.text().contains("did not answer within 3s"),
        "{}",
        logs.text()
    );
    eventually("asked again", async || {
        assert_eq!(browser.get(&app.store(CART)).await.status, StatusCode::OK);
        front.lookups() == 2
    })
    .await;
}

#[tokio::test]
async fn a_locked_user_is_served_the_due_page_then_signed_out_with_the_notice_on_every_store() {
    let dir = tempfile::tempdir().unwrap();
    let stores = [
        ("memory", StackConfig::ephemeral()),
        (
            "sqlite",
            sqlite_sessions(StackConfig::ephemeral(), &dir.path().join("store.db")),
        ),
        ("redis", {
            let mut config = StackConfig::ephemeral();
            config.store.sessions = redis_sessions();
            config
        }),
    ];
    for (store, mut config) in stores {
        config.store.revalidate_interval = Duration::from_millis(1);
        let app = TestApp::spawn_with(config).await;
        let browser = app.browser();
        browser
            .login(&app.store("/"), ALICE, "password")
            .await
            .assert_redirect_to(CART);
        patch_alice(&app, json!({ "active": false })).await;

        // The page that finds the session due is served from it; the check it starts ends it.
        let due = browser.get(&app.store(CART)).await;
        assert_eq!(due.status, StatusCode::OK, "{store}: {due:?}");
        let mut next = browser.get(&app.store(CART)).await;
        eventually(store, async || {
            next = browser.get(&app.store(CART)).await;
            next.status != StatusCode::OK
        })
        .await;
        next.assert_redirect_to("/login?next=/shopping-cart");
        let login = browser.get(&app.store("/login?next=/shopping-cart")).await;
        login.assert_shows(store, &["your account has been locked", "Log in to"]);
    }
}
