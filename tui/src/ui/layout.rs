//! Where everything goes, computed from (&State, area) alone: rendering draws into these areas
//! and mouse hit-testing reads them, so a click lands on what was drawn there.

use crate::app::{Overlay, State};
use ratatui::layout::{Constraint, Layout, Rect};

/// Below this the UI only says the terminal is too small.
pub const MIN_WIDTH: u16 = 40;
/// Below this the UI only says the terminal is too small.
pub const MIN_HEIGHT: u16 = 10;

/// The screen's areas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    /// The address bar (one line).
    pub address: Rect,
    /// The page pane, border included (absent when the devtools take a narrow screen).
    pub page: Option<Rect>,
    /// Inside the page pane's border.
    pub page_body: Option<Rect>,
    /// The devtools pane, border included.
    pub devtools: Option<Rect>,
    /// The tab row.
    pub tabs: Option<Rect>,
    /// Below the tab row.
    pub devtools_body: Option<Rect>,
    /// The status line.
    pub status: Rect,
    /// The key hints.
    pub footer: Rect,
    /// The overlay (help or exchange detail), border included.
    pub modal: Option<Rect>,
    /// Inside the overlay's border.
    pub modal_body: Option<Rect>,
    /// False when the terminal is too small to draw anything useful.
    pub usable: bool,
}

/// Lays the screen out.
pub fn layout(state: &State, area: Rect) -> Areas {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return Areas::default();
    }
    let [address, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    // From the area drawn into, not the last size reported: drawing and hit-testing agree even
    // before the runtime's first `Resize`.
    let (page_shown, devtools_shown) = state.panes_for(area.width);
    let (page, devtools) = match (page_shown, devtools_shown) {
        (true, true) => {
            let [p, d] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(body);
            (Some(p), Some(d))
        }
        (false, true) => (None, Some(body)),
        _ => (Some(body), None),
    };
    let inner = |r: Rect| Rect {
        x: r.x + 1,
        y: r.y + 1,
        width: r.width.saturating_sub(2),
        height: r.height.saturating_sub(2),
    };
    let tabs = devtools.map(|d| Rect {
        height: 1,
        ..inner(d)
    });
    // Below the tab row, one column in from the border, as the page's margin is.
    let devtools_body = devtools.map(|d| {
        let i = inner(d);
        Rect {
            x: i.x + 1,
            y: i.y + 1,
            width: i.width.saturating_sub(1),
            height: i.height.saturating_sub(1),
        }
    });
    let modal = state.overlay.map(|o| match o {
        Overlay::Help { .. } => {
            let w = area.width.saturating_sub(4).min(96);
            let h = area.height.saturating_sub(2);
            Rect::new(area.x + (area.width - w) / 2, area.y + 1, w, h)
        }
        // The raw exchange wants every column: it covers page and devtools.
        Overlay::Detail { .. } => body,
    });
    Areas {
        address,
        page,
        page_body: page.map(inner),
        devtools,
        tabs,
        devtools_body,
        status,
        footer,
        modal,
        // One column of air inside the overlay's border: its text is read, not scanned.
        modal_body: modal.map(|m| {
            let i = inner(m);
            Rect {
                x: i.x + 1,
                width: i.width.saturating_sub(2),
                ..i
            }
        }),
        usable: true,
    }
}
