//! The embedded stack with a Store that is wrong in one way: a small reverse proxy in front of
//! the real Store rewrites its answers (or answers itself) to break one property the article
//! or docs/security.md asks for. The runner talks to the proxy as if it were the Store; the Forums
//! are the real ones.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{
    CONNECTION, CONTENT_LENGTH, COOKIE, LOCATION, SET_COOKIE, TRANSFER_ENCODING,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use backend::stack::{SessionPolicy, Stack, StackConfig};
use cookie_store::RawCookie;
use shared::paths::{common, store::SESSION_COOKIE};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use url::Url;

/// The one thing the proxied Store gets wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misconfiguration {
    /// A session layer without `.with_http_only(true)`: the session cookie is readable by
    /// JavaScript, so any XSS on the page can read the session id.
    NoHttpOnly,
    /// A login that keeps the session instead of cycling its id (`Session::cycle_id` forgotten):
    /// seen from the browser, the id set before the login is the id of the signed-in session,
    /// so an id planted by an attacker survives the login (session fixation).
    NoRotation,
    /// A session layer with `.with_domain("localhost")`: the cookie is no longer host-only, so
    /// the browser sends Store's session id to every `*.localhost` host, the Forums included.
    DomainLocalhost,
    /// A logout that only clears the browser's cookie and never deletes the server-side
    /// session, so a stolen id keeps working after the user logged out.
    LogoutKeepsSession,
}

/// The stack, with its Store reached through the misconfiguring proxy.
pub struct MisconfiguredStack {
    stack: Stack,
    store_url: Url,
    proxy: JoinHandle<std::io::Result<()>>,
}

impl MisconfiguredStack {
    /// Starts the stack (sessions idle out after `idle_timeout`) behind a proxy that breaks
    /// `broken`. The Store's public URL is the proxy's, so its origin checks agree with the
    /// address the browser uses.
    pub async fn start(broken: Misconfiguration, idle_timeout: Duration) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let store_url = Url::parse(&format!(
            "http://store.localhost:{}/",
            listener.local_addr()?.port()
        ))?;
        let mut config = StackConfig::ephemeral().with_policy(SessionPolicy {
            idle_timeout,
            ..SessionPolicy::default()
        });
        config.store.public_url = Some(store_url.clone());
        let stack = Stack::start(config).await?;
        let proxy = Arc::new(Proxy {
            broken,
            backend: stack.store.addr(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()?,
            backend_ids: Mutex::default(),
        });
        let router = Router::new().fallback(forward).with_state(proxy);
        let proxy = tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(Self {
            stack,
            store_url,
            proxy,
        })
    }

    /// The Store as the browser reaches it: the proxy.
    pub fn store_url(&self) -> &Url {
        &self.store_url
    }

    /// The real Forums.
    pub fn forums_url(&self) -> &Url {
        self.stack.forums_url()
    }

    /// Stops the proxy and the stack.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.proxy.abort();
        self.stack.stop().await
    }
}

struct Proxy {
    broken: Misconfiguration,
    /// The real Store's address.
    backend: SocketAddr,
    client: reqwest::Client,
    /// [`Misconfiguration::NoRotation`]: the session id the browser holds → the real Store's
    /// current id for that session.
    backend_ids: Mutex<HashMap<String, String>>,
}

/// Headers about one connection, not the message: never forwarded.
const HOP_BY_HOP: [axum::http::HeaderName; 3] = [CONNECTION, TRANSFER_ENCODING, CONTENT_LENGTH];

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    proxy.forward(request).await.unwrap_or_else(|error| {
        (StatusCode::BAD_GATEWAY, format!("proxy: {error:#}")).into_response()
    })
}

impl Proxy {
    async fn forward(&self, request: Request) -> anyhow::Result<Response> {
        let (parts, body) = request.into_parts();
        if self.broken == Misconfiguration::LogoutKeepsSession
            && parts.method == Method::POST
            && parts.uri.path() == common::LOGOUT
        {
            return Ok(fake_logout());
        }
        // The Host the browser sent is kept: it is the public URL's, as the Store expects.
        let mut headers = without_hop_by_hop(&parts.headers);
        let held = session_id_sent(&parts.headers);
        let backend_id = held
            .as_ref()
            .and_then(|held| self.backend_ids.lock().unwrap().get(held).cloned());
        if let Some(backend_id) = backend_id {
            headers.insert(COOKIE, with_session_id(&parts.headers, &backend_id)?);
        }
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let answer = self
            .client
            .request(parts.method, format!("http://{}{path}", self.backend))
            .headers(headers)
            .body(to_bytes(body, usize::MAX).await?)
            .send()
            .await?;
        let status = answer.status();
        let mut headers = without_hop_by_hop(answer.headers());
        headers.remove(SET_COOKIE);
        for value in answer.headers().get_all(SET_COOKIE) {
            let rewritten = self.rewrite_set_cookie(value.to_str()?, held.as_deref());
            headers.append(SET_COOKIE, HeaderValue::from_str(&rewritten)?);
        }
        let mut response = Response::new(Body::from(answer.bytes().await?));
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        Ok(response)
    }

    /// Breaks the Store's session `Set-Cookie` (other cookies pass as they are). `held`: the
    /// session id the request carried.
    fn rewrite_set_cookie(&self, raw: &str, held: Option<&str>) -> String {
        let Ok(mut cookie) = RawCookie::parse(raw.to_owned()) else {
            return raw.to_owned();
        };
        if cookie.name() != SESSION_COOKIE {
            return raw.to_owned();
        }
        match self.broken {
            Misconfiguration::NoHttpOnly => cookie.set_http_only(None),
            Misconfiguration::DomainLocalhost => cookie.set_domain("localhost"),
            Misconfiguration::NoRotation => {
                let removal = cookie.max_age().is_some_and(|age| age.whole_seconds() <= 0);
                if let Some(held) = held.filter(|_| !removal) {
                    // The Store moved the session to a new id: remember it, keep showing the old.
                    self.backend_ids
                        .lock()
                        .unwrap()
                        .insert(held.to_owned(), cookie.value().to_owned());
                    cookie.set_value(held.to_owned());
                }
            }
            Misconfiguration::LogoutKeepsSession => {}
        }
        cookie.to_string()
    }
}

/// `POST /logout` answered by the proxy: the cookie cleared and a redirect home, as a real
/// logout looks from the browser, while the Store never hears of it.
fn fake_logout() -> Response {
    let removal = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0");
    (
        StatusCode::SEE_OTHER,
        [(LOCATION, common::HOME.to_owned()), (SET_COOKIE, removal)],
    )
        .into_response()
}

fn without_hop_by_hop(headers: &HeaderMap) -> HeaderMap {
    let mut headers = headers.clone();
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
    headers
}

/// The (name, value) pairs of a request's `Cookie` headers.
fn cookies_sent(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
}

/// The Store session id the request carried.
fn session_id_sent(headers: &HeaderMap) -> Option<String> {
    cookies_sent(headers)
        .find_map(|(name, value)| (name == SESSION_COOKIE).then(|| value.to_owned()))
}

/// The request's cookies with the Store session id replaced by `id`.
fn with_session_id(headers: &HeaderMap, id: &str) -> anyhow::Result<HeaderValue> {
    let cookies: Vec<String> = cookies_sent(headers)
        .map(|(name, value)| {
            let value = if name == SESSION_COOKIE { id } else { value };
            format!("{name}={value}")
        })
        .collect();
    Ok(HeaderValue::from_str(&cookies.join("; "))?)
}
