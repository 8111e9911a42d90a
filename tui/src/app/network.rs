//! The network log: every exchange of both identities, in the order they happened, hops of one
//! page load kept together; the selection and the detail view's scroll.

use crate::app::Who;
use crate::engine::{Exchange, PageLoad};

/// How many exchanges are kept: enough for a long session, bounded so memory is too (each
/// holds a response body of up to 256 KiB).
pub const MAX_EXCHANGES: usize = 500;

/// One exchange and whose client made it.
#[derive(Clone, Debug, PartialEq)]
pub struct Logged {
    /// Whose client.
    pub who: Who,
    /// The exchange.
    pub exchange: Exchange,
}

/// The log.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetworkLog {
    /// Oldest first.
    pub entries: Vec<Logged>,
    /// Selected entry.
    pub selected: usize,
}

impl NetworkLog {
    /// Appends a load's hops. The selection follows new entries when it was on the newest one,
    /// as browser devtools do, and otherwise stays where the user put it.
    pub fn record(&mut self, who: Who, load: &PageLoad) {
        let following = self.selected + 1 >= self.entries.len();
        self.entries.extend(
            load.exchanges
                .iter()
                .cloned()
                .map(|exchange| Logged { who, exchange }),
        );
        let excess = self.entries.len().saturating_sub(MAX_EXCHANGES);
        if excess > 0 {
            self.entries.drain(..excess);
            self.selected = self.selected.saturating_sub(excess);
        }
        if following {
            self.selected = self.entries.len().saturating_sub(1);
        }
    }

    /// The selected exchange.
    pub fn selected(&self) -> Option<&Logged> {
        self.entries.get(self.selected)
    }

    /// An exchange by id.
    pub fn by_id(&self, id: u64) -> Option<&Exchange> {
        self.entries
            .iter()
            .map(|l| &l.exchange)
            .find(|e| e.id == id)
    }

    /// Moves the selection by `delta`, clamped.
    pub fn step(&mut self, delta: isize) {
        let last = self.entries.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }
}
