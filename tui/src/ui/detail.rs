//! The exchange detail overlay: one exchange raw, as sent and received — request line, headers,
//! form body; status line, headers, body; and the Server-Timing entries.

use crate::app::{State, Who};
use crate::engine::Exchange;
use crate::ui::format::{millis, reason, truncate};
use crate::ui::network::timing;
use crate::ui::theme;
use crate::ui::wrap::{Run, wrap};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;

/// Body lines shown; bodies are cut at 256 KiB by the engine, this keeps drawing quick.
const BODY_LINES: usize = 2000;

/// The detail's lines for an exchange, wrapped to `w` columns.
pub fn lines(state: &State, id: u64, w: usize) -> Vec<Line<'static>> {
    let Some(logged) = state.network.entries.iter().find(|l| l.exchange.id == id) else {
        return vec![Line::styled(
            "This exchange is no longer in the log.",
            theme::DIM,
        )];
    };
    let e = &logged.exchange;
    let mut out = Vec::new();
    let mut text = |s: &str, style: Style| {
        for line in wrap(&[Run::new(s, style)], w.max(8), 2).lines {
            out.push(line);
        }
    };
    let who = match logged.who {
        Who::Victim => "victim",
        Who::Attacker => "attacker",
    };
    text(
        &format!(
            "Exchange #{} · {who} · load {}, hop {}",
            e.id, e.load_id, e.hop
        ),
        theme::DIM,
    );
    text(&format!("{} {}", e.method.as_str(), e.url), theme::HEADING);
    let status = e.status.map_or_else(
        || {
            format!(
                "no response: {}",
                e.error.as_deref().unwrap_or("unknown error")
            )
        },
        |s| format!("{s} {}", reason(s)),
    );
    text(
        &format!(
            "→ {status} · {} · {} cookie(s) sent · {} Set-Cookie",
            millis(e.duration.as_secs_f64() * 1000.0),
            e.cookies_sent.len(),
            e.set_cookies.len()
        ),
        theme::status(e.status),
    );
    section(&mut text, "Request", w);
    let target = match e.url.query() {
        Some(q) => format!("{}?{q}", e.url.path()),
        None => e.url.path().to_owned(),
    };
    text(
        &format!("{} {target} HTTP/1.1", e.method.as_str()),
        theme::TEXT,
    );
    if !e
        .request_headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("host"))
    {
        let host = match (e.url.host_str(), e.url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => String::new(),
        };
        text(&format!("Host: {host}"), theme::DIM);
    }
    for (k, v) in &e.request_headers {
        text(&format!("{k}: {v}"), theme::DIM);
    }
    if let Some(body) = &e.request_body {
        text("", theme::TEXT);
        text(body, theme::TEXT);
    }
    section(&mut text, "Response", w);
    match e.status {
        Some(s) => text(
            &format!("HTTP/1.1 {s} {}", reason(s)),
            theme::status(Some(s)),
        ),
        None => text("(no response)", theme::ERROR),
    }
    for (k, v) in &e.response_headers {
        text(&format!("{k}: {v}"), theme::DIM);
    }
    if !e.response_body.is_empty() {
        text("", theme::TEXT);
        let total = e.response_body.lines().count();
        for line in e.response_body.lines().take(BODY_LINES) {
            text(line, theme::TEXT);
        }
        if total > BODY_LINES {
            text(&format!("… {} more lines", total - BODY_LINES), theme::DIM);
        }
    }
    if !e.server_timing.is_empty() {
        section(&mut text, "Server-Timing", w);
        for t in &e.server_timing {
            text(&format!("↳ {}", timing(t)), theme::NOTICE);
        }
    }
    out
}

fn section(text: &mut impl FnMut(&str, Style), title: &str, w: usize) {
    text("", theme::TEXT);
    let rule = format!(
        "── {title} {}",
        "─".repeat(w.saturating_sub(title.len() + 4))
    );
    text(&truncate(&rule, w), theme::HEADING);
}

/// The title of the overlay for an exchange.
fn title(e: Option<&Exchange>) -> String {
    e.map_or(" Exchange ".to_owned(), |e| {
        format!(" {} {} ", e.method.as_str(), e.url.path())
    })
}

/// Draws the overlay.
pub fn render(state: &State, frame: &mut Frame, outer: Rect, body: Rect, id: u64, scroll: usize) {
    let lines = lines(state, id, usize::from(body.width));
    let title = title(state.network.by_id(id));
    let hints = " Esc close · j/k scroll · y copy curl ";
    super::draw_overlay(frame, (outer, body), title, hints, &lines, scroll);
}
