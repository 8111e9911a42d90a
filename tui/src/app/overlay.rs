//! The overlays' keys: closing, scrolling (clamped to what there is to show), and copying an
//! exchange as curl from its detail.

use crate::app::Effect;
use crate::app::keymap::Action;
use crate::app::state::{Overlay, State};

/// Lines in the overlay and lines that fit.
fn extent(state: &State) -> (usize, usize) {
    let extent = state.geometry.0.overlay(state);
    (extent.lines, extent.height)
}

/// The new scroll for an action, or `None` when it does not scroll.
fn scrolled(state: &State, scroll: usize, action: Action) -> Option<usize> {
    let (total, height) = extent(state);
    let max = total.saturating_sub(height);
    let page = height.saturating_sub(1).max(1);
    let next = match action {
        Action::Down => scroll + 1,
        Action::Up => scroll.saturating_sub(1),
        Action::PageDown => scroll + page,
        Action::PageUp => scroll.saturating_sub(page),
        Action::Top => 0,
        Action::Bottom => max,
        _ => return None,
    };
    Some(next.min(max))
}

/// Actions of the Help context.
pub fn help(state: &mut State, action: Action) -> Vec<Effect> {
    let Some(Overlay::Help { scroll }) = state.overlay else {
        return Vec::new();
    };
    if action == Action::Close {
        state.overlay = None;
    } else if let Some(scroll) = scrolled(state, scroll, action) {
        state.overlay = Some(Overlay::Help { scroll });
    }
    Vec::new()
}

/// Actions of the Detail context.
pub fn detail(state: &mut State, action: Action) -> Vec<Effect> {
    let Some(Overlay::Detail { id, scroll }) = state.overlay else {
        return Vec::new();
    };
    match action {
        Action::Close => state.overlay = None,
        Action::CopyCurl => return vec![Effect::CurlFor(id)],
        _ => {
            if let Some(scroll) = scrolled(state, scroll, action) {
                state.overlay = Some(Overlay::Detail { id, scroll });
            }
        }
    }
    Vec::new()
}
