//! Steps 13–17: the Forums, a site of its own: no Store cookie reaches it, and it has its own
//! login.

use super::Scenario;
use super::checks::{Checks, count_posts, page_user_checks, sent_session_checks};
use crate::engine::Exchange;
use crate::flow::observe::{fusionauth_hops, signed_in_as};
use shared::paths::{forums, store};
use shared::site::Site;

impl Scenario<'_> {
    /// Steps 13–17.
    pub(super) async fn forums(&mut self) {
        if self.taken(13) {
            let (home, mut checks) = self.open_home(Site::Forums).await;
            if let Some(first) = home.exchanges.first() {
                self.no_store_cookie_checks(&mut checks, first);
            }
            if let Some(who) = home.page.as_ref().and_then(signed_in_as) {
                checks.expect(false, || {
                    format!(
                        "Forums shows {who} signed in before its own login: single sign-on, \
                         which this workflow does not have"
                    )
                });
            }
            self.finish(13, &home.exchanges, checks);
        }
        if !self.taken(14) {
            return;
        }
        let (login_url, form_load, form_checks) = self.open_login_form(Site::Forums).await;
        let before = self.cookies_for(&login_url);
        let login = match self.submit_login(form_load.page.as_ref(), &login_url).await {
            Ok(login) => login,
            Err(reason) => {
                let reason = format!("cannot log in to the Forums: {reason}");
                return self.skip(&[14, 15, 16, 17], &reason);
            }
        };
        let ([request, call, answer, server, response], cookie) =
            self.login_checks(&login, &before, forums::POSTS);
        let post = login.exchanges.first();
        let mut exchanges: Vec<&Exchange> = form_load.exchanges.iter().collect();
        exchanges.extend(post);
        self.finish(14, exchanges, form_checks.and(request).and(call));
        self.finish(15, post, answer.and(server));
        self.finish(16, post, response);
        self.forums.cookie = cookie.clone();

        let hop = login.exchanges.get(1);
        let mut posts = Checks::default();
        match hop {
            Some(hop) => {
                sent_session_checks(&mut posts, hop, cookie.as_ref(), self.masking);
                self.no_store_cookie_checks(&mut posts, hop);
                posts.status(Some(hop), 200);
                let hops = fusionauth_hops(hop);
                posts.expect(hops.is_empty(), || {
                    "Forums called FusionAuth to load the page: the User should come from the \
                     session"
                        .to_owned()
                });
                page_user_checks(&mut posts, login.page.as_ref());
                let listed = login.page.as_ref().map_or(0, count_posts);
                posts.saw(format!("{listed} posts listed"));
            }
            None => {
                posts.expect(false, || {
                    "the login did not redirect, so there was no GET /posts".to_owned()
                });
            }
        }
        self.finish(17, hop, posts);
        self.forums.page = login.page;
    }

    /// Store's session cookie must not reach the Forums.
    pub(super) fn no_store_cookie_checks(&self, checks: &mut Checks, exchange: &Exchange) {
        let store_cookie = self.store.cookie.as_ref();
        let leaked: Vec<&(String, String)> = exchange
            .cookies_sent
            .iter()
            .filter(|(name, value)| {
                [store::SESSION_COOKIE, store::SECURE_SESSION_COOKIE].contains(&name.as_str())
                    || store_cookie.is_some_and(|c| c.name == *name && c.value == *value)
            })
            .collect();
        match (leaked.first(), store_cookie) {
            (Some((name, _)), cookie) => {
                let scope = cookie
                    .filter(|c| !c.host_only)
                    .map(|c| format!(" (its Domain={} covers every host under it)", c.domain))
                    .unwrap_or_default();
                checks.expect(false, || {
                    format!(
                        "Store's session cookie {name} was sent to {}: it is not host-only{scope}",
                        exchange.url.host_str().unwrap_or_default()
                    )
                });
            }
            (None, Some(cookie)) => checks.saw(format!(
                "{} not sent: host-only for {}",
                cookie.name, cookie.domain
            )),
            (None, None) => checks.saw("no Store cookie in the jar (no Store login in this run)"),
        }
    }
}
