//! FusionAuth unreachable, slow or failing: login answers 503 "temporarily unavailable" within
//! the bounded timeout, creates no session, and existing sessions keep working.

use crate::app::TestApp;
use backend::stack::{Identity, StackConfig};
use reqwest::StatusCode;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

const UNAVAILABLE: &str = "Login is temporarily unavailable";

async fn stack_against(url: String, timeout: Duration) -> TestApp {
    let mut config = StackConfig::ephemeral();
    config.identity = Identity::External(url.parse().unwrap());
    config.fusionauth_timeout = timeout;
    TestApp::spawn_with(config).await
}

#[tokio::test]
async fn fusionauth_going_down_blocks_new_logins_but_not_existing_sessions() {
    let mut app = TestApp::spawn().await;
    let victim = app.browser();
    victim
        .login(&app.store("/"), "alice@example.com", "password")
        .await
        .assert_redirect_to("/shopping-cart");

    app.stack.identity.take().unwrap().stop().await.unwrap();

    assert_eq!(
        victim.get(&app.store("/shopping-cart")).await.status,
        StatusCode::OK
    );
    let other = app.browser();
    let page = other
        .login(&app.store("/"), "alice@example.com", "password")
        .await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.body.contains(UNAVAILABLE), "{}", page.body);
    assert!(
        page.header("server-timing")
            .unwrap()
            .contains("POST /api/login no answer")
    );
    other
        .get(&app.store("/shopping-cart"))
        .await
        .assert_redirect_to("/login?next=/shopping-cart");
}

#[tokio::test]
async fn a_fusionauth_that_never_answers_is_cut_off_by_the_timeout() {
    let stall = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", stall.local_addr().unwrap());
    // Accept connections and hold them open without a byte of answer.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = stall.accept().await {
            held.push(socket);
        }
    });
    let app = stack_against(url, Duration::from_millis(400)).await;
    let browser = app.browser();
    let started = Instant::now();
    let page = browser
        .login(&app.store("/"), "alice@example.com", "password")
        .await;
    let took = started.elapsed();
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.body.contains(UNAVAILABLE));
    assert!(
        took < Duration::from_secs(3),
        "bounded by the timeout, took {took:?}"
    );
    assert!(
        took >= Duration::from_millis(400),
        "waited for the timeout, took {took:?}"
    );
    assert!(!page.body.contains("Signed in"));
}

#[tokio::test]
async fn a_fusionauth_5xx_is_a_503_page() {
    let failing = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", failing.local_addr().unwrap());
    let router =
        axum::Router::new().fallback(|| async { axum::http::StatusCode::INTERNAL_SERVER_ERROR });
    tokio::spawn(async move { axum::serve(failing, router).await });
    let app = stack_against(url, Duration::from_secs(2)).await;
    let page = app
        .browser()
        .login(&app.store("/"), "alice@example.com", "password")
        .await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.body.contains(UNAVAILABLE));
    assert!(
        page.header("server-timing")
            .unwrap()
            .contains("POST /api/login 500")
    );
}

#[tokio::test]
async fn a_wrong_api_key_is_a_configuration_error_shown_as_unavailable() {
    let mut config = StackConfig::ephemeral();
    config.api_key = "not-the-key".to_owned().into();
    let app = TestApp::spawn_with(config).await;
    let page = app
        .browser()
        .login(&app.store("/"), "alice@example.com", "password")
        .await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
}
