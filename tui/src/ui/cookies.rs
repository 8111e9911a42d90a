//! The Cookies tab: for the current URL, which cookies are sent and why the others are not;
//! then the victim's jar grouped by domain → path, every attribute as a badge, the value masked
//! until revealed, and the response that set each cookie.

use crate::app::{Editing, State};
use crate::engine::{CookieView, Expiry};
use crate::ui::format::{MASK, countdown, truncate, width};
use crate::ui::pane_lines::PaneLines;
use crate::ui::theme;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use shared::site::Site;
use std::time::SystemTime;

/// Columns before a cookie's attribute lines.
const DETAIL_INDENT: usize = 6;

/// The tab's lines.
pub fn lines(state: &State, w: usize) -> PaneLines {
    let mut p = PaneLines::default();
    let jar = &state.jar;
    if !jar.loaded {
        p.push(Span::styled("Waiting for the jar…", theme::DIM), None);
        return p;
    }
    if jar.cookies.is_empty() {
        p.push(
            Span::styled(
                truncate("The jar is empty: cookies the sites set appear here.", w),
                theme::DIM,
            ),
            None,
        );
        return p;
    }
    decisions(state, w, &mut p);
    p.push(Line::default(), None);
    let n = jar.cookies.len();
    p.push(
        Span::styled(
            format!("Jar · {n} cookie{}", if n == 1 { "" } else { "s" }),
            theme::HEADING,
        ),
        None,
    );
    let mut last_domain = None;
    let mut last_path = None;
    for (i, c) in jar.cookies.iter().enumerate() {
        if last_domain != Some(&c.domain) {
            p.push(Span::styled(truncate(&c.domain, w), theme::HEADING), None);
            last_domain = Some(&c.domain);
            last_path = None;
        }
        if last_path != Some(&c.path) {
            p.push(
                Span::styled(truncate(&format!("  Path {}", c.path), w), theme::DIM),
                None,
            );
            last_path = Some(&c.path);
        }
        cookie(state, i, c, w, &mut p);
    }
    p.selected = Some(jar.selected);
    p
}

/// "Sent to <url>": each cookie of the jar, sent or not and why.
fn decisions(state: &State, w: usize, p: &mut PaneLines) {
    let url = state
        .history
        .current()
        .map(ToString::to_string)
        .unwrap_or_default();
    p.push(
        Span::styled(truncate(&format!("Sent to {url}"), w), theme::HEADING),
        None,
    );
    if state.jar.decisions.is_empty() {
        p.push(
            Span::styled("  (no decisions for this URL yet)", theme::DIM),
            None,
        );
    }
    for d in &state.jar.decisions {
        let line = match d.not_sent {
            None => Line::from(vec![
                Span::styled("  ✓ ", theme::GOOD),
                Span::styled(truncate(&d.cookie.name, w.saturating_sub(4)), theme::GOOD),
            ]),
            Some(why) => {
                let name = truncate(&d.cookie.name, w.saturating_sub(4));
                let room = w.saturating_sub(4 + width(&name) + 2);
                Line::from(vec![
                    Span::styled("  ✗ ", theme::WARN),
                    Span::styled(name, theme::TEXT),
                    Span::styled(
                        format!("  {}", truncate(&why.describe(&d.cookie), room)),
                        theme::DIM,
                    ),
                ])
            }
        };
        p.push(line, None);
    }
}

fn cookie(state: &State, i: usize, c: &CookieView, w: usize, p: &mut PaneLines) {
    let selected = i == state.jar.selected;
    let marker = if selected { "  ▸ " } else { "    " };
    let name = truncate(&c.name, w.saturating_sub(8));
    let room = w.saturating_sub(width(marker) + width(&name) + 3);
    let editing = match &state.editing {
        Some(Editing::Cookie { key, editor }) if *key == crate::app::CookieKey::of(c) => {
            Some(editor)
        }
        _ => None,
    };
    let value = match editing {
        Some(e) => {
            let chars: Vec<char> = e.text().chars().collect();
            let start = e.cursor().saturating_sub(room.saturating_sub(1));
            p.cursor = Some((
                p.lines.len(),
                (width(marker) + width(&name) + 3 + e.cursor() - start) as u16,
            ));
            Span::styled(
                chars[start..].iter().take(room).collect::<String>(),
                theme::FIELD,
            )
        }
        None => value_span(c, state.revealed.contains(c), room),
    };
    let style = if selected {
        theme::SELECTED
    } else {
        Style::new()
    };
    p.push(
        Line::from(vec![
            Span::styled(marker, theme::BORDER_FOCUS),
            Span::styled(name, theme::HEADING),
            Span::raw(" = "),
            value,
        ])
        .style(style),
        Some(i),
    );
    for line in badge_lines(&badges(c, state.now), w, DETAIL_INDENT) {
        p.push(line.style(style), Some(i));
    }
    let set_by = match &c.set_by {
        Some(s) => format!("set by {} {}", s.request, s.status),
        None => "set by: unknown (loaded from a jar file)".to_owned(),
    };
    p.push(
        Line::from(vec![
            Span::raw(" ".repeat(DETAIL_INDENT)),
            Span::styled(
                truncate(&set_by, w.saturating_sub(DETAIL_INDENT)),
                theme::DIM,
            ),
        ])
        .style(style),
        Some(i),
    );
}

/// The value, or the mask.
pub fn value_span(c: &CookieView, revealed: bool, room: usize) -> Span<'static> {
    if revealed {
        Span::styled(truncate(&c.value, room), theme::TEXT)
    } else {
        Span::styled(truncate(MASK, room), theme::DIM)
    }
}

/// A cookie's attributes as badges: what it is when its name is one of the sites' (the session
/// id, or the login form's CSRF nonce), host-only or `Domain=`, `Path`, expiry, Secure,
/// HttpOnly, SameSite.
pub fn badges(c: &CookieView, now: SystemTime) -> Vec<(String, Style)> {
    let mut out = Vec::new();
    if Site::is_session_cookie(&c.name) {
        out.push(("session id".to_owned(), theme::GOOD));
    } else if Site::is_csrf_cookie(&c.name) {
        out.push(("CSRF nonce".to_owned(), theme::BADGE));
    }
    out.push(if c.host_only {
        ("host-only".to_owned(), theme::BADGE)
    } else {
        (format!("Domain={}", c.domain), theme::WARN)
    });
    out.push(match c.expires {
        Expiry::Session => ("session".to_owned(), theme::BADGE),
        Expiry::At(t) if t > now => (countdown(t, now), theme::TEXT),
        Expiry::At(t) => (countdown(t, now), theme::ERROR),
    });
    if c.secure {
        out.push(("Secure".to_owned(), theme::GOOD));
    }
    if c.http_only {
        out.push(("HttpOnly".to_owned(), theme::GOOD));
    }
    if let Some(s) = &c.same_site {
        out.push((format!("SameSite={s}"), theme::BADGE));
    }
    out
}

/// Badges as `[a] [b]`, wrapped to `w` columns, each line indented.
pub fn badge_lines(badges: &[(String, Style)], w: usize, indent: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut spans = vec![Span::raw(" ".repeat(indent))];
    let mut used = indent;
    for (text, style) in badges {
        let b = format!("[{text}]");
        let bw = width(&b);
        if used > indent && used + 1 + bw > w {
            out.push(Line::from(std::mem::take(&mut spans)));
            spans.push(Span::raw(" ".repeat(indent)));
            used = indent;
        }
        if used > indent {
            spans.push(Span::raw(" "));
            used += 1;
        }
        spans.push(Span::styled(b, *style));
        used += bw;
    }
    out.push(Line::from(spans));
    out
}
