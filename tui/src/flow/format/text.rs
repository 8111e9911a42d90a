//! The run as text, printed step by step while it goes: one line a step with its verdict, the
//! exchanges under it, what was observed, and why it failed or was skipped.

use crate::flow::report::{ExchangeRecord, Report, Section, StepReport, Verdict};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Lines are wrapped to fit a terminal this wide.
const WIDTH: usize = 100;
/// Where the exchanges, observations and reasons of a step start: under its title.
const BODY: usize = 9;
/// Where an exchange's cookies, form and FusionAuth hops start: under its method.
const DETAIL: usize = BODY + 2;
/// How much further a wrapped line is indented than the line it continues.
const HANG: usize = 2;

/// Prints a run as it goes. It remembers the section last headed and the exchanges already
/// printed, so a heading comes once per section and an exchange shared by several steps is
/// printed under the first of them only.
#[derive(Debug, Default)]
pub struct Text {
    color: bool,
    section: Option<Section>,
    /// Exchange id → the step it was printed under.
    printed: HashMap<u64, u8>,
}

impl Text {
    /// A printer; `color` paints the verdicts with ANSI colours (PASS green, FAIL red,
    /// SKIP yellow) and nothing else.
    pub fn new(color: bool) -> Self {
        Self {
            color,
            ..Self::default()
        }
    }

    /// The lines to print for `step`, each ending in `\n`: a section heading when the step
    /// starts a new section, the step, its exchanges not printed yet, what was observed, and
    /// the reason of a FAIL or SKIP.
    pub fn section_and_step(&mut self, step: &StepReport) -> String {
        let mut out = Lines::default();
        self.heading(step.section, &mut out);
        self.head(step, &mut out);
        let mut earlier: Vec<(String, u8, usize)> = Vec::new();
        for exchange in &step.exchanges {
            match self.printed.get(&exchange.id) {
                Some(&first) => {
                    let what = format!("{} {}", exchange.method, exchange.path);
                    match earlier.last_mut() {
                        Some((last, step, count)) if *last == what && *step == first => *count += 1,
                        _ => earlier.push((what, first, 1)),
                    }
                }
                None => self.exchange(exchange, step.number, &mut out),
            }
        }
        for (what, first, count) in earlier {
            let times = if count > 1 {
                format!(" ×{count}")
            } else {
                String::new()
            };
            out.push(BODY, &format!("↑ {what}{times}: shown under step {first}"));
        }
        for fact in &step.observed {
            out.push(BODY, &format!("· {fact}"));
        }
        match &step.verdict {
            Verdict::Pass => {}
            Verdict::Fail(reason) => out.push(BODY, &format!("reason: {reason}")),
            Verdict::Skip(reason) => out.push(BODY, &format!("skipped: {reason}")),
        }
        out.0
    }

    /// The closing line, after a blank one: `N passed, N failed, N skipped` (at the start, for
    /// CI log readers), then the total time and how it divides into waiting, FusionAuth and
    /// the run's own work.
    pub fn summary(&self, report: &Report) -> String {
        let (passed, failed, skipped) = report.counts();
        format!(
            "\n{passed} passed, {failed} failed, {skipped} skipped in {} \
             (waited {}, FusionAuth {}, active {})\n",
            duration(report.total_ms),
            duration(report.waited_ms),
            duration(report.fusionauth_ms),
            duration(report.active_ms()),
        )
    }

    fn heading(&mut self, section: Section, out: &mut Lines) {
        if self.section == Some(section) {
            return;
        }
        if self.section.is_some() {
            out.0.push('\n');
        }
        out.push(0, &format!("── {} ──", section.title()));
        self.section = Some(section);
    }

    /// `" 3 PASS  title"`, the verdict painted after wrapping so colour codes take no room.
    fn head(&self, step: &StepReport, out: &mut Lines) {
        let label = step.verdict.label();
        let prerequisite = if step.prerequisite {
            " (prerequisite)"
        } else {
            ""
        };
        let mut head = Lines::default();
        let text = format!("{:>2} {label}  {}{prerequisite}", step.number, step.title);
        head.push_hanging(0, BODY, &text);
        out.0 += &head.0.replacen(label, &self.paint(&step.verdict), 1);
    }

    fn paint(&self, verdict: &Verdict) -> String {
        let code = match verdict {
            Verdict::Pass => "32",
            Verdict::Fail(_) => "31",
            Verdict::Skip(_) => "33",
        };
        if self.color {
            format!("\x1b[{code}m{}\x1b[0m", verdict.label())
        } else {
            verdict.label().to_owned()
        }
    }

    /// An exchange in full (the first step that has it).
    fn exchange(&mut self, exchange: &ExchangeRecord, step: u8, out: &mut Lines) {
        self.printed.insert(exchange.id, step);
        out.push(BODY, &format!("→ {} {}", exchange.method, exchange.url));
        if !exchange.cookies_sent.is_empty() {
            let cookies: Vec<String> = (exchange.cookies_sent.iter())
                .map(|cookie| format!("{}={}", cookie.name, cookie.value))
                .collect();
            out.push(DETAIL, &format!("Cookie: {}", cookies.join("; ")));
        }
        if !exchange.form.is_empty() {
            let fields: Vec<String> = (exchange.form.iter())
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            out.push(DETAIL, &format!("Form: {}", fields.join(", ")));
        }
        // The app calls FusionAuth between the request and its response.
        for hop in &exchange.fusionauth {
            let took = hop.duration_ms.map(|ms| format!(" ({})", duration(ms)));
            let took = took.unwrap_or_default();
            out.push(DETAIL, &format!("↳ FusionAuth: {}{took}", hop.description));
        }
        out.push(BODY, &response(exchange));
        for cookie in &exchange.cookies_set {
            out.push(DETAIL, &format!("Set-Cookie: {}", cookie.raw));
        }
    }
}

/// `← 303 Location: /shopping-cart (16.0 ms)`, or why no response came.
fn response(exchange: &ExchangeRecord) -> String {
    let status = match (exchange.status, &exchange.error) {
        (Some(status), _) => status.to_string(),
        (None, Some(error)) => format!("no response: {error}"),
        (None, None) => "no response".to_owned(),
    };
    let location = (exchange.location.as_deref())
        .map(|location| format!(" Location: {location}"))
        .unwrap_or_default();
    format!("← {status}{location} ({})", duration(exchange.duration_ms))
}

/// `12.4 ms` under a second, `2.35 s` from there on.
pub(super) fn duration(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// Text being built, wrapped to [`WIDTH`] columns.
#[derive(Default)]
struct Lines(String);

impl Lines {
    /// `text` indented by `indent` columns; lines it wraps onto are indented [`HANG`] more.
    fn push(&mut self, indent: usize, text: &str) {
        self.push_hanging(indent, indent + HANG, text);
    }

    /// `text` indented by `first` columns, and the lines it wraps onto by `rest`.
    fn push_hanging(&mut self, first: usize, rest: usize, text: &str) {
        for (i, line) in wrap(text, WIDTH - first.max(rest)).iter().enumerate() {
            let indent = if i == 0 { first } else { rest };
            let _ = writeln!(self.0, "{:indent$}{line}", "");
        }
    }
}

/// `text` cut into lines of at most `width` characters, at spaces where it can be (the text
/// here is ASCII and a few one-column symbols, so characters are columns).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let columns = |s: &str| s.chars().count();
    let mut lines = Vec::new();
    let mut line = String::new();
    // Leading spaces (a right-aligned step number) are empty words, kept like the others.
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            let overflows = columns(&line) + 1 + columns(word) > width;
            // A word longer than a line is cut below, from where this line is.
            if overflows && columns(word) <= width && !line.trim().is_empty() {
                lines.push(std::mem::take(&mut line));
            } else {
                line.push(' ');
            }
        }
        line.push_str(word);
        // A word longer than a line (a long URL) is cut where the line ends.
        while columns(&line) > width {
            lines.push(line.chars().take(width).collect());
            line = line.chars().skip(width).collect();
        }
    }
    lines.push(line);
    lines
}
