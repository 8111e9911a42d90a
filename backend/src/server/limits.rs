//! What a connection may cost and how many there may be: the timeouts and the one connection
//! budget that every listener of the process (identity server, Store, Forums) shares, with
//! their defaults in one place. Without them, clients that open connections and never finish a
//! request hold a descriptor each until the process can accept nothing at all.

use shared::duration::parse_duration;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a connection may take to send a complete request head unless configured, as
/// `--header-timeout` spells it. It counts from the accept, or from the previous answer on a
/// kept-alive connection, so it also closes idle keep-alive connections.
pub const DEFAULT_HEADER_TIMEOUT: &str = "10s";
/// How long a request's body may take to arrive in full unless configured (`--body-timeout`).
pub const DEFAULT_BODY_TIMEOUT: &str = "30s";
/// How long in-flight requests may run on after SIGTERM or SIGINT (`--shutdown-grace`).
pub const DEFAULT_SHUTDOWN_GRACE: &str = "10s";
/// How long a connection past the budget waits for a free place before it is closed: long
/// enough to ride out a burst, short enough that no client is left hanging.
pub const CONNECTION_WAIT: Duration = Duration::from_secs(1);
/// Descriptors kept out of the budget for everything else the process opens: databases, Redis,
/// the log, the sites' own connections to FusionAuth.
const RESERVED_DESCRIPTORS: u64 = 256;
/// The default budget never exceeds this, however high the descriptor limit.
const MOST_DEFAULT_CONNECTIONS: u64 = 10_000;
/// Assumed when the descriptor limit cannot be read or is unlimited.
const ASSUMED_DESCRIPTOR_LIMIT: u64 = 1024;
/// At most one line about refused connections is logged this often; the rest are counted.
const REFUSAL_LOG_PERIOD: Duration = Duration::from_secs(5);

/// A default written as its flag spells it, e.g. `10s`.
fn default_duration(text: &'static str) -> Duration {
    parse_duration(text).expect("every default duration parses")
}

/// The timeouts and the connection budget of the servers. Clones share one budget: the stack
/// hands the same value to the identity server and both sites.
#[derive(Clone, Debug)]
pub struct ServerLimits {
    /// Bound on receiving a request head (zero: none); see [`DEFAULT_HEADER_TIMEOUT`].
    pub header_timeout: Duration,
    /// Bound on receiving a request body, counted from its head (zero: none); a body still
    /// arriving then gets `408 Request Timeout` and the connection is closed.
    pub body_timeout: Duration,
    /// How long in-flight requests may finish after the servers are told to stop; the
    /// connections still open then are closed.
    pub shutdown_grace: Duration,
    /// The connections all listeners may hold at once.
    pub connections: ConnectionBudget,
}

impl Default for ServerLimits {
    /// The defaults of `backend serve`, the budget sized from the descriptor limit.
    fn default() -> Self {
        Self {
            header_timeout: default_duration(DEFAULT_HEADER_TIMEOUT),
            body_timeout: default_duration(DEFAULT_BODY_TIMEOUT),
            shutdown_grace: default_duration(DEFAULT_SHUTDOWN_GRACE),
            connections: ConnectionBudget::new(default_max_connections()),
        }
    }
}

/// The default connection budget: the process's descriptor limit (`ulimit -n`) less a reserve,
/// three quarters of that (each connection past the budget holds a descriptor while it waits,
/// and each of the sites' calls to the local identity server holds one on each side), at most
/// 10 000 and at least 64.
pub fn default_max_connections() -> usize {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(ASSUMED_DESCRIPTOR_LIMIT);
    max_connections_for(limit)
}

/// The budget for a descriptor limit of `limit`.
fn max_connections_for(limit: u64) -> usize {
    let budget = limit.saturating_sub(RESERVED_DESCRIPTORS) * 3 / 4;
    usize::try_from(budget.clamp(64, MOST_DEFAULT_CONNECTIONS)).unwrap_or(64)
}

/// The process-wide connection budget: a permit per open connection, held for its life, and a
/// bounded number of places for connections waiting for one.
#[derive(Clone, Debug)]
pub struct ConnectionBudget {
    open: Arc<Semaphore>,
    waiting: Arc<Semaphore>,
    max: usize,
    refusals: Arc<Refusals>,
}

/// What a new connection gets from the budget.
#[derive(Debug)]
pub enum Admission {
    /// A place: serve it, holding the permit until it closes.
    Open(OwnedSemaphorePermit),
    /// The budget is full, but the connection may wait [`CONNECTION_WAIT`] for a place; it
    /// holds the waiting place meanwhile.
    Wait(OwnedSemaphorePermit),
    /// The budget and the waiting places are full: close it at once.
    Refuse,
}

impl ConnectionBudget {
    /// A budget of `max` connections (at least one), and an eighth as many waiting places.
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Self {
            open: Arc::new(Semaphore::new(max)),
            waiting: Arc::new(Semaphore::new((max / 8).max(1))),
            max,
            refusals: Arc::default(),
        }
    }

    /// The number of connections the budget allows.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The connections open now, over all listeners.
    pub fn open(&self) -> usize {
        self.max - self.open.available_permits()
    }

    /// The connections refused so far, over all listeners.
    pub fn refused(&self) -> u64 {
        self.refusals.total.load(Ordering::Relaxed)
    }

    /// Admits a new connection, has it wait, or refuses it; never blocks.
    pub fn admit(&self) -> Admission {
        if let Ok(permit) = self.open.clone().try_acquire_owned() {
            return Admission::Open(permit);
        }
        match self.waiting.clone().try_acquire_owned() {
            Ok(place) => Admission::Wait(place),
            Err(_) => Admission::Refuse,
        }
    }

    /// A place for a waiting connection, if one frees within [`CONNECTION_WAIT`].
    pub async fn wait_for_place(&self) -> Option<OwnedSemaphorePermit> {
        tokio::time::timeout(CONNECTION_WAIT, self.open.clone().acquire_owned())
            .await
            .ok()?
            .ok()
    }

    /// Counts a refused connection, and logs at most one line per [`REFUSAL_LOG_PERIOD`]
    /// saying how many were refused since the last one.
    pub fn note_refusal(&self) {
        if let Some(refused) = self.refusals.note() {
            tracing::warn!(
                refused,
                max_connections = self.max,
                "connection budget full: connections refused (see --max-connections)"
            );
        }
    }
}

/// Refused connections: a total, and the count not yet logged.
#[derive(Debug, Default)]
struct Refusals {
    total: AtomicU64,
    unlogged: AtomicU64,
    last_logged: Mutex<Option<Instant>>,
}

impl Refusals {
    /// Counts one; returns the count to log when a line is due.
    fn note(&self) -> Option<u64> {
        self.total.fetch_add(1, Ordering::Relaxed);
        self.unlogged.fetch_add(1, Ordering::Relaxed);
        let mut last = self
            .last_logged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < REFUSAL_LOG_PERIOD) {
            return None;
        }
        *last = Some(now);
        Some(self.unlogged.swap(0, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_budget_stays_below_the_descriptor_limit() {
        assert_eq!(max_connections_for(20_000), 10_000);
        assert_eq!(max_connections_for(1024), 576);
        assert_eq!(max_connections_for(100), 64);
        assert!(default_max_connections() <= 10_000);
    }

    #[test]
    fn past_the_budget_connections_wait_then_are_refused() {
        let budget = ConnectionBudget::new(8);
        let open: Vec<_> = (0..8)
            .map(|_| match budget.admit() {
                Admission::Open(permit) => permit,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(budget.open(), 8);
        let waiting = budget.admit();
        assert!(matches!(waiting, Admission::Wait(_)), "{waiting:?}");
        assert!(matches!(budget.admit(), Admission::Refuse));
        drop(open);
        assert_eq!(budget.open(), 0);
    }

    #[test]
    fn refusals_are_counted_and_logged_once_per_period() {
        let refusals = Refusals::default();
        assert_eq!(refusals.note(), Some(1));
        assert_eq!(refusals.note(), None);
        assert_eq!(refusals.note(), None);
        assert_eq!(refusals.total.load(Ordering::Relaxed), 3);
        assert_eq!(refusals.unlogged.load(Ordering::Relaxed), 2);
    }
}
