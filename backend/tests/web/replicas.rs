//! Replicas of the Store behind one address, sharing sessions, locks, the per-user index and
//! the login rate limits through a real Redis (`TEST_REDIS_URL`; `.ci/services` starts one),
//! and carts through one database. A request may land on any replica: everything SECURITY.md
//! asks of one process holds across them.

#[path = "../support/balancer.rs"]
mod balancer;

use crate::app::{Browser, BrowserJar, Page, read};
use backend::fusionauth::{FusionAuthClient, FusionAuthConfig};
use backend::identity::{IdentityConfig, IdentityServer};
use backend::session::{SessionPolicy, THEFT_NOTICE};
use backend::stack::{StackConfig, demo};
use backend::web::{LoginLimits, SessionBackend, SiteConfig, WebServer};
use balancer::Balancer;
use reqwest::StatusCode;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

const ALICE: &str = "alice@example.com";
const PASSWORD: &str = "password";
const CART: &str = "/shopping-cart";
const COOKIE: &str = "store_session";
const TO_LOGIN: &str = "/login?next=/shopping-cart";

/// The Redis the tests share; each fixture keeps its keys under a prefix of its own.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").expect(
        "TEST_REDIS_URL is not set: start Redis with `bash .ci/services start` and \
         `eval \"$(bash .ci/services env)\"` (CI does this)",
    )
}

/// Sessions in the test Redis under a fresh prefix.
pub fn redis_sessions() -> SessionBackend {
    SessionBackend::Redis {
        url: redis_url(),
        prefix: format!("test-{}:store:", uuid::Uuid::new_v4()),
    }
}

/// An identity server and Store replicas behind a [`Balancer`], one Redis prefix, one
/// SQLite database.
pub struct Replicas {
    pub balancer: Balancer,
    pub replicas: Vec<WebServer>,
    pub config: SiteConfig,
    pub url: Url,
    fusionauth: FusionAuthClient,
    _identity: IdentityServer,
    _dir: tempfile::TempDir,
}

impl Replicas {
    /// `n` replicas with the default policy and generous rate limits.
    pub async fn start(n: usize) -> Self {
        Self::start_with(n, |_| {}).await
    }

    /// `n` replicas of the Store as `adjust` configures it.
    pub async fn start_with(n: usize, adjust: impl FnOnce(&mut SiteConfig)) -> Self {
        let identity = IdentityServer::start(IdentityConfig::ephemeral())
            .await
            .unwrap();
        let fusionauth = FusionAuthClient::new(FusionAuthConfig {
            base_url: Url::parse(&identity.url()).unwrap(),
            api_key: SecretString::from(demo::API_KEY),
            tenant_id: None,
            timeout: Duration::from_secs(5),
        })
        .unwrap();
        let balancer = Balancer::start().await;
        let url = Url::parse(&format!(
            "http://store.localhost:{}",
            balancer.addr().port()
        ))
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = StackConfig::ephemeral().store;
        config.public_url = Some(url.clone());
        config.database_url = format!("sqlite://{}", dir.path().join("store.db").display());
        config.sessions = redis_sessions();
        adjust(&mut config);
        let mut fixture = Self {
            balancer,
            replicas: Vec::new(),
            config,
            url,
            fusionauth,
            _identity: identity,
            _dir: dir,
        };
        for _ in 0..n {
            fixture.add_replica().await;
        }
        fixture
    }

    /// Starts one more replica; returns its number.
    pub async fn add_replica(&mut self) -> usize {
        let replica = WebServer::start(self.config.clone(), self.fusionauth.clone())
            .await
            .expect("a replica starts");
        let n = self.balancer.add(replica.addr());
        self.replicas.push(replica);
        n
    }

    /// `path` at the balancer's address.
    pub fn at(&self, path: &str) -> String {
        self.url.join(path).unwrap().to_string()
    }

    /// `path` on replica `n` itself, past the balancer (the same host name, so a browser sends
    /// it the same cookies: they are not scoped by port).
    pub fn on(&self, n: usize, path: &str) -> String {
        let mut url = self.url.join(path).unwrap();
        url.set_port(Some(self.replicas[n].addr().port())).unwrap();
        url.to_string()
    }

    /// A browser that opens a connection per request, so each goes where the balancer says.
    pub fn browser(&self) -> Browser {
        let jar = Arc::new(BrowserJar::default());
        let http = reqwest::Client::builder()
            .tls_certs_only(Vec::new())
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .resolve("store.localhost", loopback())
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        Browser { http, jar }
    }

    /// A `GET` of `path` with `cookie` as the only cookie, on replica `n`.
    pub async fn replay_on(&self, n: usize, path: &str, cookie: &str) -> Page {
        let client = reqwest::Client::builder()
            .tls_certs_only(Vec::new())
            .redirect(reqwest::redirect::Policy::none())
            .resolve("store.localhost", loopback())
            .build()
            .unwrap();
        read(
            client
                .get(self.on(n, path))
                .header("Cookie", format!("{COOKIE}={cookie}")),
        )
        .await
    }
}

/// Where `store.localhost` resolves; the port comes from each URL.
fn loopback() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], 0))
}

fn session_cookie(replicas: &Replicas, browser: &Browser) -> String {
    browser
        .cookie(&replicas.at("/"), COOKIE)
        .expect("the browser holds a session cookie")
}

#[tokio::test]
async fn a_login_on_one_replica_is_a_session_on_the_other_and_a_logout_there_ends_it_on_both() {
    let replicas = Replicas::start(2).await;
    let alice = replicas.browser();

    replicas.balancer.send_to(0);
    alice
        .login(&replicas.at("/"), ALICE, PASSWORD)
        .await
        .assert_redirect_to(CART);
    let cookie = session_cookie(&replicas, &alice);

    // The cart, on the other replica: the same user, and a change made there is seen on A.
    replicas.balancer.send_to(1);
    let cart = alice.get(&replicas.at(CART)).await;
    assert_eq!(cart.status, StatusCode::OK, "{}", cart.body);
    assert!(cart.body.contains("Alice Shopper"));
    alice
        .post_form(
            &replicas.at("/shopping-cart/add"),
            &[
                ("sku", "KET-003"),
                ("quantity", "1"),
                ("csrf_token", &cart.csrf()),
            ],
        )
        .await
        .assert_redirect_to(CART);
    replicas.balancer.send_to(0);
    assert!(alice.get(&replicas.at(CART)).await.body.contains("KET-003"));

    // Logging out on B ends the session for A too: the old cookie is refused everywhere.
    replicas.balancer.send_to(1);
    let cart = alice.get(&replicas.at(CART)).await;
    alice
        .post_form(&replicas.at("/logout"), &[("csrf_token", &cart.csrf())])
        .await
        .assert_redirect_to("/");
    for n in [0, 1] {
        replicas
            .replay_on(n, CART, &cookie)
            .await
            .assert_redirect_to(TO_LOGIN);
    }
}

#[tokio::test]
async fn a_rotation_on_one_replica_holds_on_the_other_and_a_late_replay_there_is_theft() {
    const INTERVAL: Duration = Duration::from_secs(1);
    const GRACE: Duration = Duration::from_millis(800);
    let replicas = Replicas::start_with(2, |config| {
        config.policy = SessionPolicy {
            rotation_interval: INTERVAL,
            rotation_grace: GRACE,
            ..SessionPolicy::default()
        };
    })
    .await;
    let alice = replicas.browser();
    replicas.balancer.send_to(0);
    alice.login(&replicas.at("/"), ALICE, PASSWORD).await;
    let old = session_cookie(&replicas, &alice);

    // Replica A rotates the id once the interval is over.
    tokio::time::sleep(INTERVAL + Duration::from_millis(100)).await;
    let rotated = alice.get(&replicas.at(CART)).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let new = session_cookie(&replicas, &alice);
    assert_ne!(new, old, "replica A rotated the id");

    // Within the grace period B serves the old id (read-only: no cookie set), and the new one.
    let in_grace = replicas.replay_on(1, CART, &old).await;
    assert_eq!(in_grace.status, StatusCode::OK, "{}", in_grace.body);
    assert!(in_grace.cookie(COOKIE).is_none(), "read-only");
    assert_eq!(
        replicas.replay_on(1, CART, &new).await.status,
        StatusCode::OK
    );

    // After it, the old id on B is a stolen copy: the whole session ends, on A too.
    tokio::time::sleep(GRACE + Duration::from_millis(200)).await;
    let stale = replicas.replay_on(1, CART, &old).await;
    stale.assert_redirect_to(TO_LOGIN);
    let notice_session = stale
        .cookie(COOKIE)
        .expect("the notice's session")
        .value()
        .to_owned();
    let login = replicas.replay_on(0, "/login", &notice_session).await;
    let notice = THEFT_NOTICE.split(" — ").next().unwrap();
    assert!(login.body.contains(notice), "{}", login.body);
    replicas
        .replay_on(0, CART, &new)
        .await
        .assert_redirect_to(TO_LOGIN);
}

#[tokio::test]
async fn the_login_rate_limit_of_an_account_is_one_budget_across_replicas() {
    let replicas = Replicas::start_with(3, |config| {
        config.login_limits = LoginLimits {
            per_ip: None,
            per_account: "3/min".parse::<backend::web::Limit>().unwrap().0,
        };
    })
    .await;
    replicas.balancer.round_robin();
    let browser = replicas.browser();
    // Three attempts, one on each replica, spend the budget (wrong passwords: the form is
    // shown again, 401)...
    for attempt in 0..3 {
        let page = browser.login(&replicas.at("/"), ALICE, "wrong").await;
        assert_eq!(
            page.status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}: {}",
            page.body
        );
    }
    // ...so the fourth is refused wherever it lands, even with the right password.
    for n in 0..3 {
        replicas.balancer.send_to(n);
        let refused = browser.login(&replicas.at("/"), ALICE, PASSWORD).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "replica {n}");
        let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=20).contains(&retry), "Retry-After {retry}");
    }
    // Another account still has its budget.
    let other = browser
        .login(&replicas.at("/"), "store-only@example.com", PASSWORD)
        .await;
    other.assert_redirect_to(CART);
}

#[tokio::test]
async fn the_sessions_page_on_one_replica_lists_and_ends_sessions_made_on_another() {
    let replicas = Replicas::start(2).await;
    let laptop = replicas.browser();
    let phone = replicas.browser();
    replicas.balancer.send_to(0);
    laptop
        .login_as_agent(&replicas.at("/"), ALICE, PASSWORD, "Laptop/1.0")
        .await;
    replicas.balancer.send_to(1);
    phone
        .login_as_agent(&replicas.at("/"), ALICE, PASSWORD, "Phone/2.0")
        .await;

    replicas.balancer.send_to(0);
    let list = laptop.get_json(&replicas.at("/sessions")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("Laptop/1.0") && list.body.contains("Phone/2.0"));

    // Sign out all other sessions from A: the phone, logged in on B, is out on both.
    let page = laptop.get(&replicas.at("/sessions")).await;
    laptop
        .post_form(
            &replicas.at("/sessions/end"),
            &[("session", "others"), ("csrf_token", &page.csrf())],
        )
        .await;
    for n in [0, 1] {
        replicas.balancer.send_to(n);
        phone
            .get(&replicas.at(CART))
            .await
            .assert_redirect_to(TO_LOGIN);
        assert_eq!(laptop.get(&replicas.at(CART)).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn sites_sharing_one_redis_never_read_each_others_sessions() {
    // Two sites in one Redis: a Store and another Store deployment under another prefix stand
    // in for the Store and the Forums (each keys its records by a hash of its prefix).
    let a = Replicas::start(1).await;
    let b = Replicas::start(1).await;
    let alice = a.browser();
    alice.login(&a.at("/"), ALICE, PASSWORD).await;
    let cookie = session_cookie(&a, &alice);
    assert_eq!(a.replay_on(0, CART, &cookie).await.status, StatusCode::OK);
    b.replay_on(0, CART, &cookie)
        .await
        .assert_redirect_to(TO_LOGIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn p08_a_logout_on_one_replica_is_not_undone_by_page_loads_in_flight_on_another() {
    const RACES: usize = 25;
    const IN_FLIGHT: usize = 6;
    // Idle 2 s: a page load more than 200 ms after the last write touches (saves) the session.
    let policy = SessionPolicy {
        idle_timeout: Duration::from_secs(2),
        ..SessionPolicy::default()
    };
    let replicas = Arc::new(Replicas::start_with(2, |config| config.policy = policy).await);
    let mut touches_racing_logouts = 0;
    for race in 0..RACES {
        let browser = Arc::new(replicas.browser());
        browser.login(&replicas.on(0, "/"), ALICE, PASSWORD).await;
        let cookie = session_cookie(&replicas, &browser);
        let csrf = browser.get(&replicas.on(0, CART)).await.csrf();
        tokio::time::sleep(policy.touch_interval() + Duration::from_millis(20)).await;

        // Page loads on A that will each save the session, and a logout on B, all at once.
        let mut loads = tokio::task::JoinSet::new();
        for _ in 0..IN_FLIGHT {
            let (replicas, browser) = (replicas.clone(), browser.clone());
            loads.spawn(async move { browser.get(&replicas.on(0, CART)).await });
        }
        browser
            .post_form(&replicas.on(1, "/logout"), &[("csrf_token", &csrf)])
            .await
            .assert_redirect_to("/");
        while let Some(load) = loads.join_next().await {
            let page = load.unwrap();
            if page.status == StatusCode::OK
                && page.cookie(COOKIE).is_some_and(|c| c.value() == cookie)
            {
                touches_racing_logouts += 1;
            }
        }
        // Whatever order they ran in, the old cookie is nobody's now, on either replica.
        for n in [0, 1] {
            let page = replicas.replay_on(n, CART, &cookie).await;
            assert_eq!(
                page.header("location"),
                Some(TO_LOGIN),
                "race {race}, replica {n}"
            );
        }
    }
    assert!(touches_racing_logouts > 0, "no page load raced the logout");
}
