//! A devtools tab's content: lines, and the item (a cookie, an exchange) each line shows, which
//! is what selection scrolling and mouse clicks go by.

use ratatui::text::Line;

/// A tab's content.
#[derive(Clone, Debug, Default)]
pub struct PaneLines {
    /// The lines.
    pub lines: Vec<Line<'static>>,
    /// For each line, the item (cookie, exchange, …) it belongs to.
    pub items: Vec<Option<usize>>,
    /// The selected item, kept in view.
    pub selected: Option<usize>,
    /// The text cursor (line, column) while something is edited here.
    pub cursor: Option<(usize, u16)>,
}

impl PaneLines {
    /// Appends a line belonging to `item`.
    pub fn push(&mut self, line: impl Into<Line<'static>>, item: Option<usize>) {
        self.lines.push(line.into());
        self.items.push(item);
    }

    /// Lines of the selected item.
    pub(super) fn selected_range(&self) -> Option<(usize, usize)> {
        let sel = self.selected?;
        let first = self.items.iter().position(|i| *i == Some(sel))?;
        let last = self.items.iter().rposition(|i| *i == Some(sel))?;
        Some((first, last + 1))
    }
}
