//! The login form's CSRF protection without a session: OWASP's signed double-submit cookie.
//!
//! Showing the login form used to start an anonymous session to hold its synchronizer token, so
//! every cookieless `GET /login` stored a record (a flood of them filled the session storage).
//! Now the form stores nothing: `GET /login` sets the CSRF cookie (`store_csrf`, `__Host-` over
//! https; see [`Site::csrf_cookie_name`]) holding a random nonce, and the form's token is
//! HMAC-SHA256 of that nonce under the site's secret key. `POST /login` checks, in constant
//! time, that the token signs the nonce of the cookie it came with. A forger who can neither
//! read the victim's cookie nor the key cannot make a pair, and a pair copied from another
//! browser does not go with the victim's cookie. A nonce already present is reused, so two
//! open login tabs both stay valid. The session is created only when a login succeeds (or a
//! pending second step must be held); the forms shown to a session keep its synchronizer token.

use crate::data::SecretKey;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;
use shared::site::Site;
use tower_sessions::cookie::{Cookie, SameSite};

/// The name the key is stored under in the site's secrets.
pub const KEY_NAME: &str = "login_csrf";

/// Random bytes in a nonce: as many as a session id has, so it cannot be guessed either.
const NONCE_BYTES: usize = 32;

/// What the MAC signs before the nonce: a key used for one purpose only still says which, so a
/// signature made here could never be mistaken for another use of the same key.
const DOMAIN: &[u8] = b"login-csrf-v1\0";

/// A site's signer and checker of login form tokens.
#[derive(Clone, Debug)]
pub struct LoginCsrf {
    key: SecretKey,
    cookie_name: &'static str,
    secure: bool,
}

/// A login form's token, and the cookie to set when the request had no valid nonce.
#[derive(Debug)]
pub struct FormToken {
    /// The hidden `csrf_token` field's value.
    pub token: String,
    set_cookie: Option<HeaderValue>,
}

impl FormToken {
    /// Adds the CSRF cookie to `response`, when a new nonce was drawn.
    pub fn set_on(self, mut response: Response) -> Response {
        if let Some(cookie) = self.set_cookie {
            response.headers_mut().append(SET_COOKIE, cookie);
        }
        response
    }
}

impl LoginCsrf {
    /// Tokens of `site` under `key`; the cookie is `Secure` and `__Host-` named over `https`.
    pub fn new(key: SecretKey, site: Site, https: bool) -> Self {
        Self {
            key,
            cookie_name: site.csrf_cookie_name(https),
            secure: https,
        }
    }

    /// The token for a login form shown in answer to a request with `headers`: the signature of
    /// the request's nonce when it carries a valid one, else of a new nonce the response sets.
    pub fn issue(&self, headers: &HeaderMap) -> FormToken {
        if let Some(nonce) = self.nonces(headers).next() {
            return FormToken {
                token: self.sign(&nonce),
                set_cookie: None,
            };
        }
        let nonce = crate::random::random_token(NONCE_BYTES);
        FormToken {
            token: self.sign(&nonce),
            set_cookie: self.cookie(nonce),
        }
    }

    /// True when `token` is the signature of a nonce the request's CSRF cookie holds (checked
    /// in constant time). No cookie, a malformed one, or a token of another nonce: false.
    pub fn matches(&self, headers: &HeaderMap, token: &str) -> bool {
        let Ok(presented) = URL_SAFE_NO_PAD.decode(token) else {
            return false;
        };
        // A browser sends one; a planted duplicate must not hide the real one.
        self.nonces(headers)
            .any(|nonce| self.mac(&nonce).verify_slice(&presented).is_ok())
    }

    /// The well-formed nonces of the request's CSRF cookies, in the order sent.
    fn nonces<'a>(&'a self, headers: &'a HeaderMap) -> impl Iterator<Item = String> + 'a {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .filter(|cookie| cookie.name() == self.cookie_name)
            .map(|cookie| cookie.value().to_owned())
            .filter(|nonce| is_nonce(nonce))
    }

    /// The token for `nonce`: its MAC, base64url.
    fn sign(&self, nonce: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(nonce).finalize().into_bytes())
    }

    fn mac(&self, nonce: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256>>::new_from_slice(self.key.bytes())
            .expect("HMAC takes a key of any length");
        mac.update(DOMAIN);
        mac.update(nonce.as_bytes());
        mac
    }

    /// The CSRF cookie holding `nonce`, with the session cookie's attributes: `HttpOnly` (only
    /// the server reads it), `SameSite=Lax`, `Path=/`, no `Domain`, `Secure` over https (where
    /// its `__Host-` name requires exactly these), and no expiry (it ends with the browser).
    fn cookie(&self, nonce: String) -> Option<HeaderValue> {
        let cookie = Cookie::build((self.cookie_name, nonce))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(self.secure)
            .build();
        HeaderValue::from_str(&cookie.to_string()).ok()
    }
}

/// True for a nonce this module could have drawn: [`NONCE_BYTES`] bytes of base64url.
fn is_nonce(text: &str) -> bool {
    URL_SAFE_NO_PAD
        .decode(text)
        .is_ok_and(|bytes| bytes.len() == NONCE_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csrf() -> LoginCsrf {
        LoginCsrf::new(SecretKey::random(), Site::Store, false)
    }

    fn with_cookie(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(value).unwrap());
        headers
    }

    /// The nonce a fresh form set, as the `Cookie` header the browser sends back.
    fn cookie_header(issued: &FormToken) -> HeaderMap {
        let set = issued.set_cookie.as_ref().expect("a new nonce is set");
        let cookie = Cookie::parse(set.to_str().unwrap().to_owned()).unwrap();
        with_cookie(&format!("{}={}", cookie.name(), cookie.value()))
    }

    #[test]
    fn a_form_token_goes_with_its_own_cookie_only() {
        let csrf = csrf();
        let first = csrf.issue(&HeaderMap::new());
        let second = csrf.issue(&HeaderMap::new());
        let (jar1, jar2) = (cookie_header(&first), cookie_header(&second));
        assert!(csrf.matches(&jar1, &first.token));
        assert!(csrf.matches(&jar2, &second.token));
        assert!(!csrf.matches(&jar1, &second.token), "another nonce's token");
        assert!(!csrf.matches(&HeaderMap::new(), &first.token), "no cookie");
        assert!(!csrf.matches(&jar1, ""), "no token");
    }

    #[test]
    fn a_tampered_token_or_nonce_or_another_key_is_refused() {
        let csrf = csrf();
        let issued = csrf.issue(&HeaderMap::new());
        let jar = cookie_header(&issued);
        let mut tampered = issued.token.clone().into_bytes();
        tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
        assert!(!csrf.matches(&jar, std::str::from_utf8(&tampered).unwrap()));
        assert!(!csrf.matches(&jar, &issued.token[1..]), "truncated");
        assert!(!csrf.matches(&jar, "not base64 !"));
        let nonce = jar[COOKIE].to_str().unwrap().split_once('=').unwrap().1;
        let forged = with_cookie(&format!("store_csrf={}", &nonce[1..]));
        assert!(!csrf.matches(&forged, &issued.token), "a malformed nonce");
        assert!(!self::csrf().matches(&jar, &issued.token), "another key");
    }

    #[test]
    fn a_valid_nonce_is_reused_and_a_malformed_one_replaced() {
        let csrf = csrf();
        let issued = csrf.issue(&HeaderMap::new());
        let jar = cookie_header(&issued);
        let again = csrf.issue(&jar);
        assert!(again.set_cookie.is_none(), "the cookie is kept");
        assert_eq!(again.token, issued.token, "two tabs get the same token");
        let replaced = csrf.issue(&with_cookie("store_csrf=planted; other=1"));
        assert!(
            replaced.set_cookie.is_some(),
            "a malformed nonce is replaced"
        );
    }

    #[test]
    fn a_planted_duplicate_does_not_hide_the_real_cookie() {
        let csrf = csrf();
        let real = csrf.issue(&HeaderMap::new());
        let planted = csrf.issue(&HeaderMap::new());
        let real_nonce = cookie_header(&real)[COOKIE].to_str().unwrap().to_owned();
        let planted_nonce = cookie_header(&planted)[COOKIE].to_str().unwrap().to_owned();
        let both = with_cookie(&format!("{planted_nonce}; {real_nonce}"));
        assert!(csrf.matches(&both, &real.token));
    }

    #[test]
    fn the_cookie_has_the_session_cookies_attributes_and_host_prefix_over_https() {
        for (https, name) in [(false, "store_csrf"), (true, "__Host-store_csrf")] {
            let csrf = LoginCsrf::new(SecretKey::random(), Site::Store, https);
            let issued = csrf.issue(&HeaderMap::new());
            let set = issued.set_cookie.unwrap();
            let cookie = Cookie::parse(set.to_str().unwrap().to_owned()).unwrap();
            assert_eq!(cookie.name(), name);
            assert_eq!(cookie.http_only(), Some(true));
            assert_eq!(cookie.same_site(), Some(SameSite::Lax));
            assert_eq!(cookie.path(), Some("/"));
            assert_eq!(cookie.domain(), None);
            assert_eq!(cookie.secure().unwrap_or(false), https);
            assert!(is_nonce(cookie.value()));
        }
    }
}
