//! Tables of the page (the cart): columns sized to their content and squeezed to fit by
//! wrapping cells onto more lines (as a browser does), numbers right-aligned, buttons and links
//! in cells focusable.

use crate::app::Target;
use crate::engine::{Cell, Page, Table};
use crate::ui::format::width;
use crate::ui::theme;
use crate::ui::wrap::{Lines, Run, wrap};
use ratatui::style::Style;

/// Columns between cells.
const GAP: usize = 2;
/// No column is squeezed below this.
const MIN_COLUMN: usize = 3;

struct Content {
    text: String,
    style: Style,
    target: Option<Target>,
    right: bool,
}

type Row = Vec<Option<Content>>;

/// The table as lines: header, rule, rows, rule, footer.
pub fn lines(table: &Table, page: &Page, max: usize, focused: Option<Target>) -> Lines {
    let columns = std::iter::once(table.headers.len())
        .chain(table.rows.iter().map(Vec::len))
        .chain(table.footer.iter().map(Vec::len))
        .max()
        .unwrap_or(0);
    let mut out = Lines::default();
    if columns == 0 {
        return out;
    }
    let body: Vec<Row> = table
        .rows
        .iter()
        .map(|r| place(r, columns, false, page, focused))
        .collect();
    let footer: Vec<Row> = table
        .footer
        .iter()
        .map(|r| place(r, columns, true, page, focused))
        .collect();
    // A column of numbers has its header on the right too.
    let numeric: Vec<bool> = (0..columns)
        .map(|i| {
            let mut cells = body.iter().filter_map(|r| r[i].as_ref()).peekable();
            cells.peek().is_some() && cells.all(|c| c.right || c.text.is_empty())
        })
        .collect();
    let header: Row = (0..columns)
        .map(|i| {
            table.headers.get(i).map(|h| Content {
                text: h.clone(),
                style: theme::HEADING,
                target: None,
                right: numeric[i],
            })
        })
        .collect();
    let has_header = table.headers.iter().any(|h| !h.is_empty());
    let shown: Vec<&Row> = body
        .iter()
        .chain(&footer)
        .chain(has_header.then_some(&header))
        .collect();
    let measure = |f: fn(&str) -> usize| -> Vec<usize> {
        (0..columns)
            .map(|i| {
                shown
                    .iter()
                    .filter_map(|r| r[i].as_ref())
                    .map(|c| f(&c.text))
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    };
    let mut widths = measure(width);
    let longest_words = measure(|s| s.split_whitespace().map(width).max().unwrap_or(0));
    fit(&mut widths, &longest_words, max);
    let total = widths.iter().sum::<usize>() + GAP * (columns - 1);

    let rule = || vec![Run::new("─".repeat(total.min(max)), theme::DIM)];
    if has_header {
        push_row(&mut out, &header, &widths);
        out.push(rule());
    }
    for row in &body {
        push_row(&mut out, row, &widths);
    }
    if !footer.is_empty() {
        out.push(rule());
        for row in &footer {
            push_row(&mut out, row, &widths);
        }
    }
    out
}

/// The cells of a row in their columns. A short footer row lost its `colspan`s in the model:
/// its first cell labels the row and the rest belong under the last columns (the cart's
/// "Total … $43.00").
fn place(row: &[Cell], columns: usize, footer: bool, page: &Page, focused: Option<Target>) -> Row {
    let mut out: Row = (0..columns).map(|_| None).collect();
    let content = |c: &Cell| cell(c, footer, page, focused);
    if footer && !row.is_empty() && row.len() < columns {
        out[0] = Some(content(&row[0]));
        let start = columns - (row.len() - 1);
        for (k, c) in row[1..].iter().enumerate() {
            out[start + k] = Some(content(c));
        }
    } else {
        for (slot, c) in out.iter_mut().zip(row) {
            *slot = Some(content(c));
        }
    }
    out
}

fn cell(c: &Cell, footer: bool, page: &Page, focused: Option<Target>) -> Content {
    let targets: Vec<Target> = c
        .links
        .iter()
        .map(|&l| Target::Link(l))
        .chain(c.forms.iter().map(|&form| Target::Submit { form }))
        .collect();
    let is_focused = targets.iter().any(|t| Some(*t) == focused);
    let (text, style) = if let Some(&form) = c.forms.first() {
        let label = if c.text.trim().is_empty() {
            page.forms
                .get(form)
                .map_or("Submit".to_owned(), |f| f.submit_label.clone())
        } else {
            c.text.trim().to_owned()
        };
        (format!("[{label}]"), theme::BUTTON)
    } else if !c.links.is_empty() {
        (c.text.trim().to_owned(), theme::LINK)
    } else if footer {
        (c.text.trim().to_owned(), theme::HEADING)
    } else {
        (c.text.trim().to_owned(), theme::TEXT)
    };
    Content {
        right: is_number(&text),
        style: if is_focused {
            style.patch(theme::FOCUS)
        } else {
            style
        },
        target: targets.first().copied(),
        text,
    }
}

/// Prices, quantities and totals line up on the right, as the templates' `.num` cells do.
fn is_number(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || " .,$€£+-%".contains(c))
}

/// Narrows columns until the row fits: first down to their longest word (cells wrap), then,
/// if it must, further (words are split).
fn fit(widths: &mut [usize], words: &[usize], max: usize) {
    let gaps = GAP * widths.len().saturating_sub(1);
    for floor in [words, &vec![MIN_COLUMN; widths.len()][..]] {
        while widths.iter().sum::<usize>() + gaps > max {
            let widest = widths
                .iter()
                .enumerate()
                .filter(|&(i, &w)| w > floor[i].max(MIN_COLUMN))
                .max_by_key(|&(_, &w)| w)
                .map(|(i, _)| i);
            match widest {
                Some(i) => widths[i] -= 1,
                None => break,
            }
        }
    }
}

/// A row, its cells wrapped to their columns: as many lines as its tallest cell.
fn push_row(out: &mut Lines, row: &[Option<Content>], widths: &[usize]) {
    let wrapped: Vec<Vec<String>> = row
        .iter()
        .zip(widths)
        .map(|(c, &w)| match c {
            Some(c) if !c.text.is_empty() => wrap(&[Run::new(c.text.clone(), c.style)], w, 0)
                .lines
                .iter()
                .map(|l| l.to_string())
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let height = wrapped.iter().map(Vec::len).max().unwrap_or(0).max(1);
    for k in 0..height {
        let mut runs = Vec::new();
        for (i, (c, &w)) in row.iter().zip(widths).enumerate() {
            if i > 0 {
                runs.push(Run::new(" ".repeat(GAP), theme::TEXT));
            }
            let piece = wrapped[i].get(k).map_or("", String::as_str);
            let fill = Run::new(" ".repeat(w.saturating_sub(width(piece))), theme::TEXT);
            let Some(c) = c.as_ref().filter(|_| !piece.is_empty()) else {
                runs.push(fill);
                continue;
            };
            let content = Run {
                text: piece.to_owned(),
                style: c.style,
                target: c.target,
            };
            if c.right {
                runs.extend([fill, content]);
            } else {
                runs.extend([content, fill]);
            }
        }
        // Trailing blanks only widen the line.
        while runs.last().is_some_and(|r| r.text.trim().is_empty()) {
            runs.pop();
        }
        out.push(runs);
    }
}
