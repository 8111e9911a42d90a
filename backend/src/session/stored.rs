//! What the inner storage holds at a key, as [`super::hashed::HashedSessions`] reads it: a live
//! session, a tombstone or a retired id ([`Stored`]), the marker records that say which
//! ([`Marker`]), how a session is ended ([`Ending`]), and the records served in place of an
//! ended one, and the reserved keys records carry between the storage and
//! [`super::AuthSession`].

use super::index::Entry;
use super::key::{SealedId, SessionKey};
use super::{CLIENT, ClientInfo, SessionUser, USER};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};

/// Where the inner storage's records keep their marker; a record without one is a live session.
pub const MARKER: &str = "__marker";
/// Set on a record served for a retired id within its grace period: the successor's data, to
/// be read and never written (a write would set the old id's cookie again).
pub(super) const READ_ONLY: &str = "__read_only";
/// Set on the record served for an id whose session was ended as stolen: [`super::AuthSession`]
/// replaces it with an anonymous session that carries the notice.
pub(super) const ENDED_AS_STOLEN: &str = "__ended_as_stolen";
/// Set on the record served for an id whose session was ended from outside any request of it
/// (a background revalidation): the notice for the login page. [`super::AuthSession`] replaces
/// it with an anonymous session that carries the notice, as for [`ENDED_AS_STOLEN`].
pub(super) const ENDED_WITH_NOTICE: &str = "__ended_with_notice";
/// Put by [`super::AuthSession`] on a record whose id it is rotating: the id it had before (only
/// ever in memory). The storage takes it off when the new record is to be created, and either
/// retires that id or, if another request rotated it first, hands out the same successor.
pub(super) const ROTATED_FROM: &str = "__rotated_from";
/// Where a live record keeps the key it was rotated from, so that ending the session can find the
/// retired ids of its family. Written by this storage only, never served.
pub(super) const PREDECESSOR: &str = "__predecessor";

/// The keys above: never in a live record as a handler sees it.
pub(super) const RESERVED: [&str; 6] = [
    MARKER,
    READ_ONLY,
    ENDED_AS_STOLEN,
    ENDED_WITH_NOTICE,
    ROTATED_FROM,
    PREDECESSOR,
];
/// What a marker record says.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum Marker {
    /// The session ended (logout, login over it, sign-out elsewhere, theft).
    Tombstone {
        /// Ended because a retired id was used after its grace period.
        theft: bool,
        /// Why it ended, for the login page of the browser that comes back with the id (absent
        /// in tombstones written before it existed, and when the browser itself ended it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notice: Option<String>,
    },
    /// The id was rotated; `successor` is the new key.
    Retired {
        successor: String,
        retired_at_ms: i64,
        /// The successor's id, sealed with this one ([`SealedId`]); absent in markers written
        /// before rotation was single-flight.
        #[serde(default)]
        sealed_successor: Option<String>,
        /// The key this one was rotated from, if any: the family goes on backwards.
        #[serde(default)]
        predecessor: Option<String>,
    },
}

/// A key's state in the inner storage.
pub(super) enum Stored {
    Live {
        record: Record,
        predecessor: Option<SessionKey>,
    },
    Tombstone {
        theft: bool,
        notice: Option<String>,
    },
    Retired {
        successor: SessionKey,
        at_ms: i64,
        sealed: Option<SealedId>,
        predecessor: Option<SessionKey>,
    },
}

impl Stored {
    /// What a record of the inner storage says: a live session unless it carries a marker.
    pub(super) fn from_inner(mut record: Record) -> Self {
        let Some(marker) = record.data.remove(MARKER) else {
            let predecessor = record.data.remove(PREDECESSOR);
            return Self::Live {
                record,
                predecessor: predecessor.as_ref().and_then(parse_key),
            };
        };
        let over = Self::Tombstone {
            theft: false,
            notice: None,
        };
        match serde_json::from_value(marker) {
            Ok(Marker::Retired {
                successor,
                retired_at_ms,
                sealed_successor,
                predecessor,
            }) => match successor.parse() {
                Ok(successor) => Self::Retired {
                    successor,
                    at_ms: retired_at_ms,
                    sealed: sealed_successor.and_then(|s| s.parse().ok()),
                    predecessor: predecessor.and_then(|p| p.parse().ok()),
                },
                Err(_) => over,
            },
            Ok(Marker::Tombstone { theft, notice }) => Self::Tombstone { theft, notice },
            // A marker this version cannot read: the session is over (fail closed).
            Err(_) => over,
        }
    }

    /// The key this one was rotated from, if it is a live or retired id of a family.
    pub(super) fn predecessor(&self) -> Option<SessionKey> {
        match self {
            Self::Live { predecessor, .. } | Self::Retired { predecessor, .. } => *predecessor,
            Self::Tombstone { .. } => None,
        }
    }
}

/// How a session is ended: what its tombstones tell a later request that presents its id.
#[derive(Clone, Copy, Debug)]
pub(super) enum Ending<'a> {
    /// Nothing to tell (logout, sign-out from another session): the id is simply unknown.
    Quietly,
    /// Ended as stolen: the next request gets the theft notice.
    AsStolen,
    /// Ended from outside the browser's requests: the next request gets this notice.
    WithNotice(&'a str),
}

impl Ending<'_> {
    pub(super) fn tombstone(self) -> Marker {
        Marker::Tombstone {
            theft: matches!(self, Self::AsStolen),
            notice: match self {
                Self::WithNotice(notice) => Some(notice.to_owned()),
                Self::Quietly | Self::AsStolen => None,
            },
        }
    }
}

/// The record served for an id whose session was ended with `notice`.
pub(super) fn ended_with_notice(notice: String) -> Record {
    Record {
        id: Id::default(),
        data: [(ENDED_WITH_NOTICE.to_owned(), notice.into())].into(),
        expiry_date: OffsetDateTime::now_utc() + Duration::from_secs(60),
    }
}

/// The record served for an id whose session ended as stolen.
pub(super) fn ended_as_stolen() -> Record {
    Record {
        id: Id::default(),
        data: [(ENDED_AS_STOLEN.to_owned(), true.into())].into(),
        expiry_date: OffsetDateTime::now_utc() + Duration::from_secs(60),
    }
}

/// A key as a record holds it (hex text); `None` if it is not one.
pub(super) fn parse_key(value: &serde_json::Value) -> Option<SessionKey> {
    value.as_str()?.parse().ok()
}

/// The index entry of a logged-in session's record; `None` for an anonymous one.
pub(super) fn index_entry(record: &Record) -> Option<Entry> {
    let user: SessionUser = serde_json::from_value(record.data.get(USER)?.clone()).ok()?;
    let client: ClientInfo = record
        .data
        .get(CLIENT)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    Some(Entry {
        user_id: user.user.id,
        created_at_ms: user.login_at_ms,
        last_seen_at_ms: user.last_seen_ms,
        user_agent: client.user_agent,
        ip: client.ip,
        expires_at_ms: i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1_000_000)
            .unwrap_or(i64::MAX),
    })
}
