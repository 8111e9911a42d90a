//! Drawing: the state as a screen. Everything here takes `&State` (it cannot change anything)
//! and knows no HTTP; [`layout::layout`] places the parts and is shared with mouse hit-testing.
//!
//! Address bar on top; the page on the left and the devtools (Cookies | Network | Attacker |
//! Forms | Flow) on the right; the status line and the key hints at the bottom; help and the exchange
//! detail as overlays. Below [`crate::app::WIDE`] columns the focused pane takes the width.

pub mod address;
pub mod attacker;
pub mod cookies;
pub mod detail;
pub mod devtools;
pub mod flow;
pub mod footer;
pub mod format;
pub mod forms;
pub mod geometry;
pub mod help;
pub mod layout;
pub mod network;
pub mod page;
pub mod page_form;
pub mod page_table;
pub mod pane_lines;
pub mod theme;
pub mod wrap;

use crate::app::{Overlay, State};
use ratatui::Frame;
use ratatui::widgets::Paragraph;

pub use geometry::GEOMETRY;
pub use layout::{Areas, layout};

/// Draws the whole screen.
pub fn render(state: &State, frame: &mut Frame) {
    let area = frame.area();
    let areas = layout(state, area);
    if !areas.usable {
        let msg = format!(
            "Terminal too small: {}×{}, need {}×{}",
            area.width,
            area.height,
            layout::MIN_WIDTH,
            layout::MIN_HEIGHT
        );
        frame.render_widget(Paragraph::new(msg), area);
        return;
    }
    address::render(state, frame, areas.address);
    page::render(state, frame, &areas);
    devtools::render(state, frame, &areas);
    footer::status(state, frame, areas.status);
    footer::hints_line(state, frame, areas.footer);
    if let (Some(outer), Some(body), Some(overlay)) = (areas.modal, areas.modal_body, state.overlay)
    {
        match overlay {
            Overlay::Help { scroll } => help::render(frame, outer, body, scroll),
            Overlay::Detail { id, scroll } => detail::render(state, frame, outer, body, id, scroll),
        }
    }
}

/// The frame drawn while the embedded stack starts, so the screen answers at once.
pub fn splash(frame: &mut ratatui::Frame, message: &str) {
    use ratatui::widgets::{Block, Borders, Paragraph};
    let area = frame.area();
    let text = format!("tui · {message}");
    frame.render_widget(
        Paragraph::new(text).block(Block::default().borders(Borders::ALL).title(" tui ")),
        area,
    );
}

/// Draws the lines of a scrolled pane from line `top` into `body`, and the text cursor when
/// it falls inside.
pub(crate) fn draw_window(
    frame: &mut Frame,
    lines: &[ratatui::text::Line<'static>],
    cursor: Option<(usize, u16)>,
    top: usize,
    body: ratatui::layout::Rect,
) {
    let height = usize::from(body.height);
    let shown: Vec<ratatui::text::Line> = lines.iter().skip(top).take(height).cloned().collect();
    frame.render_widget(ratatui::widgets::Paragraph::new(shown), body);
    if let Some((line, x)) = cursor
        && line >= top
        && line < top + height
    {
        let row = u16::try_from(line - top).unwrap_or(u16::MAX);
        frame.set_cursor_position(ratatui::layout::Position::new(body.x + x, body.y + row));
    }
}

/// Draws an overlay window: cleared, bordered with `title` and key `hints`, and `lines` scrolled
/// to `scroll` (kept so the last page stays full).
pub(crate) fn draw_overlay(
    frame: &mut Frame,
    (outer, body): (ratatui::layout::Rect, ratatui::layout::Rect),
    title: String,
    hints: &'static str,
    lines: &[ratatui::text::Line<'static>],
    scroll: usize,
) {
    use ratatui::text::{Line, Span};
    use ratatui::widgets::{Block, Clear};
    frame.render_widget(Clear, outer);
    let block = Block::bordered()
        .title(title)
        .title_bottom(Line::from(Span::styled(hints, theme::DIM)))
        .border_style(theme::BORDER_FOCUS);
    frame.render_widget(block, outer);
    let top = scroll.min(lines.len().saturating_sub(usize::from(body.height)));
    draw_window(frame, lines, None, top, body);
}
