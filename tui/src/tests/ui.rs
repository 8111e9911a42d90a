//! Render snapshots: the state drawn into ratatui's `TestBackend` and compared with the
//! committed `.snap` files (`cargo insta review` to accept changes). Fixtures use a fixed clock,
//! so countdowns are stable.

use crate::app::{Msg, State, update};
use crate::fixtures::*;
use crossterm::event::KeyCode;

/// The screen as text.
fn draw(state: &State) -> String {
    drawn(state).to_string()
}

#[test]
fn home_page() {
    insta::assert_snapshot!(draw(&booted(120, 40)));
}

#[test]
fn login_form_with_a_masked_password() {
    insta::assert_snapshot!(draw(&with_a_typed_login(120, 40)));
}

#[test]
fn cart() {
    insta::assert_snapshot!(draw(&after(
        logged_in(120, 40),
        std::iter::repeat_n(ch('j'), 4)
    )));
}

#[test]
fn posts() {
    let state = after(
        logged_in(120, 40),
        [
            victim_loaded(get(6, forums("/posts"), posts_page())),
            jar_msg_for_forums(),
        ],
    );
    insta::assert_snapshot!(draw(&state));
}

#[test]
fn cookie_pane() {
    insta::assert_snapshot!(draw(&after(
        logged_in(120, 40),
        [ch('1'), ch('j'), ch('j')]
    )));
}

#[test]
fn network_pane_with_a_login_redirect() {
    insta::assert_snapshot!(draw(&after(logged_in(120, 40), [ch('2'), ch('k')])));
}

#[test]
fn exchange_detail() {
    let state = after(logged_in(120, 40), [ch('2'), ch('k'), key(KeyCode::Enter)]);
    insta::assert_snapshot!(draw(&state));
}

/// A replay that worked, then a minute and a half later one answered with `second`.
fn two_replays(second: crate::engine::PageLoad) -> State {
    let mut state = with_a_stolen_cookie();
    replay_answered(&mut state, replay_worked(7));
    update(&mut state, Msg::Tick(at(95)));
    replay_answered(&mut state, second);
    state
}

#[test]
fn attacker_pane_before_and_after_logout() {
    insta::assert_snapshot!(draw(&two_replays(replay_refused(8))));
}

#[test]
fn attacker_pane_when_the_replay_of_a_rotated_id_is_detected_as_theft() {
    insta::assert_snapshot!(draw(&two_replays(replay_theft_detected(8))));
}

#[test]
fn forms_pane_shows_hidden_fields() {
    insta::assert_snapshot!(draw(&after(on_login(120, 40), [ch('4')])));
}

#[test]
fn flow_pane_after_a_run_with_a_failure_and_skips() {
    let mut state = after(logged_in(120, 40), [ch('f')]);
    finish_run(&mut state);
    // Step 7, the FAIL: its evidence and reason under the list.
    update(&mut state, key(KeyCode::Home));
    press(&mut state, std::iter::repeat_n(ch('j'), 6));
    insta::assert_snapshot!(draw(&state));
}

#[test]
fn help() {
    insta::assert_snapshot!(draw(&after(booted(120, 40), [ch('?')])));
}

#[test]
fn narrow_cart() {
    insta::assert_snapshot!(draw(&logged_in(80, 24)));
}

#[test]
fn narrow_cookie_pane() {
    insta::assert_snapshot!(draw(&after(logged_in(80, 24), [ch('1')])));
}

#[test]
fn a_tiny_terminal_says_so_instead_of_drawing() {
    let state = booted(30, 8);
    assert!(draw(&state).contains("Terminal too small"));
}

/// A page of a shape our templates do not have: alerts, inline links, lists, a headerless
/// table, a GET form with a checkbox, a link without text. Any such page renders.
fn other_page() -> crate::engine::Page {
    use crate::engine::{Block, Cell, Field, FieldKind, Form, Link, Method, Page, Table};
    let base = store("/notes");
    let link = |text: &str, href: &str| Link {
        text: text.to_owned(),
        href: href.to_owned(),
        url: base.join(href).ok(),
    };
    let field = |name: &str, kind, label: &str, options: &[(&str, &str)]| Field {
        name: name.to_owned(),
        kind,
        value: options.first().map_or(String::new(), |o| o.0.to_owned()),
        label: Some(label.to_owned()),
        options: options
            .iter()
            .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
            .collect(),
    };
    let mut exact = field("exact", FieldKind::Checkbox, "Exact match", &[("1", "")]);
    exact.value = String::new();
    let cell = |t: &str| Cell {
        text: t.to_owned(),
        ..Cell::default()
    };
    Page {
        title: "Release notes".to_owned(),
        blocks: vec![
            Block::Heading {
                level: 1,
                text: "Release notes".to_owned(),
            },
            Block::Alert {
                text: "The service is down for maintenance on Sunday.".to_owned(),
                error: false,
                id: None,
            },
            Block::Alert {
                text: "Your session expires in five minutes.".to_owned(),
                error: true,
                id: None,
            },
            Block::Paragraph {
                text: "Read the FAQ or ask on the forum before upgrading.".to_owned(),
                links: vec![0, 1],
            },
            Block::List {
                ordered: false,
                items: vec![
                    "Faster logins".to_owned(),
                    "Session cookies are SameSite=Lax by default, which stops most cross-site \
                     request forgery"
                        .to_owned(),
                ],
            },
            Block::List {
                ordered: true,
                items: vec!["Back up the jar".to_owned(), "Upgrade".to_owned()],
            },
            Block::Table(Table {
                headers: Vec::new(),
                rows: vec![
                    vec![cell("Version"), cell("2.1")],
                    vec![cell("Released"), cell("2026-01-01")],
                ],
                footer: Vec::new(),
            }),
            Block::Form { form: 0 },
            Block::Link { link: 2 },
        ],
        links: vec![
            link("FAQ", "/faq"),
            link("ask", "/posts"),
            link("", "/feed.xml"),
        ],
        forms: vec![Form {
            action: store("/search"),
            method: Method::Get,
            fields: vec![
                field("q", FieldKind::Text, "Search the notes", &[]),
                exact,
                field(
                    "sort",
                    FieldKind::Select,
                    "Sort by",
                    &[("new", "Newest"), ("old", "Oldest")],
                ),
            ],
            submit_label: "Search".to_owned(),
        }],
    }
}

/// A browser on [`other_page`].
fn on_other_page() -> State {
    after(
        booted(100, 30),
        [victim_loaded(get(2, store("/notes"), other_page()))],
    )
}

#[test]
fn a_page_of_another_shape() {
    insta::assert_snapshot!(draw(&after(on_other_page(), [ch('D')])));
}

#[test]
fn a_checkbox_toggles_to_the_value_it_sends() {
    let mut state = on_other_page();
    focus(&mut state, crate::app::Target::Field { form: 0, field: 1 });
    update(&mut state, key(KeyCode::Enter));
    assert!(draw(&state).contains("[x] Exact match"));
    let effects = update(&mut state, ch('j'));
    assert!(effects.is_empty());
    update(&mut state, ch('j'));
    let effects = update(&mut state, key(KeyCode::Enter));
    let [crate::app::Effect::Load { request, .. }] = &effects[..] else {
        panic!("expected a load, got {effects:?}");
    };
    assert_eq!(
        request.form,
        [("q", ""), ("exact", "1"), ("sort", "new")].map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
}

#[test]
fn runtime_errors_are_shown_in_red_in_the_status_line() {
    let mut state = booted(120, 40);
    update(
        &mut state,
        Msg::Error("Could not write jar.txt: permission denied".to_owned()),
    );
    assert!(state.status().is_some_and(|s| s.error));
    assert!(draw(&state).contains("Could not write jar.txt: permission denied"));
}
