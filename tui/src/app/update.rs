//! `update`: every message in, the effects out. Routes input to the handlers and folds the
//! runtime's answers (loads, jars, ticks, the scenario's steps) into the state.

use crate::app::flow::{FlowMsg, Progress};
use crate::app::history::NavKind;
use crate::app::page::PageView;
use crate::app::state::{Editing, State};
use crate::app::{Effect, Msg, ReplayVerdict, Who, attacker, browse, input, mouse, typing};
use crate::engine::PageLoad;

/// Applies a message to the state; the effects the runtime must execute, in order.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(ev) => input::key(state, ev),
        Msg::Mouse { event, area } => {
            state.viewport = area;
            mouse::mouse(state, event)
        }
        Msg::Resize(area) => {
            state.viewport = area;
            browse::keep_focus_visible(state);
            Vec::new()
        }
        Msg::Paste(text) => {
            typing::paste(state, &text);
            Vec::new()
        }
        Msg::Loaded {
            who: Who::Victim,
            load,
        } => {
            victim_loaded(state, load);
            Vec::new()
        }
        Msg::Loaded {
            who: Who::Attacker,
            load,
        } => {
            attacker_loaded(state, &load);
            Vec::new()
        }
        Msg::Jar {
            who: Who::Victim,
            cookies,
            decisions,
        } => {
            state.jar.replace(cookies, decisions);
            if let Some(Editing::Cookie { key, .. }) = &state.editing
                && !state
                    .jar
                    .cookies
                    .iter()
                    .any(|c| crate::app::CookieKey::of(c) == *key)
            {
                state.editing = None;
                state.fail("The cookie being edited is gone from the jar");
            }
            Vec::new()
        }
        Msg::Jar {
            who: Who::Attacker,
            cookies,
            decisions,
        } => {
            state.attacker.jar.replace(cookies, decisions);
            Vec::new()
        }
        Msg::Tick(now) => {
            state.now = now;
            Vec::new()
        }
        Msg::Status(text) => {
            state.say(text);
            Vec::new()
        }
        Msg::Error(text) => {
            state.fail(text);
            Vec::new()
        }
        Msg::Flow(msg) => {
            flow_reported(state, msg);
            Vec::new()
        }
    }
}

/// Exchanges carry timestamps: they keep `now` current between ticks, so a countdown is right
/// the moment a login sets the cookie.
fn advance_clock(state: &mut State, load: &PageLoad) {
    for e in &load.exchanges {
        state.now = state.now.max(e.started + e.duration);
    }
}

fn victim_loaded(state: &mut State, load: PageLoad) {
    advance_clock(state, &load);
    state.network.record(Who::Victim, &load);
    let kind = state.pending.take().map_or(NavKind::New, |p| p.kind);
    state.history.land(kind, load.final_url.clone());
    // The fields being edited belonged to the old page.
    if matches!(state.editing, Some(Editing::Field { .. })) {
        state.editing = None;
    }
    match &load.error {
        Some(err) => state.fail(format!("{}: {err}", load.final_url)),
        None => {
            let status = load
                .exchanges
                .last()
                .and_then(|e| e.status)
                .map_or("no status".to_owned(), |s| s.to_string());
            let ms: f64 = load
                .exchanges
                .iter()
                .map(|e| e.duration.as_secs_f64() * 1000.0)
                .sum();
            let hops = load.exchanges.len();
            state.say(format!(
                "{status} {} · {hops} request{} · {ms:.0} ms",
                load.final_url,
                if hops == 1 { "" } else { "s" }
            ));
        }
    }
    state.page = PageView::show(load);
    state.forms_scroll = 0;
    browse::keep_focus_visible(state);
}

fn attacker_loaded(state: &mut State, load: &PageLoad) {
    advance_clock(state, load);
    state.network.record(Who::Attacker, load);
    let Some(replay) = state
        .attacker
        .replays
        .iter_mut()
        .find(|r| r.outcome.is_none())
    else {
        state.say(format!(
            "The attacker's request ended at {}",
            load.final_url
        ));
        return;
    };
    let outcome = attacker::outcome(&replay.cookie, load);
    let text = match &outcome.verdict {
        ReplayVerdict::GotData if outcome.set_cookie.is_some() => {
            format!(
                "Replay #{}: got the victim's data, and extended the session",
                replay.number
            )
        }
        ReplayVerdict::GotData => format!("Replay #{}: got the victim's data", replay.number),
        ReplayVerdict::Refused(why) => format!("Replay #{}: {why}", replay.number),
        ReplayVerdict::TheftDetected => {
            format!(
                "Replay #{}: {}",
                replay.number,
                ReplayVerdict::THEFT_DETECTED
            )
        }
        ReplayVerdict::Failed(why) => format!("Replay #{} failed: {why}", replay.number),
    };
    replay.outcome = Some(outcome);
    state.say(text);
}

/// Folds the runtime's report of a run into the state.
fn flow_reported(state: &mut State, msg: FlowMsg) {
    match msg {
        FlowMsg::Step(step) => {
            state.flow.progress = Progress::Running;
            state.flow.push(step);
        }
        FlowMsg::Waiting { why, remaining, .. } => {
            state.flow.progress = Progress::Waiting { why, remaining };
        }
        FlowMsg::Done {
            passed,
            failed,
            skipped,
            elapsed,
        } => {
            state.flow.progress = Progress::Done {
                passed,
                failed,
                skipped,
            };
            let text = format!(
                "Flow done in {:.1} s: {passed} passed, {failed} failed, {skipped} skipped",
                elapsed.as_secs_f64()
            );
            if failed == 0 {
                state.say(text);
            } else {
                state.fail(text);
            }
        }
        FlowMsg::Failed(why) => {
            state.fail(format!("The scenario could not run: {why}"));
            state.flow.progress = Progress::Failed(why);
        }
    }
}
