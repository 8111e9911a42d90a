//! Step 24: a stolen id replayed after the user's id rotated ends the whole session.

use super::Scenario;
use super::checks::{Checks, sent_session_checks};
use crate::engine::{Browser, BrowserOptions, Exchange, PageLoad, Request, human_duration};
use crate::flow::observe::{is_redirect, location_path, set_by_first_hop, signed_in_as};
use crate::flow::report::Actor;
use shared::paths::{common, element, store};
use std::time::{Duration, Instant};

impl Scenario<'_> {
    /// Step 24: the hacker copies the user's session cookie; the user's id rotates; once the
    /// retired id's grace period is over, the hacker's replay of it must end the whole session:
    /// the hacker lands on the login page with the theft notice, and so does the user's next
    /// request with the new id.
    pub(super) async fn theft_after_rotation(&mut self) {
        if !self.taken(24) {
            return;
        }
        let Some(rotation) = self.options.rotation.clone() else {
            return self.skip(
                &[24],
                "the apps' session-id rotation is unknown: `tui flow --rotation-interval … \
                 --rotation-grace …`, as the apps were started, runs this step against them",
            );
        };
        if rotation.interval.is_zero() {
            return self.skip(
                &[24],
                "the apps do not rotate session ids (--rotation-interval 0): there is no \
                 retired id to detect",
            );
        }
        // Margins for the clocks of the two sides and a request's own time.
        let margin = |d: Duration| d / 10 + Duration::from_millis(250);
        let (to_rotate, to_retire) = (
            rotation.interval + margin(rotation.interval),
            rotation.grace + margin(rotation.grace),
        );
        let cause = format!(
            "ids rotate every {}, then work for {} more",
            human_duration(rotation.interval),
            human_duration(rotation.grace)
        );
        if let Some(why) =
            self.beyond_max_wait(to_rotate + to_retire, &cause, "--rotation-interval")
        {
            return self.skip(&[24], &why);
        }
        // A new visit with jars of its own: the other steps' cookies stay out of it (the
        // embedded run's Store for this step shares their host), and this is the last step.
        let fresh = |user_agent: String| {
            Browser::new(BrowserOptions {
                user_agent,
                timeout: self.options.timeout,
                ..BrowserOptions::default()
            })
        };
        match (
            fresh(self.victim.options().user_agent.clone()),
            fresh(self.hacker.options().user_agent.clone()),
        ) {
            (Ok(victim), Ok(hacker)) => (self.victim, self.hacker) = (victim, hacker),
            (Err(error), _) | (_, Err(error)) => {
                return self.skip(&[24], &format!("no fresh browsers: {error:#}"));
            }
        }
        let at = |path: &str| {
            rotation
                .store_url
                .join(path)
                .unwrap_or_else(|_| rotation.store_url.clone())
        };
        let (login_url, cart) = (at(common::LOGIN), at(store::CART));
        let mut checks = Checks::default();
        let mut exchanges: Vec<Exchange> = Vec::new();

        let form = self
            .load(Actor::Browser, Request::get(login_url.clone()))
            .await;
        exchanges.extend(form.exchanges.iter().cloned());
        let login = self.submit_login(form.page.as_ref(), &login_url).await;
        let logged_in_at = Instant::now();
        let login = match login {
            Ok(login) => login,
            Err(reason) => {
                checks.expect(false, || format!("cannot log in: {reason}"));
                return self.finish(24, &exchanges, checks);
            }
        };
        exchanges.extend(login.exchanges.iter().cloned());
        let session = set_by_first_hop(&login.exchanges, self.masking)
            .next()
            .map(|c| c.record.name);
        let stolen = session.and_then(|name| self.jar_cookie(&cart, &name));
        let signed_in = login.page.as_ref().and_then(signed_in_as);
        let (Some(stolen), Some(who)) = (stolen, signed_in) else {
            checks.expect(false, || {
                "cannot log in: no session cookie, or no signed-in page after the login".to_owned()
            });
            return self.finish(24, &exchanges, checks);
        };
        checks.saw(format!(
            "{who} is signed in at {}; the hacker's client copies {}={}",
            rotation.store_url,
            stolen.name,
            self.masking.secret(&stolen.value)
        ));
        let copied = self.hacker.insert_cookie(&stolen).is_ok();
        checks.expect(copied, || {
            "the stolen cookie could not be planted".to_owned()
        });

        // The user keeps using the site until the id rotates.
        let wait = (logged_in_at + to_rotate).saturating_duration_since(Instant::now());
        self.wait(wait, "for the Store to rotate the user's session id")
            .await;
        let read = self.load(Actor::Browser, Request::get(cart.clone())).await;
        exchanges.extend(read.exchanges.iter().cloned());
        let rotated =
            set_by_first_hop(&read.exchanges, self.masking).find(|c| c.record.name == stolen.name);
        let after = human_duration(rotation.interval);
        if !checks.status(read.exchanges.first(), 200) {
            checks.expect(false, || {
                format!("the user's session ended before its id rotated (after {after})")
            });
            return self.finish(24, &exchanges, checks);
        }
        let new_id = match rotated {
            Some(c) if c.value != stolen.value => c,
            _ => {
                checks.expect(false, || {
                    format!(
                        "the session id was not rotated after {after}: {} kept its value (rotation \
                         is off, or slower than --rotation-interval)",
                        stolen.name
                    )
                });
                return self.finish(24, &exchanges, checks);
            }
        };
        checks.saw(format!(
            "after {after} the user's next read rotates the id: {} → {} (Set-Cookie {})",
            self.masking.secret(&stolen.value),
            new_id.record.value,
            new_id.record.raw
        ));

        self.wait(to_retire, "for the retired id's grace period to pass")
            .await;
        checks.saw(format!(
            "then {} more: past the retired id's grace period of {}",
            human_duration(to_retire),
            human_duration(rotation.grace)
        ));
        let replay = self.load(Actor::Hacker, Request::get(cart.clone())).await;
        exchanges.extend(replay.exchanges.iter().cloned());
        if let Some(first) = replay.exchanges.first() {
            sent_session_checks(&mut checks, first, Some(&stolen), self.masking);
        }
        let hacker = theft_ending(&replay);
        match &hacker {
            Ending::SignedIn(who) => {
                checks.expect(false, || {
                    format!(
                        "the retired id still works after the grace period (the hacker is served \
                         {who}'s cart): no theft detection"
                    )
                });
            }
            Ending::Refused { notice: Some(text) } => checks.saw(format!(
                "the hacker is not signed in: sent to the login page, which says \"{text}\" \
                 (#{})",
                element::THEFT_NOTICE
            )),
            Ending::Refused { notice: None } => {
                checks.expect(false, || {
                    format!(
                        "the retired id is refused, but its login page has no theft notice \
                         (#{}): the theft was not detected",
                        element::THEFT_NOTICE
                    )
                });
            }
            Ending::Other(what) => {
                checks.expect(false, || format!("the hacker's replay {what}"));
            }
        }

        let held = self.jar_cookie(&cart, &stolen.name);
        let next = self.load(Actor::Browser, Request::get(cart)).await;
        exchanges.extend(next.exchanges.iter().cloned());
        if let Some(first) = next.exchanges.first() {
            sent_session_checks(&mut checks, first, held.as_ref(), self.masking);
        }
        match theft_ending(&next) {
            Ending::SignedIn(_) => {
                checks.expect(false, || {
                    "the victim's session survived the theft: the new id still works after the \
                     retired one was replayed"
                        .to_owned()
                });
            }
            Ending::Refused { notice: Some(_) } => checks.saw(format!(
                "the user's next request, with the new id {}: sent to the login page with the \
                 same notice: the whole session is over",
                new_id.record.value
            )),
            Ending::Refused { notice: None } => {
                checks.expect(false, || {
                    "the user's new id is logged out, but its login page does not say why (no \
                     theft notice)"
                        .to_owned()
                });
            }
            Ending::Other(what) => {
                checks.expect(false, || format!("the user's next request {what}"));
            }
        }
        self.finish(24, &exchanges, checks);
    }
}

/// Where a request with a session id ended, for step 24.
enum Ending {
    /// On a signed-in page (as whom).
    SignedIn(String),
    /// Redirected to the login page, with the theft notice's text if it shows one.
    Refused { notice: Option<String> },
    /// Anything else (what happened).
    Other(String),
}

fn theft_ending(load: &PageLoad) -> Ending {
    let Some(first) = load.exchanges.first() else {
        return Ending::Other("made no request".to_owned());
    };
    if let Some(error) = load.error.as_ref().or(first.error.as_ref()) {
        return Ending::Other(format!("got no answer: {error}"));
    }
    if let Some(who) = load.page.as_ref().and_then(signed_in_as) {
        return Ending::SignedIn(who);
    }
    if is_redirect(first) && location_path(first).as_deref() == Some(common::LOGIN) {
        let notice = load
            .page
            .as_ref()
            .and_then(|page| page.alert_with_id(element::THEFT_NOTICE))
            .map(str::to_owned);
        return Ending::Refused { notice };
    }
    Ending::Other(format!(
        "answered {} at {}, not a redirect to the login page",
        first.status.unwrap_or_default(),
        first.url.path()
    ))
}
