//! State changes through forms: the cart and the posts, and their JSON views. (CSRF, origin
//! checks and `next` are properties of docs/security.md, tested in `security.rs`.)

use crate::app::TestApp;
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
