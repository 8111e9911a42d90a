//! The Flow tab: `f` asks the runtime to run the scenario, its reports fill the tab, one run
//! at a time.

use crate::app::flow::Progress;
use crate::app::{Effect, FlowMsg, Msg, Pane, Tab, update};
use crate::fixtures::*;
use crate::flow::Verdict;
use crossterm::event::KeyCode;
use std::time::Duration;

fn steps_shown(state: &crate::app::State) -> Vec<u8> {
    state.flow().steps.iter().map(|s| s.number).collect()
}

#[test]
fn f_asks_the_runtime_for_a_run_and_shows_the_flow_tab() {
    let mut state = logged_in(120, 40);
    assert_eq!(update(&mut state, ch('f')), [Effect::RunFlow]);
    assert_eq!((state.focus(), state.tab()), (Pane::Devtools, Tab::Flow));
    assert_eq!(state.flow().progress, Progress::Running);
    assert!(
        state
            .status()
            .is_some_and(|s| !s.error && s.text.contains("your jar is not touched"))
    );
    assert!(find(&state, "running: 0 of 24 steps done").is_some());
}

#[test]
fn five_opens_the_flow_tab_which_says_how_to_run_it() {
    let mut state = logged_in(120, 40);
    assert!(update(&mut state, ch('5')).is_empty());
    assert_eq!((state.focus(), state.tab()), (Pane::Devtools, Tab::Flow));
    assert_eq!(state.flow().progress, Progress::Idle);
    assert!(find(&state, "Not run yet: press f to run it.").is_some());
    // From the tab, f runs it too.
    assert_eq!(update(&mut state, ch('f')), [Effect::RunFlow]);
}

#[test]
fn a_second_press_while_running_does_nothing_but_say_so() {
    let mut state = logged_in(120, 40);
    update(&mut state, ch('f'));
    update(
        &mut state,
        Msg::Flow(FlowMsg::Step(step_report(1, &[], Verdict::Pass))),
    );
    assert!(update(&mut state, ch('f')).is_empty());
    let status = state.status().expect("a status");
    assert_eq!(
        status.text,
        "The scenario is already running (1 of 24 steps done): one run at a time"
    );
    // Waiting is running too, and the page's f does the same.
    update(
        &mut state,
        Msg::Flow(FlowMsg::Waiting {
            why: "for the Store session to expire server-side".to_owned(),
            remaining: Duration::from_secs(5),
            total: Duration::from_secs(6),
        }),
    );
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(state.focus(), Pane::Page);
    assert!(update(&mut state, ch('f')).is_empty());
    assert_eq!(steps_shown(&state), [1], "the run's steps are kept");
}

#[test]
fn reports_fill_the_tab_and_the_totals_end_the_run() {
    let mut state = logged_in(120, 40);
    update(&mut state, ch('f'));
    update(
        &mut state,
        Msg::Flow(FlowMsg::Waiting {
            why: "for the Store session to expire server-side".to_owned(),
            remaining: Duration::from_millis(4100),
            total: Duration::from_secs(6),
        }),
    );
    assert!(
        find(
            &state,
            "waiting 5 s for the Store session to expire server-side"
        )
        .is_some(),
        "seconds left, rounded up"
    );
    finish_run(&mut state);
    let flow = state.flow();
    assert_eq!(steps_shown(&state), (1..=24).collect::<Vec<u8>>());
    assert_eq!(
        flow.progress,
        Progress::Done {
            passed: 20,
            failed: 1,
            skipped: 3
        }
    );
    assert!(!flow.is_running());
    // The selection followed the steps as they came in.
    assert_eq!(flow.selected().map(|s| s.number), Some(24));
    let status = state.status().expect("a status");
    assert!(status.error, "a FAIL is news");
    assert_eq!(
        status.text,
        "Flow done in 2.3 s: 20 passed, 1 failed, 3 skipped"
    );
    assert!(find(&state, "done: 20 passed, 1 failed, 3 skipped").is_some());
}

#[test]
fn the_selection_moves_with_the_list_keys_and_stays_put_while_steps_come_in() {
    let mut state = logged_in(120, 40);
    update(&mut state, ch('f'));
    for n in 1..=3 {
        update(
            &mut state,
            Msg::Flow(FlowMsg::Step(step_report(n, &[], Verdict::Pass))),
        );
    }
    press(&mut state, [key(KeyCode::Home), ch('j')]);
    assert_eq!(state.flow().selected().map(|s| s.number), Some(2));
    update(
        &mut state,
        Msg::Flow(FlowMsg::Step(step_report(4, &[], Verdict::Pass))),
    );
    assert_eq!(state.flow().selected().map(|s| s.number), Some(2));
    update(&mut state, key(KeyCode::End));
    assert_eq!(state.flow().selected().map(|s| s.number), Some(4));
    press(&mut state, [ch('k'), key(KeyCode::Up)]);
    assert_eq!(state.flow().selected().map(|s| s.number), Some(2));
}

#[test]
fn the_selected_steps_reason_is_shown_and_a_click_selects_a_step() {
    let mut state = logged_in(120, 40);
    update(&mut state, ch('f'));
    finish_run(&mut state);
    let (x, y) = find(&state, "the session expired server-side").expect("step 10 drawn");
    click(&mut state, x, y);
    assert_eq!(state.flow().selected().map(|s| s.number), Some(10));
    assert!(find(&state, "SKIP: it needs a wait of 1980.3 s").is_some());
    assert!(find(&state, "`tui flow`, or start the stack with a short").is_some());
}

#[test]
fn a_run_that_cannot_start_says_why_and_can_be_retried() {
    let mut state = logged_in(120, 40);
    update(&mut state, ch('f'));
    let why = "cannot reach the Store at http://store.localhost:8080/: connection refused";
    update(&mut state, Msg::Flow(FlowMsg::Failed(why.to_owned())));
    assert_eq!(state.flow().progress, Progress::Failed(why.to_owned()));
    assert!(
        state
            .status()
            .is_some_and(|s| s.error && s.text.contains(why))
    );
    assert!(find(&state, "could not run: cannot reach the Store").is_some());
    assert_eq!(update(&mut state, ch('f')), [Effect::RunFlow]);
}

#[test]
fn a_new_run_starts_from_an_empty_list() {
    let mut state = logged_in(120, 40);
    update(&mut state, ch('f'));
    finish_run(&mut state);
    assert_eq!(update(&mut state, ch('f')), [Effect::RunFlow]);
    assert!(state.flow().steps.is_empty());
    assert_eq!(state.flow().progress, Progress::Running);
}

#[test]
fn at_100_columns_the_tabs_close_up_so_flow_stays_in_view_and_clickable() {
    let mut state = logged_in(100, 30);
    update(&mut state, ch('5'));
    assert!(find(&state, "[5 Flow]").is_some());
    let (x, y) = find(&state, "2 Network").expect("tab drawn");
    click(&mut state, x, y);
    assert_eq!(state.tab(), Tab::Network);
    let (x, y) = find(&state, "5 Flow").expect("tab drawn");
    click(&mut state, x + 2, y);
    assert_eq!(state.tab(), Tab::Flow);
}
