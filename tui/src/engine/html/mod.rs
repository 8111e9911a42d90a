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

use super::model::{Block, Link, Page};
use scraper::{ElementRef, Html, Node};
use std::collections::HashMap;
use text::{collapse, text_of};
use url::Url;

mod forms;
mod tables;
mod text;

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

#[cfg(test)]
mod tests;
