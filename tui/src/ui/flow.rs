//! The Flow tab: the article's scenario run from a key (`tui flow`'s runner, its own browsers),
//! where the run is, every step with its verdict, and the selected step's evidence: what was
//! observed and why it failed or was skipped.

use crate::app::State;
use crate::app::flow::Progress;
use crate::flow::{STEPS, StepReport};
use crate::ui::format::{pad_left, truncate, width};
use crate::ui::pane_lines::PaneLines;
use crate::ui::theme;
use crate::ui::wrap::{Run, wrap};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use std::time::Duration;

/// Columns before a step's evidence.
const INDENT: usize = 2;

/// The tab's lines.
pub fn lines(state: &State, w: usize) -> PaneLines {
    let mut p = PaneLines::default();
    let flow = state.flow();
    push_wrapped(
        &mut p,
        "The article's scenario, with its own browsers and jars.",
        theme::DIM,
        0,
        w,
        None,
    );
    let (text, style) = progress(&flow.progress, flow.steps.len());
    push_wrapped(&mut p, &text, style, 0, w, None);
    if flow.steps.is_empty() {
        return p;
    }
    p.push(Line::default(), None);
    p.push(Span::styled("Steps", theme::HEADING), None);
    for (i, step) in flow.steps.iter().enumerate() {
        let selected = i == flow.selected;
        let marker = if selected { "▸ " } else { "  " };
        // Marker, number, verdict label, and a space after each of the last two.
        let room = w.saturating_sub(width(marker) + 2 + 1 + 4 + 1);
        p.push(
            Line::from(vec![
                Span::styled(marker, theme::BORDER_FOCUS),
                Span::raw(pad_left(&step.number.to_string(), 2)),
                Span::raw(" "),
                Span::styled(step.verdict.label(), theme::verdict(&step.verdict)),
                Span::raw(" "),
                Span::raw(truncate(&step.title, room)),
            ])
            .style(if selected {
                theme::SELECTED
            } else {
                Style::new()
            }),
            Some(i),
        );
    }
    if let Some(step) = flow.selected() {
        p.push(Line::default(), Some(flow.selected));
        evidence(&mut p, step, flow.selected, w);
    }
    p.selected = flow.selected().map(|_| flow.selected);
    p
}

/// The progress line: `running`, `waiting N s for …`, `done: N passed, N failed, N skipped`.
fn progress(progress: &Progress, done: usize) -> (String, Style) {
    match progress {
        Progress::Idle => ("Not run yet: press f to run it.".to_owned(), theme::DIM),
        Progress::Running => (
            format!("running: {done} of {} steps done", STEPS.len()),
            theme::NOTICE,
        ),
        Progress::Waiting { why, remaining } => (
            format!("waiting {} s {why}", seconds(*remaining)),
            theme::NOTICE,
        ),
        Progress::Done {
            passed,
            failed,
            skipped,
        } => (
            format!("done: {passed} passed, {failed} failed, {skipped} skipped"),
            if *failed == 0 {
                theme::GOOD
            } else {
                theme::ERROR
            },
        ),
        Progress::Failed(why) => (format!("could not run: {why}"), theme::ERROR),
    }
}

/// Whole seconds, rounded up: a wait shows `1 s` until it is over.
fn seconds(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000) as u64
}

/// The selected step: its section and title, what was observed, and why it did not pass.
fn evidence(p: &mut PaneLines, step: &StepReport, item: usize, w: usize) {
    let head = format!("Step {} · {}", step.number, step.section.title());
    p.push(Span::styled(truncate(&head, w), theme::HEADING), Some(item));
    push_wrapped(p, &step.title, theme::TEXT, INDENT, w, Some(item));
    for fact in &step.observed {
        push_wrapped(p, &format!("· {fact}"), theme::DIM, INDENT, w, Some(item));
    }
    if let Some(reason) = step.verdict.reason() {
        let text = format!("{}: {reason}", step.verdict.label());
        push_wrapped(
            p,
            &text,
            theme::verdict(&step.verdict),
            INDENT,
            w,
            Some(item),
        );
    }
}

/// `text` wrapped to the pane, `indent` columns in; continuation lines hang two further in.
fn push_wrapped(
    p: &mut PaneLines,
    text: &str,
    style: Style,
    indent: usize,
    w: usize,
    item: Option<usize>,
) {
    for line in wrap(&[Run::new(text, style)], w.saturating_sub(indent), 2).lines {
        let mut spans = vec![Span::raw(" ".repeat(indent))];
        spans.extend(line.spans);
        p.push(Line::from(spans), item);
    }
}
