//! Steps 18–20: the hacker replays the user's stolen Store cookie, the user logs out, and the
//! stolen id stops working.

use super::Scenario;
use super::checks::{Checks, removal_seen, sent_session_checks};
use crate::engine::{CookieView, Request};
use crate::flow::observe::{
    header, is_redirect, location_path, logout_form_index, set_by_first_hop, signed_in_as,
};
use crate::flow::report::Actor;
use shared::paths::{common, store};
use shared::site::Site;

impl Scenario<'_> {
    /// Steps 18–20 (and, from there, the logout).
    pub(super) async fn stolen_session(&mut self) {
        if !self.any_taken(18..=20) {
            return;
        }
        let cart = self.url(Site::Store, store::CART);
        let stolen = self
            .store
            .cookie
            .as_ref()
            .and_then(|cookie| self.jar_cookie(&cart, &cookie.name))
            .or_else(|| self.store.cookie.clone());
        let Some(stolen) = stolen else {
            return self.skip(&[18, 19, 20], "there is no Store session to steal (step 7)");
        };
        let victim_user = self.store.page.as_ref().and_then(signed_in_as);
        let stolen_ok = self.hacker.insert_cookie(&stolen).is_ok();
        let replay = self.load(Actor::Hacker, Request::get(cart.clone())).await;
        let mut checks = Checks::default();
        checks.expect(stolen_ok, || {
            "the stolen cookie could not be planted".to_owned()
        });
        checks.saw(format!(
            "the hacker's own client (its own jar, User-Agent \"{}\") sends the stolen {}",
            self.hacker.options().user_agent,
            stolen.name
        ));
        let first = replay.exchanges.first();
        if let Some(first) = first {
            sent_session_checks(&mut checks, first, Some(&stolen), self.masking);
        }
        checks.status(first, 200);
        let hacker_sees = replay.page.as_ref().and_then(signed_in_as);
        checks.expect(hacker_sees.is_some() && hacker_sees == victim_user, || {
            format!(
                "the replay did not get the user's page (it shows {})",
                hacker_sees.as_deref().unwrap_or("no signed-in user")
            )
        });
        if let Some(who) = &hacker_sees {
            checks.saw(format!(
                "Store cannot tell the difference: it serves {who}'s cart to the hacker"
            ));
        }
        if let Some(c) =
            set_by_first_hop(&replay.exchanges, self.masking).find(|c| c.record.name == stolen.name)
        {
            checks.saw(format!(
                "and extends the session: Set-Cookie {}",
                c.record.raw
            ));
        }
        self.finish(18, &replay.exchanges, checks);
        self.logout(&stolen).await;
    }

    /// Steps 19–20: the user logs out, and the stolen id stops working.
    pub(super) async fn logout(&mut self, stolen: &CookieView) {
        let cart = self.url(Site::Store, store::CART);
        let mut exchanges = Vec::new();
        let page = match self
            .store
            .page
            .clone()
            .filter(|p| logout_form_index(p).is_some())
        {
            Some(page) => Some(page),
            None => {
                let load = self.load(Actor::Browser, Request::get(cart.clone())).await;
                exchanges.extend(load.exchanges);
                load.page
            }
        };
        let mut checks = Checks::default();
        let form = page
            .as_ref()
            .and_then(|p| logout_form_index(p).map(|i| p.forms[i].clone()));
        let Some(form) = form else {
            checks.expect(false, || {
                "the user's Store page has no Log out form".to_owned()
            });
            self.finish(19, &exchanges, checks);
            return self.skip(&[20], "the user could not log out (step 19)");
        };
        let logout = self.load(Actor::Browser, form.submission()).await;
        exchanges.extend(logout.exchanges.iter().cloned());
        if let Some(post) = logout.exchanges.first() {
            checks.expect(is_redirect(post), || {
                format!(
                    "logout answered {}, not a redirect",
                    post.status.unwrap_or_default()
                )
            });
            removal_seen(&mut checks, post, &stolen.name, self.masking);
            if let Some(clear) = header(post, "clear-site-data") {
                checks.saw(format!("Clear-Site-Data: {clear}"));
            }
        }
        let still = self.cookies_for(&cart);
        checks.expect(!still.iter().any(|(name, _)| *name == stolen.name), || {
            format!("the browser still holds {} after logging out", stolen.name)
        });
        self.finish(19, &exchanges, checks);
        if !self.taken(20) {
            return;
        }
        let replay = self.load(Actor::Hacker, Request::get(cart)).await;
        let mut refused = Checks::default();
        let first = replay.exchanges.first();
        if let Some(first) = first {
            sent_session_checks(&mut refused, first, Some(stolen), self.masking);
            if first.status == Some(200) {
                refused.expect(false, || {
                    "the stolen session id still works after logout: Store did not delete the \
                     session"
                        .to_owned()
                });
            } else {
                let to = location_path(first).unwrap_or_default();
                refused.expect(is_redirect(first) && to == common::LOGIN, || {
                    format!(
                        "answered {} (Location {to:?}), not a redirect to the login page",
                        first.status.unwrap_or_default()
                    )
                });
                refused.saw("the session is gone server-side: the stolen id is worthless");
            }
        } else {
            refused.status(None, 303);
        }
        self.finish(20, &replay.exchanges, refused);
    }
}
