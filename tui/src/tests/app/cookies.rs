//! The Cookies tab: selection, reveal, edit, delete, expire, clear, copy, save; the tick.

use crate::app::{Effect, Msg, update};
use crate::fixtures::*;
use crossterm::event::KeyCode;

/// Logged in, the Cookies tab focused, `store_session` selected (jar order: forums.localhost,
/// localhost, store.localhost).
fn on_store_cookie() -> crate::app::State {
    let mut state = logged_in(120, 40);
    press(&mut state, [ch('1'), ch('j'), ch('j')]);
    assert_eq!(
        state.jar().selected().map(|c| c.name.as_str()),
        Some("store_session")
    );
    state
}

fn target() -> (String, String, String) {
    ("store.localhost".into(), "/".into(), "store_session".into())
}

#[test]
fn the_jar_is_grouped_by_domain_then_path() {
    let state = logged_in(120, 40);
    let names: Vec<&str> = state
        .jar()
        .cookies
        .iter()
        .map(|c| c.domain.as_str())
        .collect();
    assert_eq!(names, ["forums.localhost", "localhost", "store.localhost"]);
}

#[test]
fn delete_expire_clear_save_and_copy_emit_their_effects() {
    let mut state = on_store_cookie();
    let (domain, path, name) = target();
    assert_eq!(
        update(&mut state, ch('d')),
        [Effect::DeleteCookie {
            domain: domain.clone(),
            path: path.clone(),
            name: name.clone()
        }]
    );
    assert_eq!(
        update(&mut state, ch('x')),
        [Effect::ExpireCookie { domain, path, name }]
    );
    assert_eq!(update(&mut state, ch('C')), [Effect::ClearSessionCookies]);
    assert_eq!(
        state.status().map(|s| s.text.as_str()),
        Some("Clearing 1 session cookie(s), as closing the browser would")
    );
    assert_eq!(update(&mut state, ch('w')), [Effect::SaveJar]);
    assert_eq!(
        update(&mut state, ch('y')),
        [Effect::Copy("store_session=Zm9vYmFyYmF6cXV4".to_owned())]
    );
}

#[test]
fn editing_a_value_sets_it_on_enter_and_esc_drops_the_edit() {
    let mut state = on_store_cookie();
    update(&mut state, ch('e'));
    assert!(state.is_typing());
    update(&mut state, ctrl('u'));
    type_text(&mut state, "forged");
    let (domain, path, name) = target();
    assert_eq!(
        update(&mut state, key(KeyCode::Enter)),
        [Effect::SetCookieValue {
            domain,
            path,
            name,
            value: "forged".to_owned()
        }]
    );
    update(&mut state, ch('e'));
    type_text(&mut state, "zzz");
    assert!(update(&mut state, key(KeyCode::Esc)).is_empty());
    assert!(!state.is_typing());
}

#[test]
fn values_are_masked_until_revealed() {
    let mut state = on_store_cookie();
    assert!(find(&state, "Zm9vYmFyYmF6cXV4").is_none());
    update(&mut state, ch('v'));
    assert!(find(&state, "store_session = Zm9vYmFyYmF6cXV4").is_some());
    update(&mut state, ch('v'));
    assert!(find(&state, "store_session = ••••••••").is_some());
}

#[test]
fn the_selection_stays_on_its_cookie_when_the_jar_changes() {
    let mut state = on_store_cookie();
    let mut extra = docs_cookie();
    extra.domain = "a.localhost".to_owned();
    update(
        &mut state,
        victim_jar(vec![store_cookie(), extra, forums_cookie()]),
    );
    assert_eq!(
        state.jar().selected().map(|c| c.name.as_str()),
        Some("store_session")
    );
}

#[test]
fn a_cookie_removed_while_edited_closes_the_editor() {
    let mut state = on_store_cookie();
    press(&mut state, [ch('e'), victim_jar(vec![forums_cookie()])]);
    assert!(!state.is_typing());
    assert!(state.status().is_some_and(|s| s.error));
}

#[test]
fn actions_on_an_empty_jar_explain_instead_of_failing() {
    let mut state = booted(120, 40);
    update(&mut state, ch('1'));
    assert!(update(&mut state, ch('d')).is_empty());
    assert_eq!(
        state.status().map(|s| s.text.as_str()),
        Some("No cookie selected: the jar is empty")
    );
}

#[test]
fn ticks_are_needed_only_while_a_countdown_is_on_screen() {
    let state = booted(120, 40);
    assert!(!state.needs_tick(), "empty jar");
    let mut state = logged_in(120, 40);
    assert!(state.needs_tick(), "Cookies tab beside the page");
    update(&mut state, ch('2'));
    assert!(!state.needs_tick(), "Network tab");
    press(&mut state, [ch('1'), ch('D')]);
    assert!(!state.needs_tick(), "devtools hidden");
    let mut narrow = logged_in(80, 24);
    assert!(!narrow.needs_tick(), "narrow: the page has the screen");
    update(&mut narrow, ch('1'));
    assert!(narrow.needs_tick());
}

#[test]
fn a_tick_moves_the_countdown() {
    let mut state = logged_in(120, 40);
    assert!(find(&state, "[expires in 29m 58s]").is_some());
    update(&mut state, Msg::Tick(at(60)));
    assert!(find(&state, "[expires in 28m 58s]").is_some());
    update(&mut state, Msg::Tick(at(1800)));
    assert!(find(&state, "[expired 2s ago]").is_some());
}
