//! Identical login failures, timing included (docs/security.md): every refused login looks the same
//! — status, body, cookies — and takes the same time, whatever FusionAuth said and however long
//! FusionAuth took to say it.

use crate::app::{Browser, Page, TestApp};
use axum::Json;
use axum::http::StatusCode as Status;
use axum::response::{IntoResponse as _, Response};
use axum::routing::post;
use backend::stack::{FusionAuth, StackConfig, demo};
use backend::web::LoginLimits;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// A stack whose rate limits stay out of the way of the many tries these tests make.
fn generous() -> StackConfig {
    StackConfig::ephemeral().with_login_limits(LoginLimits::unlimited())
}

/// One case: a browser with a login form loaded, and what it submits.
struct Case {
    name: &'static str,
    login_id: &'static str,
    /// When set, each try takes the next of these instead of `login_id`.
    rotating: Vec<&'static str>,
    tries: std::sync::atomic::AtomicUsize,
    password: &'static str,
    browser: Browser,
    csrf: String,
    base: String,
}

impl Case {
    async fn new(app: &TestApp, base: String, name: &'static str, login_id: &'static str) -> Self {
        let browser = app.browser();
        let form = browser.get(&format!("{base}login")).await;
        assert_eq!(form.status, StatusCode::OK);
        Self {
            name,
            login_id,
            rotating: Vec::new(),
            tries: Default::default(),
            password: "password",
            csrf: form.csrf(),
            browser,
            base,
        }
    }

    fn with_password(mut self, password: &'static str) -> Self {
        self.password = password;
        self
    }

    fn rotating(mut self, login_ids: Vec<&'static str>) -> Self {
        self.rotating = login_ids;
        self
    }

    /// Submits the form once; the page and how long the answer took.
    async fn submit(&self) -> (Page, Duration) {
        let n = self
            .tries
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let login_id = self
            .rotating
            .get(n % self.rotating.len().max(1))
            .copied()
            .unwrap_or(self.login_id);
        let started = Instant::now();
        let page = self
            .browser
            .post_form(
                &format!("{}login", self.base),
                &[
                    ("loginId", login_id),
                    ("password", self.password),
                    ("csrf_token", &self.csrf),
                    ("next", ""),
                ],
            )
            .await;
        (page, started.elapsed())
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// The body less its CSRF token, which is each browser's own.
fn without_csrf(page: &Page) -> String {
    page.body.replace(&page.csrf(), "[token]")
}

/// The attributes of a session `Set-Cookie`, without its value (each session has its own).
fn cookie_shape(page: &Page) -> Vec<String> {
    page.set_cookies()
        .iter()
        .map(|cookie| {
            let mut shape = cookie.clone();
            shape.set_value("");
            shape.to_string()
        })
        .collect()
}

/// Runs every case `tries` times, interleaved so that machine noise hits them alike, and checks
/// that their pages are identical; returns each case's median latency.
async fn medians(cases: &[Case], tries: usize) -> Vec<(&'static str, Duration)> {
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    let mut first: Option<(&str, Page)> = None;
    for _ in 0..tries {
        for (case, times) in cases.iter().zip(times.iter_mut()) {
            let (page, took) = case.submit().await;
            times.push(took);
            match &first {
                None => first = Some((case.name, page)),
                Some((name, expected)) => {
                    assert_eq!(page.status, expected.status, "{} vs {name}", case.name);
                    assert_eq!(
                        without_csrf(&page),
                        without_csrf(expected),
                        "{} vs {name}",
                        case.name
                    );
                    assert_eq!(
                        cookie_shape(&page),
                        cookie_shape(expected),
                        "{} vs {name}",
                        case.name
                    );
                }
            }
        }
    }
    cases
        .iter()
        .zip(times)
        .map(|(case, times)| (case.name, median(times)))
        .collect()
}

/// All medians within 25% or 5 ms of each other: robust on a busy two-core machine, yet far
/// tighter than the gaps the padding closes.
#[track_caller]
fn assert_even(medians: &[(&str, Duration)]) {
    let fastest = medians.iter().map(|(_, d)| *d).min().unwrap();
    let slowest = medians.iter().map(|(_, d)| *d).max().unwrap();
    let tolerance = (fastest / 4).max(Duration::from_millis(5));
    assert!(
        slowest - fastest <= tolerance,
        "medians differ by {:?} (> {tolerance:?}): {medians:?}",
        slowest - fastest
    );
}

/// Registers `email` (password `password`) for the Forums through the User API.
async fn register_for_forums(app: &TestApp, email: &str) {
    let identity = app.stack.identity.as_ref().unwrap().url();
    let created = reqwest::Client::new()
        .post(format!("{identity}/api/user/registration"))
        .header("Authorization", demo::API_KEY)
        .json(&json!({
            "user": { "email": email, "password": "password" },
            "registration": { "applicationId": demo::FORUMS_APPLICATION_ID }
        }))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success());
}

const TRIES: usize = 15;

#[tokio::test]
async fn every_refused_login_has_the_same_status_body_cookies_and_median_time() {
    let app = TestApp::spawn_with(generous()).await;
    register_for_forums(&app, "victim@example.com").await;
    // A wrong password locks an account after five tries (409): each try gets its own account.
    let wrong: Vec<&'static str> = (0..TRIES)
        .map(|n| &*format!("wrong-{n}@example.com").leak())
        .collect();
    for login_id in &wrong {
        register_for_forums(&app, login_id).await;
    }
    let forums = app.forums("/");
    let warm = app.browser();
    for _ in 0..5 {
        warm.login(&forums, "victim@example.com", "not it").await;
    }
    let cases = vec![
        Case::new(
            &app,
            forums.clone(),
            "404 unknown user",
            "nobody@example.com",
        )
        .await,
        Case::new(&app, forums.clone(), "404 wrong password", wrong[0])
            .await
            .with_password("wrong password")
            .rotating(wrong),
        Case::new(
            &app,
            forums.clone(),
            "409 locked after failures",
            "victim@example.com",
        )
        .await,
        Case::new(&app, forums.clone(), "410 expired", "expired@example.com").await,
        Case::new(&app, forums.clone(), "423 locked", "locked@example.com").await,
        Case::new(
            &app,
            forums.clone(),
            "202 not registered",
            "store-only@example.com",
        )
        .await,
    ];
    let medians = medians(&cases, TRIES).await;
    eprintln!("median per refused-login case (local identity server): {medians:?}");
    assert_even(&medians);
}

/// How the stand-in answers each login id: status, body, and how long it takes — as a
/// FusionAuth might that refuses locked and unknown accounts before hashing the password.
fn scripted(login_id: &str) -> (u16, Value, Duration) {
    let user = json!({ "id": demo::ALICE_ID, "email": login_id, "active": true });
    let ms = Duration::from_millis;
    match login_id {
        "alice@example.com" => (200, json!({ "token": "t", "user": user }), ms(40)),
        "wrong@example.com" => (404, Value::Null, ms(40)),
        "store-only@example.com" => (202, json!({ "user": user }), ms(40)),
        "unverified@example.com" => (212, json!({ "user": user }), ms(1)),
        "locked@example.com" => (423, Value::Null, ms(1)),
        "expired@example.com" => (410, Value::Null, ms(5)),
        "too-many@example.com" => (409, json!({ "actions": [] }), ms(1)),
        _ => (404, Value::Null, Duration::ZERO),
    }
}

async fn scripted_login(Json(request): Json<Value>) -> Response {
    let login_id = request["loginId"].as_str().unwrap_or_default();
    let (status, body, delay) = scripted(login_id);
    tokio::time::sleep(delay).await;
    let status = Status::from_u16(status).unwrap();
    if body.is_null() {
        status.into_response()
    } else {
        (status, Json(body)).into_response()
    }
}

#[tokio::test]
async fn refusals_are_held_to_the_slowest_fusionauth_answer_so_fast_ones_do_not_stand_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().route("/api/login", post(scripted_login));
    tokio::spawn(async move { axum::serve(listener, router).await });
    let mut config = generous();
    config.fusionauth = FusionAuth::External(url.parse().unwrap());
    let app = TestApp::spawn_with(config).await;
    let store = app.store("/");
    // One login shows the site how long FusionAuth takes to hash a password.
    app.browser()
        .login(&store, "alice@example.com", "password")
        .await
        .assert_redirect_to("/shopping-cart");
    let cases = vec![
        Case::new(
            &app,
            store.clone(),
            "404 unknown user (0 ms)",
            "nobody@example.com",
        )
        .await,
        Case::new(
            &app,
            store.clone(),
            "404 wrong password (40 ms)",
            "wrong@example.com",
        )
        .await,
        Case::new(
            &app,
            store.clone(),
            "409 action (1 ms)",
            "too-many@example.com",
        )
        .await,
        Case::new(
            &app,
            store.clone(),
            "410 expired (5 ms)",
            "expired@example.com",
        )
        .await,
        Case::new(
            &app,
            store.clone(),
            "423 locked (1 ms)",
            "locked@example.com",
        )
        .await,
        Case::new(
            &app,
            store.clone(),
            "212 unverified (1 ms)",
            "unverified@example.com",
        )
        .await,
        Case::new(
            &app,
            store.clone(),
            "202 not registered (40 ms)",
            "store-only@example.com",
        )
        .await,
    ];
    let medians = medians(&cases, TRIES).await;
    eprintln!("median per refused-login case (FusionAuth stand-in): {medians:?}");
    assert_even(&medians);
    for (case, median) in &medians {
        assert!(*median >= Duration::from_millis(40), "{case}: {median:?}");
    }
}
