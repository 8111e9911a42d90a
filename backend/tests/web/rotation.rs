//! One login, one session family, on every kind of session storage (memory, SQLite, Redis, and two
//! replicas sharing Redis): many requests that reach rotation time together give the session one
//! successor, and a logout then ends every id the family ever had.

use crate::app::{Page, TestApp, read, sqlite_sessions};
use crate::replicas::{Replicas, redis_sessions};
use backend::session::SessionPolicy;
use backend::stack::StackConfig;
use reqwest::StatusCode;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

const ALICE: &str = "alice@example.com";
const PASSWORD: &str = "password";
const COOKIE: &str = "store_session";
const TO_LOGIN_FROM_CART: &str = "/login?next=/shopping-cart";
/// Requests sent at once with the cookie that is due its rotation.
const PARALLEL: usize = 50;
const INTERVAL: Duration = Duration::from_secs(1);

/// Ids rotate every second; a replaced one works for the default grace period (30 s), longer
/// than the burst takes on a busy machine.
fn policy() -> SessionPolicy {
    SessionPolicy {
        rotation_interval: INTERVAL,
        ..SessionPolicy::default()
    }
}

/// The Store as the test reaches it: one base URL per replica, and a client with no jar (each
/// request carries the cookie it is given).
struct Store {
    bases: Vec<String>,
    client: reqwest::Client,
}

impl Store {
    /// `GET path` on replica `n` (round the replicas) with `id` as the session cookie.
    async fn get(&self, n: usize, path: &str, id: &str) -> Page {
        let url = format!("{}{path}", self.bases[n % self.bases.len()]);
        read(
            self.client
                .get(url)
                .header("Cookie", format!("{COOKIE}={id}")),
        )
        .await
    }

    /// A logout with `id`, on the last replica.
    async fn logout(&self, id: &str, csrf: &str) -> Page {
        let url = format!("{}logout", self.bases[self.bases.len() - 1]);
        read(
            self.client
                .post(url)
                .header("Cookie", format!("{COOKIE}={id}"))
                .form(&[("csrf_token", csrf)]),
        )
        .await
    }
}

/// The session ids `page` sets (none, or the one of its `Set-Cookie`), skipping removals.
fn ids_set_by(page: &Page) -> Option<String> {
    page.cookie(COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .filter(|id| !id.is_empty())
}

/// Waits until the session `old` is due its rotation, sends [`PARALLEL`] requests with it at
/// once (spread over the replicas), and asserts that they all give it the same one successor.
/// Then logs out with that successor and asserts that no id seen, old or new, is signed in on
/// any replica.
async fn one_successor_and_one_logout_ends_all(store: Store, old: String) {
    tokio::time::sleep(INTERVAL + Duration::from_millis(100)).await;
    let store = Arc::new(store);
    let mut requests = JoinSet::new();
    for n in 0..PARALLEL {
        let (store, old) = (store.clone(), old.clone());
        requests.spawn(async move { store.get(n, "shopping-cart", &old).await });
    }
    let mut successors = BTreeSet::new();
    for page in requests.join_all().await {
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        successors.extend(ids_set_by(&page));
    }
    assert_eq!(
        successors.len(),
        1,
        "{PARALLEL} requests at rotation time gave {} successors",
        successors.len()
    );
    let new = successors.first().unwrap().clone();
    assert_ne!(new, old, "the id was rotated");

    // Log out with the successor (its own rotation may come due meanwhile: any id set is seen).
    let mut seen: BTreeSet<String> = [old, new.clone()].into();
    let cart = store.get(0, "shopping-cart", &new).await;
    assert_eq!(cart.status, StatusCode::OK, "{}", cart.body);
    seen.extend(ids_set_by(&cart));
    let logout = store.logout(&new, &cart.csrf()).await;
    logout.assert_redirect_to("/");
    seen.extend(ids_set_by(&logout));

    for id in &seen {
        for n in 0..store.bases.len() {
            store
                .get(n, "shopping-cart", id)
                .await
                .assert_redirect_to(TO_LOGIN_FROM_CART);
        }
    }
}

/// Logs Alice in on the single Store of `app` and runs the scenario there.
async fn on_one_store(app: TestApp) {
    let browser = app.browser();
    browser
        .login(&app.store("/"), ALICE, PASSWORD)
        .await
        .assert_redirect_to("/shopping-cart");
    let old = browser.cookie(&app.store("/"), COOKIE).unwrap();
    let store = Store {
        bases: vec![app.store("/")],
        client: app.bare_client(),
    };
    one_successor_and_one_logout_ends_all(store, old).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_login_is_one_session_family_in_memory() {
    on_one_store(TestApp::spawn_with(StackConfig::ephemeral().with_policy(policy())).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_login_is_one_session_family_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let config = StackConfig::ephemeral().with_policy(policy());
    let db = dir.path().join("store.db");
    on_one_store(TestApp::spawn_with(sqlite_sessions(config, &db)).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_login_is_one_session_family_in_redis() {
    let mut config = StackConfig::ephemeral().with_policy(policy());
    config.store.sessions = redis_sessions();
    on_one_store(TestApp::spawn_with(config).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_login_is_one_session_family_across_two_replicas_sharing_redis() {
    let replicas = Replicas::start_with(2, |config| config.policy = policy()).await;
    let browser = replicas.browser();
    browser
        .login(&replicas.at("/"), ALICE, PASSWORD)
        .await
        .assert_redirect_to("/shopping-cart");
    let old = browser.cookie(&replicas.at("/"), COOKIE).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only(Vec::new())
        .redirect(reqwest::redirect::Policy::none())
        .resolve("store.localhost", ([127, 0, 0, 1], 0).into())
        .build()
        .unwrap();
    let store = Store {
        bases: vec![replicas.on(0, "/"), replicas.on(1, "/")],
        client,
    };
    one_successor_and_one_logout_ends_all(store, old).await;
}
