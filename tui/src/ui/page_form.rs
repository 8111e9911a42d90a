//! Forms in the page view: each visible field as its label and a box (`[alice    ]`,
//! `[••••    ]` for passwords, `[Newest ▾]` for selects, `[x]` for checkboxes) and the submit
//! button. Hidden fields are not drawn here: the Forms tab shows them.

use crate::app::{Editing, LineEditor, State, Target};
use crate::engine::{Field, FieldKind, Page};
use crate::ui::format::pad;
use crate::ui::theme;
use crate::ui::wrap::{Lines, Run};

/// The widest a form field's box gets.
const FIELD_WIDTH: usize = 40;

/// A form's visible fields (label, then the box) and its button; `cursor` gets the text
/// cursor when one of its fields is being edited.
pub fn lines(
    state: &State,
    page: &Page,
    fi: usize,
    w: usize,
    out: &mut Lines,
    cursor: &mut Option<(usize, u16)>,
) {
    let Some(form) = page.forms.get(fi) else {
        return;
    };
    let focused = state.page.focused();
    let box_w = w.saturating_sub(2).clamp(4, FIELD_WIDTH);
    for (j, field) in form.fields.iter().enumerate() {
        if field.kind == FieldKind::Hidden {
            continue;
        }
        let t = Target::Field { form: fi, field: j };
        let style = if focused == Some(t) {
            theme::FIELD.patch(theme::FOCUS)
        } else {
            theme::FIELD
        };
        let label = field.label.clone().unwrap_or_else(|| field.name.clone());
        if field.kind == FieldKind::Checkbox {
            let mark = if field.value.is_empty() { " " } else { "x" };
            out.push(vec![
                Run::target(format!("[{mark}]"), style, t),
                Run::new(format!(" {label}"), theme::TEXT),
            ]);
            continue;
        }
        out.push(vec![Run::new(label, theme::DIM)]);
        let editor = match &state.editing {
            Some(Editing::Field {
                form,
                field,
                editor,
            }) if (*form, *field) == (fi, j) => Some(editor),
            _ => None,
        };
        let (text, at) = field_text(field, editor, box_w);
        if let Some(at) = at {
            *cursor = Some((out.lines.len(), 1 + at as u16));
        }
        out.push(vec![Run::target(format!("[{text}]"), style, t)]);
    }
    let t = Target::Submit { form: fi };
    let style = if focused == Some(t) {
        theme::BUTTON.patch(theme::FOCUS)
    } else {
        theme::BUTTON
    };
    out.push(vec![Run::target(
        format!("[ {} ]", form.submit_label),
        style,
        t,
    )]);
}

/// What a field's box shows (exactly `box_w` columns), and the cursor's column in it while
/// edited. Passwords show one `•` per character typed, as browsers do.
fn field_text(field: &Field, editor: Option<&LineEditor>, box_w: usize) -> (String, Option<usize>) {
    if field.kind == FieldKind::Select {
        let label = field
            .options
            .iter()
            .find(|(v, _)| *v == field.value)
            .map_or(field.value.as_str(), |(_, l)| l.as_str());
        return (format!("{} ▾", pad(label, box_w.saturating_sub(2))), None);
    }
    let shown: Vec<char> = field
        .value
        .chars()
        .map(|c| match (field.kind, c) {
            (FieldKind::Password, _) => '•',
            (_, '\n') => '⏎',
            (_, c) => c,
        })
        .collect();
    match editor {
        Some(e) => {
            // Keep the cursor inside the box: show the window of text that ends at it.
            let at = e.cursor().min(shown.len());
            let start = at.saturating_sub(box_w - 1);
            let visible: String = shown[start..].iter().take(box_w).collect();
            (pad(&visible, box_w), Some(at - start))
        }
        None => (pad(&shown.iter().collect::<String>(), box_w), None),
    }
}
