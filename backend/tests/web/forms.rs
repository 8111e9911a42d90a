//! State changes through forms: CSRF tokens and origin checks, the cart and the posts, `next`,
//! and the JSON views.

use crate::app::{TestApp, read};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn the_cart_changes_through_forms_with_the_sessions_csrf_token() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser
        .login(&app.store("/"), "alice@example.com", "password")
        .await;
    let cart = browser.get(&app.store("/shopping-cart")).await;
    let csrf = cart.csrf();

    let added = browser
        .post_form(
            &app.store("/shopping-cart/add"),
            &[("sku", "KET-003"), ("quantity", "2"), ("csrf_token", &csrf)],
        )
        .await;
    added.assert_redirect_to("/shopping-cart");
    let removed = browser
        .post_form(
            &app.store("/shopping-cart/remove"),
            &[("sku", "MUG-002"), ("csrf_token", &csrf)],
        )
        .await;
    removed.assert_redirect_to("/shopping-cart");

    let json: Value =
        serde_json::from_str(&browser.get_json(&app.store("/shopping-cart")).await.body).unwrap();
    let skus: Vec<(&str, u64)> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["sku"].as_str().unwrap(), i["quantity"].as_u64().unwrap()))
        .collect();
    assert_eq!(skus, [("TEA-001", 2), ("KET-003", 2)]);
    assert_eq!(json["total_cents"], 2 * 1250 + 2 * 5400);
    assert_eq!(json["user"]["email"], "alice@example.com");

    for (fields, why) in [
        (vec![("sku", "NOPE"), ("quantity", "1")], "unknown product"),
        (vec![("sku", "TEA-001"), ("quantity", "0")], "quantity"),
        (vec![("sku", "TEA-001"), ("quantity", "lots")], "quantity"),
    ] {
        let mut fields = fields;
        fields.push(("csrf_token", &csrf));
        let page = browser
            .post_form(&app.store("/shopping-cart/add"), &fields)
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{why}");
        assert!(
            page.body.to_lowercase().contains(why),
            "{why}: {}",
            page.body
        );
    }
}

#[tokio::test]
async fn state_changes_without_the_token_or_from_another_origin_are_refused() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser
        .login(&app.store("/"), "alice@example.com", "password")
        .await;
    let csrf = browser.get(&app.store("/shopping-cart")).await.csrf();
    let add = app.store("/shopping-cart/add");

    let missing = browser
        .post_form(&add, &[("sku", "TEA-001"), ("quantity", "1")])
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let wrong = browser
        .post_form(
            &add,
            &[
                ("sku", "TEA-001"),
                ("quantity", "1"),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);

    // Forums is same-site but another origin: a form it serves must not change the Store.
    let forums_origin = app.forums("/").trim_end_matches('/').to_owned();
    let cross = read(
        browser
            .http
            .post(&add)
            .header("Origin", forums_origin)
            .form(&[
                ("sku", "TEA-001"),
                ("quantity", "1"),
                ("csrf_token", csrf.as_str()),
            ]),
    )
    .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let fetch_site = read(
        browser
            .http
            .post(&add)
            .header("Sec-Fetch-Site", "same-site")
            .form(&[
                ("sku", "TEA-001"),
                ("quantity", "1"),
                ("csrf_token", csrf.as_str()),
            ]),
    )
    .await;
    assert_eq!(fetch_site.status, StatusCode::FORBIDDEN);
    let same_origin = read(
        browser
            .http
            .post(&add)
            .header("Origin", app.store("/").trim_end_matches('/'))
            .header("Sec-Fetch-Site", "same-origin")
            .form(&[
                ("sku", "TEA-001"),
                ("quantity", "1"),
                ("csrf_token", csrf.as_str()),
            ]),
    )
    .await;
    same_origin.assert_redirect_to("/shopping-cart");

    let json: Value =
        serde_json::from_str(&browser.get_json(&app.store("/shopping-cart")).await.body).unwrap();
    let tea = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["sku"] == "TEA-001")
        .unwrap();
    assert_eq!(tea["quantity"], 3, "only the same-origin add counted");

    let logout = browser.post_form(&app.store("/logout"), &[]).await;
    assert_eq!(
        logout.status,
        StatusCode::FORBIDDEN,
        "logout needs the token too"
    );
}

#[tokio::test]
async fn forum_posts_are_written_through_a_form_and_bad_ones_are_explained() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser
        .login(&app.forums("/"), "alice@example.com", "password")
        .await;
    let csrf = browser.get(&app.forums("/posts")).await.csrf();
    let posted = browser
        .post_form(
            &app.forums("/posts"),
            &[
                ("title", "Cold brew <script>alert(1)</script>"),
                ("body", "Twelve hours, fridge."),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    posted.assert_redirect_to("/posts");
    let page = browser.get(&app.forums("/posts")).await;
    assert!(
        page.body.contains("Cold brew &#60;script&#62;")
            || page.body.contains("Cold brew &lt;script&gt;"),
        "escaped"
    );
    assert!(!page.body.contains("<script>alert(1)</script>"));
    let json: Value =
        serde_json::from_str(&browser.get_json(&app.forums("/posts")).await.body).unwrap();
    assert_eq!(json["posts"][0]["author"], "Alice Shopper");
    assert_eq!(json["posts"][0]["body"], "Twelve hours, fridge.");

    let blank = browser
        .post_form(
            &app.forums("/posts"),
            &[
                ("title", " "),
                ("body", "my unfinished draft"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    assert!(
        blank
            .body
            .contains("The title must be 1 to 120 characters.")
    );
    assert!(
        blank.body.contains("my unfinished draft"),
        "the draft is kept"
    );
}

#[tokio::test]
async fn login_returns_to_a_safe_next_path_and_ignores_others() {
    let app = TestApp::spawn().await;
    for (next, expected) in [
        ("/shopping-cart?from=email", "/shopping-cart?from=email"),
        ("//evil.example/", "/shopping-cart"),
        ("https://evil.example/", "/shopping-cart"),
        ("/\\evil.example", "/shopping-cart"),
    ] {
        let browser = app.browser();
        let form = browser.get(&app.store("/login")).await;
        let page = browser
            .post_form(
                &app.store("/login"),
                &[
                    ("loginId", "alice@example.com"),
                    ("password", "password"),
                    ("csrf_token", &form.csrf()),
                    ("next", next),
                ],
            )
            .await;
        page.assert_redirect_to(expected);
    }
    // The redirect to login carries next, and the form keeps it.
    let browser = app.browser();
    browser
        .get(&app.store("/shopping-cart"))
        .await
        .assert_redirect_to("/login?next=/shopping-cart");
    let form = browser.get(&app.store("/login?next=/shopping-cart")).await;
    assert_eq!(
        crate::app::hidden_field(&form.body, "next").as_deref(),
        Some("/shopping-cart")
    );
    let evil = browser.get(&app.store("/login?next=//evil.example")).await;
    assert_eq!(
        crate::app::hidden_field(&evil.body, "next").as_deref(),
        Some("")
    );
}

#[tokio::test]
async fn json_clients_get_401_instead_of_a_redirect() {
    let app = TestApp::spawn().await;
    let page = app.browser().get_json(&app.store("/shopping-cart")).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    let body: Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(body["error"], "unauthorized");
    assert_eq!(body["login_url"], "/login?next=/shopping-cart");
    let posts = app.browser().get_json(&app.forums("/posts")).await;
    assert_eq!(posts.status, StatusCode::UNAUTHORIZED);
}
