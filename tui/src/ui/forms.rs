//! The Forms tab: every form of the page with every field, hidden ones included (the CSRF token,
//! `next`), as it will be submitted. The page view hides hidden fields, as a browser does.

use crate::app::State;
use crate::engine::FieldKind;
use crate::ui::format::{pad, truncate, width};
use crate::ui::pane_lines::PaneLines;
use crate::ui::theme;
use ratatui::text::{Line, Span};

/// The tab's lines.
pub fn lines(state: &State, w: usize) -> PaneLines {
    let mut p = PaneLines::default();
    let forms = state
        .page()
        .map(|page| page.forms.as_slice())
        .unwrap_or_default();
    if forms.is_empty() {
        p.push(Span::styled("This page has no forms.", theme::DIM), None);
        return p;
    }
    for (i, form) in forms.iter().enumerate() {
        if i > 0 {
            p.push(Line::default(), None);
        }
        let head = format!("Form {} · [{}]", i + 1, form.submit_label);
        p.push(Span::styled(truncate(&head, w), theme::HEADING), None);
        let action = format!("  {} {}", form.method.as_str(), form.action);
        p.push(Span::styled(truncate(&action, w), theme::DIM), None);
        let name_w = form
            .fields
            .iter()
            .map(|f| width(&f.name))
            .max()
            .unwrap_or(0)
            .min(w / 3);
        for f in &form.fields {
            let kind = match f.kind {
                FieldKind::Text => "text",
                FieldKind::Password => "password",
                FieldKind::Hidden => "hidden",
                FieldKind::Number => "number",
                FieldKind::Select => "select",
                FieldKind::TextArea => "textarea",
                FieldKind::Checkbox => "checkbox",
            };
            let value = match f.kind {
                FieldKind::Password => "•".repeat(f.value.chars().count()),
                _ => f.value.replace('\n', "⏎"),
            };
            let room = w.saturating_sub(2 + name_w + 1 + 9);
            let sent = if f.name.is_empty() {
                "  (no name: not sent)"
            } else {
                ""
            };
            let kind_style = if f.kind == FieldKind::Hidden {
                theme::WARN
            } else {
                theme::DIM
            };
            p.push(
                Line::from(vec![
                    Span::raw("  "),
                    Span::styled(pad(&f.name, name_w), theme::TEXT),
                    Span::raw(" "),
                    Span::styled(pad(kind, 9), kind_style),
                    Span::styled(truncate(&format!("{value}{sent}"), room), theme::TEXT),
                ]),
                None,
            );
        }
    }
    p
}
