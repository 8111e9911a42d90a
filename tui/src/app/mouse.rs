//! The mouse: clicks on the buttons, the URL, tabs, the page's links, fields and buttons, and
//! list rows; the wheel scrolls what is under it. Hit-testing uses the drawn layout.

use crate::app::keymap::{Action, Context};
use crate::app::state::{Editing, Hit, Pane, State, Tab};
use crate::app::{Effect, browse, input, typing};
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

/// Lines a wheel notch scrolls the page.
const WHEEL_LINES: isize = 3;

/// Handles a mouse event (`state.viewport` is already the frame it happened in).
pub fn mouse(state: &mut State, ev: MouseEvent) -> Vec<Effect> {
    let Some(hit) = state
        .geometry
        .0
        .hit_test(state, state.viewport, ev.column, ev.row)
    else {
        return Vec::new();
    };
    match ev.kind {
        MouseEventKind::Down(MouseButton::Left) => click(state, hit),
        MouseEventKind::ScrollDown => wheel(state, hit, 1),
        MouseEventKind::ScrollUp => wheel(state, hit, -1),
        _ => Vec::new(),
    }
}

fn click(state: &mut State, hit: Hit) -> Vec<Effect> {
    // A click elsewhere leaves an open editor, as Esc would.
    let on_own_editor = hit == Hit::Address && matches!(state.editing, Some(Editing::Address(_)));
    if state.editing.is_some() && !on_own_editor {
        typing::cancel(state);
    }
    let global = |state: &mut State, a| browse::global(state, a);
    match hit {
        Hit::Back => global(state, Action::Back),
        Hit::Forward => global(state, Action::Forward),
        Hit::Reload => global(state, Action::Reload),
        Hit::Address if on_own_editor => Vec::new(),
        Hit::Address => global(state, Action::EditAddress),
        Hit::Tab(tab) => global(state, Action::ShowTab(tab)),
        Hit::Target(target) => {
            state.focus = Pane::Page;
            match state.page.targets.iter().position(|t| *t == target) {
                Some(i) => {
                    state.page.focus = Some(i);
                    browse::activate(state)
                }
                None => Vec::new(),
            }
        }
        Hit::Page => {
            state.focus = Pane::Page;
            Vec::new()
        }
        Hit::Row(item) => {
            state.focus = Pane::Devtools;
            match (state.tab, item) {
                (Tab::Cookies, Some(i)) => state.jar.selected = i,
                (Tab::Attacker, Some(i)) => state.attacker.jar.selected = i,
                (Tab::Flow, Some(i)) => state.flow.selected = i,
                // A click on the selected exchange opens it.
                (Tab::Network, Some(i)) if state.network.selected == i => {
                    return input::act(state, Context::Network, Action::OpenDetail);
                }
                (Tab::Network, Some(i)) => state.network.selected = i,
                _ => {}
            }
            Vec::new()
        }
        Hit::Modal => Vec::new(),
        Hit::OutsideModal => {
            state.overlay = None;
            Vec::new()
        }
    }
}

fn wheel(state: &mut State, hit: Hit, direction: isize) -> Vec<Effect> {
    let step = if direction > 0 {
        Action::Down
    } else {
        Action::Up
    };
    match hit {
        Hit::Page | Hit::Target(_) => browse::scroll_page(state, direction * WHEEL_LINES),
        Hit::Row(_) => {
            let ctx = match state.tab {
                Tab::Cookies => Context::Cookies,
                Tab::Network => Context::Network,
                Tab::Attacker => Context::Attacker,
                Tab::Forms => Context::Forms,
                Tab::Flow => Context::Flow,
            };
            return input::act(state, ctx, step);
        }
        Hit::Modal => {
            let ctx = match state.overlay {
                Some(crate::app::Overlay::Help { .. }) => Context::Help,
                _ => Context::Detail,
            };
            for _ in 0..WHEEL_LINES {
                input::act(state, ctx, step);
            }
        }
        _ => {}
    }
    Vec::new()
}
