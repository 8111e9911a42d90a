//! Navigation: start-up, links, the address bar, history, quick keys, failed loads, panes.

use super::{assert_get, victim_load};
use crate::app::history::NavKind;
use crate::app::{Effect, Msg, Pane, State, Tab, Target, Who, update};
use crate::engine::PageLoad;
use crate::fixtures::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Duration;

#[test]
fn start_loads_the_store_home_page_and_shows_it_loading() {
    let state = State::new(store("/"), forums("/"), &crate::ui::GEOMETRY);
    assert_eq!(state.current_url(), Some(&store("/")));
    assert!(state.pending.is_some());
    assert_get(&state.start(), &store("/"));
}

#[test]
fn a_load_lands_in_the_history_and_clears_the_pending_navigation() {
    let state = booted(120, 40);
    assert_eq!(state.history.entries(), [store("/")]);
    assert!(state.pending.is_none());
    assert_eq!(
        state.page().map(|p| p.title.as_str()),
        Some("Store · Store")
    );
    assert_eq!(
        state.status().map(|s| s.text.as_str()),
        Some("200 http://store.localhost:8080/ · 1 request · 4 ms")
    );
}

#[test]
fn enter_on_a_focused_link_follows_it() {
    let mut state = booted(120, 40);
    // Targets: Store, Log in (header), Log in (body).
    assert_eq!(state.page.targets.len(), 3);
    press(&mut state, [ch('j'), ch('j')]);
    assert_eq!(state.page.focused(), Some(Target::Link(1)));
    let effects = update(&mut state, key(KeyCode::Enter));
    assert_get(&effects, &store("/login"));
    assert_eq!(state.current_url(), Some(&store("/login")));
}

#[test]
fn back_forward_and_reload_load_history_entries_without_pushing_new_ones() {
    let mut state = logged_in(120, 40);
    assert_eq!(
        state.history.entries(),
        [store("/"), store("/login"), store("/shopping-cart")]
    );
    assert_get(&update(&mut state, ch('H')), &store("/login"));
    assert_eq!(
        state.pending.as_ref().map(|p| p.kind),
        Some(NavKind::Traverse)
    );
    update(
        &mut state,
        victim_loaded(get(4, store("/login"), login_page(None))),
    );
    assert_eq!(state.history.entries().len(), 3);
    let alt_right = Msg::Key(KeyEvent::new(KeyCode::Right, KeyModifiers::ALT));
    assert_get(&update(&mut state, alt_right), &store("/shopping-cart"));
    update(
        &mut state,
        victim_loaded(get(5, store("/shopping-cart"), cart_page())),
    );
    assert_get(&update(&mut state, ch('r')), &store("/shopping-cart"));
    assert_eq!(state.history.entries().len(), 3);
}

#[test]
fn back_with_nowhere_to_go_says_so_in_the_status_line() {
    let mut state = booted(120, 40);
    assert!(update(&mut state, ch('H')).is_empty());
    let status = state.status().expect("a status");
    assert!(status.error);
    assert_eq!(status.text, "Nothing to go back to");
}

#[test]
fn the_address_bar_takes_a_path_and_q_is_typed_not_quit() {
    let mut state = booted(120, 40);
    update(&mut state, ch('g'));
    assert!(state.is_typing());
    update(&mut state, ctrl('u'));
    type_text(&mut state, "/login?q=1");
    assert_get(
        &update(&mut state, key(KeyCode::Enter)),
        &store("/login?q=1"),
    );
    assert!(!state.is_typing());
}

#[test]
fn a_bad_address_keeps_the_editor_open_with_the_reason() {
    let mut state = booted(120, 40);
    press(&mut state, [ch(':'), ctrl('u')]);
    assert!(update(&mut state, key(KeyCode::Enter)).is_empty());
    assert!(state.is_typing());
    assert!(state.status().is_some_and(|s| s.error));
    update(&mut state, key(KeyCode::Esc));
    assert!(!state.is_typing());
    assert_eq!(state.current_url(), Some(&store("/")));
}

#[test]
fn s_and_f_jump_to_the_store_and_forums_home_pages() {
    let mut state = logged_in(120, 40);
    assert_get(&update(&mut state, ch('F')), &forums("/"));
    assert_get(&update(&mut state, ch('S')), &store("/"));
}

#[test]
fn a_failed_load_shows_its_error_and_never_panics() {
    let mut state = booted(120, 40);
    let mut e = exchange(20, 2, 0, crate::engine::Method::Get, store("/down"), 0);
    e.status = None;
    e.error = Some("connection refused".to_owned());
    update(
        &mut state,
        Msg::Loaded {
            who: Who::Victim,
            load: PageLoad {
                load_id: 2,
                exchanges: vec![e],
                final_url: store("/down"),
                page: None,
                error: Some("connection refused".to_owned()),
            },
        },
    );
    let status = state.status().expect("a status");
    assert!(status.error);
    assert_eq!(
        status.text,
        "http://store.localhost:8080/down: connection refused"
    );
    assert!(state.page.targets.is_empty());
    assert!(find(&state, "Could not load the page").is_some());
}

#[test]
fn exchange_timestamps_move_the_clock_forward_between_ticks() {
    let mut state = booted(120, 40);
    let mut load = get(2, store("/login"), login_page(None));
    load.exchanges[0].started = at(60);
    update(&mut state, victim_loaded(load));
    assert_eq!(state.now, at(60) + Duration::from_micros(4_200));
}

#[test]
fn tab_walks_the_page_elements_then_the_devtools_and_back() {
    let mut state = booted(120, 40);
    let tab = || key(KeyCode::Tab);
    for expected in [Target::Link(0), Target::Link(1), Target::Link(2)] {
        update(&mut state, tab());
        assert_eq!(state.page.focused(), Some(expected));
    }
    update(&mut state, tab());
    assert_eq!(state.focus(), Pane::Devtools);
    update(&mut state, tab());
    assert_eq!(
        (state.focus(), state.page.focused()),
        (Pane::Page, Some(Target::Link(0)))
    );
    update(&mut state, key(KeyCode::BackTab));
    assert_eq!(state.focus(), Pane::Devtools);
    update(&mut state, key(KeyCode::BackTab));
    assert_eq!(state.page.focused(), Some(Target::Link(2)));
}

#[test]
fn with_the_devtools_hidden_tab_wraps_around_the_page() {
    let mut state = booted(120, 40);
    update(&mut state, ch('D'));
    assert!(!state.devtools_shown());
    for _ in 0..4 {
        update(&mut state, key(KeyCode::Tab));
    }
    assert_eq!(
        (state.focus(), state.page.focused()),
        (Pane::Page, Some(Target::Link(0)))
    );
}

#[test]
fn number_keys_and_arrows_switch_tabs_and_esc_returns_to_the_page() {
    let mut state = booted(120, 40);
    update(&mut state, ch('3'));
    assert_eq!(
        (state.focus(), state.tab()),
        (Pane::Devtools, Tab::Attacker)
    );
    update(&mut state, key(KeyCode::Right));
    assert_eq!(state.tab(), Tab::Forms);
    update(&mut state, key(KeyCode::Right));
    assert_eq!(state.tab(), Tab::Flow);
    update(&mut state, key(KeyCode::Right));
    assert_eq!(state.tab(), Tab::Cookies);
    update(&mut state, ch('['));
    assert_eq!(state.tab(), Tab::Flow);
    update(&mut state, ch('5'));
    assert_eq!(state.tab(), Tab::Flow);
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(state.focus(), Pane::Page);
}

#[test]
fn a_narrow_terminal_shows_the_focused_pane_only() {
    let mut state = booted(80, 24);
    assert!(state.page_shown() && !state.devtools_shown());
    update(&mut state, ch('2'));
    assert!(!state.page_shown() && state.devtools_shown());
    update(&mut state, ch('D'));
    assert!(state.page_shown() && !state.devtools_shown());
}

#[test]
fn paging_moves_the_focus_to_what_is_on_screen() {
    let mut state = logged_in(120, 14);
    update(&mut state, ch('j'));
    assert_eq!(state.page.focused(), Some(Target::Link(0)));
    update(&mut state, key(KeyCode::PageDown));
    assert!(state.page.scroll > 0);
    let body = crate::ui::layout(&state, state.viewport)
        .page_body
        .expect("page shown");
    let doc = crate::ui::page::document(&state, body.width);
    let line = state.page.focused().and_then(|t| doc.line_of(t));
    assert!(
        line.is_some_and(|l| l >= state.page.scroll),
        "focus left behind: {line:?}"
    );
    update(&mut state, key(KeyCode::Home));
    assert_eq!((state.page.scroll, state.page.focused()), (0, None));
}

#[test]
fn load_results_never_change_history_for_the_attacker() {
    let mut state = logged_in(120, 40);
    let before = state.history.clone();
    let effects = update(
        &mut state,
        Msg::Loaded {
            who: Who::Attacker,
            load: replay_worked(9),
        },
    );
    assert!(effects.is_empty() && victim_load(&effects).is_none());
    assert_eq!(state.history, before);
    assert_eq!(
        state.page().map(|p| p.title.as_str()),
        Some("Shopping cart · Store")
    );
    assert!(!effects.contains(&Effect::Quit));
}

#[test]
fn slash_finds_text_in_the_page_and_n_finds_the_next_match() {
    let mut state = logged_in(120, 14);
    update(&mut state, ch('/'));
    assert!(state.is_typing());
    type_text(&mut state, "QUANTITY");
    update(&mut state, key(KeyCode::Enter));
    assert!(!state.is_typing());
    let body = crate::ui::layout(&state, state.viewport)
        .page_body
        .expect("page shown");
    let doc = crate::ui::page::document(&state, body.width);
    let top = doc.lines[state.page.scroll].to_string();
    assert!(top.contains("Quantity"), "top line: {top:?}");
    let first = state.page.scroll;
    update(&mut state, ch('n'));
    assert!(state.page.scroll > first, "the field label further down");
    update(&mut state, ch('N'));
    assert_eq!(state.page.scroll, first);
    press(&mut state, [ch('/'), ctrl('u')]);
    type_text(&mut state, "no such text");
    update(&mut state, key(KeyCode::Enter));
    assert!(
        state
            .status()
            .is_some_and(|s| s.error && s.text.starts_with("Not found"))
    );
}
