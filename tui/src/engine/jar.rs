//! The cookie jar: `cookie_store` (RFC 6265 storage and matching) behind the mutex reqwest
//! reads and fills on every request, plus what a jar alone cannot say — which response set each
//! cookie — and the devtools' views and edits of it, and jar files.
//!
//! Edits rebuild the jar from its cookies (`CookieStore::from_cookies`): `cookie_store` has
//! no public way to change a stored cookie in place, and its `insert` refuses expired cookies,
//! which "expire" must be able to keep (so the jar shows the cookie as expired, not gone).

use super::model::{CookieDecision, CookieView, Expiry, NotSent, SetBy};
use super::netscape::{parse_netscape, write_netscape};
use anyhow::{Context as _, anyhow};
use cookie_store::{Cookie, CookieDomain, CookieExpiration, CookiePath, CookieStore, RawCookie};
use std::collections::HashMap;
use std::convert::Infallible;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;
use time::OffsetDateTime;
use url::{Host, Url};

/// A jar file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JarFormat {
    /// `cookie_store`'s JSON, every cookie (session and expired ones included) with every
    /// attribute.
    Json,
    /// curl's `-b`/`-c` cookie file (see [`super::netscape`]).
    Netscape,
}

impl JarFormat {
    /// `.json` files are JSON; anything else is a curl cookie file.
    pub fn from_path(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Self::Json,
            _ => Self::Netscape,
        }
    }
}

/// (domain, path, name): how `cookie_store` keys a cookie.
type CookieKey = (String, String, String);

/// A browser's jar, shown and edited by the devtools. The engine fills it from each response's
/// `Set-Cookie` and computes each request's `Cookie` from it (the HTTP client has no jar).
#[derive(Debug, Default)]
pub(crate) struct Jar {
    jar: Mutex<CookieStore>,
    set_by: Mutex<HashMap<CookieKey, SetBy>>,
}

impl Jar {
    /// A panic elsewhere while holding the lock must not make the jar unusable: its cookies are
    /// plain data, still consistent between operations.
    fn locked(&self) -> MutexGuard<'_, CookieStore> {
        self.jar.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set_by(&self) -> MutexGuard<'_, HashMap<CookieKey, SetBy>> {
        self.set_by.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The (name, value) pairs sent to `url`, in the order browsers send them: longer paths
    /// first (RFC 6265 5.4), then by name for a stable order.
    pub(crate) fn request_cookies(&self, url: &Url) -> Vec<(String, String)> {
        let jar = self.locked();
        let mut matched = jar.matches(url);
        matched.sort_by(|a, b| {
            String::from(&b.path)
                .len()
                .cmp(&String::from(&a.path).len())
                .then_with(|| a.name().cmp(b.name()))
        });
        matched
            .into_iter()
            .map(|c| (c.name().to_owned(), c.value().to_owned()))
            .collect()
    }

    /// Stores the cookies of a response's `Set-Cookie` values (RFC 6265: refused ones, e.g. for
    /// another domain, are dropped; a past expiry deletes) and remembers which exchange set
    /// them. Unparsable values are ignored, as browsers do.
    pub(crate) fn record_set_cookies(&self, url: &Url, set_cookies: &[String], by: &SetBy) {
        let raw: Vec<RawCookie<'static>> = set_cookies
            .iter()
            .filter_map(|value| RawCookie::parse(value.clone()).ok())
            .collect();
        self.locked().store_response_cookies(raw.into_iter(), url);
        let mut set_by = self.set_by();
        for value in set_cookies {
            if let Ok(cookie) = Cookie::parse(value.as_str(), url) {
                set_by.insert(key_of(&cookie), by.clone());
            }
        }
    }

    /// Every cookie, expired ones included, sorted by domain, path, name.
    pub(crate) fn cookies(&self) -> Vec<CookieView> {
        let jar = self.locked();
        let set_by = self.set_by();
        let mut views: Vec<CookieView> = jar
            .iter_any()
            .map(|c| view_of(c, set_by.get(&key_of(c)).cloned()))
            .collect();
        views.sort_by(|a, b| (&a.domain, &a.path, &a.name).cmp(&(&b.domain, &b.path, &b.name)));
        views
    }

    /// For every cookie: whether it is sent to `url`, or the first reason it is not, checked
    /// in the order host, path, Secure, expiry.
    pub(crate) fn decisions_for(&self, url: &Url) -> Vec<CookieDecision> {
        let jar = self.locked();
        let set_by = self.set_by();
        let mut decisions: Vec<CookieDecision> = jar
            .iter_any()
            .map(|c| CookieDecision {
                cookie: view_of(c, set_by.get(&key_of(c)).cloned()),
                not_sent: not_sent(c, url),
            })
            .collect();
        decisions.sort_by(|a, b| {
            (&a.cookie.domain, &a.cookie.path, &a.cookie.name).cmp(&(
                &b.cookie.domain,
                &b.cookie.path,
                &b.cookie.name,
            ))
        });
        decisions
    }

    /// Removes a cookie; false when there is none with that key.
    pub(crate) fn delete(&self, domain: &str, path: &str, name: &str) -> bool {
        let removed = self.locked().remove(domain, path, name).is_some();
        if removed {
            self.set_by().remove(&key(domain, path, name));
        }
        removed
    }

    /// Changes a cookie's value, every attribute kept. The response that set it no longer
    /// explains it, so `set_by` is cleared.
    pub(crate) fn set_value(&self, domain: &str, path: &str, name: &str, value: &str) -> bool {
        let mut jar = self.locked();
        let Some(existing) = jar.get_any(domain, path, name) else {
            return false;
        };
        let mut view = view_of(existing, None);
        view.value = value.to_owned();
        let Ok(updated) = cookie_of(&view) else {
            return false;
        };
        replace(&mut jar, vec![updated]);
        drop(jar);
        self.set_by().remove(&key(domain, path, name));
        true
    }

    /// Expires a cookie now: it stays in the jar, shown as expired, and is no longer sent.
    pub(crate) fn expire(&self, domain: &str, path: &str, name: &str) -> bool {
        let mut jar = self.locked();
        let Some(existing) = jar.get_any(domain, path, name) else {
            return false;
        };
        let mut expired = existing.clone();
        expired.expire();
        replace(&mut jar, vec![expired]);
        true
    }

    /// Removes every session cookie (what closing a browser does); returns how many.
    pub(crate) fn clear_session_cookies(&self) -> usize {
        let mut jar = self.locked();
        let (session, kept): (Vec<_>, Vec<_>) =
            jar.iter_any().cloned().partition(|c| !c.is_persistent());
        *jar = rebuilt(kept);
        drop(jar);
        let mut set_by = self.set_by();
        for cookie in &session {
            set_by.remove(&key_of(cookie));
        }
        session.len()
    }

    /// Puts a cookie in as it is described (host-only stays host-only), replacing one with the
    /// same domain, path and name. Its `set_by` is not carried over: exchange ids belong to the
    /// browser they came from.
    pub(crate) fn insert(&self, view: &CookieView) -> anyhow::Result<()> {
        let cookie = cookie_of(view)?;
        let cookie_key = key_of(&cookie);
        replace(&mut self.locked(), vec![cookie]);
        self.set_by().remove(&cookie_key);
        Ok(())
    }

    /// Writes the jar to `path`. JSON keeps everything; the Netscape file, like curl's, leaves
    /// out expired cookies (and SameSite, which the format lacks), and cookies with a tab or a
    /// line break in a field, which it cannot hold (see [`write_netscape`]).
    pub(crate) fn save(&self, path: &Path, format: JarFormat) -> anyhow::Result<()> {
        let bytes = match format {
            JarFormat::Json => {
                let mut buffer = Vec::new();
                cookie_store::serde::json::save_incl_expired_and_nonpersistent(
                    &self.locked(),
                    &mut buffer,
                )
                .map_err(|e| anyhow!("cannot serialize the jar: {e}"))?;
                buffer
            }
            JarFormat::Netscape => {
                let now = SystemTime::now();
                let live: Vec<CookieView> = self
                    .cookies()
                    .into_iter()
                    .filter(|c| !matches!(c.expires, Expiry::At(at) if at <= now))
                    .collect();
                write_netscape(&live).into_bytes()
            }
        };
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
    }

    /// Adds the cookies of a jar file to the jar (same domain, path and name: replaced);
    /// returns how many the file held.
    pub(crate) fn load(&self, path: &Path, format: JarFormat) -> anyhow::Result<usize> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let cookies: Vec<Cookie<'static>> = match format {
            JarFormat::Json => {
                let loaded = cookie_store::serde::json::load_all(text.as_bytes()).map_err(|e| {
                    anyhow!("{} is not a cookie_store JSON jar: {e}", path.display())
                })?;
                loaded.iter_any().cloned().collect()
            }
            JarFormat::Netscape => parse_netscape(&text)
                .with_context(|| format!("{} is not a Netscape cookie file", path.display()))?
                .iter()
                .map(cookie_of)
                .collect::<anyhow::Result<_>>()
                .with_context(|| format!("in {}", path.display()))?,
        };
        let count = cookies.len();
        let keys: Vec<CookieKey> = cookies.iter().map(key_of).collect();
        replace(&mut self.locked(), cookies);
        let mut set_by = self.set_by();
        for cookie_key in &keys {
            set_by.remove(cookie_key);
        }
        Ok(count)
    }
}

fn key(domain: &str, path: &str, name: &str) -> CookieKey {
    (domain.to_owned(), path.to_owned(), name.to_owned())
}

fn key_of(cookie: &Cookie<'_>) -> CookieKey {
    (
        String::from(&cookie.domain),
        String::from(&cookie.path),
        cookie.name().to_owned(),
    )
}

/// A jar holding exactly `cookies`, expired ones included.
fn rebuilt(cookies: Vec<Cookie<'static>>) -> CookieStore {
    match CookieStore::from_cookies(cookies.into_iter().map(Ok::<_, Infallible>), true) {
        Ok(jar) => jar,
        Err(never) => match never {},
    }
}

/// Puts `new` into the jar, replacing cookies with the same keys.
fn replace(jar: &mut CookieStore, new: Vec<Cookie<'static>>) {
    let keys: Vec<CookieKey> = new.iter().map(key_of).collect();
    let mut cookies: Vec<Cookie<'static>> = jar
        .iter_any()
        .filter(|c| !keys.contains(&key_of(c)))
        .cloned()
        .collect();
    cookies.extend(new);
    *jar = rebuilt(cookies);
}

/// What the devtools show of a stored cookie.
fn view_of(cookie: &Cookie<'_>, set_by: Option<SetBy>) -> CookieView {
    CookieView {
        name: cookie.name().to_owned(),
        value: cookie.value().to_owned(),
        domain: String::from(&cookie.domain),
        host_only: matches!(cookie.domain, CookieDomain::HostOnly(_)),
        path: String::from(&cookie.path),
        expires: match cookie.expires {
            CookieExpiration::SessionEnd => Expiry::Session,
            CookieExpiration::AtUtc(at) => Expiry::At(SystemTime::from(at)),
        },
        secure: cookie.secure().unwrap_or(false),
        http_only: cookie.http_only().unwrap_or(false),
        same_site: cookie.same_site().map(|s| s.to_string()),
        set_by,
    }
}

/// A storable cookie from its description, attributes taken as given (not re-derived from a
/// request URL, so a host-only cookie stays host-only wherever it came from).
fn cookie_of(view: &CookieView) -> anyhow::Result<Cookie<'static>> {
    let host = view.domain.trim_start_matches('.').to_ascii_lowercase();
    if view.name.is_empty() {
        return Err(anyhow!("a cookie needs a name"));
    }
    if host.is_empty() {
        return Err(anyhow!("cookie {:?} needs a domain", view.name));
    }
    let path = CookiePath::parse(&view.path)
        .ok_or_else(|| anyhow!("cookie {:?}: path must start with '/'", view.name))?;
    let origin = Url::parse(&format!("http://{host}/"))
        .map_err(|e| anyhow!("cookie {:?}: invalid domain {host:?}: {e}", view.name))?;
    let mut raw = RawCookie::new(view.name.clone(), view.value.clone());
    raw.set_path(view.path.clone());
    raw.set_secure(view.secure);
    raw.set_http_only(view.http_only);
    if let Some(same_site) = &view.same_site {
        // The `cookie` crate's SameSite type, obtained through its own parser.
        let parsed = RawCookie::parse(format!("x=y; SameSite={same_site}"))
            .ok()
            .and_then(|c| c.same_site())
            .ok_or_else(|| anyhow!("SameSite must be Strict, Lax or None, not {same_site:?}"))?;
        raw.set_same_site(parsed);
    }
    let expires = match view.expires {
        Expiry::Session => CookieExpiration::SessionEnd,
        Expiry::At(at) => CookieExpiration::from(clamped(at)),
    };
    if let CookieExpiration::AtUtc(at) = expires {
        raw.set_expires(at);
    }
    let mut cookie = Cookie::try_from_raw_cookie(&raw, &origin)
        .map_err(|e| anyhow!("cookie {:?}: {e}", view.name))?;
    cookie.domain = match origin.host() {
        Some(Host::Domain(d)) if !view.host_only => CookieDomain::Suffix(d.to_owned()),
        _ => CookieDomain::host_only(&origin).map_err(|e| anyhow!("{e}"))?,
    };
    cookie.path = path;
    cookie.expires = expires;
    Ok(cookie.into_owned())
}

/// `OffsetDateTime` cannot hold every `SystemTime`: out-of-range instants are pinned to the
/// range's ends rather than panicking in the conversion.
fn clamped(at: SystemTime) -> OffsetDateTime {
    let unix = match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    };
    let unix = unix.clamp(-62_135_596_800, 253_402_300_799);
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Why `cookie` is not sent to `url`, if it is not: host, path, Secure, expiry, in that order.
fn not_sent(cookie: &Cookie<'_>, url: &Url) -> Option<NotSent> {
    if !cookie.domain.matches(url) {
        Some(NotSent::Host)
    } else if !cookie.path.matches(url) {
        Some(NotSent::Path)
    } else if cookie.secure().unwrap_or(false) && !is_secure_context(url) {
        Some(NotSent::Secure)
    } else if cookie.is_expired() {
        Some(NotSent::Expired)
    } else {
        None
    }
}

/// Where `Secure` cookies go: https, and — as `cookie_store` decides, which is what is sent —
/// `localhost` and loopback addresses.
fn is_secure_context(url: &Url) -> bool {
    url.scheme() == "https"
        || match url.host() {
            Some(Host::Domain(d)) => d == "localhost",
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    /// A jar holding what these `Set-Cookie`s from `from` leave.
    fn jar_with(from: &str, set_cookies: &[&str]) -> Jar {
        let jar = Jar::default();
        let from = url(from);
        for value in set_cookies {
            jar.locked().parse(value, &from).unwrap();
        }
        jar
    }

    fn by(id: u64) -> SetBy {
        SetBy {
            exchange_id: id,
            request: format!("GET /{id}"),
            status: 200,
        }
    }

    #[test]
    fn views_show_every_attribute_sorted_by_domain_path_name() {
        let jar = jar_with(
            "http://store.localhost:8080/login",
            &[
                "store_session=abc; HttpOnly; SameSite=Lax; Path=/",
                "b=2; Path=/z; Max-Age=3600; Secure",
                "a=1; Path=/z",
            ],
        );
        let views = jar.cookies();
        let names: Vec<&str> = views.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["store_session", "a", "b"]);
        let session = &views[0];
        assert!(session.host_only && session.http_only && !session.secure);
        assert_eq!(session.domain, "store.localhost");
        assert_eq!(session.same_site.as_deref(), Some("Lax"));
        assert_eq!(session.expires, Expiry::Session);
        assert!(views[2].secure);
        assert!(matches!(views[2].expires, Expiry::At(at) if at > SystemTime::now()));
    }

    #[test]
    fn set_by_follows_the_set_cookie_that_stored_the_cookie() {
        let jar = jar_with("http://h/", &["s=1; Path=/"]);
        jar.record_set_cookies(&url("http://h/login"), &["s=1; Path=/".into()], &by(7));
        assert_eq!(jar.cookies()[0].set_by, Some(by(7)));
        // Unparsable values are ignored rather than failing the exchange.
        jar.record_set_cookies(&url("http://h/"), &["=".into(), ";;".into()], &by(8));
        assert_eq!(jar.cookies()[0].set_by, Some(by(7)));
    }

    #[test]
    fn decisions_give_host_then_path_then_secure_then_expiry() {
        let jar = jar_with(
            "https://store.localhost/app/x",
            &[
                "host=1; Path=/",
                "path=1; Path=/other",
                "secure=1; Path=/app; Secure",
                "sent=1; Path=/app",
            ],
        );
        let mut expired = jar
            .locked()
            .get_any("store.localhost", "/app", "sent")
            .unwrap()
            .clone();
        expired.expire();
        let mut renamed = view_of(&expired, None);
        renamed.name = "old".into();
        jar.insert(&renamed).unwrap();
        jar.expire("store.localhost", "/app", "old");

        let reasons = |u: &str| -> Vec<(String, Option<NotSent>)> {
            jar.decisions_for(&url(u))
                .into_iter()
                .map(|d| (d.cookie.name, d.not_sent))
                .collect()
        };
        assert_eq!(
            reasons("http://forums.localhost/app/x"),
            vec![
                ("host".into(), Some(NotSent::Host)),
                ("old".into(), Some(NotSent::Host)),
                ("secure".into(), Some(NotSent::Host)),
                ("sent".into(), Some(NotSent::Host)),
                ("path".into(), Some(NotSent::Host)),
            ]
        );
        assert_eq!(
            reasons("http://store.localhost/app/x"),
            vec![
                ("host".into(), None),
                ("old".into(), Some(NotSent::Expired)),
                ("secure".into(), Some(NotSent::Secure)),
                ("sent".into(), None),
                ("path".into(), Some(NotSent::Path)),
            ]
        );
        // What the decisions say is sent is exactly what goes in the Cookie header.
        let sent = jar.request_cookies(&url("http://store.localhost/app/x"));
        assert_eq!(
            sent,
            vec![("sent".into(), "1".into()), ("host".into(), "1".into())]
        );
    }

    #[test]
    fn edits_change_delete_expire_and_clear_session_cookies() {
        let jar = jar_with(
            "http://h/",
            &["s=1; Path=/; HttpOnly", "p=2; Path=/; Max-Age=600"],
        );
        assert!(jar.set_value("h", "/", "s", "changed"));
        let s = jar.cookies().into_iter().find(|c| c.name == "s").unwrap();
        assert_eq!(s.value, "changed");
        assert!(s.http_only && s.host_only);
        assert!(!jar.set_value("h", "/", "missing", "x"));

        assert!(jar.expire("h", "/", "p"));
        assert_eq!(
            jar.request_cookies(&url("http://h/")),
            vec![("s".into(), "changed".into())]
        );
        assert!(
            jar.cookies().iter().any(|c| c.name == "p"),
            "kept, shown expired"
        );

        assert_eq!(jar.clear_session_cookies(), 1);
        assert!(jar.request_cookies(&url("http://h/")).is_empty());
        assert!(jar.delete("h", "/", "p"));
        assert!(!jar.delete("h", "/", "p"));
        assert!(jar.cookies().is_empty());
    }

    #[test]
    fn an_inserted_host_only_cookie_stays_host_only() {
        let jar = Jar::default();
        let view = CookieView {
            name: "store_session".into(),
            value: "stolen".into(),
            domain: "store.localhost".into(),
            host_only: true,
            path: "/".into(),
            expires: Expiry::Session,
            secure: false,
            http_only: true,
            same_site: Some("Lax".into()),
            set_by: Some(by(1)),
        };
        jar.insert(&view).unwrap();
        let stored = &jar.cookies()[0];
        assert_eq!(
            stored,
            &CookieView {
                set_by: None,
                ..view.clone()
            }
        );
        assert_eq!(
            jar.request_cookies(&url("http://store.localhost:9/")).len(),
            1
        );
        assert!(
            jar.request_cookies(&url("http://x.store.localhost/"))
                .is_empty()
        );

        let domain = CookieView {
            host_only: false,
            name: "wide".into(),
            ..view.clone()
        };
        jar.insert(&domain).unwrap();
        assert_eq!(
            jar.request_cookies(&url("http://x.store.localhost/")).len(),
            1
        );

        for bad in [
            CookieView {
                name: String::new(),
                ..view.clone()
            },
            CookieView {
                domain: String::new(),
                ..view.clone()
            },
            CookieView {
                path: "nope".into(),
                ..view.clone()
            },
            CookieView {
                same_site: Some("Sometimes".into()),
                ..view.clone()
            },
        ] {
            assert!(jar.insert(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn jar_files_round_trip_in_both_formats() {
        let dir = tempfile::tempdir().unwrap();
        let jar = jar_with(
            "http://store.localhost/",
            &[
                "session=s; Path=/; HttpOnly; SameSite=Strict",
                "persistent=p; Path=/docs; Max-Age=86400; Secure",
                "wide=w; Domain=localhost; Path=/",
            ],
        );
        let before = jar.cookies();
        for (file, format) in [
            ("jar.json", JarFormat::Json),
            ("cookies.txt", JarFormat::Netscape),
        ] {
            let path = dir.path().join(file);
            assert_eq!(JarFormat::from_path(&path), format);
            jar.save(&path, format).unwrap();
            let other = Jar::default();
            assert_eq!(other.load(&path, format).unwrap(), 3);
            let mut after = other.cookies();
            if format == JarFormat::Netscape {
                // The format has no SameSite, and expiries are whole seconds.
                after.iter_mut().for_each(|c| {
                    c.same_site = before
                        .iter()
                        .find(|b| b.name == c.name)
                        .unwrap()
                        .same_site
                        .clone()
                });
            }
            for (b, a) in before.iter().zip(&after) {
                assert_eq!(
                    (&a.name, &a.domain, a.host_only, &a.path),
                    (&b.name, &b.domain, b.host_only, &b.path)
                );
                assert_eq!(
                    (a.secure, a.http_only, &a.same_site, &a.value),
                    (b.secure, b.http_only, &b.same_site, &b.value)
                );
                match (a.expires, b.expires) {
                    (Expiry::Session, Expiry::Session) => {}
                    (Expiry::At(x), Expiry::At(y)) => {
                        let gap = x
                            .duration_since(y)
                            .or_else(|_| y.duration_since(x))
                            .unwrap();
                        assert!(gap < Duration::from_secs(1), "{gap:?}");
                    }
                    other => panic!("expiry changed: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn json_keeps_expired_cookies_and_netscape_leaves_them_out() {
        let dir = tempfile::tempdir().unwrap();
        let jar = jar_with("http://h/", &["gone=1; Path=/", "kept=1; Path=/"]);
        jar.expire("h", "/", "gone");
        let json = dir.path().join("j.json");
        let txt = dir.path().join("j.txt");
        jar.save(&json, JarFormat::Json).unwrap();
        jar.save(&txt, JarFormat::Netscape).unwrap();
        assert_eq!(Jar::default().load(&json, JarFormat::Json).unwrap(), 2);
        assert_eq!(Jar::default().load(&txt, JarFormat::Netscape).unwrap(), 1);
    }

    #[test]
    fn a_jar_written_by_curl_loads_host_only_and_http_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("curl-cookies.txt");
        std::fs::write(
            &path,
            "# Netscape HTTP Cookie File\n\
             # https://curl.se/docs/http-cookies.html\n\
             # This file was generated by libcurl! Edit at your own risk.\n\n\
             #HttpOnly_store.localhost\tFALSE\t/\tFALSE\t1795860735\tstore_session\tabc\n",
        )
        .unwrap();
        let jar = Jar::default();
        assert_eq!(jar.load(&path, JarFormat::from_path(&path)).unwrap(), 1);
        let cookie = &jar.cookies()[0];
        assert_eq!(
            (cookie.name.as_str(), cookie.value.as_str()),
            ("store_session", "abc")
        );
        assert!(cookie.host_only && cookie.http_only && !cookie.secure);
        let expected = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_860_735);
        assert_eq!(cookie.expires, Expiry::At(expected));
        let sent = |u: &str| jar.request_cookies(&url(u));
        // Expired by now or not, the decision says why; while valid it goes to that host only.
        if expected > SystemTime::now() {
            assert_eq!(
                sent("http://store.localhost:8080/"),
                [("store_session".into(), "abc".into())]
            );
        }
        assert!(sent("http://forums.localhost:8080/").is_empty());
        assert!(sent("http://www.store.localhost:8080/").is_empty());
    }

    #[test]
    fn loading_a_bad_file_says_which_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.txt");
        std::fs::write(&path, "# ok\nnot a cookie line\n").unwrap();
        let err = format!(
            "{:#}",
            Jar::default().load(&path, JarFormat::Netscape).unwrap_err()
        );
        assert!(err.contains("bad.txt") && err.contains("line 2"), "{err}");
        let missing = dir.path().join("missing.json");
        let err = format!(
            "{:#}",
            Jar::default().load(&missing, JarFormat::Json).unwrap_err()
        );
        assert!(err.contains("cannot read"), "{err}");
        std::fs::write(&path, "{not json").unwrap();
        assert!(Jar::default().load(&path, JarFormat::Json).is_err());
    }
}
