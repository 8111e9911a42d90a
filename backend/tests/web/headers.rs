//! Security headers: every response of the Store and the Forums carries them (pages, error pages,
//! refusals, redirects, the stylesheet), walked over the sites' own route table so that a route
//! added later is checked too; and the pages need no inline style or script, so the
//! Content-Security-Policy can forbid them.

use crate::app::{Page, TestApp, read};
use backend::web::paths;
use reqwest::StatusCode;
use shared::site::Site;

/// Asserts the security headers a browser needs to defend the page, with the values
/// docs/security.md gives.
#[track_caller]
pub fn assert_security_headers(page: &Page, context: &str) {
    let header = |name: &str| {
        page.header(name)
            .unwrap_or_else(|| panic!("{context}: no {name} ({})", page.status))
            .to_owned()
    };
    let csp = header("content-security-policy");
    for directive in [
        "default-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(directive), "{context}: {directive} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{context}: {csp}");
    assert_eq!(header("x-frame-options"), "DENY", "{context}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{context}");
    assert_eq!(header("referrer-policy"), "same-origin", "{context}");
    assert_eq!(
        header("cross-origin-opener-policy"),
        "same-origin",
        "{context}"
    );
    let permissions = header("permissions-policy");
    for feature in ["camera=()", "microphone=()", "geolocation=()"] {
        assert!(permissions.contains(feature), "{context}: {permissions}");
    }
}

#[tokio::test]
async fn every_route_of_both_sites_answers_with_the_security_headers_signed_in_or_not() {
    let app = TestApp::spawn().await;
    for site in [Site::Store, Site::Forums] {
        let url = |path: &str| match site {
            Site::Store => app.store(path),
            Site::Forums => app.forums(path),
        };
        let anonymous = app.browser();
        let signed_in = app.browser();
        signed_in
            .login(&url("/"), "alice@example.com", "password")
            .await;
        let mut paths = paths(site);
        paths.push("/no-such-page");
        for path in paths {
            for (who, browser) in [("anonymous", &anonymous), ("signed in", &signed_in)] {
                let get = read(browser.http.get(url(path))).await;
                assert_security_headers(&get, &format!("{site:?} GET {path} {who}"));
                // A post without a form or a token: refused (403, 405, 415 or a redirect),
                // still with the headers. Logout is left for last: it would end the session.
                if path != shared::paths::common::LOGOUT {
                    let post = read(browser.http.post(url(path))).await;
                    assert!(!post.status.is_server_error(), "{path}: {}", post.status);
                    assert_security_headers(&post, &format!("{site:?} POST {path} {who}"));
                }
            }
        }
        let logout = read(signed_in.http.post(url(shared::paths::common::LOGOUT))).await;
        assert_security_headers(&logout, &format!("{site:?} POST /logout"));
    }
}

#[tokio::test]
async fn the_pages_need_no_inline_style_or_script_and_their_stylesheet_is_served() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    for path in ["/", "/login"] {
        let page = browser.get(&app.store(path)).await;
        assert_eq!(page.status, StatusCode::OK);
        for inline in ["<style", "<script", " style=", " onclick="] {
            assert!(!page.body.contains(inline), "{path} has {inline}");
        }
        assert!(
            page.body
                .contains(r#"<link rel="stylesheet" href="/site.css">"#),
            "{path} links its stylesheet"
        );
    }
    let css = browser.get(&app.store("/site.css")).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(css.body.contains("font-family"), "{}", css.body);
}
