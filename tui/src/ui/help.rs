//! The `?` overlay: the key map, by context, straight from the table the keys are resolved
//! with.

use crate::app::keymap::{Context, KEYMAP};
use crate::ui::format::pad;
use crate::ui::theme;
use crate::ui::wrap::{Run, wrap};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// Width of the keys column.
const KEYS: usize = 18;

/// The help's lines.
pub fn lines(w: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let room = w.saturating_sub(KEYS + 3);
    for ctx in Context::ALL {
        if !out.is_empty() {
            out.push(Line::default());
        }
        out.push(Line::styled(format!(" {}", ctx.title()), theme::HEADING));
        for b in KEYMAP.iter().filter(|b| b.context == ctx) {
            let help = wrap(&[Run::new(b.help, theme::TEXT)], room, 0);
            for (i, line) in help.lines.into_iter().enumerate() {
                let keys = if i == 0 {
                    b.keys_label()
                } else {
                    String::new()
                };
                let mut spans = vec![Span::raw("   "), Span::styled(pad(&keys, KEYS), theme::KEY)];
                spans.extend(line.spans);
                out.push(Line::from(spans));
            }
        }
    }
    out
}

/// Draws the overlay.
pub fn render(frame: &mut Frame, outer: Rect, body: Rect, scroll: usize) {
    let lines = lines(usize::from(body.width));
    let hints = " Esc close · j/k scroll ";
    super::draw_overlay(
        frame,
        (outer, body),
        " Keys ".to_owned(),
        hints,
        &lines,
        scroll,
    );
}
