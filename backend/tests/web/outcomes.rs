//! Every `/api/login` outcome as the Store and Forums show it, against the real identity server
//! and its demo users.

use crate::app::{Page, TestApp};
use backend::identity::totp;
use backend::stack::demo;
use reqwest::StatusCode;
use serde_json::json;

const GENERIC: &str = "Invalid login or account unavailable.";

fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn assert_not_logged_in(page: &Page) {
    assert!(!page.body.contains("Signed in"), "{}", page.body);
}

#[tokio::test]
async fn a_user_without_a_registration_gets_the_generic_refusal_and_no_session() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let refused = browser
        .login(&app.forums("/"), "store-only@example.com", "password")
        .await;
    // FusionAuth's 202 means the password was right: saying "no access" would confirm it to
    // whoever guessed it. It gets the page every refusal gets.
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.body.contains(GENERIC), "{}", refused.body);
    assert!(!refused.body.contains("no access"), "{}", refused.body);
    assert!(
        refused
            .header("server-timing")
            .unwrap()
            .contains("POST /api/login 202")
    );
    let unknown = browser
        .login(&app.forums("/"), "nobody@example.com", "password")
        .await;
    assert_eq!(refused.body, unknown.body);
    assert_not_logged_in(&refused);
    browser
        .get(&app.forums("/posts"))
        .await
        .assert_redirect_to("/login?next=/posts");
    // The same account logs in to the Store.
    let store = browser
        .login(&app.store("/"), "store-only@example.com", "password")
        .await;
    store.assert_redirect_to("/shopping-cart");
}

#[tokio::test]
async fn two_factor_users_complete_the_login_with_their_authenticator_code() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let first = browser
        .login(&app.store("/"), "two-factor@example.com", "password")
        .await;
    first.assert_redirect_to("/login/two-factor");
    browser
        .get(&app.store("/shopping-cart"))
        .await
        .assert_redirect_to("/login?next=/shopping-cart");

    let form = browser.get(&app.store("/login/two-factor")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"code\""));
    let csrf = form.csrf();
    let good = totp::code(demo::TOTP_SECRET, now_seconds()).unwrap();
    let wrong = format!(
        "{:06}",
        (good.parse::<u32>().unwrap() + 500_000) % 1_000_000
    );

    let refused = browser
        .post_form(
            &app.store("/login/two-factor"),
            &[("code", &wrong), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.body.contains("That code is not valid"));
    let timing = refused.header("server-timing").unwrap();
    assert!(
        timing.contains("POST /api/two-factor/login 421"),
        "{timing}"
    );

    let done = browser
        .post_form(
            &app.store("/login/two-factor"),
            &[("code", &good), ("csrf_token", &csrf)],
        )
        .await;
    done.assert_redirect_to("/shopping-cart");
    let cart = browser.get(&app.store("/shopping-cart")).await;
    assert_eq!(cart.status, StatusCode::OK);
    assert!(cart.body.contains("Tara Totp") && cart.body.contains("Tasting cups"));
}

#[tokio::test]
async fn users_who_must_change_their_password_choose_one_then_log_in_with_it() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let store = app.store("/");
    browser
        .login(&store, "change-password@example.com", "password")
        .await
        .assert_redirect_to("/login/change-password");
    let form = browser.get(&app.store("/login/change-password")).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = form.csrf();

    let short = browser
        .post_form(
            &app.store("/login/change-password"),
            &[("password", "short"), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(short.body.contains("at least 8 characters"));

    let changed = browser
        .post_form(
            &app.store("/login/change-password"),
            &[("password", "a fresh passphrase"), ("csrf_token", &csrf)],
        )
        .await;
    changed.assert_redirect_to("/login?notice=password-changed");
    // The change-password id is single use and forgotten: the form is gone from the session.
    browser
        .get(&app.store("/login/change-password"))
        .await
        .assert_redirect_to("/login");
    let notice = browser
        .get(&app.store("/login?notice=password-changed"))
        .await;
    assert!(notice.body.contains("Your password was changed"));
    browser
        .get(&app.store("/shopping-cart"))
        .await
        .assert_redirect_to("/login?next=/shopping-cart");

    let old = browser
        .login(&store, "change-password@example.com", "password")
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    browser
        .login(&store, "change-password@example.com", "a fresh passphrase")
        .await
        .assert_redirect_to("/shopping-cart");
}

#[tokio::test]
async fn every_other_refusal_gets_the_same_status_and_body() {
    let app = TestApp::spawn().await;
    let identity = app.stack.identity.as_ref().unwrap().url();
    let api = reqwest::Client::new();
    // A user that will be locked by failed attempts (409), made through the User API.
    let created = api
        .post(format!("{identity}/api/user/registration"))
        .header("Authorization", demo::API_KEY)
        .json(&json!({ "user": { "email": "victim@example.com", "password": "password" }, "registration": { "applicationId": demo::STORE_APPLICATION_ID } }))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success());

    let browser = app.browser();
    let store = app.store("/");
    for _ in 0..5 {
        browser.login(&store, "victim@example.com", "not it").await;
    }
    let mut pages = Vec::new();
    for (case, login_id, password) in [
        ("404 unknown user", "nobody@example.com", "password"),
        ("404 wrong password", "alice@example.com", "wrong password"),
        (
            "409 locked by failed attempts",
            "victim@example.com",
            "password",
        ),
        ("410 expired", "expired@example.com", "password"),
        (
            "423 locked by an administrator",
            "locked@example.com",
            "password",
        ),
    ] {
        let page = browser.login(&store, login_id, password).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{case}");
        assert!(page.body.contains(GENERIC), "{case}");
        assert!(
            !page.body.contains(login_id),
            "{case}: the login id is not echoed: {}",
            page.body
        );
        let status = page.header("server-timing").unwrap().to_owned();
        pages.push((case, status, page.body));
    }
    // What FusionAuth said differs (visible only in the dev Server-Timing header)…
    assert!(pages[2].1.contains("409") && pages[3].1.contains("410") && pages[4].1.contains("423"));
    // …but the pages are byte-for-byte the same.
    for (case, _, body) in &pages[1..] {
        assert_eq!(body, &pages[0].2, "{case} differs from {}", pages[0].0);
    }
    browser
        .get(&app.store("/shopping-cart"))
        .await
        .assert_redirect_to("/login?next=/shopping-cart");
}

#[tokio::test]
async fn a_blank_field_is_a_400_without_calling_fusionauth() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    // Either field blank is enough: neither is sent to FusionAuth.
    for (login_id, password) in [(" ", ""), ("alice@example.com", ""), (" ", "password")] {
        let form = browser.get(&app.store("/login")).await;
        let page = browser
            .post_form(
                &app.store("/login"),
                &[
                    ("loginId", login_id),
                    ("password", password),
                    ("csrf_token", &form.csrf()),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{login_id:?}");
        assert!(page.body.contains("Enter your email and password."));
        assert!(page.header("server-timing").is_none(), "{login_id:?}");
    }
}
