//! Everything the screen shows, in one value. Only the app's `update` changes it; drawing
//! borrows it immutably. It also holds the [`Geometry`] the UI lays it out with, which the app
//! asks (how long a scrolled text is, what is under the mouse) without importing the UI.

use crate::app::attacker::AttackerView;
use crate::app::cookies::{CookieKey, JarView, Revealed};
use crate::app::editor::LineEditor;
use crate::app::flow::FlowView;
use crate::app::history::{History, NavKind};
use crate::app::network::NetworkLog;
use crate::app::page::{PageView, Target};
use crate::app::{Effect, Who};
use crate::engine::{Page, Request};
use ratatui::layout::Rect;
use std::fmt;
use std::time::SystemTime;
use url::Url;

/// From this width on, the page and the devtools sit side by side; below it the focused one
/// takes the whole width (80 columns cannot hold both legibly).
pub const WIDE: u16 = 100;

/// Which half of the screen has the keyboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    /// The page view.
    Page,
    /// The devtools (on its current tab).
    Devtools,
}

/// The devtools' tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// The victim's cookie jar.
    Cookies,
    /// Every exchange, hop by hop.
    Network,
    /// The attacker's jar and replays.
    Attacker,
    /// The current page's forms, hidden fields included.
    Forms,
    /// The article's scenario run headless, step by step, with its verdicts.
    Flow,
}

impl Tab {
    /// In display order (the number keys follow it).
    pub const ALL: [Self; 5] = [
        Self::Cookies,
        Self::Network,
        Self::Attacker,
        Self::Forms,
        Self::Flow,
    ];

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Cookies => "Cookies",
            Self::Network => "Network",
            Self::Attacker => "Attacker",
            Self::Forms => "Forms",
            Self::Flow => "Flow",
        }
    }

    /// Its position in [`Tab::ALL`].
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// A modal drawn over everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    /// The key map.
    Help {
        /// First line shown.
        scroll: usize,
    },
    /// One exchange, raw.
    Detail {
        /// The exchange's id.
        id: u64,
        /// First line shown.
        scroll: usize,
    },
}

/// An open text editor: while one is open, printable keys are typed, not commands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Editing {
    /// The address bar.
    Address(LineEditor),
    /// Text to find in the page (typed in the status line, as `/` does in less and vim).
    Find(LineEditor),
    /// A form field of the page (edits are written through to the field's value).
    Field {
        /// Index into `Page::forms`.
        form: usize,
        /// Index into its fields.
        field: usize,
        /// The text.
        editor: LineEditor,
    },
    /// A cookie's value in the victim's jar.
    Cookie {
        /// Which cookie.
        key: CookieKey,
        /// The new value.
        editor: LineEditor,
    },
}

impl Editing {
    /// The editor.
    pub fn editor(&self) -> &LineEditor {
        match self {
            Self::Address(e)
            | Self::Find(e)
            | Self::Field { editor: e, .. }
            | Self::Cookie { editor: e, .. } => e,
        }
    }

    /// The editor, to change.
    pub fn editor_mut(&mut self) -> &mut LineEditor {
        match self {
            Self::Address(e)
            | Self::Find(e)
            | Self::Field { editor: e, .. }
            | Self::Cookie { editor: e, .. } => e,
        }
    }
}

/// The status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// What to say.
    pub text: String,
    /// Shown as an error.
    pub error: bool,
}

/// The victim's navigation in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// How it will change the history.
    pub kind: NavKind,
    /// Where it is going.
    pub url: Url,
}

/// The whole app state.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// Answers what the app must know of the drawn screen.
    pub(crate) geometry: GeometryRef,
    pub(crate) store_url: Url,
    pub(crate) forums_url: Url,
    /// The last time the runtime told us (ticks, exchange timestamps): countdowns use it, so
    /// drawing never reads a clock.
    pub(crate) now: SystemTime,
    /// The terminal's area, for scrolling and hit-testing with the layout that is drawn.
    pub(crate) viewport: Rect,
    pub(crate) history: History,
    pub(crate) pending: Option<Pending>,
    pub(crate) page: PageView,
    pub(crate) focus: Pane,
    pub(crate) tab: Tab,
    /// Wide terminals only: whether the devtools are beside the page.
    pub(crate) devtools_open: bool,
    pub(crate) overlay: Option<Overlay>,
    pub(crate) editing: Option<Editing>,
    pub(crate) jar: JarView,
    pub(crate) revealed: Revealed,
    pub(crate) network: NetworkLog,
    pub(crate) attacker: AttackerView,
    pub(crate) forms_scroll: usize,
    pub(crate) flow: FlowView,
    /// The last text searched for with `/`, for `n` and `N`.
    pub(crate) find: Option<String>,
    pub(crate) status: Option<Status>,
}

impl State {
    /// A browser about to open the Store's home page (see [`State::start`]), on a screen laid
    /// out by `geometry`.
    pub fn new(store_url: Url, forums_url: Url, geometry: &'static dyn Geometry) -> Self {
        Self {
            geometry: GeometryRef(geometry),
            pending: Some(Pending {
                kind: NavKind::New,
                url: store_url.clone(),
            }),
            store_url,
            forums_url,
            now: SystemTime::UNIX_EPOCH,
            viewport: Rect::new(0, 0, 120, 40),
            history: History::default(),
            page: PageView::default(),
            focus: Pane::Page,
            tab: Tab::Cookies,
            devtools_open: true,
            overlay: None,
            editing: None,
            jar: JarView::default(),
            revealed: Revealed::default(),
            network: NetworkLog::default(),
            attacker: AttackerView::default(),
            forms_scroll: 0,
            flow: FlowView::default(),
            find: None,
            status: None,
        }
    }

    /// The effects to run at start-up: load the Store's home page.
    pub fn start(&self) -> Vec<Effect> {
        vec![Effect::Load {
            who: Who::Victim,
            request: Request::get(self.store_url.clone()),
        }]
    }

    /// Whether a live countdown is on screen, so the runtime should send [`crate::app::Msg::Tick`]
    /// once a second; otherwise it sleeps until input arrives.
    pub fn needs_tick(&self) -> bool {
        let shown = |tab: Tab| self.tab == tab && self.devtools_shown();
        (shown(Tab::Cookies) && self.jar.has_countdown())
            || (shown(Tab::Attacker) && self.attacker.jar.has_countdown())
    }

    /// Whether the terminal is wide enough for page and devtools side by side.
    pub fn is_wide(&self) -> bool {
        self.viewport.width >= WIDE
    }

    /// Which panes a screen `width` columns wide shows: (page, devtools). Wide screens show
    /// the page and, unless hidden, the devtools beside it; narrow ones the focused pane only.
    pub fn panes_for(&self, width: u16) -> (bool, bool) {
        if width >= WIDE {
            (true, self.devtools_open)
        } else {
            (self.focus == Pane::Page, self.focus == Pane::Devtools)
        }
    }

    /// Whether the devtools are on screen.
    pub fn devtools_shown(&self) -> bool {
        self.panes_for(self.viewport.width).1
    }

    /// Whether the page view is on screen.
    pub fn page_shown(&self) -> bool {
        self.panes_for(self.viewport.width).0
    }

    /// The URL the address bar shows: the navigation in flight, else the page's.
    pub fn current_url(&self) -> Option<&Url> {
        self.pending
            .as_ref()
            .map(|p| &p.url)
            .or(self.history.current())
    }

    /// The page shown, if the last load ended on HTML.
    pub fn page(&self) -> Option<&Page> {
        self.page.load.as_ref()?.page.as_ref()
    }

    /// The page element with the focus, if any.
    pub fn focused_target(&self) -> Option<Target> {
        self.page.focused()
    }

    /// The status line's text.
    pub fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    /// Which pane has the keyboard.
    pub fn focus(&self) -> Pane {
        self.focus
    }

    /// The devtools' current tab.
    pub fn tab(&self) -> Tab {
        self.tab
    }

    /// Whether a text editor has the keyboard (so `q` types a q).
    pub fn is_typing(&self) -> bool {
        self.editing.is_some()
    }

    /// The open overlay.
    pub fn overlay(&self) -> Option<Overlay> {
        self.overlay
    }

    /// The victim's jar (sorted by domain, path, name).
    pub fn jar(&self) -> &JarView {
        &self.jar
    }

    /// The attacker's jar and replays.
    pub fn attacker(&self) -> &AttackerView {
        &self.attacker
    }

    /// The network log.
    pub fn network(&self) -> &NetworkLog {
        &self.network
    }

    /// The scenario's latest run.
    pub fn flow(&self) -> &FlowView {
        &self.flow
    }

    pub(crate) fn say(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
        });
    }

    pub(crate) fn fail(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: true,
        });
    }
}

// The screen's geometry: what the app must know of the screen it does not draw (how long the
// scrolled texts are, how much of them fits, what is under the mouse). The UI draws, so the UI
// answers; the state holds the answerer it was built with, so the app asks without naming the UI.

/// What is under the mouse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hit {
    /// The address bar's back button.
    Back,
    /// The forward button.
    Forward,
    /// The reload button.
    Reload,
    /// The URL.
    Address,
    /// A devtools tab's title.
    Tab(Tab),
    /// A link, field or button of the page.
    Target(Target),
    /// Elsewhere in the page pane.
    Page,
    /// A row of the devtools' current tab: the item it shows (cookie, exchange, stolen
    /// cookie), when it shows one.
    Row(Option<usize>),
    /// Inside the overlay.
    Modal,
    /// Outside the overlay (closes it).
    OutsideModal,
}

/// A scrolled text: its length and the lines of it that fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extent {
    /// Lines in all.
    pub lines: usize,
    /// Lines shown at once.
    pub height: usize,
}

/// The page as the UI lays it out at the state's viewport.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageLayout {
    /// Each line's text.
    pub lines: Vec<String>,
    /// The line each focusable element starts on, in page order.
    pub targets: Vec<(Target, usize)>,
    /// Lines of the page pane shown at once (at least one).
    pub height: usize,
}

impl PageLayout {
    /// The line a target starts on.
    pub fn line_of(&self, target: Target) -> Option<usize> {
        self.targets
            .iter()
            .find(|(t, _)| *t == target)
            .map(|(_, line)| *line)
    }
}

/// The screen's geometry, as the UI lays it out for a state (at `state.viewport`).
pub trait Geometry: Send + Sync {
    /// The page.
    fn page(&self, state: &State) -> PageLayout;
    /// The open overlay (help or an exchange's detail); no lines when none is open.
    fn overlay(&self, state: &State) -> Extent;
    /// The Forms tab.
    fn forms(&self, state: &State) -> Extent;
    /// What is at (`column`, `row`) when the frame is `area`.
    fn hit_test(&self, state: &State, area: Rect, column: u16, row: u16) -> Option<Hit>;
}

/// The state's [`Geometry`]: not part of what the state is, so every two compare equal.
#[derive(Clone, Copy)]
pub struct GeometryRef(pub &'static dyn Geometry);

impl fmt::Debug for GeometryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GeometryRef")
    }
}

impl PartialEq for GeometryRef {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
