//! Steps 21–23: defences beyond the article: session fixation and CSRF.

use super::Scenario;
use super::checks::{Checks, csrf_refusal_checks, sent_session_checks, session_cookie_checks};
use crate::engine::{CookieView, Exchange, Expiry, PageLoad, Request};
use crate::flow::observe::{is_redirect, location_path};
use crate::flow::report::Actor;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use shared::paths::{common, form, store};
use shared::site::Site;
use url::Url;

impl Scenario<'_> {
    /// Steps 21–23: defences beyond the article — fixation and CSRF.
    pub(super) async fn defences(&mut self) {
        if !self.any_taken(21..=23) {
            return;
        }
        let Some(login) = self.fixation().await else {
            return self.skip(&[22, 23], "the user could not log in (step 21)");
        };
        let page = login.page;
        let form = page
            .as_ref()
            .and_then(|page| page.form_with_field(form::QUANTITY))
            .cloned();
        let Some(form) = form else {
            let why = "the cart page after the login has no add-item form";
            return self.skip(&[22, 23], why);
        };
        let mut without_token = form.clone();
        without_token.set(form::CSRF_TOKEN, "");
        let post = self.load(Actor::Browser, without_token.submission()).await;
        let refused = csrf_refusal_checks(post.exchanges.first(), "no csrf_token");
        self.finish(22, &post.exchanges, refused);

        let mut cross_origin = form.submission();
        let forums_origin = self.options.forums_url.origin().ascii_serialization();
        cross_origin.headers = vec![
            ("Origin".to_owned(), forums_origin.clone()),
            ("Sec-Fetch-Site".to_owned(), "same-site".to_owned()),
        ];
        let post = self.load(Actor::Browser, cross_origin).await;
        let mut refused = csrf_refusal_checks(
            post.exchanges.first(),
            &format!("a valid token, but Origin: {forums_origin} and Sec-Fetch-Site: same-site"),
        );
        refused.saw("SameSite=Lax alone would let it through: Store and Forums are same-site");
        self.finish(23, &post.exchanges, refused);
    }

    /// Step 21: the hacker makes up a session id in the session cookie's format and plants it
    /// in the user's browser (the login page starts no session a hacker could take one from)
    /// while the login form is open, so the login post carries it; the user logs in; the login
    /// must answer with an id of its own, and the planted id must sign no one in. Returns the
    /// user's login.
    pub(super) async fn fixation(&mut self) -> Option<PageLoad> {
        let login_url = self.url(Site::Store, common::LOGIN);
        let mut checks = Checks::default();
        // Opened first: a server clears an unknown session id on any page it answers, the form
        // included, which would hide a login that adopts the id.
        let (_, form_load, _) = self.open_login_form(Site::Store).await;
        let planted = self.forged_session_cookie(&login_url);
        checks.saw(format!(
            "the hacker makes up a session id {}={} and plants it in the user's browser",
            planted.name,
            self.masking.secret(&planted.value)
        ));
        let inserted = self.victim.insert_cookie(&planted).is_ok()
            && self.hacker.insert_cookie(&planted).is_ok();
        checks.expect(inserted, || {
            "the planted cookie could not be put in the jars".to_owned()
        });
        let before = vec![(planted.name.clone(), planted.value.clone())];
        let login = match self.submit_login(form_load.page.as_ref(), &login_url).await {
            Ok(login) => login,
            Err(reason) => {
                checks.expect(false, || format!("cannot log in: {reason}"));
                self.finish(21, &form_load.exchanges, checks);
                return None;
            }
        };
        let (rotated, cookie) = match login.exchanges.first() {
            Some(post) => session_cookie_checks(post, &before, store::CART, self.masking),
            None => (Checks::default(), None),
        };
        let checks = checks.and(rotated);
        let replay = self
            .load(
                Actor::Hacker,
                Request::get(self.url(Site::Store, store::CART)),
            )
            .await;
        let mut checks = checks;
        if let Some(first) = replay.exchanges.first() {
            sent_session_checks(&mut checks, first, Some(&planted), self.masking);
            let to = location_path(first).unwrap_or_default();
            if checks.expect(is_redirect(first) && to == common::LOGIN, || {
                format!(
                    "the planted id is signed in after the user's login ({} to {}): session \
                     fixation",
                    first.status.unwrap_or_default(),
                    first.url.path()
                )
            }) {
                checks.saw("the planted id is dead: the hacker is sent to log in");
            }
        }
        let mut exchanges: Vec<&Exchange> = form_load.exchanges.iter().collect();
        exchanges.extend(&login.exchanges);
        exchanges.extend(&replay.exchanges);
        self.finish(21, exchanges, checks);
        if let Some(session) = cookie {
            let url = self.url(Site::Store, store::CART);
            self.store.cookie = self.jar_cookie(&url, &session.record.name);
        }
        self.store.page = login.page.clone();
        Some(login)
    }

    /// A session cookie for `url`'s host as the hacker forges it: the name the Store's session
    /// cookie has (seen at step 7, else the shared name for the URL's scheme) and a random value
    /// in the same format (128 bits, base64url), which no server ever issued.
    fn forged_session_cookie(&self, url: &Url) -> CookieView {
        let https = url.scheme() == "https";
        let name = self.store.cookie.as_ref().map_or_else(
            || Site::Store.session_cookie_name(https).to_owned(),
            |cookie| cookie.name.clone(),
        );
        let mut id = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut id);
        CookieView {
            name,
            value: URL_SAFE_NO_PAD.encode(id),
            domain: url.host_str().unwrap_or_default().to_owned(),
            host_only: true,
            path: "/".to_owned(),
            expires: Expiry::Session,
            secure: https,
            http_only: true,
            same_site: Some("Lax".to_owned()),
            set_by: None,
        }
    }
}
