//! A sequence diagram's parts, whatever language writes it: the article's participants and
//! the lines between them.

use crate::flow::report::Actor;
use shared::site::Site;

/// The article's participants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Party {
    Browser,
    Store,
    Forums,
    FusionAuth,
    Hacker,
}

impl Party {
    /// In the order the article declares them.
    pub(super) const ALL: [Self; 5] = [
        Self::Browser,
        Self::Store,
        Self::Forums,
        Self::FusionAuth,
        Self::Hacker,
    ];

    /// The name, as the article writes it (also the diagram's identifier).
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Browser => "Browser",
            Self::Store => "Store",
            Self::Forums => "Forums",
            Self::FusionAuth => "FusionAuth",
            Self::Hacker => "Hacker",
        }
    }

    /// A person rather than a server (drawn as an actor where the dialect can).
    pub(super) fn is_person(self) -> bool {
        matches!(self, Self::Browser | Self::Hacker)
    }
}

impl From<Actor> for Party {
    fn from(actor: Actor) -> Self {
        match actor {
            Actor::Browser => Self::Browser,
            Actor::Hacker => Self::Hacker,
        }
    }
}

impl From<Site> for Party {
    fn from(site: Site) -> Self {
        match site {
            Site::Store => Self::Store,
            Site::Forums => Self::Forums,
        }
    }
}

/// One line of a diagram, whatever its dialect.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Element {
    /// A section starts.
    Divider(&'static str),
    /// An arrow; `reply` draws it dashed.
    Message {
        from: Party,
        to: Party,
        reply: bool,
        label: String,
    },
    /// A note over one party (`first == last`) or spanning several.
    Note {
        first: Party,
        last: Party,
        text: String,
    },
}
