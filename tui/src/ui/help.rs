//! The `?` overlay: the key map, by context, straight from the table the keys are resolved
//! with.

use crate::app::keymap::{Context, KEYMAP};
use crate::ui::format::pad;
use crate::ui::theme;
use crate::ui::wrap::{Run, wrap};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

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
    frame.render_widget(Clear, outer);
    let block = Block::bordered()
        .title(" Keys ")
        .title_bottom(Line::from(Span::styled(
            " Esc close · j/k scroll ",
            theme::DIM,
        )))
        .border_style(theme::BORDER_FOCUS);
    frame.render_widget(block, outer);
    let all = lines(usize::from(body.width));
    let top = scroll.min(all.len().saturating_sub(usize::from(body.height)));
    let shown: Vec<Line> = all
        .into_iter()
        .skip(top)
        .take(usize::from(body.height))
        .collect();
    frame.render_widget(Paragraph::new(shown), body);
}
