//! What comes into the app: key presses, mouse events, and the runtime's answers (page loads,
//! jar snapshots, clock ticks, status text, the scenario's progress). The runtime turns terminal
//! events and finished effects into these; the app's `update` is their only consumer.

use crate::app::FlowMsg;
use crate::engine::{CookieDecision, CookieView, PageLoad};
use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::layout::Rect;
use std::time::SystemTime;

/// Which browser identity a load or a jar belongs to. Each has its own client, cookie jar and
/// User-Agent in the runtime, so the attacker never shares the victim's cookies by accident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Who {
    /// The user at the keyboard: the browser the page view shows.
    Victim,
    /// The attacker who replays a stolen cookie from their own client.
    Attacker,
}

/// An input to the app's `update`.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    /// A key press (releases and repeats of other kinds are ignored).
    Key(KeyEvent),
    /// A mouse event, with the frame area it was reported in, so hit-testing uses the exact
    /// layout that was drawn.
    Mouse {
        /// The event.
        event: MouseEvent,
        /// The whole frame's area when the event happened.
        area: Rect,
    },
    /// The terminal was resized (and once at start-up): scrolling keeps the focus visible with
    /// the real viewport. The runtime sends `Resize(frame.area())`.
    Resize(Rect),
    /// Text pasted into the terminal (bracketed paste); typed into the open editor, if any.
    Paste(String),
    /// A navigation started by [`crate::app::Effect::Load`] finished (or failed).
    Loaded {
        /// Whose client loaded it.
        who: Who,
        /// Every hop and the final page.
        load: PageLoad,
    },
    /// The jar after a load or a jar edit, and for the victim the decisions for the current URL.
    Jar {
        /// Whose jar.
        who: Who,
        /// Every cookie held.
        cookies: Vec<CookieView>,
        /// For the page currently shown: each cookie and whether it is sent there.
        decisions: Vec<CookieDecision>,
    },
    /// The wall clock, once a second while [`crate::app::State::needs_tick`] is true.
    Tick(SystemTime),
    /// A message for the status line (e.g. "copied curl command").
    Status(String),
    /// An error for the status line, shown in red (e.g. the jar file could not be written).
    Error(String),
    /// How the scenario started by [`crate::app::Effect::RunFlow`] is going.
    Flow(FlowMsg),
}
