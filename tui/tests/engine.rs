//! The engine against real servers: the embedded stack (the article's login flow, a stolen
//! cookie replayed by a second browser until logout), and small servers that misbehave
//! (refused connections, silence, redirect loops, garbage) — which must end in messages, never
//! panics.

use axum::Router;
use axum::http::{HeaderMap, Method as HttpMethod, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get, post};
use backend::stack::{Stack, StackConfig};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tui::engine::{
    BODY_LIMIT, Block, Browser, BrowserOptions, Form, Method, NotSent, PageLoad, Request, Table,
    curl_command,
};
use url::Url;

fn browser() -> Browser {
    Browser::new(BrowserOptions::default()).expect("a browser")
}

/// The first table of a load's page.
fn table(load: &PageLoad) -> &Table {
    let page = load.page.as_ref().expect("an HTML page");
    page.blocks
        .iter()
        .find_map(|b| match b {
            Block::Table(t) => Some(t),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no table in {:?}", page.blocks))
}

/// The item names of the cart table.
fn cart_items(load: &PageLoad) -> Vec<String> {
    table(load)
        .rows
        .iter()
        .map(|row| row[0].text.clone())
        .collect()
}

/// The login form of a load's page (the form with a `loginId` field), to fill in.
fn login_form(load: &PageLoad) -> Form {
    load.page
        .as_ref()
        .and_then(|page| page.form_with_field("loginId"))
        .expect("the login form")
        .clone()
}

/// The value of `name` in a raw `Set-Cookie`.
fn set_cookie_value<'a>(set_cookies: &'a [String], name: &str) -> Option<&'a str> {
    set_cookies
        .iter()
        .find_map(|raw| raw.strip_prefix(name)?.strip_prefix('=')?.split(';').next())
}

#[tokio::test]
async fn alice_logs_in_and_a_stolen_cookie_works_until_she_logs_out() {
    let stack = Stack::start(StackConfig::ephemeral()).await.unwrap();
    let store = stack.store_url().clone();
    let victim = browser();

    // The Store's home, then its "Log in" link.
    let home = victim.load(Request::get(store.clone())).await;
    assert_eq!(home.error, None);
    let home_page = home.page.expect("the home page is HTML");
    let login_url = home_page
        .link_by_text("Log in")
        .and_then(|link| link.url.clone())
        .expect("a Log in link");
    let login = victim.load(Request::get(login_url)).await;
    assert_eq!(login.error, None);
    assert_eq!(login.exchanges[0].status, Some(200));
    // The form's CSRF token signs the nonce of the CSRF cookie; no session yet.
    let nonce = set_cookie_value(&login.exchanges[0].set_cookies, "store_csrf")
        .expect("the login form sets store_csrf")
        .to_owned();
    assert_eq!(
        set_cookie_value(&login.exchanges[0].set_cookies, "store_session"),
        None
    );
    let mut form = login_form(&login);
    assert!(
        !form.value("csrf_token").unwrap_or_default().is_empty(),
        "the hidden CSRF token is parsed"
    );
    assert!(form.set("loginId", "alice@example.com"));
    assert!(form.set("password", "password"));

    // Submitting it: POST /login → 303 with a new session cookie → GET /shopping-cart.
    let submitted = victim.load(form.submission()).await;
    assert_eq!(submitted.error, None, "{:#?}", submitted.exchanges);
    assert_eq!(submitted.exchanges.len(), 2);
    let (post, get) = (&submitted.exchanges[0], &submitted.exchanges[1]);
    assert_eq!((post.method, post.url.path()), (Method::Post, "/login"));
    assert_eq!(post.status, Some(303));
    assert_eq!(post.location.as_deref(), Some("/shopping-cart"));
    assert!(
        post.request_body
            .as_deref()
            .unwrap()
            .contains("loginId=alice%40example.com")
    );
    let session = set_cookie_value(&post.set_cookies, "store_session")
        .expect("the login sets store_session")
        .to_owned();
    let fusionauth = post
        .server_timing
        .iter()
        .find(|t| t.name == "fusionauth")
        .expect("a Server-Timing entry for FusionAuth");
    assert_eq!(
        fusionauth.description.as_deref(),
        Some("POST /api/login 200")
    );
    assert!(fusionauth.duration_ms.is_some());

    assert_eq!(
        (get.method, get.url.path()),
        (Method::Get, "/shopping-cart")
    );
    assert_eq!(get.status, Some(200));
    assert_eq!((post.hop, get.hop), (0, 1));
    assert_eq!(post.load_id, get.load_id);
    assert_eq!(get.id, post.id + 1);
    assert_eq!(get.request_body, None, "303 drops the body");
    let mut sent = get.cookies_sent.clone();
    sent.sort();
    assert_eq!(
        sent,
        vec![
            ("store_csrf".to_owned(), nonce.clone()),
            ("store_session".to_owned(), session.clone())
        ]
    );
    let cookie_header = get
        .request_headers
        .iter()
        .find(|(name, _)| name == "Cookie")
        .map(|(_, value)| value.as_str())
        .unwrap_or_default();
    assert!(
        cookie_header.contains(&format!("store_session={session}")),
        "{cookie_header}"
    );
    assert!(
        get.request_headers
            .iter()
            .any(|(name, value)| name == "User-Agent" && value.starts_with("tui/"))
    );
    assert_eq!(submitted.final_url.path(), "/shopping-cart");
    assert_eq!(
        cart_items(&submitted),
        ["Sencha green tea, 100 g", "Stoneware mug"]
    );
    let cart = submitted.page.as_ref().unwrap();
    let remove_forms = table(&submitted)
        .rows
        .iter()
        .filter(|row| row.last().is_some_and(|cell| cell.forms.len() == 1))
        .count();
    assert_eq!(remove_forms, 2, "each row has its Remove form");

    // The jar: host-only, HttpOnly, and set by the POST.
    let stolen = victim
        .cookies()
        .into_iter()
        .find(|c| c.name == "store_session")
        .expect("store_session in the jar");
    assert_eq!(stolen.value, session);
    assert_eq!(stolen.domain, "store.localhost");
    assert!(stolen.host_only && stolen.http_only && !stolen.secure);
    assert_eq!(stolen.same_site.as_deref(), Some("Lax"));
    let set_by = stolen.set_by.clone().expect("set_by");
    assert_eq!(set_by.exchange_id, post.id);
    assert_eq!(set_by.status, 303);
    assert_eq!(set_by.request, format!("POST {}", post.url));

    // Not sent to the Forums: another host.
    let forums = victim.decisions_for(stack.forums_url());
    let decision = forums
        .iter()
        .find(|d| d.cookie.name == "store_session")
        .unwrap();
    assert_eq!(decision.not_sent, Some(NotSent::Host));
    let at_store = victim.decisions_for(&store.join("/shopping-cart").unwrap());
    assert!(
        at_store
            .iter()
            .any(|d| d.cookie.name == "store_session" && d.not_sent.is_none())
    );

    // "Copy as curl" of the login POST.
    let curl = curl_command(post, "jar.txt");
    assert!(curl.starts_with("curl -L "), "{curl}");
    assert!(curl.contains("--data-raw '"), "{curl}");

    // An attacker's browser, with only the stolen cookie, gets Alice's cart.
    let attacker = browser();
    attacker.insert_cookie(&stolen).unwrap();
    let cart_url = store.join("/shopping-cart").unwrap();
    let replay = attacker.load(Request::get(cart_url.clone())).await;
    assert_eq!(replay.error, None);
    assert_eq!(replay.exchanges.len(), 1);
    assert_eq!(replay.exchanges[0].status, Some(200));
    assert_eq!(
        replay.exchanges[0].cookies_sent,
        vec![("store_session".to_owned(), session.clone())]
    );
    assert_eq!(
        cart_items(&replay),
        ["Sencha green tea, 100 g", "Stoneware mug"]
    );

    // Alice logs out with the header's form: the session is gone server-side…
    let logout = cart
        .forms
        .iter()
        .find(|f| f.action.path() == "/logout")
        .expect("the header's logout form");
    let out = victim.load(logout.submission()).await;
    assert_eq!(out.error, None);
    assert_eq!(out.exchanges[0].status, Some(303));
    assert_eq!(out.final_url.path(), "/");
    assert!(
        victim
            .decisions_for(&cart_url)
            .iter()
            .filter(|d| d.cookie.name == "store_session")
            .all(|d| d.not_sent.is_some()),
        "the victim's browser no longer sends the old session"
    );

    // …so the attacker's replay lands on the login page.
    let replay = attacker.load(Request::get(cart_url)).await;
    assert_eq!(replay.error, None);
    assert_eq!(replay.exchanges[0].status, Some(303));
    assert_eq!(replay.final_url.path(), "/login");

    stack.stop().await.unwrap();
}

/// Serves `router` on a free port; returns its base URL under a `*.localhost` name, so the
/// engine's resolver is exercised too.
async fn serve(router: Router) -> Url {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    Url::parse(&format!("http://test.localhost:{port}/")).unwrap()
}

/// `browser` loading `path` of the server at `base`.
async fn load_path(browser: &Browser, base: &Url, path: &str) -> PageLoad {
    browser.load(Request::get(base.join(path).unwrap())).await
}

/// Echoes the method, query and body it received.
async fn echo(method: HttpMethod, uri: axum::http::Uri, body: String) -> Response {
    let query = uri.query().unwrap_or_default().to_owned();
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!("<p>{method} {} ?{query} body={body}</p>", uri.path()),
    )
        .into_response()
}

/// `/a/y` sends `?q=1`; `/a/y?q=1` sends a protocol-relative URL on another host name.
async fn query_then_other_host(uri: axum::http::Uri, headers: HeaderMap) -> Response {
    if uri.query().is_none() {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, "?q=1")]).into_response();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let port = host.rsplit(':').next().unwrap_or_default();
    let location = format!("//other.localhost:{port}/target");
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// A handler answering `status` with `Location: location`, nothing else.
fn redirect(
    status: StatusCode,
    location: &'static str,
) -> impl FnOnce() -> std::future::Ready<Response> + Clone + Send + Sync + 'static {
    move || std::future::ready((status, [(header::LOCATION, location)]).into_response())
}

fn misbehaving() -> Router {
    Router::new()
        .route("/loop", get(|| async { Redirect::temporary("/loop") }))
        .route("/a/b/start", get(redirect(StatusCode::FOUND, "./x")))
        .route(
            "/a/b/x",
            get(redirect(StatusCode::MOVED_PERMANENTLY, "../y")),
        )
        .route("/a/y", get(query_then_other_host))
        .route("/post303", post(redirect(StatusCode::SEE_OTHER, "/target")))
        .route(
            "/post307",
            post(redirect(StatusCode::TEMPORARY_REDIRECT, "/target")),
        )
        .route("/target", any(echo))
        .route(
            "/bad-location",
            get(redirect(StatusCode::FOUND, "http://[oops")),
        )
        .route(
            "/garbage",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html")],
                    b"<html><body><p>ok \xFF\xFE\x00 then \x80garbage</p><<<<&&&".to_vec(),
                )
            }),
        )
        .route(
            "/big",
            get(|| async {
                let mut body = "<p>".to_owned();
                body.push_str(&"x".repeat(BODY_LIMIT + 50_000));
                body
            }),
        )
        .route(
            "/json",
            get(|| async {
                let mut headers = HeaderMap::new();
                headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
                (headers, r#"{"ok":true}"#)
            }),
        )
}

#[tokio::test]
async fn a_redirect_loop_gives_up_after_twenty_redirects() {
    let base = serve(misbehaving()).await;
    let load = load_path(&browser(), &base, "/loop").await;
    assert_eq!(
        load.exchanges.len(),
        21,
        "the first request and 20 redirects"
    );
    let error = load.error.expect("an error");
    assert!(error.contains("too many redirects"), "{error}");
    assert!(load.page.is_none());
    let ids: Vec<u64> = load.exchanges.iter().map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[1] > w[0]), "ids increase: {ids:?}");
    assert!(load.exchanges.iter().all(|e| e.load_id == load.load_id));
}

#[tokio::test]
async fn relative_locations_are_followed_hop_by_hop() {
    let base = serve(misbehaving()).await;
    let load = load_path(&browser(), &base, "/a/b/start").await;
    assert_eq!(load.error, None);
    let hops: Vec<(String, Option<u16>)> = load
        .exchanges
        .iter()
        .map(|e| (e.url.path().to_owned(), e.status))
        .collect();
    assert_eq!(
        hops,
        [
            ("/a/b/start".to_owned(), Some(302)),
            ("/a/b/x".to_owned(), Some(301)),
            ("/a/y".to_owned(), Some(303)),
            ("/a/y".to_owned(), Some(302)),
            ("/target".to_owned(), Some(200)),
        ]
    );
    assert_eq!(load.exchanges[3].url.query(), Some("q=1"));
    assert_eq!(load.final_url.host_str(), Some("other.localhost"));
    assert_eq!(load.final_url.port(), base.port());
}

#[tokio::test]
async fn see_other_turns_a_post_into_a_get_and_307_keeps_it() {
    let base = serve(misbehaving()).await;
    let browser = browser();
    let post = |path: &str| Request {
        method: Method::Post,
        url: base.join(path).unwrap(),
        form: vec![("a".into(), "1 2".into())],
        headers: Vec::new(),
    };
    let after_303 = browser.load(post("/post303")).await;
    assert_eq!(after_303.exchanges[1].method, Method::Get);
    assert!(
        after_303.exchanges[1]
            .response_body
            .contains("GET /target ? body=")
    );
    assert!(
        !after_303.exchanges[1]
            .request_headers
            .iter()
            .any(|(n, _)| n == "Content-Type")
    );
    let after_307 = browser.load(post("/post307")).await;
    assert_eq!(after_307.exchanges[1].method, Method::Post);
    assert!(
        after_307.exchanges[1]
            .response_body
            .contains("POST /target ? body=a=1+2")
    );
    assert!(after_307.exchanges[0].id < after_307.exchanges[1].id);
    assert!(after_303.load_id < after_307.load_id);
}

#[tokio::test]
async fn a_get_form_puts_its_fields_in_the_query() {
    let base = serve(misbehaving()).await;
    let load = browser()
        .load(Request {
            method: Method::Get,
            url: base.join("/target?old=1").unwrap(),
            form: vec![("q".into(), "green tea".into()), ("n".into(), "2".into())],
            headers: vec![("X-Test".into(), "yes".into())],
        })
        .await;
    assert_eq!(load.exchanges[0].url.query(), Some("q=green+tea&n=2"));
    assert_eq!(load.exchanges[0].request_body, None);
    assert!(
        load.exchanges[0]
            .request_headers
            .contains(&("X-Test".into(), "yes".into()))
    );
    let page = load.page.unwrap();
    assert!(
        matches!(&page.blocks[0], Block::Paragraph { text, .. } if text.contains("?q=green+tea&n=2"))
    );
}

#[tokio::test]
async fn a_bad_location_is_an_error_naming_it() {
    let base = serve(misbehaving()).await;
    let load = load_path(&browser(), &base, "/bad-location").await;
    let error = load.error.unwrap();
    assert!(
        error.contains("invalid Location") && error.contains("http://[oops"),
        "{error}"
    );
    assert_eq!(load.exchanges.len(), 1);
}

#[tokio::test]
async fn invalid_utf8_and_garbage_html_still_give_a_page_and_a_warning() {
    let base = serve(misbehaving()).await;
    let load = load_path(&browser(), &base, "/garbage").await;
    let warning = load.error.expect("a warning");
    assert!(warning.contains("not valid UTF-8"), "{warning}");
    let page = load.page.expect("a page all the same");
    assert!(
        matches!(&page.blocks[0], Block::Paragraph { text, .. } if text.starts_with("ok \u{FFFD}"))
    );
    assert_eq!(load.exchanges[0].status, Some(200));
}

#[tokio::test]
async fn bodies_are_cut_at_256_kib_and_non_html_is_not_parsed() {
    let base = serve(misbehaving()).await;
    let browser = browser();
    let big = load_path(&browser, &base, "/big").await;
    assert_eq!(big.error, None);
    assert_eq!(big.exchanges[0].response_body.len(), BODY_LIMIT);
    assert!(big.page.is_some(), "the body starts with '<'");
    let json = load_path(&browser, &base, "/json").await;
    assert_eq!(json.exchanges[0].response_body, r#"{"ok":true}"#);
    assert!(json.page.is_none());
}

#[tokio::test]
async fn a_closed_port_is_connection_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = Url::parse(&format!("http://closed.localhost:{port}/")).unwrap();
    let load = browser().load(Request::get(url.clone())).await;
    let error = load.error.expect("an error");
    assert!(error.contains("connection refused"), "{error}");
    assert!(
        error.contains(&format!("closed.localhost:{port}")),
        "{error}"
    );
    assert_eq!(load.exchanges.len(), 1);
    assert_eq!(load.exchanges[0].status, None);
    assert_eq!(load.exchanges[0].error.as_deref(), Some(error.as_str()));
    assert_eq!(load.final_url, url);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    // Accepts, reads, and keeps the connection open without a word.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 1024];
            let _ = socket.read(&mut buffer).await;
            held.push(socket);
        }
    });
    let browser = Browser::new(BrowserOptions {
        timeout: Duration::from_millis(300),
        ..BrowserOptions::default()
    })
    .unwrap();
    let started = Instant::now();
    let load = browser
        .load(Request::get(
            Url::parse(&format!("http://{addr}/")).unwrap(),
        ))
        .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let error = load.error.expect("an error");
    assert!(
        error.contains("timed out") && error.contains("300 ms"),
        "{error}"
    );
    assert!(load.exchanges[0].duration >= Duration::from_millis(250));
}

#[tokio::test]
async fn a_server_speaking_garbage_instead_of_http_is_a_clear_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 1024];
            let _ = socket.read(&mut buffer).await;
            let _ = socket.write_all(b"\x00\x01 not http at all\r\n\r\n").await;
        }
    });
    let load = browser()
        .load(Request::get(
            Url::parse(&format!("http://{addr}/")).unwrap(),
        ))
        .await;
    let error = load.error.expect("an error");
    assert!(error.starts_with("request to 127.0.0.1:"), "{error}");
    assert!(error.contains("invalid HTTP version"), "{error}");
    assert!(!error.contains("SendRequest"), "{error}");
    assert_eq!(load.exchanges[0].status, None);
}

/// Home → "Log in" → the form filled in and submitted, as Alice.
async fn log_in_as_alice(browser: &Browser, store: &Url) -> PageLoad {
    let login = load_path(browser, store, "/login").await;
    let mut form = login_form(&login);
    form.set("loginId", "alice@example.com");
    form.set("password", "password");
    browser.load(form.submission()).await
}

#[tokio::test]
async fn copy_as_curl_replays_with_the_saved_jar_and_curls_jar_loads_back() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("curl is not installed: skipped");
        return;
    }
    let stack = Stack::start(StackConfig::ephemeral()).await.unwrap();
    let browser = browser();
    let logged_in = log_in_as_alice(&browser, stack.store_url()).await;
    assert_eq!(logged_in.final_url.path(), "/shopping-cart");
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("cookies.txt");
    browser
        .save_jar(&jar, tui::engine::JarFormat::from_path(&jar))
        .unwrap();

    // curl, given the command and the jar file, gets Alice's cart too.
    let command = curl_command(&logged_in.exchanges[1], jar.to_str().unwrap());
    let output = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{command} --silent --show-error --max-time 10"))
        .output()
        .await
        .unwrap();
    let html = String::from_utf8_lossy(&output.stdout);
    assert!(
        html.contains("Stoneware mug"),
        "{command}\n{}\n{html}",
        String::from_utf8_lossy(&output.stderr)
    );

    // What curl wrote back (-c) loads into a fresh browser: host-only and HttpOnly kept.
    let other = browser_from_jar(&jar);
    let session = other
        .cookies()
        .into_iter()
        .find(|c| c.name == "store_session")
        .expect("store_session in curl's jar");
    assert!(session.host_only && session.http_only);
    let cart = load_path(&other, stack.store_url(), "/shopping-cart").await;
    assert_eq!(cart.exchanges[0].status, Some(200));
    assert_eq!(
        cart_items(&cart),
        ["Sencha green tea, 100 g", "Stoneware mug"]
    );
    stack.stop().await.unwrap();
}

/// A new browser holding the cookies of a Netscape jar file.
fn browser_from_jar(jar: &std::path::Path) -> Browser {
    let browser = browser();
    let count = browser
        .load_jar(jar, tui::engine::JarFormat::Netscape)
        .unwrap();
    assert!(count >= 1);
    browser
}
