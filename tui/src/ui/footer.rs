//! The bottom two lines: the status line (errors in red) and the hints for the keys that work
//! now, from the key map.

use crate::app::keymap::hints;
use crate::app::{Editing, State};
use crate::ui::format::{truncate, width};
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Draws the status line.
pub fn status(state: &State, frame: &mut Frame, area: Rect) {
    // The find prompt lives here, as `/` does at the bottom of less and vim.
    if let Some(Editing::Find(e)) = &state.editing {
        let room = usize::from(area.width.saturating_sub(3));
        let chars: Vec<char> = e.text().chars().collect();
        let start = e.cursor().saturating_sub(room.saturating_sub(1));
        let shown: String = chars[start..].iter().take(room).collect();
        frame.render_widget(Paragraph::new(format!(" /{shown}")), area);
        frame.set_cursor_position(Position::new(
            area.x + 2 + (e.cursor() - start) as u16,
            area.y,
        ));
        return;
    }
    let Some(s) = state.status() else { return };
    let style = if s.error { theme::ERROR } else { theme::TEXT };
    let text = truncate(&s.text, usize::from(area.width.saturating_sub(1)));
    frame.render_widget(
        Paragraph::new(Span::styled(format!(" {text}"), style)),
        area,
    );
}

/// Draws the hints, as many as fit, most specific first; `? help` keeps its place at the right
/// end whenever it works, so the rest of the key map is always one key away.
pub fn hints_line(state: &State, frame: &mut Frame, area: Rect) {
    let mut all = hints(state);
    let help = all
        .iter()
        .position(|(key, _)| key == "?")
        .map(|i| all.remove(i));
    let item = |key: String, hint: &str| {
        [
            Span::styled(key, theme::KEY),
            Span::styled(format!(" {hint}  "), theme::DIM),
        ]
    };
    let help_w = help
        .as_ref()
        .map_or(0, |(k, h)| width(k) + 1 + width(h) + 2);
    let max = usize::from(area.width).saturating_sub(help_w);
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (key, hint) in all {
        let w = width(&key) + 1 + width(hint) + 2;
        if used + w > max {
            break;
        }
        spans.extend(item(key, hint));
        used += w;
    }
    if let Some((key, hint)) = help {
        spans.push(Span::raw(" ".repeat(max.saturating_sub(used))));
        spans.extend(item(key, hint));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
