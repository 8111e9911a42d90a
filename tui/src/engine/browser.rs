//! The browser: one cookie jar for every site (as a real browser has), navigations followed
//! hop by hop so each redirect is its own recorded [`Exchange`], and the final HTML parsed into
//! a [`Page`].
//!
//! reqwest's own redirect handling is off: it would hide the hops, and with them the
//! `Set-Cookie` of a login's 303 and the `Cookie` sent to the page after it — the very thing
//! the devtools are for. reqwest has no jar either: the engine stores each response's
//! `Set-Cookie` in the browser's jar and computes each request's `Cookie` header from it, so
//! the header recorded is byte for byte the header sent, and every browser can share one
//! HTTP client.
//!
//! Nothing in a load panics or returns `Err`: every failure (refused, timeout, bad `Location`,
//! too many redirects, garbage body) ends up as a message in the [`PageLoad`].

use super::body::{BODY_LIMIT, decode_body};
use super::failure::describe_error;
use super::html::parse_page;
use super::jar::{Jar, JarFormat};
use super::model::{CookieDecision, CookieView, Exchange, Method, PageLoad, Request, SetBy};
use super::redirect::{is_redirect, next_method, resolve_location};
use super::resolve::LocalhostResolver;
use super::server_timing::parse_server_timing;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};
use url::Url;

/// Exchange and load ids are unique in the process, across browsers: the victim's and the
/// attacker's exchanges share one network log, and a flow report names exchanges by id.
static NEXT_EXCHANGE: AtomicU64 = AtomicU64::new(1);
static NEXT_LOAD: AtomicU64 = AtomicU64::new(1);

/// Name/value pairs: headers, or cookies.
type Pairs = Vec<(String, String)>;

/// What a browser accepts for a navigation (Firefox's value).
const ACCEPT_HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// The bound on each request unless a browser's options say otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How the browser behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrowserOptions {
    /// `User-Agent` sent with every request.
    pub user_agent: String,
    /// Bound on each request, from connecting until the whole body is read.
    pub timeout: Duration,
    /// Redirects followed in one navigation before giving up (browsers: 20).
    pub max_redirects: usize,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        Self {
            user_agent: concat!("tui/", env!("CARGO_PKG_VERSION"), " (terminal browser)").into(),
            timeout: DEFAULT_TIMEOUT,
            max_redirects: 20,
        }
    }
}

/// A browser with its own cookie jar. Cheap to clone: clones share the client and the jar.
/// Two `Browser::new` are two isolated identities (a victim and an attacker).
#[derive(Clone, Debug)]
pub struct Browser {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    jar: Jar,
    options: BrowserOptions,
}

/// The process's HTTP clients, shared by every browser: building one costs about 90 ms (the
/// TLS library's set-up), and a client here holds no identity — no jar, no default headers
/// (each request carries its own `Cookie` and `User-Agent`), only a pool of connections, which
/// carry no credentials. Redirects off, `*.localhost` resolved to loopback, no proxy.
static HTTP: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
/// The same for https, built on first use: it loads the system's CA bundle.
static HTTPS: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();

/// The shared client for `https` or plain http.
fn shared_client(https: bool) -> Result<&'static reqwest::Client, String> {
    let cell = if https { &HTTPS } else { &HTTP };
    cell.get_or_init(|| {
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(LocalhostResolver)
            // An environment proxy would capture *.localhost, which browsers never proxy, and
            // the engine's job is talking to the local stack.
            .no_proxy();
        let builder = if https {
            builder
        } else {
            builder.tls_certs_only(Vec::new())
        };
        builder.build().map_err(|e| {
            let scheme = if https { "HTTPS" } else { "HTTP" };
            format!("cannot build the {scheme} client: {e}")
        })
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// One request's outcome, before it becomes part of a [`PageLoad`].
struct Fetched {
    exchange: Exchange,
    /// Content-Type says HTML, or the body looks like markup.
    is_html: bool,
    /// Set when the body had to be decoded lossily.
    warning: Option<String>,
}

impl Browser {
    /// A browser with an empty jar (the first one also builds the shared HTTP client).
    pub fn new(options: BrowserOptions) -> anyhow::Result<Self> {
        shared_client(false).map_err(anyhow::Error::msg)?;
        Ok(Self {
            inner: Arc::new(Inner {
                jar: Jar::default(),
                options,
            }),
        })
    }

    /// The options it was built with.
    pub fn options(&self) -> &BrowserOptions {
        &self.inner.options
    }

    /// Navigates: sends `request`, follows redirects (recording each hop), and parses the final
    /// response when it is HTML. GET form fields go into the query (replacing it, as browsers
    /// do); POST form fields are the `application/x-www-form-urlencoded` body.
    pub async fn load(&self, request: Request) -> PageLoad {
        let load_id = NEXT_LOAD.fetch_add(1, Ordering::Relaxed);
        let Request {
            mut method,
            mut url,
            form,
            mut headers,
        } = request;
        let mut exchanges = Vec::new();
        let failed = |exchanges: Vec<Exchange>, final_url: Url, error: String| PageLoad {
            load_id,
            exchanges,
            final_url,
            page: None,
            error: Some(error),
        };
        if !matches!(url.scheme(), "http" | "https") {
            let error = format!(
                "cannot open {url}: only http and https URLs are supported, not {:?}",
                url.scheme()
            );
            return failed(exchanges, url, error);
        }
        let mut body = match method {
            Method::Get => {
                if !form.is_empty() {
                    url.set_query(None);
                    url.query_pairs_mut().extend_pairs(&form);
                }
                None
            }
            Method::Post => Some(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(&form)
                    .finish(),
            ),
        };
        let max = self.inner.options.max_redirects;
        let mut hop = 0;
        loop {
            let fetched = self
                .fetch(load_id, hop, method, &url, body.as_deref(), &headers)
                .await;
            let status = fetched.exchange.status;
            let location = fetched.exchange.location.clone();
            let error = fetched.exchange.error.clone();
            let body_text = fetched.exchange.response_body.clone();
            exchanges.push(fetched.exchange);
            if let Some(error) = error {
                return failed(exchanges, url, error);
            }
            let status = status.unwrap_or_default();
            if let (true, Some(location)) = (is_redirect(status), location) {
                if hop >= max {
                    let error = format!(
                        "too many redirects: gave up after following {max} (the last one, \
                         {status} to {location:?}, was not followed)"
                    );
                    return failed(exchanges, url, error);
                }
                let next = match resolve_location(&url, &location) {
                    Ok(next) => next,
                    Err(error) => return failed(exchanges, url, error),
                };
                let (next_method, keep_body) = next_method(status, method);
                if !keep_body {
                    body = None;
                    headers.retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
                }
                // Fetch: credentials in Authorization do not follow a cross-origin redirect.
                if next.origin() != url.origin() {
                    headers.retain(|(name, _)| !name.eq_ignore_ascii_case("authorization"));
                }
                method = next_method;
                url = next;
                hop += 1;
                continue;
            }
            let mut warning = fetched.warning;
            let page = if fetched.is_html {
                // Parsing is CPU work (html5ever is quadratic on pathological nesting): off the
                // async threads, so a UI sharing the runtime stays responsive. A panic in the
                // parser becomes a message, not a crash.
                let base = url.clone();
                match tokio::task::spawn_blocking(move || parse_page(&body_text, &base)).await {
                    Ok(page) => Some(page),
                    Err(error) => {
                        warning = Some(format!("the page could not be parsed: {error}"));
                        None
                    }
                }
            } else {
                None
            };
            return PageLoad {
                load_id,
                exchanges,
                final_url: url,
                page,
                error: warning,
            };
        }
    }

    /// Sends one request and reads its response (up to [`BODY_LIMIT`]).
    async fn fetch(
        &self,
        load_id: u64,
        hop: usize,
        method: Method,
        url: &Url,
        body: Option<&str>,
        extra_headers: &[(String, String)],
    ) -> Fetched {
        let inner = &self.inner;
        let id = NEXT_EXCHANGE.fetch_add(1, Ordering::Relaxed);
        let (request_headers, cookies_sent) = self.request_headers(url, body, extra_headers);
        let exchange = Exchange {
            id,
            load_id,
            hop,
            method,
            url: url.clone(),
            request_headers,
            request_body: body.map(str::to_owned),
            cookies_sent,
            status: None,
            response_headers: Vec::new(),
            response_body: String::new(),
            location: None,
            set_cookies: Vec::new(),
            server_timing: Vec::new(),
            started: SystemTime::now(),
            duration: Duration::ZERO,
            error: None,
        };
        let mut fetched = Fetched {
            exchange,
            is_html: false,
            warning: None,
        };
        let exchange = &mut fetched.exchange;

        let mut header_map = HeaderMap::new();
        for (name, value) in &exchange.request_headers {
            // hyper writes these from the URL and the body.
            if name.eq_ignore_ascii_case("host") || name.eq_ignore_ascii_case("content-length") {
                continue;
            }
            match (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                (Ok(name), Ok(value)) => {
                    header_map.append(name, value);
                }
                _ => {
                    exchange.error = Some(format!("invalid request header {name:?}: {value:?}"));
                    return fetched;
                }
            }
        }
        let reqwest_method = match method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let client = match shared_client(url.scheme() == "https") {
            Ok(client) => client,
            Err(error) => {
                exchange.error = Some(error);
                return fetched;
            }
        };
        let mut builder = client
            .request(reqwest_method, url.clone())
            .headers(header_map)
            .timeout(inner.options.timeout);
        if let Some(body) = body {
            builder = builder.body(body.to_owned());
        }

        let clock = Instant::now();
        exchange.started = SystemTime::now();
        let mut response = match builder.send().await {
            Ok(response) => response,
            Err(error) => {
                exchange.duration = clock.elapsed();
                exchange.error = Some(describe_error(&error, url, inner.options.timeout));
                tracing::debug!(id, %url, error = ?exchange.error, "no response");
                return fetched;
            }
        };
        exchange.status = Some(response.status().as_u16());
        exchange.response_headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), lossy(value)))
            .collect();
        exchange.location = response.headers().get(reqwest::header::LOCATION).map(lossy);
        exchange.set_cookies = response
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .map(lossy)
            .collect();
        exchange.server_timing = response
            .headers()
            .get_all("server-timing")
            .iter()
            .flat_map(|value| parse_server_timing(&lossy(value)))
            .collect();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(lossy)
            .unwrap_or_default();

        let mut bytes: Vec<u8> = Vec::new();
        let mut truncated = false;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = BODY_LIMIT - bytes.len();
                    if chunk.len() > room {
                        bytes.extend_from_slice(&chunk[..room]);
                        truncated = true;
                        break;
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(error) => {
                    exchange.error = Some(format!(
                        "the response body broke off after {} bytes: {}",
                        bytes.len(),
                        describe_error(&error, url, inner.options.timeout)
                    ));
                    break;
                }
            }
        }
        exchange.duration = clock.elapsed();
        let (text, warning) = decode_body(&bytes, &content_type, truncated);
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        fetched.is_html = matches!(mime.as_str(), "text/html" | "application/xhtml+xml")
            || text.trim_start().starts_with('<');
        fetched.warning = warning;
        exchange.response_body = text;

        if !exchange.set_cookies.is_empty() {
            let by = SetBy {
                exchange_id: id,
                request: format!("{} {}", method.as_str(), url),
                status: exchange.status.unwrap_or_default(),
            };
            inner
                .jar
                .record_set_cookies(url, &exchange.set_cookies, &by);
        }
        tracing::debug!(
            id,
            load_id,
            hop,
            method = method.as_str(),
            %url,
            status = ?exchange.status,
            "exchange"
        );
        fetched
    }

    /// The headers a request carries, in the order they are shown, and the cookies among them.
    /// `Host` and `Content-Length` are listed as hyper will write them. Extra headers replace
    /// defaults of the same name; an explicit `Cookie` replaces the jar's.
    fn request_headers(
        &self,
        url: &Url,
        body: Option<&str>,
        extra: &[(String, String)],
    ) -> (Pairs, Pairs) {
        let mut host = url.host_str().unwrap_or_default().to_owned();
        if let Some(port) = url.port() {
            host = format!("{host}:{port}");
        }
        let mut headers: Pairs = vec![
            ("Host".into(), host),
            ("User-Agent".into(), self.inner.options.user_agent.clone()),
            ("Accept".into(), ACCEPT_HTML.into()),
        ];
        let explicit_cookie = extra
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("cookie"))
            .map(|(_, value)| value.clone());
        let cookies_sent = match &explicit_cookie {
            Some(header) => header
                .split(';')
                .filter_map(|pair| {
                    let (name, value) = pair.split_once('=')?;
                    Some((name.trim().to_owned(), value.trim().to_owned()))
                })
                .collect(),
            None => self.inner.jar.request_cookies(url),
        };
        if explicit_cookie.is_none() && !cookies_sent.is_empty() {
            let header = cookies_sent
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ");
            headers.push(("Cookie".into(), header));
        }
        if let Some(body) = body {
            headers.push((
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
            headers.push(("Content-Length".into(), body.len().to_string()));
        }
        for (name, value) in extra {
            match headers
                .iter_mut()
                .find(|(existing, _)| existing.eq_ignore_ascii_case(name))
            {
                Some(existing) => existing.1 = value.clone(),
                None => headers.push((name.clone(), value.clone())),
            }
        }
        (headers, cookies_sent)
    }

    /// Every cookie in the jar (expired ones included), sorted by domain, path, name.
    pub fn cookies(&self) -> Vec<CookieView> {
        self.inner.jar.cookies()
    }

    /// For every cookie in the jar: whether it would be sent to `url`, or why not.
    pub fn decisions_for(&self, url: &Url) -> Vec<CookieDecision> {
        self.inner.jar.decisions_for(url)
    }

    /// Deletes a cookie; false when the jar has none with that domain, path and name.
    pub fn delete_cookie(&self, domain: &str, path: &str, name: &str) -> bool {
        self.inner.jar.delete(domain, path, name)
    }

    /// Changes a cookie's value (attributes kept; `set_by` cleared); false when not found.
    pub fn set_cookie_value(&self, domain: &str, path: &str, name: &str, value: &str) -> bool {
        self.inner.jar.set_value(domain, path, name, value)
    }

    /// Expires a cookie now: it stays in the jar, shown expired, and is no longer sent. False
    /// when not found.
    pub fn expire_cookie(&self, domain: &str, path: &str, name: &str) -> bool {
        self.inner.jar.expire(domain, path, name)
    }

    /// Removes every session cookie, as closing a browser does; returns how many.
    pub fn clear_session_cookies(&self) -> usize {
        self.inner.jar.clear_session_cookies()
    }

    /// Puts a cookie into the jar exactly as described (e.g. one stolen from another browser:
    /// host-only stays host-only), replacing any with the same domain, path and name.
    pub fn insert_cookie(&self, cookie: &CookieView) -> anyhow::Result<()> {
        self.inner.jar.insert(cookie)
    }

    /// Writes the jar to a file (see [`JarFormat`]).
    pub fn save_jar(&self, path: &Path, format: JarFormat) -> anyhow::Result<()> {
        self.inner.jar.save(path, format)
    }

    /// Adds a jar file's cookies to the jar; returns how many it held.
    pub fn load_jar(&self, path: &Path, format: JarFormat) -> anyhow::Result<usize> {
        self.inner.jar.load(path, format)
    }
}

/// A header value as text; bytes that are not UTF-8 are replaced rather than dropped.
fn lossy(value: &HeaderValue) -> String {
    String::from_utf8_lossy(value.as_bytes()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_headers_put_the_jar_cookies_and_let_extras_override() {
        let browser = Browser::new(BrowserOptions::default()).unwrap();
        let url = Url::parse("http://store.localhost:8080/cart").unwrap();
        browser
            .insert_cookie(&CookieView {
                name: "s".into(),
                value: "1".into(),
                domain: "store.localhost".into(),
                host_only: true,
                path: "/".into(),
                expires: super::super::model::Expiry::Session,
                secure: false,
                http_only: true,
                same_site: None,
                set_by: None,
            })
            .unwrap();
        let (headers, sent) = browser.request_headers(
            &url,
            Some("a=1"),
            &[("Accept".into(), "application/json".into())],
        );
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "Host",
                "User-Agent",
                "Accept",
                "Cookie",
                "Content-Type",
                "Content-Length"
            ]
        );
        assert_eq!(headers[0].1, "store.localhost:8080");
        assert_eq!(headers[2].1, "application/json");
        assert_eq!(headers[3].1, "s=1");
        assert_eq!(headers[5].1, "3");
        assert_eq!(sent, vec![("s".into(), "1".into())]);

        let (headers, sent) =
            browser.request_headers(&url, None, &[("cookie".into(), "x=9; y=8".into())]);
        assert_eq!(
            sent,
            vec![("x".into(), "9".into()), ("y".into(), "8".into())]
        );
        assert_eq!(
            headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
                .count(),
            1
        );
    }

    #[tokio::test]
    async fn a_non_http_url_is_an_error_without_a_request() {
        let browser = Browser::new(BrowserOptions::default()).unwrap();
        let load = browser
            .load(Request::get(Url::parse("file:///etc/passwd").unwrap()))
            .await;
        assert!(load.exchanges.is_empty());
        assert!(load.error.unwrap().contains("only http and https"));
    }
}
