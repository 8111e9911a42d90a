//! The Attacker tab: the attacker's own jar (what was stolen) and every replay with what it
//! proved, newest first, so "worked before logout, refused after" (or "worked, then the theft
//! was detected after a rotation") reads top to bottom.

use crate::app::{Outcome, Replay, ReplayVerdict, State};
use crate::ui::cookies::{badge_lines, badges, value_span};
use crate::ui::format::{clock, truncate, width};
use crate::ui::pane_lines::PaneLines;
use crate::ui::theme;
use crate::ui::wrap::{Run, wrap};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Columns before a replay's detail lines.
const INDENT: usize = 5;

/// The tab's lines.
pub fn lines(state: &State, w: usize) -> PaneLines {
    let mut p = PaneLines::default();
    let a = &state.attacker;
    p.push(
        Span::styled(
            truncate("A separate client: its own jar and User-Agent.", w),
            theme::DIM,
        ),
        None,
    );
    p.push(Line::default(), None);
    p.push(Span::styled("Stolen cookies", theme::HEADING), None);
    if a.jar.cookies.is_empty() {
        p.push(
            Span::styled(
                truncate("  Nothing yet: in Cookies (1) select one and press s.", w),
                theme::DIM,
            ),
            None,
        );
    }
    for (i, c) in a.jar.cookies.iter().enumerate() {
        let selected = i == a.jar.selected;
        let style = if selected {
            theme::SELECTED
        } else {
            Style::new()
        };
        let marker = if selected { "  ▸ " } else { "    " };
        let name = truncate(&c.name, w.saturating_sub(8));
        let room = w.saturating_sub(width(marker) + width(&name) + 3);
        p.push(
            Line::from(vec![
                Span::styled(marker, theme::BORDER_FOCUS),
                Span::styled(name, theme::HEADING),
                Span::raw(" = "),
                value_span(c, state.revealed.contains(c), room),
            ])
            .style(style),
            Some(i),
        );
        let scope = format!("      {}, Path {}", c.domain, c.path);
        p.push(
            Line::styled(truncate(&scope, w), theme::DIM).style(style),
            Some(i),
        );
        for line in badge_lines(&badges(c, state.now), w, 6) {
            p.push(line.style(style), Some(i));
        }
    }
    p.push(Line::default(), None);
    p.push(Span::styled("Replays · newest first", theme::HEADING), None);
    if a.replays.is_empty() {
        p.push(
            Span::styled(
                truncate("  None yet: press R to replay the selected cookie.", w),
                theme::DIM,
            ),
            None,
        );
    }
    for r in a.replays.iter().rev() {
        replay(r, w, &mut p);
    }
    p.selected = (!a.jar.cookies.is_empty()).then_some(a.jar.selected);
    p
}

fn replay(r: &Replay, w: usize, p: &mut PaneLines) {
    // Scheme-less: a replay is always a plain GET, and the width is better spent on the path.
    let port = r.url.port().map_or(String::new(), |p| format!(":{p}"));
    let target = format!(
        "{}{port}{}",
        r.url.host_str().unwrap_or_default(),
        r.url.path()
    );
    let head = format!("  #{} {}  GET {target}", r.number, clock(r.at));
    p.push(Span::styled(truncate(&head, w), theme::ATTACKER), None);
    // `extra` indents a line under the one before it; wrapped lines hang two further in.
    let mut detail = |text: String, style: Style, extra: usize| {
        let indent = INDENT + extra;
        for line in wrap(&[Run::new(text, style)], w.saturating_sub(indent), 2).lines {
            let mut spans = vec![Span::raw(" ".repeat(indent))];
            spans.extend(line.spans);
            p.push(Line::from(spans), None);
        }
    };
    let Some(o) = &r.outcome else {
        detail("… waiting for the answer".to_owned(), theme::DIM, 0);
        return;
    };
    detail(route(o), theme::status(o.status), 0);
    match &o.verdict {
        ReplayVerdict::GotData => {
            detail("✓ got the victim's data:".to_owned(), theme::ERROR, 0);
            for e in &o.evidence {
                detail(e.clone(), theme::TEXT, 2);
            }
            match &o.set_cookie {
                Some(sc) => detail(
                    format!("✓ session extended: Set-Cookie {sc}"),
                    theme::ERROR,
                    0,
                ),
                None => detail(
                    "session not extended (no Set-Cookie)".to_owned(),
                    theme::DIM,
                    0,
                ),
            }
        }
        ReplayVerdict::Refused(why) => {
            detail(format!("✗ {why}"), theme::GOOD, 0);
            if let Some(sc) = &o.set_cookie {
                detail(
                    format!("new anonymous session: Set-Cookie {sc}"),
                    theme::DIM,
                    0,
                );
            }
        }
        ReplayVerdict::TheftDetected => {
            detail(
                format!("✗ {}", ReplayVerdict::THEFT_DETECTED),
                theme::GOOD,
                0,
            );
            for e in o.evidence.iter().filter(|e| e.starts_with("alert: ")) {
                detail(e.clone(), theme::TEXT, 2);
            }
            if let Some(sc) = &o.set_cookie {
                detail(
                    format!("new anonymous session: Set-Cookie {sc}"),
                    theme::DIM,
                    0,
                );
            }
        }
        ReplayVerdict::Failed(why) => detail(format!("failed: {why}"), theme::ERROR, 0),
    }
}

/// `303 → 200  ended at /login`.
fn route(o: &Outcome) -> String {
    let hops: Vec<String> = o
        .hops
        .iter()
        .map(|s| s.map_or("ERR".to_owned(), |s| s.to_string()))
        .collect();
    format!("{}  ended at {}", hops.join(" → "), o.final_url.path())
}
