//! Word wrapping of styled text that carries page targets (links), done here rather than by
//! `Paragraph::wrap` so the UI knows where every link fragment lands: the same positions serve
//! drawing, focus scrolling and mouse hit-testing.

use crate::app::Target;
use crate::ui::format::width;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// A piece of text with one style, maybe part of a target.
#[derive(Clone, Debug)]
pub struct Run {
    /// Text.
    pub text: String,
    /// Style.
    pub style: Style,
    /// The link it belongs to.
    pub target: Option<Target>,
}

impl Run {
    /// Text with a style.
    pub fn new(text: impl Into<String>, style: Style) -> Self {
        Self {
            text: text.into(),
            style,
            target: None,
        }
    }

    /// Text that is (part of) a target.
    pub fn target(text: impl Into<String>, style: Style, target: Target) -> Self {
        Self {
            text: text.into(),
            style,
            target: Some(target),
        }
    }
}

/// Where a target sits on a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spot {
    /// Which target.
    pub target: Target,
    /// Line index in the document.
    pub line: usize,
    /// First column (relative to the document's left edge).
    pub x: u16,
    /// Columns.
    pub width: u16,
}

/// Lines and the target spots on them.
#[derive(Clone, Debug, Default)]
pub struct Lines {
    /// The lines.
    pub lines: Vec<Line<'static>>,
    /// Targets on them (`line` is an index into `lines`).
    pub spots: Vec<Spot>,
}

impl Lines {
    /// Appends a line of runs, unwrapped.
    pub fn push(&mut self, runs: Vec<Run>) {
        let line = self.lines.len();
        let mut x = 0;
        let mut spans = Vec::new();
        for r in runs {
            let w = width(&r.text);
            if let Some(target) = r.target {
                add_spot(&mut self.spots, target, line, x, w);
            }
            x += w;
            spans.push(Span::styled(r.text, r.style));
        }
        self.lines.push(Line::from(spans));
    }

    /// Appends an empty line.
    pub fn blank(&mut self) {
        self.lines.push(Line::default());
    }

    /// Appends another set of lines, shifted right by `indent` columns.
    pub fn extend(&mut self, other: Lines, indent: usize) {
        let base = self.lines.len();
        for line in other.lines {
            let mut spans = vec![Span::raw(" ".repeat(indent))];
            spans.extend(line.spans);
            self.lines.push(Line::from(spans));
        }
        self.spots.extend(other.spots.into_iter().map(|s| Spot {
            line: s.line + base,
            x: s.x + indent as u16,
            ..s
        }));
    }
}

fn add_spot(spots: &mut Vec<Spot>, target: Target, line: usize, x: usize, w: usize) {
    // Adjacent pieces of one link on one line are one spot.
    if let Some(last) = spots.last_mut()
        && last.target == target
        && last.line == line
        && usize::from(last.x + last.width) == x
    {
        last.width += w as u16;
        return;
    }
    spots.push(Spot {
        target,
        line,
        x: x as u16,
        width: w as u16,
    });
}

/// Wraps runs at word boundaries into lines of at most `max` columns; continuation lines start
/// with `hang` spaces. Words longer than a line are split.
pub fn wrap(runs: &[Run], max: usize, hang: usize) -> Lines {
    let max = max.max(hang + 1);
    let mut out = Lines::default();
    let mut line: Vec<Run> = Vec::new();
    let mut used = 0;
    let flush = |line: &mut Vec<Run>, out: &mut Lines| {
        while line.last().is_some_and(|r| r.text.trim().is_empty()) {
            line.pop();
        }
        out.push(std::mem::take(line));
    };
    for run in runs {
        for token in tokens(&run.text) {
            let is_space = token.trim().is_empty();
            let w = width(token);
            if is_space {
                if used > 0 && used + w <= max {
                    line.push(Run {
                        text: token.to_owned(),
                        ..run.clone()
                    });
                    used += w;
                }
                continue;
            }
            let mut rest = token;
            while !rest.is_empty() {
                let room = max - used;
                let rw = width(rest);
                if rw <= room {
                    line.push(Run {
                        text: rest.to_owned(),
                        ..run.clone()
                    });
                    used += rw;
                    break;
                }
                let fresh_line = used <= hang;
                // A full line, or a word that fits on the next one: go to the next line.
                if room == 0 || (!fresh_line && rw <= max - hang) {
                    flush(&mut line, &mut out);
                    line.push(Run::new(" ".repeat(hang), Style::new()));
                    used = hang;
                    continue;
                }
                // Longer than a whole line: split it.
                let (head, tail) = split_at_width(rest, room);
                line.push(Run {
                    text: head.to_owned(),
                    ..run.clone()
                });
                flush(&mut line, &mut out);
                line.push(Run::new(" ".repeat(hang), Style::new()));
                used = hang;
                rest = tail;
            }
        }
    }
    if !line.is_empty() || out.lines.is_empty() {
        flush(&mut line, &mut out);
    }
    out
}

/// Words and the spaces between them.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace();
        if in_space.is_some_and(|s| s != space) {
            out.push(&text[start..i]);
            start = i;
        }
        in_space = Some(space);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The longest prefix that fits in `w` columns (at least one char, so wrapping progresses).
fn split_at_width(s: &str, w: usize) -> (&str, &str) {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let mut buf = [0; 4];
        let cw = width(c.encode_utf8(&mut buf));
        if used + cw > w && i > 0 {
            return s.split_at(i);
        }
        used += cw;
    }
    (s, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &Lines) -> Vec<String> {
        lines.lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn wraps_at_words_and_records_where_links_land() {
        let link = Target::Link(0);
        let runs = [
            Run::new("You are not logged in. ", Style::new()),
            Run::target("Log in", Style::new(), link),
            Run::new(" now.", Style::new()),
        ];
        let out = wrap(&runs, 14, 0);
        assert_eq!(text(&out), ["You are not", "logged in. Log", "in now."]);
        assert_eq!(
            out.spots,
            [
                Spot {
                    target: link,
                    line: 1,
                    x: 11,
                    width: 3
                },
                Spot {
                    target: link,
                    line: 2,
                    x: 0,
                    width: 2
                },
            ]
        );
    }

    #[test]
    fn a_long_word_after_a_full_line_never_overflows_it() {
        let out = wrap(&[Run::new("abcdef ghijklmnop", Style::new())], 6, 0);
        assert_eq!(text(&out), ["abcdef", "ghijkl", "mnop"]);
        assert!(out.lines.iter().all(|l| l.width() <= 6));
    }

    #[test]
    fn splits_words_longer_than_a_line_and_indents_continuations() {
        let out = wrap(&[Run::new("- abcdefghij", Style::new())], 6, 2);
        assert_eq!(text(&out), ["- abcd", "  efgh", "  ij"]);
    }
}
