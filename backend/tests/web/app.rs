//! `TestApp`: the stack on port 0, and browser-like clients for it (a cookie jar, redirects off,
//! `*.localhost` resolved to the servers).

use backend::session::SessionPolicy;
use backend::stack::{Stack, StackConfig, demo};
use reqwest::StatusCode;
use reqwest::cookie::{CookieStore as _, Jar};
use reqwest::header::{HeaderMap, HeaderValue, LOCATION, SET_COOKIE};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tower_sessions::cookie::Cookie;
use url::Url;

/// The running stack.
pub struct TestApp {
    pub stack: Stack,
    /// The jar-less client of [`TestApp::get_with_cookie`], made once: a client costs about a
    /// tenth of a second to build.
    replayer: std::sync::OnceLock<reqwest::Client>,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// Every `Set-Cookie`, parsed.
    pub fn set_cookies(&self) -> Vec<Cookie<'static>> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| Cookie::parse(v.to_str().unwrap().to_owned()).unwrap())
            .collect()
    }

    /// The one `Set-Cookie` named `name`.
    pub fn cookie(&self, name: &str) -> Option<Cookie<'static>> {
        self.set_cookies().into_iter().find(|c| c.name() == name)
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts a `303 See Other` to `location`.
    #[track_caller]
    pub fn assert_redirect_to(&self, location: &str) {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "{}", self.body);
        assert_eq!(self.headers.get(LOCATION).unwrap(), location);
    }

    /// Asserts the body holds every one of `texts`; `what` names the page in the message.
    #[track_caller]
    pub fn assert_shows(&self, what: &str, texts: &[&str]) {
        for text in texts {
            assert!(
                self.body.contains(text),
                "{what} lacks {text}: {}",
                self.body
            );
        }
    }

    /// The value of the first hidden `csrf_token` field.
    pub fn csrf(&self) -> String {
        hidden_field(&self.body, "csrf_token").expect("the page has a CSRF token")
    }
}

/// The value of `<input ... name="NAME" value="...">`.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

impl TestApp {
    /// The latest login FusionAuth recorded for Alice: (application id, ip address).
    pub async fn last_login(&self) -> (String, String) {
        let identity = self.stack.identity.as_ref().unwrap();
        let records: Value = reqwest::Client::new()
            .get(format!(
                "{}/api/system/login-record/search?userId={}",
                identity.url(),
                demo::ALICE_ID
            ))
            .header("Authorization", demo::API_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let last = &records["logins"][0];
        (
            last["applicationId"].as_str().unwrap().to_owned(),
            last["ipAddress"].as_str().unwrap().to_owned(),
        )
    }

    /// The demo stack, all in memory.
    pub async fn spawn() -> Self {
        Self::spawn_with(StackConfig::ephemeral()).await
    }

    /// The demo stack with these timeouts.
    pub async fn spawn_with_policy(idle: Duration, absolute: Duration) -> Self {
        Self::spawn_with(StackConfig::ephemeral().with_policy(SessionPolicy {
            idle_timeout: idle,
            absolute_timeout: absolute,
            ..SessionPolicy::default()
        }))
        .await
    }

    /// A stack from `config`.
    pub async fn spawn_with(config: StackConfig) -> Self {
        Self {
            stack: Stack::start(config).await.expect("the stack starts"),
            replayer: std::sync::OnceLock::new(),
        }
    }

    /// `path` on the Store.
    pub fn store(&self, path: &str) -> String {
        self.stack.store_url().join(path).unwrap().to_string()
    }

    /// `path` on the Forums.
    pub fn forums(&self, path: &str) -> String {
        self.stack.forums_url().join(path).unwrap().to_string()
    }

    /// A new browser: its own cookie jar.
    pub fn browser(&self) -> Browser {
        self.browser_with(BrowserJar::default())
    }

    /// A browser for a site whose public URL is https while the test reaches it over plain
    /// http (TLS ends at a proxy): its jar keeps and sends `Secure` cookies as it would over
    /// https.
    pub fn browser_behind_tls(&self) -> Browser {
        self.browser_with(BrowserJar {
            behind_tls: true,
            ..BrowserJar::default()
        })
    }

    fn browser_with(&self, jar: BrowserJar) -> Browser {
        let jar = Arc::new(jar);
        Browser {
            http: self
                .client_builder()
                .cookie_provider(jar.clone())
                .build()
                .unwrap(),
            jar,
        }
    }

    /// A `GET` from a client with no jar, sending `cookie` as its `Cookie` header (a stolen or
    /// forged cookie replayed by hand).
    pub async fn get_with_cookie(&self, url: &str, cookie: &str) -> Page {
        let client = self.replayer.get_or_init(|| self.bare_client());
        read(client.get(url).header("Cookie", cookie)).await
    }

    /// A client with no cookie jar (an attacker sets `Cookie` by hand).
    pub fn bare_client(&self) -> reqwest::Client {
        self.client_builder().build().unwrap()
    }

    fn client_builder(&self) -> reqwest::ClientBuilder {
        // Plain http only: no CA bundle to load, which saves tens of milliseconds a client.
        reqwest::Client::builder()
            .tls_certs_only(Vec::new())
            .redirect(reqwest::redirect::Policy::none())
            .resolve("store.localhost", self.stack.store.addr())
            .resolve("forums.localhost", self.stack.forums.addr())
    }
}

/// A browser: one cookie jar shared across both sites, redirects followed by the test.
pub struct Browser {
    pub http: reqwest::Client,
    pub jar: Arc<BrowserJar>,
}

/// A browser's cookie jar: reqwest's, seeing every URL as https when `behind_tls`.
#[derive(Default)]
pub struct BrowserJar {
    jar: Jar,
    behind_tls: bool,
}

impl BrowserJar {
    fn url(&self, url: &Url) -> Url {
        let mut url = url.clone();
        if self.behind_tls {
            url.set_scheme("https").unwrap();
        }
        url
    }
}

impl reqwest::cookie::CookieStore for BrowserJar {
    fn set_cookies(&self, headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        self.jar.set_cookies(headers, &self.url(url));
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        self.jar.cookies(&self.url(url))
    }
}

impl Browser {
    pub async fn get(&self, url: &str) -> Page {
        read(self.http.get(url)).await
    }

    pub async fn get_json(&self, url: &str) -> Page {
        read(self.http.get(url).header("Accept", "application/json")).await
    }

    pub async fn post_form(&self, url: &str, fields: &[(&str, &str)]) -> Page {
        read(self.http.post(url).form(fields)).await
    }

    /// Loads the login form of the site at `base` and submits it.
    pub async fn login(&self, base: &str, login_id: &str, password: &str) -> Page {
        self.login_with(base, login_id, password, None).await
    }

    /// [`Browser::login`], both requests sending `user_agent` as the `User-Agent`.
    pub async fn login_as_agent(
        &self,
        base: &str,
        login_id: &str,
        password: &str,
        user_agent: &str,
    ) -> Page {
        self.login_with(base, login_id, password, Some(user_agent))
            .await
    }

    async fn login_with(
        &self,
        base: &str,
        login_id: &str,
        password: &str,
        user_agent: Option<&str>,
    ) -> Page {
        let with_agent = |request: reqwest::RequestBuilder| match user_agent {
            Some(agent) => request.header("User-Agent", agent),
            None => request,
        };
        let url = format!("{base}login");
        let form = read(with_agent(self.http.get(&url))).await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf();
        read(with_agent(self.http.post(&url)).form(&[
            ("loginId", login_id),
            ("password", password),
            ("csrf_token", &csrf),
            ("next", ""),
        ]))
        .await
    }

    /// Puts a cookie in this browser's jar as if `url` had set it (a cookie planted by an
    /// attacker).
    pub fn plant(&self, set_cookie: &str, url: &str) {
        self.jar
            .jar
            .add_cookie_str(set_cookie, &self.jar.url(&Url::parse(url).unwrap()));
    }

    /// The `Cookie` header this browser would send to `url`.
    pub fn cookies_for(&self, url: &str) -> String {
        self.jar
            .cookies(&Url::parse(url).unwrap())
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// The value of the cookie `name` this browser would send to `url`.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.cookies_for(url)
            .split("; ")
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }
}

/// Sends a request and reads it whole.
pub async fn read(request: reqwest::RequestBuilder) -> Page {
    let response = request.send().await.expect("the request is answered");
    Page {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

/// Asserts the attributes every session cookie must carry.
#[track_caller]
pub fn assert_session_cookie_attributes(cookie: &Cookie<'_>) {
    assert_cookie_attributes(cookie, false, "");
}

/// Asserts the attributes every session cookie must carry, `Secure` exactly when the site is
/// served over `https`; `context` says where the cookie came from.
#[track_caller]
pub fn assert_cookie_attributes(cookie: &Cookie<'_>, https: bool, context: &str) {
    assert_eq!(
        cookie.http_only(),
        Some(true),
        "HttpOnly: {context} {cookie}"
    );
    assert_eq!(
        cookie.same_site(),
        Some(tower_sessions::cookie::SameSite::Lax),
        "SameSite=Lax: {context} {cookie}"
    );
    assert_eq!(cookie.path(), Some("/"), "Path=/: {context} {cookie}");
    assert_eq!(
        cookie.domain(),
        None,
        "no Domain (host-only): {context} {cookie}"
    );
    assert_eq!(
        cookie.secure() == Some(true),
        https,
        "Secure exactly over https: {context} {cookie}"
    );
}

/// Reads the Store's session records straight from its SQLite file.
pub async fn session_records(db: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as("SELECT id, data FROM tower_sessions")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    rows
}

/// `config` with the Store's sessions kept in the SQLite file `db`, where [`session_records`]
/// reads them.
pub fn sqlite_sessions(mut config: StackConfig, db: &std::path::Path) -> StackConfig {
    config.store.sessions = backend::web::SessionBackend::Sqlite;
    config.store.database_url = format!("sqlite://{}", db.display());
    config
}
