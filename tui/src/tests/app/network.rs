//! The Network tab: selection, the detail overlay, copy as curl.

use crate::app::{Effect, Msg, Overlay, update};
use crate::fixtures::*;
use crossterm::event::KeyCode;

#[test]
fn the_log_keeps_every_hop_and_selects_the_newest() {
    let mut state = logged_in(120, 40);
    update(&mut state, ch('2'));
    let ids: Vec<u64> = state
        .network()
        .entries
        .iter()
        .map(|l| l.exchange.id)
        .collect();
    assert_eq!(ids, [10, 20, 30, 31]);
    assert_eq!(state.network().selected().map(|l| l.exchange.id), Some(31));
}

#[test]
fn enter_opens_the_exchange_and_y_asks_the_runtime_for_curl() {
    // Short enough that the detail scrolls.
    let mut state = logged_in(120, 16);
    press(&mut state, [ch('2'), ch('k'), key(KeyCode::Enter)]);
    assert_eq!(state.overlay(), Some(Overlay::Detail { id: 30, scroll: 0 }));
    update(&mut state, ch('j'));
    assert_eq!(state.overlay(), Some(Overlay::Detail { id: 30, scroll: 1 }));
    assert_eq!(update(&mut state, ch('y')), [Effect::CurlFor(30)]);
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(state.overlay(), None);
    assert_eq!(update(&mut state, ch('y')), [Effect::CurlFor(30)]);
}

#[test]
fn the_selection_follows_new_entries_only_from_the_newest() {
    let mut state = logged_in(120, 40);
    press(
        &mut state,
        [
            ch('2'),
            key(KeyCode::Home),
            victim_loaded(get(4, store("/"), home_page())),
        ],
    );
    assert_eq!(state.network().selected().map(|l| l.exchange.id), Some(10));
    press(
        &mut state,
        [
            key(KeyCode::End),
            victim_loaded(get(5, store("/"), home_page())),
        ],
    );
    assert_eq!(state.network().selected().map(|l| l.exchange.id), Some(50));
}

#[test]
fn the_runtimes_status_answer_lands_in_the_status_line() {
    let mut state = logged_in(120, 40);
    update(
        &mut state,
        Msg::Status("Copied: curl -b jar -c jar -L …".to_owned()),
    );
    assert_eq!(
        state.status().map(|s| (s.text.as_str(), s.error)),
        Some(("Copied: curl -b jar -c jar -L …", false))
    );
}
