//! Keys: resolved through the key map in the contexts active now, then dispatched to the
//! handler of the context that bound them; unbound printable keys are typed into an open editor.

use crate::app::keymap::{self, Action, Context};
use crate::app::state::State;
use crate::app::{Effect, browse, overlay, panes, typing};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Handles a key press.
pub fn key(state: &mut State, ev: KeyEvent) -> Vec<Effect> {
    if ev.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let contexts = keymap::active_contexts(state);
    if let Some(b) = keymap::resolve(&contexts, &ev) {
        return act(state, b.context, b.action);
    }
    if state.editing.is_some()
        && let KeyCode::Char(c) = ev.code
        && !ev
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        typing::insert(state, &c.to_string());
    }
    Vec::new()
}

/// Runs an action bound in `ctx`.
pub fn act(state: &mut State, ctx: Context, action: Action) -> Vec<Effect> {
    if action == Action::Quit {
        return vec![Effect::Quit];
    }
    match ctx {
        Context::Help => overlay::help(state, action),
        Context::Detail => overlay::detail(state, action),
        Context::Editing => typing::act(state, action),
        Context::Page => browse::page(state, action),
        Context::Cookies => panes::cookies(state, action),
        Context::Network => panes::network(state, action),
        Context::Attacker => panes::attacker(state, action),
        Context::Forms => panes::forms(state, action),
        Context::Flow => panes::flow(state, action),
        Context::Devtools | Context::Browsing | Context::Anywhere => browse::global(state, action),
    }
}
