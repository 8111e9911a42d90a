//! The UI's answers to what the app must know of the drawn screen: the page as laid out, the
//! lengths of the overlay and the Forms tab, and what is under the mouse, all computed by the
//! same code that draws them.

use crate::app::{Extent, Geometry, Hit, Overlay, PageLayout, State};
use crate::ui::{address, detail, devtools, help, layout, page};
use ratatui::layout::{Position, Rect};

/// The screen as this UI lays it out: what [`State::new`] takes to size scrolls and read clicks.
pub static GEOMETRY: Drawn = Drawn;

/// The geometry of what [`render`](crate::ui::render) draws.
#[derive(Clone, Copy, Debug)]
pub struct Drawn;

impl Geometry for Drawn {
    /// When the page is not on screen (a narrow terminal showing the devtools): the page at the
    /// width it would have.
    fn page(&self, state: &State) -> PageLayout {
        let areas = layout::layout(state, state.viewport);
        let body = areas.page_body.unwrap_or(Rect {
            width: state.viewport.width.saturating_sub(2),
            height: state.viewport.height.saturating_sub(5),
            ..state.viewport
        });
        let doc = page::document(state, body.width);
        PageLayout {
            lines: doc.lines.iter().map(ToString::to_string).collect(),
            targets: doc.spots.iter().map(|s| (s.target, s.line)).collect(),
            height: usize::from(body.height.max(1)),
        }
    }

    fn overlay(&self, state: &State) -> Extent {
        let areas = layout::layout(state, state.viewport);
        let Some(body) = areas.modal_body else {
            return Extent {
                lines: 0,
                height: 1,
            };
        };
        let w = usize::from(body.width);
        let lines = match state.overlay {
            Some(Overlay::Help { .. }) => help::lines(w).len(),
            Some(Overlay::Detail { id, .. }) => detail::lines(state, id, w).len(),
            None => 0,
        };
        Extent {
            lines,
            height: usize::from(body.height.max(1)),
        }
    }

    /// When the devtools are not on screen: the whole viewport.
    fn forms(&self, state: &State) -> Extent {
        let areas = layout::layout(state, state.viewport);
        let (width, height) = areas
            .devtools_body
            .map_or((state.viewport.width, state.viewport.height), |b| {
                (b.width, b.height)
            });
        Extent {
            lines: devtools::pane_lines(state, width).lines.len(),
            height: usize::from(height),
        }
    }

    fn hit_test(&self, state: &State, area: Rect, column: u16, row: u16) -> Option<Hit> {
        hit_test(state, area, column, row)
    }
}

/// What is at (`column`, `row`) when the frame is `area`.
fn hit_test(state: &State, area: Rect, column: u16, row: u16) -> Option<Hit> {
    let a = layout::layout(state, area);
    if !a.usable {
        return None;
    }
    let at = Position::new(column, row);
    if let Some(m) = a.modal {
        return Some(if m.contains(at) {
            Hit::Modal
        } else {
            Hit::OutsideModal
        });
    }
    if a.address.contains(at) {
        return Some(address::hit(column - a.address.x));
    }
    if let Some(t) = a.tabs.filter(|t| t.contains(at)) {
        return devtools::tab_at(t, column, state.tab)
            .map(Hit::Tab)
            .or(Some(Hit::Row(None)));
    }
    if let Some(b) = a.devtools_body.filter(|b| b.contains(at)) {
        return Some(Hit::Row(devtools::item_at(state, b, row - b.y)));
    }
    if a.devtools.is_some_and(|d| d.contains(at)) {
        return Some(Hit::Row(None));
    }
    if let Some(b) = a.page_body.filter(|b| b.contains(at)) {
        let doc = page::document(state, b.width);
        let line = page::scroll(state, &doc, b.height) + usize::from(row - b.y);
        return Some(
            doc.target_at(line, column - b.x)
                .map_or(Hit::Page, Hit::Target),
        );
    }
    if a.page.is_some_and(|p| p.contains(at)) {
        return Some(Hit::Page);
    }
    None
}
