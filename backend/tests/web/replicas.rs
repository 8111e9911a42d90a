//! Replicas of the Store behind one address, sharing sessions, locks, the per-user index and
//! the login rate limits through a real Redis (`TEST_REDIS_URL`), and carts through a real
//! PostgreSQL (`TEST_POSTGRES_URL`; `.ci/services` starts both). A request may land on any
//! replica: everything docs/security.md asks of one process holds across them.

#[path = "../support/balancer.rs"]
mod balancer;
#[path = "../support/outage.rs"]
mod outage;
#[path = "../support/postgres.rs"]
mod postgres;

use crate::app::{Browser, BrowserJar, Page, read};
use backend::fusionauth::FusionAuthClient;
use backend::identity::{IdentityConfig, IdentityServer};
use backend::session::{SessionPolicy, THEFT_NOTICE};
use backend::stack::{StackConfig, demo};
use backend::web::{LoginLimits, SessionBackend, SiteConfig, WebServer};
use balancer::Balancer;
use reqwest::StatusCode;
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
/// PostgreSQL database.
pub struct Replicas {
    pub balancer: Balancer,
    pub replicas: Vec<WebServer>,
    pub config: SiteConfig,
    pub url: Url,
    fusionauth: FusionAuthClient,
    _identity: IdentityServer,
    _database: postgres::TestDatabase,
}

impl Replicas {
    /// `n` replicas with the default policy and generous rate limits.
    pub async fn start(n: usize) -> Self {
        Self::start_with(n, |_| {}).await
    }

    /// `n` replicas of the Store as `adjust` configures it.
    pub async fn start_with(n: usize, adjust: impl FnOnce(&mut SiteConfig)) -> Self {
        Self::start_on(postgres::TestDatabase::create().await, n, |config, _| {
            adjust(config)
        })
        .await
    }

    /// [`Replicas::start_with`] on `database`; `adjust` also sees it (to reach it through a
    /// proxy, say).
    pub async fn start_on(
        database: postgres::TestDatabase,
        n: usize,
        adjust: impl FnOnce(&mut SiteConfig, &postgres::TestDatabase),
    ) -> Self {
        let identity = IdentityServer::start(IdentityConfig::ephemeral())
            .await
            .unwrap();
        let fusionauth = demo::client(&identity, Duration::from_secs(5)).unwrap();
        let balancer = Balancer::start().await;
        let url = Url::parse(&format!(
            "http://store.localhost:{}",
            balancer.addr().port()
        ))
        .unwrap();
        let mut config = StackConfig::ephemeral().store;
        config.public_url = Some(url.clone());
        config.database_url = database.url().to_owned();
        config.sessions = redis_sessions();
        adjust(&mut config, &database);
        let mut fixture = Self {
            balancer,
            replicas: Vec::new(),
            config,
            url,
            fusionauth,
            _identity: identity,
            _database: database,
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

/// Adds one `sku` to the cart through the form of `cart` (a cart page).
async fn add_to_cart(replicas: &Replicas, browser: &Browser, cart: &Page, sku: &str) -> Page {
    let fields = [
        ("sku", sku),
        ("quantity", "1"),
        ("csrf_token", &cart.csrf()),
    ];
    browser
        .post_form(&replicas.at("/shopping-cart/add"), &fields)
        .await
}

/// The SKUs in `browser`'s cart (its JSON view), as replica `url` shows them.
async fn cart_skus(browser: &Browser, url: &str) -> Vec<String> {
    let page = browser.get_json(url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let cart: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    cart["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["sku"].as_str().unwrap().to_owned())
        .collect()
}

fn session_cookie(replicas: &Replicas, browser: &Browser) -> String {
    browser
        .cookie(&replicas.at("/"), COOKIE)
        .expect("the browser holds a session cookie")
}

/// The cart as replica `n` shows it to `browser` while a backing store is down: a 503, and a quick
/// one (no hanging until some timeout), checked the same for every outage.
async fn cart_during_outage(replicas: &Replicas, browser: &Browser, n: usize) -> Page {
    replicas.balancer.send_to(n);
    let started = std::time::Instant::now();
    let page = browser.get(&replicas.at(CART)).await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "replica {n}: {}",
        page.body
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the 503 took {:?}",
        started.elapsed()
    );
    page
}

#[tokio::test]
async fn a_login_on_one_replica_is_a_session_on_the_other_and_a_logout_there_ends_it_on_both() {
    let replicas = Replicas::start(2).await;
    login_on_a_cart_on_b_logout_on_b(&replicas, &replicas.browser()).await;
}

/// The scenario of the issue on replicas 0 (A) and 1 (B): log in on A, load and change the
/// cart on B (seen on A), log out on B; the old cookie is then refused on both.
async fn login_on_a_cart_on_b_logout_on_b(replicas: &Replicas, alice: &Browser) {
    replicas.balancer.send_to(0);
    alice
        .login(&replicas.at("/"), ALICE, PASSWORD)
        .await
        .assert_redirect_to(CART);
    let cookie = session_cookie(replicas, alice);

    // The cart, on the other replica: the same user, and a change made there is seen on A.
    replicas.balancer.send_to(1);
    let cart = alice.get(&replicas.at(CART)).await;
    assert_eq!(cart.status, StatusCode::OK, "{}", cart.body);
    assert!(cart.body.contains("Alice Shopper"));
    add_to_cart(replicas, alice, &cart, "KET-003")
        .await
        .assert_redirect_to(CART);
    replicas.balancer.send_to(0);
    assert!(
        cart_skus(alice, &replicas.at(CART))
            .await
            .contains(&"KET-003".to_owned())
    );

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
async fn a_logout_on_one_replica_is_not_undone_by_page_loads_in_flight_on_another() {
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

/// A Redis of the test's own (`redis-server` on a free port, appending every write to disk
/// before answering), to stop and start again.
struct PrivateRedis {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

impl PrivateRedis {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = Self {
            port,
            dir: tempfile::tempdir().unwrap(),
            child: None,
        };
        redis.restart().await;
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) on the same port and data directory; waits until it answers.
    async fn restart(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server runs (.ci/run installs it)");
        self.child = Some(child);
        wait_for_port(self.port).await;
    }

    /// Kills the server at once, as a crash would.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test]
async fn redis_going_away_is_a_quick_503_and_sessions_carry_on_when_it_is_back() {
    let mut redis = PrivateRedis::start().await;
    let url = redis.url();
    let replicas = Replicas::start_with(2, |config| {
        config.sessions = SessionBackend::Redis {
            url,
            prefix: "outage:store:".into(),
        };
    })
    .await;
    let alice = replicas.browser();
    alice
        .login(&replicas.at("/"), ALICE, PASSWORD)
        .await
        .assert_redirect_to(CART);
    let cart = alice.get(&replicas.at(CART)).await;
    add_to_cart(&replicas, &alice, &cart, "KET-003")
        .await
        .assert_redirect_to(CART);

    redis.kill();
    for n in [0, 1] {
        let page = cart_during_outage(&replicas, &alice, n).await;
        assert!(
            page.body.contains("temporarily unavailable"),
            "{}",
            page.body
        );
        assert!(!page.body.contains("Log in to"), "not the login form");
        // No new session can start either. The login form needs none (its CSRF token is a
        // signed cookie's) and is shown; the login is the 503.
        let newcomer = replicas.browser();
        let form = newcomer.get(&replicas.at("/login")).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let login = newcomer.login(&replicas.at("/"), ALICE, PASSWORD).await;
        assert_eq!(
            login.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            login.body
        );
        assert!(
            login.cookie(COOKIE).is_none(),
            "no cookie for an unsaved session"
        );
    }

    // Back again: both replicas reconnect by themselves, and Alice is still signed in with
    // her cart (every write Redis acknowledged was on disk).
    redis.restart().await;
    for n in [0, 1] {
        replicas.balancer.send_to(n);
        let mut page = alice.get(&replicas.at(CART)).await;
        for _ in 0..50 {
            if page.status != StatusCode::SERVICE_UNAVAILABLE {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            page = alice.get(&replicas.at(CART)).await;
        }
        assert_eq!(
            page.status,
            StatusCode::OK,
            "replica {n} recovered: {}",
            page.body
        );
        assert!(page.body.contains("Alice Shopper"));
        assert!(
            cart_skus(&alice, &replicas.at(CART))
                .await
                .contains(&"KET-003".to_owned())
        );
    }
}

#[tokio::test]
async fn postgres_going_away_is_a_quick_503_on_every_replica_and_nothing_acknowledged_is_lost() {
    let database = postgres::TestDatabase::create().await;
    let line = outage::Outage::start(database.server_addr()).await;
    let replicas = Replicas::start_on(database, 2, |config, database| {
        config.database_url = database.url_via(line.addr());
    })
    .await;
    let alice = replicas.browser();
    replicas.balancer.send_to(0);
    alice.login(&replicas.at("/"), ALICE, PASSWORD).await;
    let cart = alice.get(&replicas.at(CART)).await;
    add_to_cart(&replicas, &alice, &cart, "KET-003")
        .await
        .assert_redirect_to(CART);

    line.cut().await;
    for n in [0, 1] {
        cart_during_outage(&replicas, &alice, n).await;
        // The session lives in Redis: pages that need no database still know Alice.
        let home = alice.get(&replicas.at("/")).await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.body.contains("Alice Shopper"), "{}", home.body);
    }
    let refused = add_to_cart(&replicas, &alice, &cart, "SCL-005").await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);

    line.restore().await;
    for n in [0, 1] {
        replicas.balancer.send_to(n);
        let skus = cart_skus(&alice, &replicas.at(CART)).await;
        assert!(
            skus.iter().any(|s| s == "KET-003"),
            "replica {n}, the acknowledged item: {skus:?}"
        );
        assert!(
            !skus.iter().any(|s| s == "SCL-005"),
            "replica {n}, not the refused one: {skus:?}"
        );
    }
}

/// A three-node Redis Cluster of the test's own (no replicas of its own: three masters).
struct PrivateCluster {
    nodes: Vec<(u16, std::process::Child)>,
    _dir: tempfile::TempDir,
}

impl PrivateCluster {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut nodes = Vec::new();
        for n in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let node_dir = dir.path().join(n.to_string());
            std::fs::create_dir(&node_dir).unwrap();
            let child = std::process::Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args([
                    "--cluster-enabled",
                    "yes",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .arg("--dir")
                .arg(&node_dir)
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("redis-server runs (.ci/run installs it)");
            nodes.push((port, child));
        }
        for (port, _) in &nodes {
            wait_for_port(*port).await;
        }
        let addrs: Vec<String> = nodes
            .iter()
            .map(|(p, _)| format!("127.0.0.1:{p}"))
            .collect();
        let created = std::process::Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addrs)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("redis-cli runs");
        assert!(created.status.success(), "{created:?}");
        // Wait until every node agrees the cluster is up.
        for (port, _) in &nodes {
            for attempt in 0.. {
                let info = std::process::Command::new("redis-cli")
                    .args(["-p", &port.to_string(), "cluster", "info"])
                    .output()
                    .unwrap();
                if String::from_utf8_lossy(&info.stdout).contains("cluster_state:ok") {
                    break;
                }
                assert!(attempt < 100, "the cluster did not come up");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Self { nodes, _dir: dir }
    }

    fn url(&self) -> String {
        let (first, rest) = self.nodes.split_first().unwrap();
        let others: Vec<String> = rest
            .iter()
            .map(|(port, _)| format!("node=127.0.0.1:{port}"))
            .collect();
        format!("redis-cluster://127.0.0.1:{}?{}", first.0, others.join("&"))
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        for (_, child) in &mut self.nodes {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn wait_for_port(port: u16) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing listens on port {port}");
}

#[tokio::test]
async fn replicas_share_sessions_and_limits_through_a_redis_cluster() {
    let cluster = PrivateCluster::start().await;
    let url = cluster.url();
    let replicas = Replicas::start_with(2, |config| {
        config.sessions = SessionBackend::Redis {
            url,
            prefix: "cluster:store:".into(),
        };
        config.login_limits = LoginLimits {
            per_ip: None,
            per_account: "2/min".parse::<backend::web::Limit>().unwrap().0,
        };
    })
    .await;
    let alice = replicas.browser();
    login_on_a_cart_on_b_logout_on_b(&replicas, &alice).await;
    // The account's budget (2/min) is one across the replicas: the login above, one more.
    replicas.balancer.send_to(0);
    assert_eq!(
        alice.login(&replicas.at("/"), ALICE, "wrong").await.status,
        StatusCode::UNAUTHORIZED
    );
    replicas.balancer.send_to(1);
    assert_eq!(
        alice.login(&replicas.at("/"), ALICE, PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}
