//! Quitting, help, and the key map's contract with the footer.

use crate::app::keymap::{Context, KEYMAP, hints};
use crate::app::{Effect, Overlay, update};
use crate::fixtures::*;
use crossterm::event::KeyCode;

#[test]
fn q_quits_when_not_typing() {
    let mut state = booted(120, 40);
    assert_eq!(update(&mut state, ch('q')), [Effect::Quit]);
}

#[test]
fn ctrl_c_quits_even_while_typing_or_in_help() {
    let mut state = on_login(120, 40);
    update(&mut state, key(KeyCode::Enter));
    assert!(state.is_typing());
    assert!(update(&mut state, ch('q')).is_empty(), "q is typed");
    assert_eq!(update(&mut state, ctrl('c')), [Effect::Quit]);
    let mut state = booted(120, 40);
    update(&mut state, ch('?'));
    assert_eq!(update(&mut state, ctrl('c')), [Effect::Quit]);
}

#[test]
fn help_opens_with_question_mark_scrolls_and_closes_with_esc_or_q() {
    let mut state = booted(120, 40);
    update(&mut state, ch('?'));
    assert_eq!(state.overlay(), Some(Overlay::Help { scroll: 0 }));
    update(&mut state, ch('j'));
    assert_eq!(state.overlay(), Some(Overlay::Help { scroll: 1 }));
    for _ in 0..500 {
        update(&mut state, ch('j'));
    }
    let Some(Overlay::Help { scroll }) = state.overlay() else {
        panic!("help closed");
    };
    assert!(scroll < 200, "scrolling stops at the end, got {scroll}");
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(state.overlay(), None);
    update(&mut state, ch('?'));
    assert!(
        update(&mut state, ch('q')).is_empty(),
        "q closes the help, it does not quit"
    );
    assert_eq!(state.overlay(), None);
}

#[test]
fn keys_of_other_contexts_do_nothing_in_help() {
    let mut state = logged_in(120, 40);
    update(&mut state, ch('?'));
    assert!(update(&mut state, ch('S')).is_empty());
    assert!(state.pending.is_none());
}

#[test]
fn the_footer_hints_only_keys_of_the_active_contexts() {
    let mut state = logged_in(120, 40);
    let keys = |s: &crate::app::State| hints(s).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert!(keys(&state).contains(&"q".to_owned()));
    assert!(!keys(&state).contains(&"R".to_owned()));
    update(&mut state, ch('3'));
    assert!(keys(&state).contains(&"R".to_owned()));
    update(&mut state, ch('g'));
    let typing = keys(&state);
    assert!(!typing.contains(&"q".to_owned()));
    assert!(typing.contains(&"Enter".to_owned()) && typing.contains(&"C-c".to_owned()));
}

#[test]
fn every_binding_has_help_text_and_every_context_has_bindings() {
    for b in KEYMAP {
        assert!(!b.help.is_empty() && !b.keys.is_empty(), "{b:?}");
    }
    for ctx in Context::ALL {
        assert!(
            KEYMAP.iter().any(|b| b.context == ctx),
            "{ctx:?} has no keys"
        );
    }
}
