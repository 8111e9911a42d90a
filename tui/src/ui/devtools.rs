//! The devtools pane: its tab row and the current tab's lines. Every tab is a list of lines with
//! the item each line shows (a cookie, an exchange), which is what selection scrolling and
//! mouse clicks go by.

use crate::app::{Pane, State, Tab};
use crate::ui::layout::Areas;
use crate::ui::pane_lines::PaneLines;
use crate::ui::{attacker, cookies, flow, forms, network, theme};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// The current tab's lines for a body `width` columns wide.
pub fn pane_lines(state: &State, width: u16) -> PaneLines {
    let w = usize::from(width);
    match state.tab {
        Tab::Cookies => cookies::lines(state, w),
        Tab::Network => network::lines(state, w),
        Tab::Attacker => attacker::lines(state, w),
        Tab::Forms => forms::lines(state, w),
        Tab::Flow => flow::lines(state, w),
    }
}

/// The first line shown: lists scroll just enough to show their selection (so clicks and
/// drawing agree without remembering an offset); the Forms tab scrolls freely.
pub fn offset(state: &State, pane: &PaneLines, height: u16) -> usize {
    let h = usize::from(height);
    let max = pane.lines.len().saturating_sub(h);
    match pane.selected_range() {
        Some((first, end)) if end > h => (end - h).min(first).min(max),
        Some(_) => 0,
        None if state.tab == Tab::Forms => state.forms_scroll.min(max),
        None => 0,
    }
}

/// The item on row `row` of the devtools body.
pub fn item_at(state: &State, body: Rect, row: u16) -> Option<usize> {
    let pane = pane_lines(state, body.width);
    let line = offset(state, &pane, body.height) + usize::from(row);
    pane.items.get(line).copied().flatten()
}

/// Tab titles and their columns, from the tab row's left edge: ` 1 Cookies ` a column apart,
/// the current one in brackets. When that is wider than the row (half of a 100-column
/// terminal), `1 Cookies` a space apart, so every tab, the current one above all, stays in view.
fn tab_labels(current: Tab, row_width: u16) -> Vec<(Tab, String, u16)> {
    let labels = |spaced: bool| {
        let mut x = 1;
        Tab::ALL
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let label = match (t == current, spaced) {
                    (true, _) => format!("[{} {}]", i + 1, t.title()),
                    (false, true) => format!(" {} {} ", i + 1, t.title()),
                    (false, false) => format!("{} {}", i + 1, t.title()),
                };
                let at = x;
                x += label.chars().count() as u16 + 1;
                (t, label, at)
            })
            .collect::<Vec<_>>()
    };
    let spaced = labels(true);
    let end = spaced
        .last()
        .map_or(0, |(_, label, x)| x + label.chars().count() as u16);
    if end <= row_width {
        spaced
    } else {
        labels(false)
    }
}

/// The tab whose title is at `column` of the tab `row` when `current` is shown.
pub fn tab_at(row: Rect, column: u16, current: Tab) -> Option<Tab> {
    tab_labels(current, row.width)
        .into_iter()
        .find(|(_, label, x)| {
            let start = row.x + x;
            (start..start + label.chars().count() as u16).contains(&column)
        })
        .map(|(t, _, _)| t)
}

/// Draws the devtools pane.
pub fn render(state: &State, frame: &mut Frame, areas: &Areas) {
    let (Some(outer), Some(tabs), Some(body)) = (areas.devtools, areas.tabs, areas.devtools_body)
    else {
        return;
    };
    let focused = state.focus == Pane::Devtools && state.overlay.is_none();
    let block = Block::bordered()
        .title(" Devtools ")
        .border_style(if focused {
            theme::BORDER_FOCUS
        } else {
            theme::BORDER
        });
    frame.render_widget(block, outer);

    let mut spans = Vec::new();
    let mut used = 0;
    for (t, label, x) in tab_labels(state.tab, tabs.width) {
        spans.push(Span::raw(" ".repeat(usize::from(x - used))));
        used = x + label.chars().count() as u16;
        let style = if t == state.tab {
            theme::HEADING.patch(theme::FOCUS)
        } else {
            theme::DIM
        };
        spans.push(Span::styled(label, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), tabs);

    let pane = pane_lines(state, body.width);
    let top = offset(state, &pane, body.height);
    super::draw_window(frame, &pane.lines, pane.cursor, top, body);
}
