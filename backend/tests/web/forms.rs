//! State changes through forms: the cart and the posts, and their JSON views. (CSRF, origin
//! checks and `next` are properties of docs/security.md, tested in `security.rs`.)

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
async fn an_add_past_the_per_product_cap_says_nothing_was_added() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser
        .login(&app.store("/"), "alice@example.com", "password")
        .await;
    let csrf = browser.get(&app.store("/shopping-cart")).await.csrf();
    let add = |quantity: &'static str| {
        let fields = [
            ("sku", "KET-003"),
            ("quantity", quantity),
            ("csrf_token", &*csrf),
        ];
        let url = app.store("/shopping-cart/add");
        let browser = &browser;
        async move { browser.post_form(&url, &fields).await }
    };
    // 60 + 60 fills the line up to the cap of 99: something was added, as asked up to the cap.
    add("60").await.assert_redirect_to("/shopping-cart");
    add("60").await.assert_redirect_to("/shopping-cart");
    // At the cap, nothing more fits: the cart says so instead of redirecting as if it worked.
    let full = add("1").await;
    assert_eq!(full.status, StatusCode::CONFLICT, "{}", full.body);
    full.assert_shows(
        "the cart page with the reason",
        &[
            "Shopping cart",
            "already holds 99 of KET-003",
            "Nothing was added",
        ],
    );
    let json: Value =
        serde_json::from_str(&browser.get_json(&app.store("/shopping-cart")).await.body).unwrap();
    let kettles: Vec<u64> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["sku"] == "KET-003")
        .map(|i| i["quantity"].as_u64().unwrap())
        .collect();
    assert_eq!(kettles, [99]);
}

#[tokio::test]
async fn unreadable_forms_get_the_sites_error_page_with_their_status() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser
        .login(&app.store("/"), "alice@example.com", "password")
        .await;
    let url = app.store("/shopping-cart/add");
    let too_large = read(
        browser
            .http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("sku={}", "A".repeat(70_000))),
    )
    .await;
    let not_a_form = read(
        browser
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await;
    let wrong_shape = read(
        browser
            .http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("sku=%FF%FE&sku=twice"),
    )
    .await;
    for (page, status, says) in [
        (
            &too_large,
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than this site accepts",
        ),
        (
            &not_a_form,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "takes a form",
        ),
        (
            &wrong_shape,
            StatusCode::UNPROCESSABLE_ENTITY,
            "could not be read",
        ),
    ] {
        assert_eq!(page.status, status, "{}", page.body);
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html"),
            "{status}: {:?}",
            page.headers
        );
        page.assert_shows(&status.to_string(), &["Store", says]);
        crate::headers::assert_security_headers(page, &status.to_string());
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
