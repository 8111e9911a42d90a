//! The login flow of docs/flow.md, steps 1–18, for both sites, each step asserted as the article
//! describes it.

use crate::app::{TestApp, assert_session_cookie_attributes, read, session_records};
use crate::hashed_sessions::{is_live, record_of, records, storage_key};
use backend::session::SessionPolicy;
use backend::stack::{StackConfig, demo};
use backend::web::SessionBackend;
use reqwest::StatusCode;
use std::time::Duration;

const IDLE: Duration = Duration::from_secs(2);

#[tokio::test]
async fn the_articles_flow_steps_1_to_18_hold_for_store_and_forums() {
    let dir = tempfile::tempdir().unwrap();
    let store_db = dir.path().join("store.db");
    let mut config = StackConfig::ephemeral().with_policy(SessionPolicy {
        idle_timeout: IDLE,
        absolute_timeout: Duration::from_secs(3600),
        ..SessionPolicy::default()
    });
    config.store.sessions = SessionBackend::Sqlite;
    config.store.database_url = format!("sqlite://{}", store_db.display());
    let app = TestApp::spawn_with(config).await;
    let browser = app.browser();
    let store = app.store("/");
    let forums = app.forums("/");

    // 1. GET / on Store → 200, HTML with a link to the login page; no cookie yet.
    let home = browser.get(&store).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("href=\"/login\""), "{}", home.body);
    assert!(home.set_cookies().is_empty());

    // 2. GET /login on Store → 200, HTML login form.
    let form = browser.get(&app.store("/login")).await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_shows(
        "the login form",
        &[
            "name=\"loginId\"",
            "name=\"password\"",
            "type=\"password\"",
            "name=\"csrf_token\"",
            "name=\"next\"",
        ],
    );
    // The form's token signs the nonce of the CSRF cookie; no session is stored for it.
    let csrf_cookie = form
        .cookie("store_csrf")
        .expect("the CSRF token's nonce is a cookie");
    assert_session_cookie_attributes(&csrf_cookie);
    assert!(form.cookie("store_session").is_none(), "no session yet");
    assert!(records(&store_db).await.is_empty(), "nothing stored");

    // 3–5. POST /login (form-encoded) → Store calls FusionAuth's /api/login, which answers 200.
    let login = browser
        .post_form(
            &app.store("/login"),
            &[
                ("loginId", "alice@example.com"),
                ("password", "password"),
                ("csrf_token", &form.csrf()),
                ("next", ""),
            ],
        )
        .await;
    let timing = login
        .header("server-timing")
        .expect("the FusionAuth hop is visible");
    assert!(timing.contains("POST /api/login 200"), "{timing}");
    assert_eq!(
        app.last_login().await,
        (
            demo::STORE_APPLICATION_ID.to_string(),
            "127.0.0.1".to_owned()
        )
    );

    // 7. 303 Location: /shopping-cart with the session cookie: HttpOnly, host-only, Path=/.
    login.assert_redirect_to("/shopping-cart");
    assert_eq!(login.header("cache-control"), Some("no-store"));
    let cookie = login
        .cookie("store_session")
        .expect("the login sets the session cookie");
    assert_session_cookie_attributes(&cookie);
    assert_eq!(cookie.max_age(), Some(time::Duration::seconds(2)));
    let first_id = cookie.value().to_owned();

    // 6. The server-side session holds the user, never the password.
    assert!(
        session_records(&store_db)
            .await
            .iter()
            .all(|(_, blob)| !blob.windows(8).any(|w| w == b"password")),
        "no password in the session"
    );
    let live: Vec<_> = records(&store_db)
        .await
        .into_iter()
        .filter(is_live)
        .collect();
    assert_eq!(live.len(), 1, "one session, created at login");
    let record = &live[0];
    assert_eq!(record.data["user"]["user"]["email"], "alice@example.com");
    assert_eq!(
        record.id,
        storage_key(&first_id),
        "the session storage is keyed by a hash of the cookie's id"
    );

    // 8–9. GET /shopping-cart with the cookie: the user from the session (no FusionAuth call),
    // the cart from the database; the read extends the session.
    tokio::time::sleep(IDLE * 6 / 10).await;
    let cart = browser.get(&app.store("/shopping-cart")).await;
    assert_eq!(cart.status, StatusCode::OK);
    assert!(
        cart.header("server-timing").is_none(),
        "no call to FusionAuth"
    );
    cart.assert_shows(
        "the cart",
        &[
            "Alice Shopper",
            "Sencha green tea, 100 g",
            "Stoneware mug",
            "$12.50",
            "$25.00",
            "$43.00",
        ],
    );
    let touched = cart
        .cookie("store_session")
        .expect("the read extends the cookie too");
    assert_eq!(touched.value(), first_id);
    tokio::time::sleep(IDLE * 6 / 10).await;
    let still = browser.get(&app.store("/shopping-cart")).await;
    assert_eq!(
        still.status,
        StatusCode::OK,
        "reads kept the session alive past one idle timeout"
    );

    // 10–11. Idle past the timeout; the browser still sends the cookie → redirect to login.
    tokio::time::sleep(IDLE + Duration::from_millis(300)).await;
    let stale = read(
        app.bare_client()
            .get(app.store("/shopping-cart"))
            .header("Cookie", format!("store_session={first_id}")),
    )
    .await;
    stale.assert_redirect_to("/login?next=/shopping-cart");
    let removal = stale
        .cookie("store_session")
        .expect("the dead cookie is cleared");
    assert_session_cookie_attributes(&removal);
    assert_eq!(removal.max_age(), Some(time::Duration::ZERO));

    // 12. Log in again exactly as in 2–7.
    let relogin = browser.login(&store, "alice@example.com", "password").await;
    relogin.assert_redirect_to("/shopping-cart");
    let second_id = relogin.cookie("store_session").unwrap().value().to_owned();
    assert_ne!(second_id, first_id);
    let refresh_token = record_of(&store_db, &second_id)
        .await
        .and_then(|record| {
            record.data["user"]["refresh_token"]
                .as_str()
                .map(str::to_owned)
        })
        .expect("the new session holds FusionAuth's refresh token");

    // 13. Forums home: 200 with a login link; Store's cookie is not sent there.
    assert!(
        !browser.cookies_for(&forums).contains("store_session"),
        "{}",
        browser.cookies_for(&forums)
    );
    assert!(browser.cookies_for(&store).contains("store_session"));
    let forums_home = browser.get(&forums).await;
    assert_eq!(forums_home.status, StatusCode::OK);
    assert!(forums_home.body.contains("href=\"/login\""));
    assert!(!forums_home.body.contains("Signed in"), "no single sign-on");

    // 14–16. Forums' own login calls FusionAuth itself; its own cookie for its own host.
    let forums_login = browser
        .login(&forums, "alice@example.com", "password")
        .await;
    forums_login.assert_redirect_to("/posts");
    assert!(
        forums_login
            .header("server-timing")
            .unwrap()
            .contains("POST /api/login 200")
    );
    assert_eq!(
        app.last_login().await.0,
        demo::FORUMS_APPLICATION_ID.to_string()
    );
    let forums_cookie = forums_login.cookie("forums_session").unwrap();
    assert_session_cookie_attributes(&forums_cookie);
    assert!(!browser.cookies_for(&store).contains("forums_session"));

    // 17. GET /posts with Forums' cookie: the posts.
    let posts = browser.get(&app.forums("/posts")).await;
    assert_eq!(posts.status, StatusCode::OK);
    assert!(
        posts.header("server-timing").is_none(),
        "no call to FusionAuth"
    );
    assert!(
        posts.body.contains("Welcome to the forums")
            && posts.body.contains("Which kettle for green tea?")
    );

    // 18. A hacker replays Store's stolen id from another client: it works and extends.
    tokio::time::sleep(IDLE * 3 / 10).await;
    let hacker = app.bare_client();
    let stolen = read(
        hacker
            .get(app.store("/shopping-cart"))
            .header("Cookie", format!("store_session={second_id}"))
            .header("User-Agent", "curl/8.0 (the hacker)"),
    )
    .await;
    assert_eq!(stolen.status, StatusCode::OK);
    assert!(stolen.body.contains("Alice Shopper") && stolen.body.contains("$43.00"));
    assert_eq!(
        stolen.cookie("store_session").unwrap().value(),
        second_id,
        "the replay extended the session"
    );

    // Logout kills the server-side session: the stolen id stops working.
    let cart = browser.get(&app.store("/shopping-cart")).await;
    let logout = browser
        .post_form(&app.store("/logout"), &[("csrf_token", &cart.csrf())])
        .await;
    logout.assert_redirect_to("/");
    assert_eq!(
        logout.header("clear-site-data"),
        Some("\"cache\", \"cookies\"")
    );
    assert_eq!(logout.header("cache-control"), Some("no-store"));
    let removal = logout.cookie("store_session").unwrap();
    assert_session_cookie_attributes(&removal);
    assert_eq!(removal.max_age(), Some(time::Duration::ZERO));
    let left = record_of(&store_db, &second_id).await;
    assert!(
        left.is_none_or(|record| !is_live(&record)),
        "the record is deleted from the session storage (a tombstone in its place)"
    );
    let replay = read(
        hacker
            .get(app.store("/shopping-cart"))
            .header("Cookie", format!("store_session={second_id}")),
    )
    .await;
    replay.assert_redirect_to("/login?next=/shopping-cart");
    let refreshed = reqwest::Client::new()
        .post(format!(
            "{}/api/jwt/refresh",
            app.stack.identity.as_ref().unwrap().url()
        ))
        .json(&serde_json::json!({ "refreshToken": refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refreshed.status(),
        StatusCode::BAD_REQUEST,
        "the refresh token was revoked at logout"
    );

    // The Forums session is separate and lives on.
    assert_eq!(
        browser.get(&app.forums("/posts")).await.status,
        StatusCode::OK
    );
}
