//! Text formats shared by the panes: countdowns, durations, clock times, masks, truncation,
//! and display widths (terminal columns, not bytes).

use ratatui::text::Span;
use std::time::{Duration, SystemTime};

/// What a cookie value looks like until revealed: fixed width, so the mask leaks no length.
pub const MASK: &str = "••••••••";

/// Terminal columns `s` takes.
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// `s` cut to `max` columns, with `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let mut buf = [0; 4];
        let w = width(c.encode_utf8(&mut buf));
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// `s` padded with spaces to `w` columns (or cut).
pub fn pad(s: &str, w: usize) -> String {
    let s = truncate(s, w);
    let fill = w.saturating_sub(width(&s));
    format!("{s}{}", " ".repeat(fill))
}

/// `s` right-aligned in `w` columns (or cut).
pub fn pad_left(s: &str, w: usize) -> String {
    let s = truncate(s, w);
    let fill = w.saturating_sub(width(&s));
    format!("{}{s}", " ".repeat(fill))
}

/// A span of time for people: `42s`, `29m 58s`, `2h 05m`, `3d 4h`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        3600..86400 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86400, s % 86400 / 3600),
    }
}

/// `expires in 29m 58s`, or `expired 3s ago`.
pub fn countdown(at: SystemTime, now: SystemTime) -> String {
    match at.duration_since(now) {
        Ok(left) if !left.is_zero() => format!("expires in {}", human(left)),
        _ => format!(
            "expired {} ago",
            human(now.duration_since(at).unwrap_or_default())
        ),
    }
}

/// A request's duration: `3.4ms`, `45.2ms`, `145ms`, `1.20s`.
pub fn millis(ms: f64) -> String {
    if ms < 100.0 {
        format!("{ms:.1}ms")
    } else if ms < 1000.0 {
        format!("{ms:.0}ms")
    } else {
        format!("{:.2}s", ms / 1000.0)
    }
}

/// The wall-clock time of an instant, `HH:MM:SS` UTC (stable: no local time zone lookup).
pub fn clock(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

/// The reason phrase of the statuses this flow meets.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdowns_read_naturally() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let later = |s| now + Duration::from_secs(s);
        assert_eq!(countdown(later(1798), now), "expires in 29m 58s");
        assert_eq!(countdown(later(7500), now), "expires in 2h 05m");
        assert_eq!(countdown(later(90_000), now), "expires in 1d 1h");
        assert_eq!(
            countdown(now - Duration::from_secs(3), now),
            "expired 3s ago"
        );
        assert_eq!(countdown(now, now), "expired 0s ago");
    }

    #[test]
    fn truncation_counts_columns_and_marks_the_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad_left("ab", 4), "  ab");
        assert_eq!(truncate("••••••", 3), "••…");
    }

    #[test]
    fn durations_and_clock_times() {
        assert_eq!(millis(3.44), "3.4ms");
        assert_eq!(millis(45.2), "45.2ms");
        assert_eq!(millis(145.2), "145ms");
        assert_eq!(millis(1200.0), "1.20s");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(86400 * 3 + 3600 * 12 + 65);
        assert_eq!(clock(t), "12:01:05");
    }
}
