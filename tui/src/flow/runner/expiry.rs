//! Steps 8–12: the page after the login, reads that extend the Store session, its expiry, and
//! the login again.

use super::Scenario;
use super::checks::{Checks, page_user_checks, removal_seen, sent_session_checks};
use crate::engine::{CookieView, Exchange, Expiry, PageLoad, Request, human_duration};
use crate::flow::observe::{
    first_table, fusionauth_hops, is_redirect, location_path, set_by_first_hop,
};
use crate::flow::report::Actor;
use shared::paths::{common, store};
use shared::site::Site;
use std::time::{Duration, Instant};

impl Scenario<'_> {
    /// Steps 8–9: the redirect hop after the login, then reads that prove the expiry moves.
    pub(super) async fn session_load(&mut self) {
        if !self.any_taken(8..=9) {
            return;
        }
        let Some(login) = self.store_login.take() else {
            return self.skip(&[8, 9], "there was no Store login (step 3)");
        };
        let hop = login.exchanges.get(1);
        let cookie = self.store.cookie.clone();
        let mut read = Checks::default();
        read.expect(hop.is_some(), || {
            "the login did not redirect, so there was no GET /shopping-cart".to_owned()
        });
        if let Some(hop) = hop {
            sent_session_checks(&mut read, hop, cookie.as_ref(), self.masking);
            read.status(Some(hop), 200);
        }
        let mut loads = Vec::new();
        if self.taken(8) && hop.is_some() {
            self.extension(&mut read, &mut loads).await;
        }
        let mut exchanges: Vec<&Exchange> = hop.into_iter().collect();
        exchanges.extend(loads.iter().flat_map(|load: &PageLoad| &load.exchanges));
        self.finish(8, exchanges.iter().copied(), read);

        let mut shown = Checks::default();
        if let Some(hop) = hop {
            let hops = fusionauth_hops(hop);
            shown.expect(hops.is_empty(), || {
                format!(
                    "Store called FusionAuth ({}) to load the page: the User should come from \
                     the session",
                    hops[0].description
                )
            });
            shown.saw("no call to FusionAuth: the User came from the session");
            page_user_checks(&mut shown, login.page.as_ref());
            match login.page.as_ref().and_then(first_table) {
                Some((rows, footer)) => shown.saw(format!("the cart: {rows} lines; {footer}")),
                None => {
                    shown.expect(false, || "the page shows no cart table".to_owned());
                }
            }
        } else {
            shown.expect(false, || "there was no cart page".to_owned());
        }
        // The extension reads came after step 9's page: listed there too, a diagram draws them
        // after it.
        self.finish(9, exchanges.iter().copied(), shown);
        if let Some(page) = loads.last().and_then(|load| load.page.clone()) {
            self.store.page = Some(page);
        }
    }

    /// Step 8's proof that reads extend the session: a read at 60% of the idle timeout, and
    /// another at 120%, which finds the session only if the first one extended it.
    pub(super) async fn extension(&mut self, read: &mut Checks, loads: &mut Vec<PageLoad>) {
        let Some(idle) = self.idle else {
            read.saw(
                "extension not checked: the idle timeout is unknown (the cookie has no \
                      Max-Age; pass --idle-timeout)",
            );
            return;
        };
        let step = idle * 6 / 10;
        if let Some(why) = self.too_long(step * 2) {
            read.saw(format!("extension not checked: {why}"));
            return;
        }
        let cart = self.url(Site::Store, store::CART);
        for (i, why) in [
            "so the next read has an expiry to extend",
            "past the idle timeout of the login",
        ]
        .into_iter()
        .enumerate()
        {
            self.wait(step, why).await;
            let load = self.load(Actor::Browser, Request::get(cart.clone())).await;
            let first = load.exchanges.first();
            let ok = first.is_some_and(|e| e.status == Some(200));
            if i == 0 {
                let extended = set_by_first_hop(&load.exchanges, self.masking).next();
                match extended {
                    Some(c) => read.saw(format!(
                        "after {}: 200, and a fresh expiry: Set-Cookie {}",
                        human_duration(step),
                        c.record.raw
                    )),
                    None => read.saw(format!("after {}: 200", human_duration(step))),
                }
                read.expect(ok, || {
                    format!("the session ended {} after the login", human_duration(step))
                });
            } else if read.expect(ok, || {
                format!(
                    "reads do not extend the session: it ended {} after the login although it \
                     was read after {}",
                    human_duration(step * 2),
                    human_duration(step)
                )
            }) {
                read.saw(format!(
                    "still signed in {} after the login, past its idle timeout of {}: the \
                     read extended the session",
                    human_duration(step * 2),
                    human_duration(idle)
                ));
            }
            loads.push(load);
        }
    }

    /// Steps 10–12.
    pub(super) async fn relogin(&mut self) {
        if !self.any_taken(10..=12) {
            return;
        }
        let Some(cookie) = self.store.cookie.clone() else {
            return self.skip(&[10, 11, 12], "there is no Store session (step 7)");
        };
        let Some(idle) = self.idle else {
            return self.skip(
                &[10, 11, 12],
                "the idle timeout is unknown (the session cookie has no Max-Age): pass \
                 --idle-timeout",
            );
        };
        let deadline = self.store_seen + idle + idle / 10 + Duration::from_millis(250);
        let wait = deadline.saturating_duration_since(Instant::now());
        if let Some(why) = self.too_long(wait) {
            return self.skip(&[10, 11, 12], &why);
        }
        self.wait(wait, "for the Store session to expire server-side")
            .await;
        let cart = self.url(Site::Store, store::CART);
        let mut sent = Checks::default();
        let still_held = self
            .cookies_for(&cart)
            .iter()
            .any(|(name, value)| *name == cookie.name && *value == cookie.value);
        if !still_held {
            // The cookie's Max-Age is the idle timeout, so the jar let it go too; the article's
            // browser still holds it (as one does when the server ends a session first).
            let kept = CookieView {
                expires: Expiry::Session,
                ..cookie.clone()
            };
            if self.victim.insert_cookie(&kept).is_ok() {
                sent.saw(
                    "the jar had expired the cookie too (its Max-Age is the idle timeout): \
                     put back, as the article's browser still holds it",
                );
            }
        }
        let stale = self.load(Actor::Browser, Request::get(cart)).await;
        let first = stale.exchanges.first();
        if let Some(first) = first {
            sent_session_checks(&mut sent, first, Some(&cookie), self.masking);
        }
        sent.saw(format!(
            "waited {} since the last request",
            human_duration(wait)
        ));
        self.finish(10, first, sent);

        let mut refused = Checks::default();
        match first {
            Some(first) if is_redirect(first) => {
                let to = location_path(first).unwrap_or_default();
                refused.expect(to == common::LOGIN, || {
                    format!("redirected to {to}, not to the login page")
                });
                refused.saw(format!(
                    "{} Location: {}",
                    first.status.unwrap_or_default(),
                    first.location.as_deref().unwrap_or_default()
                ));
                removal_seen(&mut refused, first, &cookie.name, self.masking);
            }
            Some(first) if first.status == Some(200) => {
                refused.expect(false, || {
                    format!(
                        "the session did not expire: after {} idle, Store still answered 200 \
                         to the old cookie",
                        human_duration(wait)
                    )
                });
            }
            _ => {
                refused.status(first, 303);
            }
        }
        self.finish(11, first, refused);
        if !self.taken(12) {
            return;
        }
        let at = stale.final_url.clone();
        // What the browser holds now: the anonymous session of the login page it was sent to.
        let before = self.cookies_for(&at);
        let login = match self.submit_login(stale.page.as_ref(), &at).await {
            Ok(login) => login,
            Err(reason) => return self.skip(&[12], &format!("cannot log in again: {reason}")),
        };
        let (checks, new_cookie) = self.login_checks(&login, &before, store::CART);
        let checks = checks.into_iter().fold(Checks::default(), Checks::and);
        let mut exchanges: Vec<&Exchange> = stale.exchanges.iter().skip(1).collect();
        exchanges.extend(&login.exchanges);
        self.finish(12, exchanges, checks);
        if new_cookie.is_some() {
            self.store.cookie = new_cookie;
        }
        self.store.page = login.page;
    }
}
