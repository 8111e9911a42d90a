//! Forms: typing into fields (passwords masked), hidden fields submitted, selects, buttons.

use super::victim_load;
use crate::app::{Msg, Target, update};
use crate::engine::{FieldKind, Method};
use crate::fixtures::*;
use crossterm::event::KeyCode;

fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn a_login_page_focuses_its_first_field_as_autofocus_would() {
    let state = on_login(120, 40);
    assert_eq!(
        state.page.focused(),
        Some(Target::Field { form: 0, field: 2 })
    );
}

#[test]
fn hidden_fields_are_not_focusable() {
    let state = on_login(120, 40);
    assert_eq!(
        state.page.targets,
        [
            Target::Link(0),
            Target::Link(1),
            Target::Field { form: 0, field: 2 },
            Target::Field { form: 0, field: 3 },
            Target::Submit { form: 0 },
        ]
    );
}

#[test]
fn typing_a_login_submits_every_field_hidden_ones_included() {
    let mut state = on_login(120, 40);
    update(&mut state, key(KeyCode::Enter));
    type_text(&mut state, "alice");
    update(&mut state, key(KeyCode::Tab));
    assert!(
        state.is_typing(),
        "Tab goes on typing into the password field"
    );
    type_text(&mut state, "hunter22");
    let effects = update(&mut state, key(KeyCode::Enter));
    let request = victim_load(&effects).expect("a load");
    assert_eq!(
        (request.method, &request.url),
        (Method::Post, &store("/login"))
    );
    assert_eq!(
        request.form,
        pairs(&[
            ("csrf_token", CSRF),
            ("next", "/shopping-cart"),
            ("loginId", "alice"),
            ("password", "hunter22"),
        ])
    );
}

#[test]
fn a_typed_password_is_drawn_masked() {
    let state = with_a_typed_login(120, 40);
    assert!(find(&state, "[••••••••  ").is_some());
    assert!(find(&state, "hunter22").is_none());
    assert!(find(&state, "[alice ").is_some());
}

#[test]
fn esc_leaves_a_field_keeping_what_was_typed_and_editing_keys_work() {
    let mut state = on_login(120, 40);
    update(&mut state, key(KeyCode::Enter));
    type_text(&mut state, "alice smith");
    press(
        &mut state,
        [ctrl('w'), key(KeyCode::Backspace), key(KeyCode::Home)],
    );
    type_text(&mut state, "@");
    update(&mut state, key(KeyCode::Esc));
    assert!(!state.is_typing());
    let value = &state.page.form(0).expect("form").fields[2].value;
    assert_eq!(value, "@alice");
}

#[test]
fn pasted_text_goes_into_the_field_on_one_line() {
    let mut state = on_login(120, 40);
    press(
        &mut state,
        [
            key(KeyCode::Enter),
            Msg::Paste("alice@example.com\n".to_owned()),
        ],
    );
    assert_eq!(
        state.page.form(0).expect("form").fields[2].value,
        "alice@example.com"
    );
}

#[test]
fn selects_cycle_their_options_and_a_row_button_submits_its_own_form() {
    let mut state = logged_in(120, 40);
    focus(&mut state, Target::Field { form: 3, field: 1 });
    update(&mut state, key(KeyCode::Enter));
    let value = |s: &crate::app::State| s.page.form(3).expect("form").fields[1].value.clone();
    assert_eq!(value(&state), "MUG-002");
    update(&mut state, ch('l'));
    assert_eq!(value(&state), "TEA-001", "wraps around");
    update(&mut state, ch('h'));
    assert_eq!(value(&state), "MUG-002");

    focus(&mut state, Target::Submit { form: 1 });
    let effects = update(&mut state, key(KeyCode::Enter));
    let request = victim_load(&effects).expect("a load");
    assert_eq!(request.url, store("/shopping-cart/remove"));
    assert_eq!(
        request.form,
        pairs(&[("csrf_token", CSRF), ("sku", "TEA-001")])
    );
}

#[test]
fn the_cart_focus_order_is_header_then_rows_then_the_add_form() {
    let state = logged_in(120, 40);
    assert_eq!(
        state.page.targets,
        [
            Target::Link(0),
            Target::Link(1),
            Target::Submit { form: 0 },
            Target::Submit { form: 1 },
            Target::Submit { form: 2 },
            Target::Field { form: 3, field: 1 },
            Target::Field { form: 3, field: 2 },
            Target::Submit { form: 3 },
        ]
    );
}

#[test]
fn enter_in_a_textarea_ends_the_edit_instead_of_posting() {
    let mut state = logged_in(120, 40);
    update(
        &mut state,
        victim_loaded(get(6, forums("/posts"), posts_page())),
    );
    focus(&mut state, Target::Field { form: 1, field: 2 });
    press(
        &mut state,
        [
            key(KeyCode::Enter),
            Msg::Paste("line one\nline two".to_owned()),
        ],
    );
    assert!(update(&mut state, key(KeyCode::Enter)).is_empty());
    let field = &state.page.form(1).expect("form").fields[2];
    assert_eq!(
        (field.kind, field.value.as_str()),
        (FieldKind::TextArea, "line one\nline two")
    );
}

#[test]
fn a_new_page_drops_the_field_being_edited() {
    let mut state = on_login(120, 40);
    update(&mut state, key(KeyCode::Enter));
    assert!(state.is_typing());
    update(&mut state, victim_loaded(get(3, store("/"), home_page())));
    assert!(!state.is_typing());
}
