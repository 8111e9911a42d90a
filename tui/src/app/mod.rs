//! The app: its [`State`], the [`Msg`]s that come in, the [`Effect`]s that go out, and
//! [`update`], the only code that changes the state. No I/O and no clock here: the runtime
//! executes effects and reports back with messages, so everything is testable by feeding
//! messages in and looking at the state, the effects and the drawn screen. The app does not
//! import the UI: what it must know of the drawn screen, it asks the state's [`Geometry`].

pub mod attacker;
pub mod cookies;
pub mod editor;
pub mod effect;
pub mod flow;
pub mod history;
pub mod keymap;
pub mod msg;
pub mod network;
pub mod page;
pub mod state;

mod browse;
mod input;
mod mouse;
mod overlay;
mod panes;
mod typing;
mod update;

pub use attacker::{AttackerView, Outcome, Replay, ReplayVerdict};
pub use cookies::{CookieKey, JarView};
pub use editor::LineEditor;
pub use effect::Effect;
pub use flow::{FlowMsg, FlowView};
pub use history::{History, NavKind};
pub use msg::{Msg, Who};
pub use network::{Logged, NetworkLog};
pub use page::{PageView, Target};
pub use state::{
    Editing, Extent, Geometry, GeometryRef, Hit, Overlay, PageLayout, Pane, Pending, State, Status,
    Tab, WIDE,
};
pub use update::update;
