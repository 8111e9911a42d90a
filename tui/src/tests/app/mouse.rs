//! The mouse: clicks land on what was drawn there (hit-testing uses the render's layout).

use super::assert_get;
use crate::app::{Effect, Overlay, Pane, Tab, Target, update};
use crate::fixtures::*;
use crossterm::event::{KeyModifiers, MouseEvent, MouseEventKind};

#[test]
fn clicking_a_drawn_link_follows_it() {
    for (w, h) in [(120, 40), (80, 24)] {
        let mut state = booted(w, h);
        let (x, y) = find(&state, "Log in").expect("the link is drawn");
        assert_get(&click(&mut state, x + 2, y), &store("/login"));
    }
}

#[test]
fn clicking_a_field_starts_typing_into_it() {
    let mut state = on_login(120, 40);
    let (x, y) = find(&state, "Password").expect("label drawn");
    // The box is on the line under its label.
    click(&mut state, x + 1, y + 1);
    assert_eq!(
        state.page.focused(),
        Some(Target::Field { form: 0, field: 3 })
    );
    assert!(state.is_typing());
    // A click elsewhere leaves the field.
    click(&mut state, x + 30, y - 3);
    assert!(!state.is_typing());
}

#[test]
fn clicking_a_button_submits_its_form() {
    let mut state = logged_in(120, 40);
    // The button wraps in its cell: its second line is clickable too.
    let (x, y) = find(&state, "MUG-002]").expect("drawn");
    let effects = click(&mut state, x + 3, y);
    assert!(matches!(&effects[..], [Effect::Load { request, .. }]
        if request.form.contains(&("sku".to_owned(), "MUG-002".to_owned()))));
}

#[test]
fn clicking_tabs_and_rows_selects_them() {
    let mut state = logged_in(120, 40);
    let (x, y) = find(&state, "2 Network").expect("tab drawn");
    click(&mut state, x, y);
    assert_eq!((state.focus(), state.tab()), (Pane::Devtools, Tab::Network));
    let (x, y) = find(&state, "GET /").expect("row drawn");
    click(&mut state, x, y);
    assert_eq!(state.network().selected().map(|l| l.exchange.id), Some(10));
    click(&mut state, x, y);
    assert_eq!(state.overlay(), Some(Overlay::Detail { id: 10, scroll: 0 }));
    // A click outside the overlay closes it.
    click(&mut state, 0, 0);
    assert_eq!(state.overlay(), None);

    let (x, y) = find(&state, "1 Cookies").expect("tab drawn");
    click(&mut state, x, y);
    let (x, y) = find(&state, "store_session = ").expect("cookie drawn");
    click(&mut state, x, y);
    assert_eq!(
        state.jar().selected().map(|c| c.name.as_str()),
        Some("store_session")
    );
}

#[test]
fn the_address_bar_buttons_and_url_are_clickable() {
    let mut state = logged_in(120, 40);
    assert_get(&click(&mut state, 1, 0), &store("/login"));
    click(&mut state, 20, 0);
    assert!(state.is_typing());
}

#[test]
fn the_wheel_scrolls_the_page_under_it() {
    let mut state = logged_in(120, 14);
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 5,
        row: 5,
        modifiers: KeyModifiers::NONE,
    };
    let area = state.viewport;
    update(&mut state, crate::app::Msg::Mouse { event: wheel, area });
    assert_eq!(state.page.scroll, 3);
}
