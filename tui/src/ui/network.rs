//! The Network tab: one row per exchange, redirect hops nested under their page load with `└`,
//! the status colored, Location, cookies sent and Set-Cookie counts, time; and the server's own
//! calls (FusionAuth) from `Server-Timing` as nested `↳` rows.

use crate::app::{State, Who};
use crate::engine::{Exchange, ServerTiming};
use crate::ui::format::{millis, pad, pad_left, truncate};
use crate::ui::pane_lines::PaneLines;
use crate::ui::theme;
use ratatui::text::{Line, Span};

/// Status, Sent, Set, Time columns.
const RIGHT: [(&str, usize); 4] = [("Status", 7), ("Sent", 5), ("Set", 4), ("Time", 8)];
/// The selection marker and the attacker mark.
const MARKS: usize = 2;

/// The tab's lines.
pub fn lines(state: &State, w: usize) -> PaneLines {
    let mut p = PaneLines::default();
    let log = &state.network;
    if log.entries.is_empty() {
        p.push(Span::styled("No requests yet.", theme::DIM), None);
        return p;
    }
    let right: usize = RIGHT.iter().map(|(_, w)| w).sum();
    let left = w.saturating_sub(right + MARKS);
    let mut header = vec![Span::styled(pad("  Request", left + MARKS), theme::DIM)];
    header.extend(
        RIGHT
            .iter()
            .map(|(name, cw)| Span::styled(pad_left(name, *cw), theme::DIM)),
    );
    p.push(Line::from(header), None);
    for (i, logged) in log.entries.iter().enumerate() {
        let e = &logged.exchange;
        let selected = i == log.selected;
        let style = if selected {
            theme::SELECTED
        } else {
            Default::default()
        };
        let tree = if e.hop > 0 { "└ " } else { "" };
        let mut request = format!("{tree}{} {}", e.method.as_str(), path(e));
        if let Some(loc) = &e.location {
            request.push_str(&format!(" → {loc}"));
        } else if let Some(err) = &e.error {
            request.push_str(&format!(" ✗ {err}"));
        }
        let who = match logged.who {
            Who::Victim => (" ", theme::TEXT),
            Who::Attacker => ("A", theme::ATTACKER),
        };
        let request_style = if logged.who == Who::Attacker {
            theme::ATTACKER
        } else {
            theme::TEXT
        };
        let status = e.status.map_or("ERR".to_owned(), |s| s.to_string());
        let row = vec![
            Span::styled(if selected { "▸" } else { " " }, theme::BORDER_FOCUS),
            Span::styled(who.0, who.1),
            Span::styled(pad(&request, left), request_style),
            Span::styled(pad_left(&status, RIGHT[0].1), theme::status(e.status)),
            Span::raw(pad_left(&e.cookies_sent.len().to_string(), RIGHT[1].1)),
            Span::raw(pad_left(&e.set_cookies.len().to_string(), RIGHT[2].1)),
            Span::styled(
                pad_left(&millis(e.duration.as_secs_f64() * 1000.0), RIGHT[3].1),
                theme::DIM,
            ),
        ];
        p.push(Line::from(row).style(style), Some(i));
        for t in &e.server_timing {
            let indent = if e.hop > 0 { "    " } else { "  " };
            let text = format!("{indent}↳ {}", timing(t));
            p.push(
                Line::from(vec![
                    Span::raw(" ".repeat(MARKS)),
                    Span::styled(truncate(&text, w.saturating_sub(MARKS)), theme::NOTICE),
                ])
                .style(style),
                Some(i),
            );
        }
    }
    p.selected = Some(log.selected);
    p
}

/// The URL's path and query.
fn path(e: &Exchange) -> String {
    match e.url.query() {
        Some(q) => format!("{}?{q}", e.url.path()),
        None => e.url.path().to_owned(),
    }
}

/// `fusionauth POST /api/login 200 12.3ms`.
pub fn timing(t: &ServerTiming) -> String {
    let mut s = t.name.clone();
    if let Some(d) = &t.description {
        s.push(' ');
        s.push_str(d);
    }
    if let Some(ms) = t.duration_ms {
        s.push(' ');
        s.push_str(&millis(ms));
    }
    s
}
