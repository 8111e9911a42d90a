//! The observed run as a sequence diagram, drawn as the article draws its flow: one walk over
//! the steps decides what is drawn where, as [`Element`]s, and a [`Dialect`] writes them.
//!
//! Steps share exchanges (step 3 is the request of `POST /login`, 4 and 5 its FusionAuth hop,
//! 7 its response), so each exchange is drawn part by part — request, each FusionAuth call and
//! answer, response — and each part once. A step draws the part its [`Focus`] names, labelled
//! `N.`; parts it skips over are drawn first, unlabelled, so the arrows stay in time order, and
//! what is left of an exchange is drawn after the last step that names it.

use super::dialect::Dialect;
use super::sequence::{Element, Party};
use super::text::duration;
use crate::flow::report::{ExchangeRecord, Focus, Report, Section, StepReport, Verdict};
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// A FAIL or SKIP reason is cut to this many characters in a label.
const REASON_CHARS: usize = 60;

/// The run as a PlantUML sequence diagram, `@startuml` to `@enduml`.
pub fn plantuml(report: &Report) -> String {
    Dialect::PlantUml.render(&elements(report))
}

/// The run as a mermaid sequence diagram (`sequenceDiagram`).
pub fn mermaid(report: &Report) -> String {
    Dialect::Mermaid.render(&elements(report))
}

fn elements(report: &Report) -> Vec<Element> {
    let mut walk = Walk::new(report);
    for (index, step) in report.steps.iter().enumerate() {
        walk.step(index, step);
    }
    walk.out
}

/// A step's `N.` and, unless it passed, its verdict: given to exactly one element.
struct Tag {
    number: u8,
    mark: String,
}

impl Tag {
    fn of(step: &StepReport) -> Self {
        let mark = match &step.verdict {
            Verdict::Pass => String::new(),
            Verdict::Fail(reason) => format!(" [FAIL: {}]", shorten(reason)),
            Verdict::Skip(reason) => format!(" [SKIP: {}]", shorten(reason)),
        };
        Self {
            number: step.number,
            mark,
        }
    }

    fn label(&self, text: &str) -> String {
        format!("{}. {text}{}", self.number, self.mark)
    }
}

fn shorten(reason: &str) -> String {
    if reason.chars().count() <= REASON_CHARS {
        return reason.to_owned();
    }
    let cut: String = reason.chars().take(REASON_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// Which part of an exchange a step's focus names.
#[derive(Clone, Copy)]
enum ExchangePart {
    Request,
    Call,
    Answer,
    Response,
}

impl ExchangePart {
    /// The positions of such parts in `exchange` (see [`part_count`]).
    fn positions(self, exchange: &ExchangeRecord) -> Vec<usize> {
        let hops = 0..exchange.fusionauth.len();
        match self {
            Self::Request => vec![0],
            Self::Call => hops.map(|hop| 1 + 2 * hop).collect(),
            Self::Answer => hops.map(|hop| 2 + 2 * hop).collect(),
            Self::Response => vec![part_count(exchange) - 1],
        }
    }
}

/// An exchange's parts, in time order: the request, each FusionAuth call and its answer, the
/// response.
fn part_count(exchange: &ExchangeRecord) -> usize {
    2 + 2 * exchange.fusionauth.len()
}

/// The arrow for part `position` of `exchange`, labelled with `tag` when it is a step's.
fn message(exchange: &ExchangeRecord, position: usize, tag: Option<&Tag>) -> Element {
    let (actor, site) = (Party::from(exchange.actor), Party::from(exchange.site));
    let (from, to, reply, text) = match position {
        0 => (actor, site, false, request_label(exchange)),
        p if p == part_count(exchange) - 1 => (site, actor, true, response_label(exchange)),
        p => hop_arrow(exchange, p),
    };
    let label = match tag {
        Some(tag) => tag.label(&text),
        None => text,
    };
    Element::Message {
        from,
        to,
        reply,
        label,
    }
}

/// The app's call to FusionAuth (odd positions) or FusionAuth's answer (even ones), from
/// the hop's `Server-Timing` description, e.g. `POST /api/login 200`.
fn hop_arrow(exchange: &ExchangeRecord, position: usize) -> (Party, Party, bool, String) {
    let site = Party::from(exchange.site);
    let hop = &exchange.fusionauth[(position - 1) / 2];
    let (call, status) = split_status(&hop.description);
    if position % 2 == 1 {
        let call = if call.is_empty() { "call" } else { call };
        return (site, Party::FusionAuth, false, call.to_owned());
    }
    let took = hop.duration_ms.map(|ms| format!(" ({})", duration(ms)));
    let answer = format!("{}{}", status.unwrap_or("answer"), took.unwrap_or_default());
    (Party::FusionAuth, site, true, answer)
}

/// `POST /login [store_csrf]`: the cookies sent, by name.
fn request_label(exchange: &ExchangeRecord) -> String {
    let mut label = format!("{} {}", exchange.method, exchange.path);
    if !exchange.cookies_sent.is_empty() {
        let names: Vec<&str> = (exchange.cookies_sent.iter())
            .map(|cookie| cookie.name.as_str())
            .collect();
        label += &format!(" [{}]", names.join(", "));
    }
    label
}

/// `303 → /shopping-cart, sets store_session (HttpOnly)`.
fn response_label(exchange: &ExchangeRecord) -> String {
    let mut label = match (exchange.status, &exchange.error) {
        (Some(status), _) => status.to_string(),
        (None, Some(error)) => format!("no response: {}", shorten(error)),
        (None, None) => "no response".to_owned(),
    };
    if let Some(location) = &exchange.location {
        label += &format!(" → {location}");
    }
    for cookie in &exchange.cookies_set {
        let name = &cookie.name;
        label += &match (cookie.removal, cookie.http_only) {
            (true, _) => format!(", clears {name}"),
            (false, true) => format!(", sets {name} (HttpOnly)"),
            (false, false) => format!(", sets {name}"),
        };
    }
    label
}

/// `POST /api/login 200` → (`POST /api/login`, `200`): the call, and the status it got.
fn split_status(description: &str) -> (&str, Option<&str>) {
    match description.rsplit_once(' ') {
        Some((call, status)) if status.len() == 3 && status.bytes().all(|b| b.is_ascii_digit()) => {
            (call, Some(status))
        }
        _ => (description, None),
    }
}

/// The walk over the steps, with what it has drawn so far.
struct Walk<'a> {
    out: Vec<Element>,
    section: Option<Section>,
    /// Exchanges in the order the steps first name them.
    order: Vec<&'a ExchangeRecord>,
    /// Exchange id → how many of its parts are drawn (always the first ones).
    drawn: HashMap<u64, usize>,
    /// Exchange id → the index of the last step that names it.
    last_use: HashMap<u64, usize>,
}

impl<'a> Walk<'a> {
    fn new(report: &'a Report) -> Self {
        let mut last_use = HashMap::new();
        for (index, step) in report.steps.iter().enumerate() {
            for exchange in &step.exchanges {
                last_use.insert(exchange.id, index);
            }
        }
        Self {
            out: Vec::new(),
            section: None,
            order: Vec::new(),
            drawn: HashMap::new(),
            last_use,
        }
    }

    fn step(&mut self, index: usize, step: &'a StepReport) {
        if self.section != Some(step.section) {
            self.out.push(Element::Divider(step.section.title()));
            self.section = Some(step.section);
        }
        for exchange in &step.exchanges {
            if let Entry::Vacant(drawn) = self.drawn.entry(exchange.id) {
                drawn.insert(0);
                self.order.push(exchange);
            }
        }
        let tag = Tag::of(step);
        let untold = match step.focus {
            Focus::Exchanges => self.whole_exchanges(step, tag),
            Focus::Request => self.part(step, ExchangePart::Request, tag),
            Focus::FusionAuthCall => self.hop(step, ExchangePart::Call, tag),
            Focus::FusionAuthAnswer => self.hop(step, ExchangePart::Answer, tag),
            Focus::Response => self.part(step, ExchangePart::Response, tag),
            Focus::Server => Some(tag),
        };
        // Server-side work, or nothing left to draw of the step's exchanges.
        if let Some(tag) = untold {
            self.note(step, Party::from(step.site), &tag.label(&step.title));
        }
        self.finish(index);
    }

    /// Every part of the step's exchanges not drawn yet; the first one carries the tag.
    fn whole_exchanges(&mut self, step: &'a StepReport, tag: Tag) -> Option<Tag> {
        let mut tag = Some(tag);
        for exchange in &step.exchanges {
            self.catch_up(exchange, self.drawn(exchange));
            while self.drawn(exchange) < part_count(exchange) {
                self.draw_next(exchange, tag.take().as_ref());
            }
        }
        tag
    }

    /// The first part of the step's exchanges that `which` names and is not drawn yet.
    fn part(&mut self, step: &'a StepReport, which: ExchangePart, tag: Tag) -> Option<Tag> {
        let found = step.exchanges.iter().find_map(|exchange| {
            let drawn = self.drawn(exchange);
            let position = which.positions(exchange).into_iter().find(|&p| p >= drawn);
            position.map(|position| (exchange, position))
        });
        let Some((exchange, position)) = found else {
            return Some(tag);
        };
        self.catch_up(exchange, position);
        self.draw_next(exchange, Some(&tag));
        None
    }

    /// A FusionAuth call or answer, or a note that the app did not report its calls.
    fn hop(&mut self, step: &'a StepReport, which: ExchangePart, tag: Tag) -> Option<Tag> {
        if step.exchanges.iter().any(|e| !e.fusionauth.is_empty()) {
            return self.part(step, which, tag);
        }
        let text = tag.label("not observable (no Server-Timing)");
        self.note(step, Party::FusionAuth, &text);
        None
    }

    /// A note from the step's site to `last`, placed before the response it comes before.
    fn note(&mut self, step: &'a StepReport, last: Party, text: &str) {
        let pending =
            (step.exchanges.iter()).find(|exchange| self.drawn(exchange) < part_count(exchange));
        if let Some(exchange) = pending {
            self.catch_up(exchange, part_count(exchange) - 1);
        }
        self.out.push(Element::Note {
            first: Party::from(step.site),
            last,
            text: text.to_owned(),
        });
    }

    /// Draws, unlabelled, what comes before part `position` of `exchange`: the rest of every
    /// exchange named before it, and its own earlier parts.
    fn catch_up(&mut self, exchange: &'a ExchangeRecord, position: usize) {
        let earlier: Vec<&'a ExchangeRecord> = (self.order.iter().copied())
            .take_while(|e| e.id != exchange.id)
            .collect();
        for e in earlier {
            self.draw_until(e, part_count(e));
        }
        self.draw_until(exchange, position);
    }

    /// Draws, unlabelled, what is left of the exchanges no later step names.
    fn finish(&mut self, index: usize) {
        let done: Vec<&'a ExchangeRecord> = (self.order.iter().copied())
            .filter(|e| self.last_use.get(&e.id) == Some(&index))
            .collect();
        for exchange in done {
            self.draw_until(exchange, part_count(exchange));
        }
    }

    fn draw_until(&mut self, exchange: &ExchangeRecord, end: usize) {
        while self.drawn(exchange) < end {
            self.draw_next(exchange, None);
        }
    }

    fn draw_next(&mut self, exchange: &ExchangeRecord, tag: Option<&Tag>) {
        let position = self.drawn(exchange);
        self.out.push(message(exchange, position, tag));
        self.drawn.insert(exchange.id, position + 1);
    }

    fn drawn(&self, exchange: &ExchangeRecord) -> usize {
        self.drawn.get(&exchange.id).copied().unwrap_or(0)
    }
}
