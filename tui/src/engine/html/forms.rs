//! Forms: the fields a form submits (hidden ones included), its action, method and submit
//! button, and each control's label.

use super::text::{collapse, text_of};
use super::{Ctx, Parser};
use crate::engine::model::{Block, Field, FieldKind, Form, Method};
use scraper::ElementRef;
use std::collections::HashMap;
use url::Url;

impl<'a> Parser<'a> {
    pub(super) fn emit_pending_form(&mut self) {
        if let Some(form) = self.pending_form.take() {
            self.push_block(Block::Form { form });
        }
    }

    /// A form's block (placed at its first control), and the rest of its content around it.
    pub(super) fn form_block(&mut self, element: ElementRef<'a>, depth: usize, ctx: Ctx) {
        // Nested forms do not exist in parsed HTML; a pending one here comes from `embedded`.
        self.emit_pending_form();
        self.pending_form = Some(self.register_form(element));
        let ctx = Ctx {
            in_form: true,
            ..ctx
        };
        self.walk_children(element, depth, ctx);
        self.emit_pending_form();
        self.flush();
    }

    pub(super) fn register_form(&mut self, element: ElementRef<'a>) -> usize {
        let mut method = match element.attr("method") {
            Some(m) if m.trim().eq_ignore_ascii_case("post") => Method::Post,
            _ => Method::Get,
        };
        let mut action = self.form_action(element.attr("action"));
        let (mut fields, submitter) = self.fields_of(element);
        let mut submit_label = "Submit".to_owned();
        if let Some(button) = submitter {
            submit_label = submit_label_of(button);
            // The button a user clicks can redirect the form and is sent along when named.
            if let Some(formaction) = button.attr("formaction") {
                action = self.form_action(Some(formaction));
            }
            if let Some(formmethod) = button.attr("formmethod") {
                method = if formmethod.trim().eq_ignore_ascii_case("post") {
                    Method::Post
                } else {
                    Method::Get
                };
            }
            let is_image = button.attr("type").is_some_and(|t| t.trim() == "image");
            if let Some(name) = button.attr("name").filter(|n| !n.is_empty() && !is_image) {
                fields.push(Field {
                    name: name.to_owned(),
                    kind: FieldKind::Hidden,
                    value: button.attr("value").unwrap_or_default().to_owned(),
                    label: Some(submit_label.clone()),
                    options: Vec::new(),
                });
            }
        }
        self.page.forms.push(Form {
            action,
            method,
            fields,
            submit_label,
        });
        self.page.forms.len() - 1
    }

    /// `action` resolved against the base URL; absent or empty means the document's own URL.
    pub(super) fn form_action(&self, action: Option<&str>) -> Url {
        match action.map(str::trim) {
            Some(action) if !action.is_empty() => {
                self.base.join(action).unwrap_or_else(|_| self.url.clone())
            }
            _ => self.url.clone(),
        }
    }

    /// The fields a form submits, and its first submit button.
    pub(super) fn fields_of(&self, form: ElementRef<'a>) -> (Vec<Field>, Option<ElementRef<'a>>) {
        let mut fields: Vec<Field> = Vec::new();
        let mut radio_groups: HashMap<String, usize> = HashMap::new();
        let mut submitter = None;
        for &(control, owner) in &self.controls {
            if owner != Some(form) || is_disabled(control) {
                continue;
            }
            let name = control.attr("name").unwrap_or_default().to_owned();
            let value_attr = control.attr("value").unwrap_or_default().to_owned();
            let checked = control.attr("checked").is_some();
            match control.value().name() {
                "input" => match input_type(control).as_str() {
                    "submit" | "image" => {
                        submitter.get_or_insert(control);
                    }
                    // Not submitted (file uploads are not supported).
                    "reset" | "button" | "file" => {}
                    "radio" => {
                        // A radio group is a choice of one: a select, to a terminal.
                        let value = if value_attr.is_empty() {
                            "on".to_owned()
                        } else {
                            value_attr
                        };
                        let label = self.label_for(control).unwrap_or_else(|| value.clone());
                        if let Some(&index) = radio_groups.get(&name) {
                            let field = &mut fields[index];
                            field.options.push((value.clone(), label));
                            if checked {
                                field.value = value;
                            }
                        } else {
                            radio_groups.insert(name.clone(), fields.len());
                            fields.push(Field {
                                name,
                                kind: FieldKind::Select,
                                value: if checked {
                                    value.clone()
                                } else {
                                    String::new()
                                },
                                label: legend_of(control),
                                options: vec![(value, label)],
                            });
                        }
                    }
                    "checkbox" => {
                        let on = if value_attr.is_empty() {
                            "on".to_owned()
                        } else {
                            value_attr
                        };
                        fields.push(Field {
                            name,
                            kind: FieldKind::Checkbox,
                            value: if checked { on.clone() } else { String::new() },
                            label: self.label_for(control),
                            options: vec![(on.clone(), on)],
                        });
                    }
                    other => fields.push(Field {
                        name,
                        kind: match other {
                            "password" => FieldKind::Password,
                            "hidden" => FieldKind::Hidden,
                            "number" => FieldKind::Number,
                            _ => FieldKind::Text,
                        },
                        value: value_attr,
                        label: self.label_for(control),
                        options: Vec::new(),
                    }),
                },
                "select" => {
                    let options: Vec<(String, String, bool)> = control
                        .descendent_elements()
                        .filter(|o| o.value().name() == "option" && !is_disabled(*o))
                        .map(|option| {
                            let text = text_of(option);
                            let value = option
                                .attr("value")
                                .map_or_else(|| text.clone(), str::to_owned);
                            let label = option.attr("label").map_or(text, collapse);
                            (value, label, option.attr("selected").is_some())
                        })
                        .collect();
                    let value = options
                        .iter()
                        .find(|o| o.2)
                        .or_else(|| options.first())
                        .map(|o| o.0.clone())
                        .unwrap_or_default();
                    fields.push(Field {
                        name,
                        kind: FieldKind::Select,
                        value,
                        label: self.label_for(control),
                        options: options.into_iter().map(|(v, l, _)| (v, l)).collect(),
                    });
                }
                "textarea" => {
                    // Raw, not collapsed: line breaks are the user's text.
                    let value: String = control
                        .children()
                        .filter_map(|n| n.value().as_text().map(|t| t.to_string()))
                        .collect();
                    fields.push(Field {
                        name,
                        kind: FieldKind::TextArea,
                        value,
                        label: self.label_for(control),
                        options: Vec::new(),
                    });
                }
                "button" => {
                    let kind = control
                        .attr("type")
                        .unwrap_or("submit")
                        .trim()
                        .to_ascii_lowercase();
                    if kind == "submit" {
                        submitter.get_or_insert(control);
                    }
                }
                _ => {}
            }
        }
        (fields, submitter)
    }

    /// `<label for>`, else an enclosing `<label>`, else `aria-label`, `placeholder`, `title`.
    pub(super) fn label_for(&self, control: ElementRef<'a>) -> Option<String> {
        if let Some(text) = control.attr("id").and_then(|id| self.labels.get(id)) {
            return Some(text.clone());
        }
        let enclosing = control
            .ancestors()
            .filter_map(ElementRef::wrap)
            .find(|a| a.value().name() == "label")
            .map(text_of)
            .filter(|t| !t.is_empty());
        enclosing.or_else(|| {
            ["aria-label", "placeholder", "title"]
                .iter()
                .find_map(|attr| control.attr(attr))
                .map(collapse)
                .filter(|t| !t.is_empty())
        })
    }
}

/// `type=` of an input, lowercased; `text` when absent.
fn input_type(input: ElementRef<'_>) -> String {
    input
        .attr("type")
        .unwrap_or("text")
        .trim()
        .to_ascii_lowercase()
}

/// The label of a submit button.
fn submit_label_of(button: ElementRef<'_>) -> String {
    let label = if button.value().name() == "button" {
        text_of(button)
    } else if input_type(button) == "image" {
        button.attr("alt").map(collapse).unwrap_or_default()
    } else {
        button.attr("value").map(collapse).unwrap_or_default()
    };
    if label.is_empty() {
        "Submit".to_owned()
    } else {
        label
    }
}

/// The `<legend>` of the fieldset around a control (a radio group's question).
fn legend_of(control: ElementRef<'_>) -> Option<String> {
    control
        .ancestors()
        .filter_map(ElementRef::wrap)
        .find(|a| a.value().name() == "fieldset")
        .and_then(|fieldset| {
            fieldset
                .child_elements()
                .find(|c| c.value().name() == "legend")
        })
        .map(text_of)
        .filter(|t| !t.is_empty())
}

/// Disabled controls are not submitted: the attribute itself, or a disabled fieldset around.
fn is_disabled(control: ElementRef<'_>) -> bool {
    control.attr("disabled").is_some()
        || control
            .ancestors()
            .filter_map(ElementRef::wrap)
            .any(|a| a.value().name() == "fieldset" && a.attr("disabled").is_some())
}
