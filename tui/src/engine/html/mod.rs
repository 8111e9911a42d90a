//! HTML → [`Page`]: what a terminal can show and act on. Parsing is `scraper` (html5ever, the
//! browsers' algorithm, so malformed HTML is repaired the way a browser repairs it); this module
//! only decides what each element becomes.
//!
//! The walk is generic, not tied to our templates: block elements (`div`, `section`, `p`, …)
//! end a run of inline text, inline and unknown elements are walked into, and a handful of
//! elements become structured blocks (headings, forms, tables, lists, alerts). Text is
//! whitespace-collapsed as a browser renders it. Forms collect every control they own — hidden
//! ones included, since submitting without them (CSRF tokens) fails.
//!
//! Deep nesting cannot overflow the stack: the recursive walk stops at [`MAX_DEPTH`] and
//! flattens what is below into text with an iterative traversal.

use super::model::{Block, Cell, Field, FieldKind, Form, Link, Method, Page, Table};
use scraper::{ElementRef, Html, Node};
use std::collections::HashMap;
use url::Url;

/// Below this many nested elements the rest of a subtree is flattened into text.
pub const MAX_DEPTH: usize = 200;

/// Parses `html`, served from `url`, into a page. Never fails: anything that parses as HTML
/// (which is anything) gives a page, possibly empty.
pub fn parse_page(html: &str, url: &Url) -> Page {
    let document = Html::parse_document(html);
    let root = document.root_element();
    let mut parser = Parser::new(root, url);
    parser.page.title = root
        .descendent_elements()
        .find(|e| e.value().name() == "title")
        .map(text_of)
        .unwrap_or_default();
    parser.walk_children(root, 0, Ctx::default());
    parser.flush();
    parser.page
}

/// Elements whose content is never shown as page text.
const HIDDEN_CONTENT: &[&str] = &[
    "head", "script", "style", "template", "noscript", "title", "meta", "link", "base", "svg",
    "math", "iframe", "object", "embed", "canvas", "audio", "video", "img", "picture", "source",
    "track", "map", "area", "param", "select", "textarea", "option", "optgroup", "datalist",
];

/// Elements that end a run of inline text (a browser lays them out as blocks).
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "search",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Form controls: they belong to a form's block, not to the text flow.
const CONTROLS: &[&str] = &["input", "select", "textarea", "button"];

/// Inside these, a list item is more than a line of text, so the list is walked as blocks.
const STRUCTURE: &[&str] = &[
    "form",
    "table",
    "ul",
    "ol",
    "menu",
    "dl",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "article",
    "section",
    "nav",
    "header",
    "footer",
    "aside",
    "blockquote",
    "input",
    "select",
    "textarea",
    "button",
];

/// Where the walk is.
#[derive(Clone, Copy, Debug, Default)]
struct Ctx {
    /// In `<header>`/`<nav>`: each link is its own block, as a menu shows it.
    standalone_links: bool,
    /// Walking a form's content: its controls and labels are the form block already.
    in_form: bool,
}

/// A run of inline content waiting for the block that ends it.
#[derive(Debug, Default)]
struct Inline {
    /// Raw text, collapsed on flush.
    text: String,
    /// Links in it.
    links: Vec<usize>,
    /// Whether any visible text came from outside a link.
    plain_text: bool,
}

impl Inline {
    fn push_text(&mut self, text: &str) {
        self.text.push_str(text);
        if !text.trim().is_empty() {
            self.plain_text = true;
        }
    }

    fn push_link(&mut self, text: &str, index: usize) {
        self.text.push_str(text);
        self.links.push(index);
    }
}

/// The walk's state: the page so far and what the document says about forms.
struct Parser<'a> {
    /// The URL the document was served from (a form without `action` posts there).
    url: Url,
    /// `<base href>`, else `url`: relative links resolve against it.
    base: Url,
    page: Page,
    inline: Inline,
    /// `<label for=id>` texts by id.
    labels: HashMap<String, String>,
    /// Every form control with its form owner, in document order.
    controls: Vec<(ElementRef<'a>, Option<ElementRef<'a>>)>,
    /// A form whose block waits for its first control, so text before the controls (a heading
    /// inside the form) comes first.
    pending_form: Option<usize>,
}

impl<'a> Parser<'a> {
    fn new(root: ElementRef<'a>, url: &Url) -> Self {
        let base = root
            .descendent_elements()
            .find(|e| e.value().name() == "base" && e.attr("href").is_some())
            .and_then(|e| url.join(e.attr("href").unwrap_or_default().trim()).ok())
            .unwrap_or_else(|| url.clone());
        let mut labels = HashMap::new();
        let mut forms_by_id = HashMap::new();
        let mut controls = Vec::new();
        for element in root.descendent_elements() {
            match element.value().name() {
                "label" => {
                    if let Some(id) = element.attr("for") {
                        let text = text_of(element);
                        if !text.is_empty() {
                            labels.entry(id.to_owned()).or_insert(text);
                        }
                    }
                }
                "form" => {
                    if let Some(id) = element.attr("id") {
                        forms_by_id.entry(id.to_owned()).or_insert(element);
                    }
                }
                name if CONTROLS.contains(&name) => controls.push(element),
                _ => {}
            }
        }
        // A control's form owner: its `form=` attribute if any, else the nearest ancestor form.
        let controls = controls
            .into_iter()
            .map(|control| {
                let owner = match control.attr("form") {
                    Some(id) => forms_by_id.get(id).copied(),
                    None => control
                        .ancestors()
                        .filter_map(ElementRef::wrap)
                        .find(|a| a.value().name() == "form"),
                };
                (control, owner)
            })
            .collect();
        Self {
            url: url.clone(),
            base,
            page: Page::default(),
            inline: Inline::default(),
            labels,
            controls,
            pending_form: None,
        }
    }

    /// Ends the current inline run: a paragraph, or link blocks when it is only links.
    fn flush(&mut self) {
        let inline = std::mem::take(&mut self.inline);
        let text = collapse(&inline.text);
        if !inline.plain_text && !inline.links.is_empty() {
            self.page
                .blocks
                .extend(inline.links.into_iter().map(|link| Block::Link { link }));
        } else if !text.is_empty() {
            self.page.blocks.push(Block::Paragraph {
                text,
                links: inline.links,
            });
        }
    }

    fn push_block(&mut self, block: Block) {
        self.flush();
        self.page.blocks.push(block);
    }

    fn walk_children(&mut self, element: ElementRef<'a>, depth: usize, ctx: Ctx) {
        for child in element.children() {
            match child.value() {
                Node::Text(text) => self.inline.push_text(text),
                Node::Element(_) => {
                    if let Some(child) = ElementRef::wrap(child) {
                        self.element(child, depth + 1, ctx);
                    }
                }
                _ => {}
            }
        }
    }

    fn element(&mut self, element: ElementRef<'a>, depth: usize, ctx: Ctx) {
        let name = element.value().name();
        if ctx.in_form && CONTROLS.contains(&name) {
            self.emit_pending_form();
            return;
        }
        if is_not_rendered(element) {
            return;
        }
        if depth > MAX_DEPTH {
            self.inline.push_text(&format!(" {} ", text_of(element)));
            return;
        }
        if let Some(error) = alert_kind(element) {
            self.flush();
            let text = text_of(element);
            if !text.is_empty() {
                let id = element.value().attr("id").map(str::to_owned);
                self.page.blocks.push(Block::Alert { text, error, id });
            }
            self.embedded(element, depth, ctx);
            return;
        }
        match name {
            "a" if element.attr("href").is_some() => {
                let index = self.register_link(element);
                if ctx.standalone_links {
                    self.push_block(Block::Link { link: index });
                } else {
                    let text = self.page.links[index].text.clone();
                    self.inline.push_link(&text, index);
                }
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush();
                let level = name[1..].parse().unwrap_or(1);
                let text = text_of(element);
                if !text.is_empty() {
                    self.page.blocks.push(Block::Heading { level, text });
                }
                // A heading has no link slot: links inside it follow it as link blocks.
                self.embedded(element, depth, ctx);
            }
            "form" => {
                self.flush();
                self.form_block(element, depth, ctx);
            }
            "table" => {
                self.flush();
                self.table(element);
            }
            "ul" | "ol" | "menu" => {
                self.flush();
                self.list(element, depth, ctx);
            }
            "br" | "hr" => self.flush(),
            // Controls outside any form submit nowhere; labels inside a form are its fields'.
            "input" | "select" | "textarea" | "button" => {}
            "label" if ctx.in_form => {}
            "header" | "nav" => {
                self.flush();
                let ctx = Ctx {
                    standalone_links: true,
                    ..ctx
                };
                self.walk_children(element, depth, ctx);
                self.flush();
            }
            _ if BLOCKS.contains(&name) => {
                self.flush();
                self.walk_children(element, depth, ctx);
                self.flush();
            }
            _ => self.walk_children(element, depth, ctx),
        }
    }

    /// Links and forms inside an element shown as one text (a heading, an alert), as blocks
    /// after it, so they stay usable.
    fn embedded(&mut self, element: ElementRef<'a>, depth: usize, ctx: Ctx) {
        let mut stack: Vec<_> = element.children().rev().collect();
        while let Some(node) = stack.pop() {
            let Some(child) = ElementRef::wrap(node) else {
                continue;
            };
            if is_not_rendered(child) {
                continue;
            }
            match child.value().name() {
                "a" if child.attr("href").is_some() => {
                    let link = self.register_link(child);
                    self.page.blocks.push(Block::Link { link });
                }
                "form" => self.form_block(child, depth, ctx),
                _ => stack.extend(child.children().rev()),
            }
        }
    }

    fn register_link(&mut self, element: ElementRef<'a>) -> usize {
        let href = element.attr("href").unwrap_or_default().to_owned();
        let mut text = text_of(element);
        if text.is_empty() {
            // An icon link: say what it is, else where it goes.
            text = element
                .attr("aria-label")
                .or_else(|| element.attr("title"))
                .or_else(|| {
                    element
                        .descendent_elements()
                        .find_map(|e| e.attr("alt").filter(|alt| !alt.trim().is_empty()))
                })
                .map(collapse)
                .unwrap_or_else(|| href.clone());
        }
        let url = self.base.join(href.trim()).ok();
        self.page.links.push(Link { text, href, url });
        self.page.links.len() - 1
    }

    fn emit_pending_form(&mut self) {
        if let Some(form) = self.pending_form.take() {
            self.push_block(Block::Form { form });
        }
    }

    /// A form's block (placed at its first control), and the rest of its content around it.
    fn form_block(&mut self, element: ElementRef<'a>, depth: usize, ctx: Ctx) {
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

    fn register_form(&mut self, element: ElementRef<'a>) -> usize {
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
    fn form_action(&self, action: Option<&str>) -> Url {
        match action.map(str::trim) {
            Some(action) if !action.is_empty() => {
                self.base.join(action).unwrap_or_else(|_| self.url.clone())
            }
            _ => self.url.clone(),
        }
    }

    /// The fields a form submits, and its first submit button.
    fn fields_of(&self, form: ElementRef<'a>) -> (Vec<Field>, Option<ElementRef<'a>>) {
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
    fn label_for(&self, control: ElementRef<'a>) -> Option<String> {
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

    fn table(&mut self, element: ElementRef<'a>) {
        let mut table = Table::default();
        let mut caption = String::new();
        for section in element.child_elements() {
            match section.value().name() {
                "caption" => caption = text_of(section),
                "thead" => {
                    for tr in rows_of(section) {
                        let cells = self.row(tr);
                        if table.headers.is_empty() {
                            table.headers = cells.into_iter().map(|c| c.text).collect();
                        }
                    }
                }
                "tfoot" => {
                    for tr in rows_of(section) {
                        let cells = self.row(tr);
                        if !cells.is_empty() {
                            table.footer.push(cells);
                        }
                    }
                }
                "tbody" => {
                    for tr in rows_of(section) {
                        self.body_row(&mut table, tr);
                    }
                }
                "tr" => self.body_row(&mut table, section),
                _ => {}
            }
        }
        if !caption.is_empty() {
            self.page.blocks.push(Block::Paragraph {
                text: caption,
                links: Vec::new(),
            });
        }
        if !(table.headers.is_empty() && table.rows.is_empty() && table.footer.is_empty()) {
            self.page.blocks.push(Block::Table(table));
        }
    }

    /// A body row; without a `<thead>`, a first row of `<th>` only is the header.
    fn body_row(&mut self, table: &mut Table, tr: ElementRef<'a>) {
        let all_th = tr
            .child_elements()
            .filter(|c| matches!(c.value().name(), "td" | "th"))
            .all(|c| c.value().name() == "th");
        let cells = self.row(tr);
        if cells.is_empty() {
            return;
        }
        if all_th && table.headers.is_empty() && table.rows.is_empty() {
            table.headers = cells.into_iter().map(|c| c.text).collect();
        } else {
            table.rows.push(cells);
        }
    }

    fn row(&mut self, tr: ElementRef<'a>) -> Vec<Cell> {
        tr.child_elements()
            .filter(|c| matches!(c.value().name(), "td" | "th"))
            .map(|cell| self.cell(cell))
            .collect()
    }

    /// A cell's text (button labels included), and the links and forms inside it.
    fn cell(&mut self, element: ElementRef<'a>) -> Cell {
        let mut cell = Cell {
            text: text_of(element),
            ..Cell::default()
        };
        for inner in element.descendent_elements().skip(1) {
            match inner.value().name() {
                "a" if inner.attr("href").is_some() => cell.links.push(self.register_link(inner)),
                "form" => cell.forms.push(self.register_form(inner)),
                _ => {}
            }
        }
        cell
    }

    /// A list of plain items is a list block; items holding links, forms, headings or
    /// sub-lists (a menu, a list of posts) are walked as blocks so nothing is lost.
    fn list(&mut self, element: ElementRef<'a>, depth: usize, ctx: Ctx) {
        let structured = element.descendent_elements().skip(1).any(|inner| {
            let name = inner.value().name();
            STRUCTURE.contains(&name)
                || (name == "a" && inner.attr("href").is_some())
                || alert_kind(inner).is_some()
        });
        if structured {
            self.walk_children(element, depth, ctx);
            self.flush();
            return;
        }
        let items: Vec<String> = element
            .child_elements()
            .filter(|li| li.value().name() == "li" && !is_not_rendered(*li))
            .map(text_of)
            .filter(|text| !text.is_empty())
            .collect();
        if !items.is_empty() {
            self.page.blocks.push(Block::List {
                ordered: element.value().name() == "ol",
                items,
            });
        }
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

fn rows_of<'a>(section: ElementRef<'a>) -> impl Iterator<Item = ElementRef<'a>> {
    section
        .child_elements()
        .filter(|c| c.value().name() == "tr")
}

/// Elements a browser does not render (or, for `img` and media, that a terminal cannot).
fn is_not_rendered(element: ElementRef<'_>) -> bool {
    let e = element.value();
    let name = e.name();
    (HIDDEN_CONTENT.contains(&name) && !CONTROLS.contains(&name))
        || e.attr("hidden").is_some()
        || (name == "dialog" && e.attr("open").is_none())
}

/// `Some(error)` for an alert: `role="alert"` or class `alert` is an error, `role="status"` or
/// class `notice` a notice. An explicit role wins over classes.
fn alert_kind(element: ElementRef<'_>) -> Option<bool> {
    let e = element.value();
    let roles = e.attr("role").unwrap_or_default();
    for role in roles.split_ascii_whitespace() {
        match role.to_ascii_lowercase().as_str() {
            "alert" => return Some(true),
            "status" => return Some(false),
            _ => {}
        }
    }
    let mut notice = false;
    for class in e.classes() {
        match class {
            "alert" => return Some(true),
            "notice" => notice = true,
            _ => {}
        }
    }
    notice.then_some(false)
}

/// The rendered text of an element: whitespace collapsed, block boundaries as spaces, button
/// labels included, hidden content and control values left out. Iterative, so any depth works.
pub fn text_of(element: ElementRef<'_>) -> String {
    let mut out = String::new();
    // `None` marks the end of a block element: a space, so "<p>a</p><p>b</p>" reads "a b".
    let mut stack: Vec<Option<_>> = element.children().rev().map(Some).collect();
    while let Some(item) = stack.pop() {
        let Some(node) = item else {
            out.push(' ');
            continue;
        };
        match node.value() {
            Node::Text(text) => out.push_str(text),
            Node::Element(e) => {
                let name = e.name();
                if HIDDEN_CONTENT.contains(&name) || e.attr("hidden").is_some() {
                    continue;
                }
                match name {
                    "br" => out.push(' '),
                    "input" => {
                        let kind = e
                            .attr("type")
                            .unwrap_or_default()
                            .trim()
                            .to_ascii_lowercase();
                        let label = match kind.as_str() {
                            "submit" => Some(e.attr("value").unwrap_or("Submit")),
                            "reset" => Some(e.attr("value").unwrap_or("Reset")),
                            "button" => e.attr("value"),
                            _ => None,
                        };
                        if let Some(label) = label {
                            out.push(' ');
                            out.push_str(label);
                            out.push(' ');
                        }
                    }
                    _ => {
                        if BLOCKS.contains(&name) {
                            out.push(' ');
                            stack.push(None);
                        }
                        stack.extend(node.children().rev().map(Some));
                    }
                }
            }
            _ => {}
        }
    }
    collapse(&out)
}

/// Whitespace runs (newlines and no-break spaces included) become one space; ends trimmed.
pub fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
