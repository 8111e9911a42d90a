//! FusionAuth unreachable or misconfigured: existing sessions keep working, and a wrong API key
//! is shown as "temporarily unavailable". (Down, slow or failing FusionAuth giving a generic 503
//! and no session is "Failing closed" in docs/security.md, tested in `security.rs`.)

use crate::app::TestApp;
use backend::stack::StackConfig;
use reqwest::StatusCode;

const UNAVAILABLE: &str = "Login is temporarily unavailable";

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
