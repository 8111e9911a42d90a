//! Steps 1–7: the Store's home page, its login form, and the login, checked as the article
//! splits it.

use super::Scenario;
use super::checks::{Checks, form_fields, fusionauth_login_checks, session_cookie_checks};
use crate::engine::{CookieView, Exchange, PageLoad};
use crate::flow::observe::signed_in_as;
use shared::paths::store;
use shared::site::Site;
use std::time::Duration;

impl Scenario<'_> {
    /// Steps 1–7.
    pub(super) async fn store_login(&mut self) {
        if self.taken(1) {
            let (load, checks) = self.open_home(Site::Store).await;
            self.finish(1, &load.exchanges, checks);
        }
        if !self.taken(2) {
            return;
        }
        let (login_url, form_load, checks) = self.open_login_form(Site::Store).await;
        self.finish(2, &form_load.exchanges, checks);
        if !self.taken(3) {
            return;
        }
        let before = self.cookies_for(&login_url);
        let login = match self.submit_login(form_load.page.as_ref(), &login_url).await {
            Ok(login) => login,
            Err(reason) => {
                let reason = format!("cannot log in: {reason}");
                return self.skip(&[3, 4, 5, 6, 7], &reason);
            }
        };
        let (checks, cookie) = self.login_checks(&login, &before, store::CART);
        let post: Vec<&Exchange> = login.exchanges.first().into_iter().collect();
        for (number, checks) in (3..=7).zip(checks) {
            self.finish(number, post.iter().copied(), checks);
        }
        self.store.cookie = cookie;
        self.store.page = login.page.clone();
        self.store_login = Some(login);
    }

    /// The checks of a login submission, as the article splits them: the request, the call to
    /// FusionAuth, its answer, the session created, and the redirect with the cookie. Returns
    /// the session cookie set.
    pub(super) fn login_checks(
        &mut self,
        login: &PageLoad,
        before: &[(String, String)],
        landing: &str,
    ) -> ([Checks; 5], Option<CookieView>) {
        let post = login.exchanges.first();
        let mut request = Checks::default();
        match post {
            Some(post) if post.error.is_none() => request.saw(format!(
                "{} {} sent {} form fields, the password among them",
                post.method.as_str(),
                post.url.path(),
                form_fields(post)
            )),
            Some(post) => {
                request.expect(false, || {
                    format!("no response: {}", post.error.clone().unwrap_or_default())
                });
            }
            None => {
                request.expect(false, || "no request was made".to_owned());
            }
        }
        let (call, answer) = fusionauth_login_checks(post);
        let (mut response, session) = match post {
            Some(post) => session_cookie_checks(post, before, landing, self.masking),
            None => (Checks::default(), None),
        };
        let mut server = Checks::default();
        server.expect(session.is_some(), || {
            "no session was created: the login set no session cookie".to_owned()
        });
        match login.page.as_ref().and_then(signed_in_as) {
            Some(who) => server.saw(format!("the next page says: Signed in as {who}")),
            None => {
                server.expect(false, || {
                    "the page after the login shows no signed-in user".to_owned()
                });
            }
        }
        if let Some(session) = &session
            && self.options.idle_timeout.is_none()
            && let Some(age) = session.record.max_age.filter(|age| *age > 0)
        {
            self.idle = Some(Duration::from_secs(age.unsigned_abs()));
            response.saw(format!("idle timeout: {age} s (the cookie's Max-Age)"));
        }
        let cookie = session.and_then(|session| {
            let url = post?.url.clone();
            let mut jar = self.jar_cookie(&url, &session.record.name)?;
            jar.value = session.value;
            Some(jar)
        });
        ([request, call, answer, server, response], cookie)
    }
}
