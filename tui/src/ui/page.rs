//! The page view: the page model laid out as terminal lines (headings, text with links, forms,
//! tables, lists, alerts), with where every focusable element landed. Drawing, focus scrolling
//! and mouse hit-testing all use [`document`], so what is clicked is what was drawn.

use crate::app::{State, Target};
use crate::engine::{Block, Page, PageLoad};
use crate::ui::format::{truncate, width};
use crate::ui::layout::Areas;
use crate::ui::wrap::{Lines, Run, Spot, wrap};
use crate::ui::{page_form, page_table, theme};
use ratatui::Frame;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block as Panel;

/// Columns left of the content: the focus marker `▸` lives there.
pub const MARGIN: usize = 2;
/// Lines of a non-HTML body shown in the page view (the rest is in the network detail).
const BODY_LINES: usize = 200;

/// The page as lines.
#[derive(Clone, Debug, Default)]
pub struct Doc {
    /// Every line of the page.
    pub lines: Vec<Line<'static>>,
    /// Where the targets are (columns relative to the page body).
    pub spots: Vec<Spot>,
    /// The text cursor (line, column) while a field is edited.
    pub cursor: Option<(usize, u16)>,
}

impl Doc {
    /// The line a target starts on.
    pub fn line_of(&self, target: Target) -> Option<usize> {
        self.spots
            .iter()
            .find(|s| s.target == target)
            .map(|s| s.line)
    }

    /// The target at a position.
    pub fn target_at(&self, line: usize, x: u16) -> Option<Target> {
        self.spots
            .iter()
            .find(|s| s.line == line && (s.x..s.x + s.width).contains(&x))
            .map(|s| s.target)
    }
}

/// The first line shown, given the page's wanted scroll and the lines that fit.
pub fn scroll(state: &State, doc: &Doc, height: u16) -> usize {
    state
        .page
        .scroll
        .min(doc.lines.len().saturating_sub(usize::from(height)))
}

/// Lays the current page out for a body `width` columns wide.
pub fn document(state: &State, width: u16) -> Doc {
    let w = usize::from(width).saturating_sub(MARGIN).max(8);
    let mut out = Lines::default();
    let mut cursor = None;
    match &state.page.load {
        None => {
            let url = state
                .current_url()
                .map(ToString::to_string)
                .unwrap_or_default();
            out.extend(
                wrap(&[Run::new(format!("Loading {url}…"), theme::DIM)], w, 0),
                0,
            );
        }
        Some(PageLoad {
            page: Some(page), ..
        }) => blocks(state, page, w, &mut out, &mut cursor),
        Some(load) => no_page(load, w, &mut out),
    }
    let marker = state
        .page
        .focused()
        .and_then(|t| out.spots.iter().find(|s| s.target == t))
        .map(|s| s.line);
    let lines = out
        .lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let m = if Some(i) == marker { "▸ " } else { "  " };
            let mut spans = vec![Span::styled(m, theme::BORDER_FOCUS)];
            spans.extend(line.spans);
            Line::from(spans)
        })
        .collect();
    let margin = MARGIN as u16;
    Doc {
        lines,
        spots: out
            .spots
            .into_iter()
            .map(|s| Spot {
                x: s.x + margin,
                ..s
            })
            .collect(),
        cursor: cursor.map(|(l, x)| (l, x + margin)),
    }
}

fn blocks(
    state: &State,
    page: &Page,
    w: usize,
    out: &mut Lines,
    cursor: &mut Option<(usize, u16)>,
) {
    let focused = state.page.focused();
    let style_of = |base: Style, t: Target| {
        if focused == Some(t) {
            base.patch(theme::FOCUS)
        } else {
            base
        }
    };
    let link_run = |l: usize| {
        let text = page.links.get(l).map_or(String::new(), |link| {
            if link.text.trim().is_empty() {
                link.href.clone()
            } else {
                link.text.trim().to_owned()
            }
        });
        Run::target(
            text,
            style_of(theme::LINK, Target::Link(l)),
            Target::Link(l),
        )
    };
    let mut i = 0;
    while i < page.blocks.len() {
        if !out.lines.is_empty() {
            out.blank();
        }
        match &page.blocks[i] {
            Block::Link { .. } => {
                // A run of links (a header, a nav) reads as one line, as in a browser.
                let mut runs = Vec::new();
                while let Some(Block::Link { link }) = page.blocks.get(i) {
                    if !runs.is_empty() {
                        runs.push(Run::new("  ", theme::TEXT));
                    }
                    runs.push(link_run(*link));
                    i += 1;
                }
                out.extend(wrap(&runs, w, 0), 0);
                continue;
            }
            Block::Heading { level, text } => {
                let style = if *level == 1 {
                    theme::TITLE
                } else {
                    theme::HEADING
                };
                out.extend(wrap(&[Run::new(text.clone(), style)], w, 0), 0);
            }
            Block::Paragraph { text, links } => {
                let mut runs = Vec::new();
                let mut rest = text.as_str();
                let mut unplaced = Vec::new();
                for &l in links {
                    let Some(link) = page.links.get(l) else {
                        continue;
                    };
                    let needle = link.text.trim();
                    match rest.find(needle).filter(|_| !needle.is_empty()) {
                        Some(at) => {
                            runs.push(Run::new(&rest[..at], theme::TEXT));
                            runs.push(link_run(l));
                            rest = &rest[at + needle.len()..];
                        }
                        None => unplaced.push(l),
                    }
                }
                runs.push(Run::new(rest, theme::TEXT));
                for l in unplaced {
                    runs.push(Run::new(" ", theme::TEXT));
                    runs.push(link_run(l));
                }
                out.extend(wrap(&runs, w, 0), 0);
            }
            Block::Form { form } => page_form::lines(state, page, *form, w, out, cursor),
            Block::Table(table) => out.extend(page_table::lines(table, page, w, focused), 0),
            Block::List { ordered, items } => list_lines(*ordered, items, w, out),
            Block::Alert { text, error, .. } => {
                // The mark tells an error from a notice without color, too.
                let (style, mark) = if *error {
                    (theme::ERROR, "▌ ✗ ")
                } else {
                    (theme::NOTICE, "▌ ")
                };
                let body = wrap(
                    &[Run::new(text.clone(), style)],
                    w.saturating_sub(width(mark)),
                    0,
                );
                for line in body.lines {
                    let mut spans = vec![Span::styled(mark, style)];
                    spans.extend(line.spans);
                    out.lines.push(Line::from(spans));
                }
            }
        }
        i += 1;
    }
}

fn list_lines(ordered: bool, items: &[String], w: usize, out: &mut Lines) {
    let multi = items.iter().any(|i| i.trim().contains('\n'));
    for (n, item) in items.iter().enumerate() {
        if multi && n > 0 {
            out.blank();
        }
        let bullet = if ordered {
            format!("{}. ", n + 1)
        } else {
            "• ".to_owned()
        };
        let hang = width(&bullet);
        let mut parts = item.lines().map(str::trim).filter(|l| !l.is_empty());
        let first = parts.next().unwrap_or_default();
        let style = if multi { theme::HEADING } else { theme::TEXT };
        out.extend(
            wrap(
                &[Run::new(bullet, theme::DIM), Run::new(first, style)],
                w,
                hang,
            ),
            0,
        );
        for part in parts {
            out.extend(
                wrap(&[Run::new(part, theme::TEXT)], w.saturating_sub(hang), 0),
                hang,
            );
        }
    }
}

fn no_page(load: &PageLoad, w: usize, out: &mut Lines) {
    if let Some(err) = &load.error {
        out.push(vec![Run::new("Could not load the page", theme::ERROR)]);
        out.extend(
            wrap(&[Run::new(load.final_url.to_string(), theme::DIM)], w, 0),
            0,
        );
        out.blank();
        out.extend(wrap(&[Run::new(err.clone(), theme::TEXT)], w, 0), 0);
        return;
    }
    let Some(last) = load.exchanges.last() else {
        return;
    };
    let kind = last
        .response_headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map_or("no content type", |(_, v)| v.as_str());
    let status = last
        .status
        .map_or("no status".to_owned(), |s| s.to_string());
    out.push(vec![Run::new(
        format!("Not an HTML page: HTTP {status}, {kind}"),
        theme::DIM,
    )]);
    out.blank();
    for line in last.response_body.lines().take(BODY_LINES) {
        out.push(vec![Run::new(truncate(line, w), theme::TEXT)]);
    }
}

/// Draws the page pane.
pub fn render(state: &State, frame: &mut Frame, areas: &Areas) {
    let (Some(outer), Some(body)) = (areas.page, areas.page_body) else {
        return;
    };
    let focused = state.focus == crate::app::Pane::Page && state.overlay.is_none();
    let title = match (state.page(), &state.pending) {
        (_, Some(_)) => " Loading… ".to_owned(),
        (Some(page), None) => format!(" {} ", truncate(&page.title, usize::from(outer.width) / 2)),
        (None, None) => " Page ".to_owned(),
    };
    let block = Panel::bordered().title(title).border_style(if focused {
        theme::BORDER_FOCUS
    } else {
        theme::BORDER
    });
    frame.render_widget(block, outer);
    let doc = document(state, body.width);
    let top = scroll(state, &doc, body.height);
    super::draw_window(frame, &doc.lines, doc.cursor, top, body);
}
