//! Text as a browser renders it: whitespace collapsed, hidden content left out.

use super::{BLOCKS, HIDDEN_CONTENT};
use scraper::{ElementRef, Node};

/// The rendered text of an element: whitespace collapsed, block boundaries as spaces, button
/// labels included, hidden content and control values left out. Iterative, so any depth works.
pub(super) fn text_of(element: ElementRef<'_>) -> String {
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
pub(super) fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
