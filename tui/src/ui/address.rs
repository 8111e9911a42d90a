//! The address bar: back, forward, reload buttons and the URL (or its editor).

use crate::app::Hit;
use crate::app::{Editing, State};
use crate::ui::format::{truncate, width};
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Columns of the buttons and where the URL starts.
const BACK: u16 = 1;
const FORWARD: u16 = 3;
const RELOAD: u16 = 5;
const URL: u16 = 8;

/// What column `x` of the bar is.
pub fn hit(x: u16) -> Hit {
    match x {
        BACK => Hit::Back,
        FORWARD => Hit::Forward,
        RELOAD => Hit::Reload,
        _ => Hit::Address,
    }
}

/// Draws the bar.
pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let enabled = |on: bool| if on { theme::TEXT } else { theme::DIM };
    let room = usize::from(area.width.saturating_sub(URL + 1));
    let mut spans = vec![
        Span::raw(" "),
        Span::styled("←", enabled(state.history.can_back())),
        Span::raw(" "),
        Span::styled("→", enabled(state.history.can_forward())),
        Span::raw(" "),
        Span::styled("↻", theme::TEXT),
        Span::raw("  "),
    ];
    match &state.editing {
        Some(Editing::Address(e)) => {
            let chars: Vec<char> = e.text().chars().collect();
            let start = e.cursor().saturating_sub(room.saturating_sub(1));
            let shown: String = chars[start..].iter().take(room).collect();
            spans.push(Span::styled(shown, Style::new().patch(theme::FIELD)));
            frame.set_cursor_position(Position::new(
                area.x + URL + (e.cursor() - start) as u16,
                area.y,
            ));
        }
        _ => {
            let url = state
                .current_url()
                .map(ToString::to_string)
                .unwrap_or_default();
            let loading = if state.pending.is_some() {
                "  loading…"
            } else {
                ""
            };
            let url = truncate(&url, room.saturating_sub(width(loading)));
            spans.push(Span::styled(url, theme::TEXT));
            spans.push(Span::styled(loading, theme::WARN));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme::BAR), area);
}
