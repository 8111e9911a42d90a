//! The victim's current page: the last load, the focusable elements in document order (links,
//! visible form fields, submit buttons), the focus and the scroll. Form fields are edited in this
//! copy of the page, so `Form::submission()` sends exactly what the user sees.

use crate::engine::{Block, FieldKind, Form, PageLoad};

/// Something on the page that takes focus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A link, by index into `Page::links`.
    Link(usize),
    /// A visible form field.
    Field {
        /// Index into `Page::forms`.
        form: usize,
        /// Index into that form's fields.
        field: usize,
    },
    /// A form's submit button.
    Submit {
        /// Index into `Page::forms`.
        form: usize,
    },
}

/// The page view's state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageView {
    /// The last load of the victim's browser (its page is edited in place by form input).
    pub load: Option<PageLoad>,
    /// Focusable elements, in document order.
    pub targets: Vec<Target>,
    /// The focused element (an index into `targets`).
    pub focus: Option<usize>,
    /// First line shown.
    pub scroll: usize,
}

impl PageView {
    /// Shows a freshly loaded page: top of the page, and on a login-like page (one with a
    /// password field) the first field of that form focused, as `autofocus` would.
    pub fn show(load: PageLoad) -> Self {
        let targets = load
            .page
            .as_ref()
            .map(|p| targets(&p.blocks, &p.forms))
            .unwrap_or_default();
        let focus = load.page.as_ref().and_then(|page| {
            let form = page
                .forms
                .iter()
                .position(|f| f.fields.iter().any(|x| x.kind == FieldKind::Password))?;
            targets
                .iter()
                .position(|t| matches!(t, Target::Field { form: f, .. } if *f == form))
        });
        Self {
            load: Some(load),
            targets,
            focus,
            scroll: 0,
        }
    }

    /// The focused element.
    pub fn focused(&self) -> Option<Target> {
        self.focus.and_then(|i| self.targets.get(i).copied())
    }

    /// A form of the page.
    pub fn form(&self, form: usize) -> Option<&Form> {
        self.load.as_ref()?.page.as_ref()?.forms.get(form)
    }

    /// A form of the page, to edit.
    pub fn form_mut(&mut self, form: usize) -> Option<&mut Form> {
        self.load.as_mut()?.page.as_mut()?.forms.get_mut(form)
    }
}

/// Whether a field is typed into (rather than cycled or toggled).
pub fn is_typed(kind: FieldKind) -> bool {
    matches!(
        kind,
        FieldKind::Text | FieldKind::Password | FieldKind::Number | FieldKind::TextArea
    )
}

/// Focusable elements in document order. Hidden fields are not: they are shown in devtools.
pub fn targets(blocks: &[Block], forms: &[Form]) -> Vec<Target> {
    let mut out = Vec::new();
    let push = |t: Target, out: &mut Vec<Target>| {
        if !out.contains(&t) {
            out.push(t);
        }
    };
    let form_targets = |form: usize, out: &mut Vec<Target>| {
        let Some(f) = forms.get(form) else { return };
        for (field, x) in f.fields.iter().enumerate() {
            if x.kind != FieldKind::Hidden {
                out.push(Target::Field { form, field });
            }
        }
        out.push(Target::Submit { form });
    };
    for block in blocks {
        match block {
            Block::Paragraph { links, .. } => {
                for &l in links {
                    push(Target::Link(l), &mut out);
                }
            }
            Block::Link { link } => push(Target::Link(*link), &mut out),
            Block::Form { form } => form_targets(*form, &mut out),
            Block::Table(table) => {
                for cell in table.rows.iter().chain(&table.footer).flatten() {
                    for &l in &cell.links {
                        push(Target::Link(l), &mut out);
                    }
                    // A form in a cell is a button (the cart's "Remove"): its fields are hidden.
                    for &f in &cell.forms {
                        push(Target::Submit { form: f }, &mut out);
                    }
                }
            }
            Block::Heading { .. } | Block::List { .. } | Block::Alert { .. } => {}
        }
    }
    out
}
