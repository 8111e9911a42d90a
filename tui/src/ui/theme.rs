//! The palette: every style the UI uses, named for what it marks, so panes look alike.

use ratatui::style::{Color, Modifier, Style};

/// Plain text.
pub const TEXT: Style = Style::new();
/// Secondary text (labels, column headers, explanations).
pub const DIM: Style = Style::new().fg(Color::DarkGray);
/// A heading.
pub const HEADING: Style = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
/// A top-level heading.
pub const TITLE: Style = Style::new()
    .fg(Color::Cyan)
    .add_modifier(Modifier::BOLD)
    .add_modifier(Modifier::UNDERLINED);
/// A link.
pub const LINK: Style = Style::new()
    .fg(Color::Blue)
    .add_modifier(Modifier::UNDERLINED);
/// A form field's box.
pub const FIELD: Style = Style::new().fg(Color::White).bg(Color::DarkGray);
/// A button.
pub const BUTTON: Style = Style::new()
    .fg(Color::Black)
    .bg(Color::Gray)
    .add_modifier(Modifier::BOLD);
/// Whatever has the focus, or the selected row.
pub const FOCUS: Style = Style::new().add_modifier(Modifier::REVERSED);
/// A selected row in a list.
pub const SELECTED: Style = Style::new().bg(Color::Indexed(236));
/// An error.
pub const ERROR: Style = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
/// A notice.
pub const NOTICE: Style = Style::new().fg(Color::Blue);
/// Good news (sent, 2xx, got data).
pub const GOOD: Style = Style::new().fg(Color::Green);
/// Worth a look (redirects, warnings).
pub const WARN: Style = Style::new().fg(Color::Yellow);
/// A badge (cookie attribute).
pub const BADGE: Style = Style::new().fg(Color::Magenta);
/// The attacker's rows.
pub const ATTACKER: Style = Style::new().fg(Color::LightRed);
/// A pane border with the focus.
pub const BORDER_FOCUS: Style = Style::new().fg(Color::Cyan);
/// A pane border without it.
pub const BORDER: Style = Style::new().fg(Color::DarkGray);
/// The address bar.
pub const BAR: Style = Style::new().bg(Color::Indexed(236));
/// A key in the footer and help.
pub const KEY: Style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);

/// The style of a step's verdict: green PASS, red FAIL, yellow SKIP.
pub fn verdict(verdict: &crate::flow::Verdict) -> Style {
    match verdict {
        crate::flow::Verdict::Pass => GOOD,
        crate::flow::Verdict::Fail(_) => ERROR,
        crate::flow::Verdict::Skip(_) => WARN,
    }
}

/// The style of an HTTP status: green 2xx, cyan 3xx, yellow 4xx, red 5xx and failures.
pub fn status(code: Option<u16>) -> Style {
    match code {
        Some(200..=299) => GOOD,
        Some(300..=399) => Style::new().fg(Color::Cyan),
        Some(400..=499) => WARN,
        _ => ERROR,
    }
}
