//! Stealing a cookie and replaying it as the attacker: worked before logout, refused after;
//! after a rotation, the replay of the retired id detected as theft.

use crate::app::attacker::replay_url;
use crate::app::{Effect, ReplayVerdict, Tab, Who, update};
use crate::engine::Request;
use crate::fixtures::*;

/// [`with_a_stolen_cookie`]: the Attacker tab open.
fn stolen() -> crate::app::State {
    let state = with_a_stolen_cookie();
    assert_eq!(state.tab(), Tab::Attacker);
    state
}

#[test]
fn stealing_the_selected_cookie_copies_it_into_the_attackers_jar() {
    let mut state = logged_in(120, 40);
    press(&mut state, [ch('1'), ch('j'), ch('j')]);
    assert_eq!(
        update(&mut state, ch('s')),
        [Effect::StealCookie(store_cookie())]
    );
}

fn replay(state: &mut crate::app::State) -> Vec<Effect> {
    update(state, ch('R'))
}

#[test]
fn a_replay_is_the_attackers_get_of_the_cart() {
    let mut state = stolen();
    assert_eq!(
        replay(&mut state),
        [Effect::Load {
            who: Who::Attacker,
            request: Request::get(store("/shopping-cart")),
        }]
    );
    let r = &state.attacker().replays[0];
    assert_eq!(
        (r.number, r.cookie.as_str(), r.outcome.is_none()),
        (1, "store_session", true)
    );
}

#[test]
fn replays_show_the_victims_data_before_logout_and_refusal_after() {
    let mut state = stolen();
    replay_answered(&mut state, replay_worked(7));
    replay_answered(&mut state, replay_refused(8));

    let replays = &state.attacker().replays;
    let first = replays[0].outcome.as_ref().expect("answered");
    assert_eq!(first.verdict, ReplayVerdict::GotData);
    assert_eq!(
        first.set_cookie.as_deref(),
        Some("store_session=…; HttpOnly; SameSite=Lax; Path=/; Max-Age=1800")
    );
    assert!(first.evidence.contains(
        &"table: 2 rows: Sencha green tea, 100 g, Stoneware mug; total $43.00".to_owned()
    ));
    let second = replays[1].outcome.as_ref().expect("answered");
    assert_eq!(
        second.verdict,
        ReplayVerdict::Refused("sent to the login page: refused".to_owned())
    );
    assert_eq!(second.hops, [Some(303), Some(200)]);
    assert_eq!(
        state.status().map(|s| s.text.as_str()),
        Some("Replay #2: sent to the login page: refused")
    );
    // The attacker's exchanges are in the network log, marked as theirs.
    assert_eq!(
        state
            .network()
            .entries
            .iter()
            .filter(|l| l.who == Who::Attacker)
            .count(),
        3
    );
}

#[test]
fn a_replay_that_ends_at_the_theft_notice_is_theft_detected_not_a_plain_refusal() {
    let mut state = stolen();
    replay_answered(&mut state, replay_theft_detected(8));
    let outcome = state.attacker().replays[0]
        .outcome
        .as_ref()
        .expect("answered");
    assert_eq!(outcome.verdict, ReplayVerdict::TheftDetected);
    assert_eq!(outcome.final_url.path(), "/login");
    assert_eq!(
        state.status().map(|s| s.text.as_str()),
        Some(
            "Replay #1: theft detected: the server ended the whole session (a retired id was \
             used after rotation)"
        )
    );
}

#[test]
fn a_notice_without_the_theft_id_is_a_plain_refusal() {
    // The same prose in a notice without the marker: the verdict goes by the id, not the text.
    let mut load = replay_theft_detected(8);
    for block in &mut load.page.as_mut().unwrap().blocks {
        if let crate::engine::Block::Alert { id, .. } = block {
            *id = None;
        }
    }
    let outcome = crate::app::attacker::outcome("store_session", &load);
    assert_eq!(
        outcome.verdict,
        ReplayVerdict::Refused("sent to the login page: refused".to_owned())
    );
}

#[test]
fn replay_without_a_stolen_cookie_says_how_to_steal_one() {
    let mut state = logged_in(120, 40);
    update(&mut state, ch('3'));
    assert!(replay(&mut state).is_empty());
    assert!(
        state
            .status()
            .is_some_and(|s| s.error && s.text.contains("press s"))
    );
}

#[test]
fn each_sites_cookie_replays_against_its_private_page() {
    let (s, f) = (store("/"), forums("/"));
    assert_eq!(
        replay_url(&store_cookie(), &s, &f),
        Some(store("/shopping-cart"))
    );
    assert_eq!(replay_url(&forums_cookie(), &s, &f), Some(forums("/posts")));
    // A `Domain=localhost` cookie is sent to both sites: the Store comes first.
    assert_eq!(
        replay_url(&docs_cookie(), &s, &f),
        Some(store("/shopping-cart"))
    );
    let mut elsewhere = docs_cookie();
    elsewhere.domain = "example.com".to_owned();
    let other = replay_url(&elsewhere, &s, &f).expect("a URL");
    assert_eq!(other.as_str(), "http://example.com/docs");
}
