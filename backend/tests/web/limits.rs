//! Login rate limits (docs/security.md): login attempts are rate-limited per client IP and per
//! account; over the budget, `429 Too Many Requests` with an honest `Retry-After`;
//! `X-Forwarded-For` counts only from a configured proxy.

use crate::app::{Browser, Page, TestApp, read};
use crate::logs::Logs;
use backend::identity::totp;
use backend::stack::{StackConfig, demo};
use backend::web::{Limit, LoginLimits, TrustedProxies, parse_proxy};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

/// The demo stack with these limits (`20/min`, `off`, …) and trusted proxies.
async fn spawn(per_ip: &str, per_account: &str, proxies: &[&str]) -> TestApp {
    let limits = LoginLimits {
        per_ip: per_ip.parse::<Limit>().unwrap().0,
        per_account: per_account.parse::<Limit>().unwrap().0,
    };
    let mut config = StackConfig::ephemeral().with_login_limits(limits);
    let proxies = TrustedProxies::new(proxies.iter().map(|p| parse_proxy(p).unwrap()));
    config.store.trusted_proxies = proxies.clone();
    config.forums.trusted_proxies = proxies;
    TestApp::spawn_with(config).await
}

/// Loads the Store's login form in `browser` and posts it, with `X-Forwarded-For` when given.
async fn attempt(
    app: &TestApp,
    browser: &Browser,
    login_id: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> Page {
    let form = browser.get(&app.store("/login")).await;
    assert_eq!(form.status, StatusCode::OK);
    let mut request = browser.http.post(app.store("/login")).form(&[
        ("loginId", login_id),
        ("password", password),
        ("csrf_token", &form.csrf()),
    ]);
    if let Some(forwarded) = forwarded_for {
        request = request.header("X-Forwarded-For", forwarded);
    }
    read(request).await
}

/// The 429 page with its `Retry-After`, in seconds.
#[track_caller]
fn assert_too_many(page: &Page) -> u64 {
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        page.headers
    );
    assert!(
        page.body.contains("Too many login attempts"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Store"), "the site's own page");
    page.header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in seconds")
}

#[tokio::test]
async fn the_attempt_after_the_per_ip_budget_is_a_429_with_retry_after() {
    let app = spawn("3/min", "off", &[]).await;
    let browser = app.browser();
    // Different accounts, so only the address's budget is spent.
    for n in 0..3 {
        let page = attempt(&app, &browser, &format!("nobody{n}@example.com"), "x", None).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let refused = attempt(&app, &browser, "alice@example.com", "password", None).await;
    let retry_after = assert_too_many(&refused);
    // 3 a minute refill one every 20 s.
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    assert!(
        refused.header("server-timing").is_none(),
        "FusionAuth was not asked"
    );
    assert_eq!(refused.header("cache-control"), Some("no-store"));
    crate::headers::assert_security_headers(&refused, "429");
    // The right password does not get through either, and no session is made.
    browser
        .get(&app.store("/shopping-cart"))
        .await
        .assert_redirect_to("/login?next=/shopping-cart");
}

#[tokio::test]
async fn json_callers_get_the_429_as_json() {
    let app = spawn("1/min", "off", &[]).await;
    let browser = app.browser();
    attempt(&app, &browser, "nobody@example.com", "x", None).await;
    let form = browser.get(&app.store("/login")).await;
    let refused = read(
        browser
            .http
            .post(app.store("/login"))
            .header("Accept", "application/json")
            .form(&[
                ("loginId", "nobody@example.com"),
                ("password", "x"),
                ("csrf_token", &form.csrf()),
            ]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = serde_json::from_str(&refused.body).unwrap();
    assert_eq!(body["error"], "too_many_requests");
    let seconds = refused
        .header("retry-after")
        .unwrap()
        .parse::<u64>()
        .unwrap();
    assert_eq!(body["retryAfter"], seconds);
}

#[tokio::test]
async fn one_account_is_limited_across_addresses_behind_a_trusted_proxy() {
    let app = spawn("off", "2/min", &["127.0.0.1", "::1"]).await;
    let browser = app.browser();
    for (n, login_id) in ["alice@example.com", "Alice@Example.COM"]
        .iter()
        .enumerate()
    {
        let from = format!("203.0.113.{n}");
        let page = attempt(&app, &browser, login_id, "wrong", Some(&from)).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{from}");
    }
    // A third address, the same account (case-folded, spaces trimmed): refused.
    let refused = attempt(
        &app,
        &browser,
        " ALICE@example.com ",
        "password",
        Some("203.0.113.9"),
    )
    .await;
    let retry_after = assert_too_many(&refused);
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    // Another account from that same address is not affected.
    let other = attempt(
        &app,
        &browser,
        "store-only@example.com",
        "password",
        Some("203.0.113.9"),
    )
    .await;
    other.assert_redirect_to("/shopping-cart");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let app = spawn("1/min", "off", &["127.0.0.1", "::1"]).await;
    let browser = app.browser();
    let first = attempt(
        &app,
        &browser,
        "nobody@example.com",
        "x",
        Some("203.0.113.1"),
    )
    .await;
    assert_eq!(first.status, StatusCode::UNAUTHORIZED);
    let second = attempt(
        &app,
        &browser,
        "nobody@example.com",
        "x",
        Some("203.0.113.2"),
    )
    .await;
    assert_eq!(second.status, StatusCode::UNAUTHORIZED, "another client");
    // The proxy appends the real address on the right: a forged left part changes nothing.
    let forged = attempt(
        &app,
        &browser,
        "nobody@example.com",
        "x",
        Some("198.51.100.77, 203.0.113.1"),
    )
    .await;
    assert_too_many(&forged);
    // A request with no header comes from the proxy itself, a client of its own.
    let direct = attempt(&app, &browser, "nobody@example.com", "x", None).await;
    assert_eq!(direct.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_forged_x_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = spawn("2/min", "off", &[]).await;
    let browser = app.browser();
    for n in 0..2 {
        let from = format!("203.0.113.{n}");
        let page = attempt(&app, &browser, "nobody@example.com", "x", Some(&from)).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let refused = attempt(
        &app,
        &browser,
        "nobody@example.com",
        "x",
        Some("203.0.113.200"),
    )
    .await;
    assert_too_many(&refused);
}

#[tokio::test]
async fn fusionauth_records_the_forwarded_client_address() {
    let app = spawn("off", "off", &["127.0.0.1", "::1"]).await;
    let browser = app.browser();
    attempt(
        &app,
        &browser,
        "alice@example.com",
        "password",
        Some("203.0.113.42"),
    )
    .await
    .assert_redirect_to("/shopping-cart");
    assert_eq!(app.last_login().await.1, "203.0.113.42");
}

#[tokio::test]
async fn retry_after_is_honest_waiting_that_long_lets_the_next_attempt_in() {
    // A burst of 2, then one a second.
    let app = spawn("2/2s", "off", &[]).await;
    let browser = app.browser();
    for _ in 0..2 {
        let page = attempt(&app, &browser, "nobody@example.com", "x", None).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let refused = attempt(&app, &browser, "nobody@example.com", "x", None).await;
    let retry_after = assert_too_many(&refused);
    assert_eq!(retry_after, 1);
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let allowed = attempt(&app, &browser, "nobody@example.com", "x", None).await;
    assert_eq!(allowed.status, StatusCode::UNAUTHORIZED, "allowed again");
    // And that one spent the refill: the next is refused again.
    let again = attempt(&app, &browser, "nobody@example.com", "x", None).await;
    assert_too_many(&again);
}

#[tokio::test]
async fn the_two_factor_step_counts_against_the_same_account() {
    let app = spawn("off", "2/min", &[]).await;
    let browser = app.browser();
    attempt(&app, &browser, "two-factor@example.com", "password", None)
        .await
        .assert_redirect_to("/login/two-factor");
    let form = browser.get(&app.store("/login/two-factor")).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let good: u32 = totp::code(demo::TOTP_SECRET, now).unwrap().parse().unwrap();
    let wrong = format!("{:06}", (good + 500_000) % 1_000_000);
    let submit = |code: String| {
        browser
            .http
            .post(app.store("/login/two-factor"))
            .form(&[("code", code), ("csrf_token", form.csrf())])
    };
    // The login was the account's first attempt; a wrong code is its second…
    assert_eq!(read(submit(wrong)).await.status, StatusCode::UNAUTHORIZED);
    // …and the right code, a third, is over the budget.
    assert_too_many(&read(submit(format!("{good:06}"))).await);
}

#[tokio::test]
async fn refused_attempts_log_one_line_per_client_a_minute_and_all_count_in_the_metrics() {
    let logs = Logs::default();
    let _capture = logs.capture();
    let app = spawn("1/min", "off", &["127.0.0.1", "::1"]).await;
    let browser = app.browser();
    for client in ["203.0.113.1", "203.0.113.2"] {
        let first = attempt(&app, &browser, "nobody@example.com", "x", Some(client)).await;
        assert_eq!(first.status, StatusCode::UNAUTHORIZED, "{client}");
        for _ in 0..5 {
            let refused = attempt(&app, &browser, "nobody@example.com", "x", Some(client)).await;
            assert_too_many(&refused);
        }
    }
    let text = logs.text();
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("login attempt refused"))
        .collect();
    assert_eq!(lines.len(), 2, "one line per client: {lines:#?}");
    assert!(lines[0].contains("203.0.113.1") && lines[1].contains("203.0.113.2"));

    // Every refusal is counted, readable from this machine...
    let metrics = browser.get(&app.store("/metrics")).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics
            .body
            .contains("login_attempts_refused_total{site=\"Store\",budget=\"per IP\"} 10\n"),
        "{}",
        metrics.body
    );
    // ...and by no one else.
    let remote = read(
        browser
            .http
            .get(app.store("/metrics"))
            .header("X-Forwarded-For", "203.0.113.1"),
    )
    .await;
    assert_eq!(remote.status, StatusCode::NOT_FOUND);
    assert!(!remote.body.contains("login_attempts_refused_total"));
}
