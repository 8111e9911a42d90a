//! Single-flight bookkeeping for background work keyed by something (a session's key): at most
//! one piece of work per key runs at a time. [`InFlight::claim`] hands out a [`Claim`] only when
//! none is out for that key; the claim gives the key back when it is dropped, which also happens
//! when the work panics, times out or is cancelled, so a key is never left claimed for good.
//!
//! Revalidation uses it so that the many requests of a session whose check is due start one call
//! to FusionAuth, not one each. It is per process: replicas sharing the session storage are kept
//! apart by the next-check time the claiming request writes into the session.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

/// The keys with work in flight (cheap to clone: clones share the set).
#[derive(Debug)]
pub struct InFlight<K> {
    keys: Arc<Mutex<HashSet<K>>>,
}

impl<K> Clone for InFlight<K> {
    fn clone(&self) -> Self {
        Self {
            keys: self.keys.clone(),
        }
    }
}

impl<K> Default for InFlight<K> {
    fn default() -> Self {
        Self {
            keys: Arc::default(),
        }
    }
}

/// The right to do `key`'s work; dropping it lets the next claim for `key` through.
#[derive(Debug)]
#[must_use = "the key is free again as soon as the claim is dropped"]
pub struct Claim<K: Eq + Hash> {
    keys: Arc<Mutex<HashSet<K>>>,
    key: K,
}

impl<K: Eq + Hash + Clone> InFlight<K> {
    /// A claim on `key`, or `None` while another claim on it is out.
    pub fn claim(&self, key: K) -> Option<Claim<K>> {
        let inserted = self.lock().insert(key.clone());
        inserted.then(|| Claim {
            keys: self.keys.clone(),
            key,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<K>> {
        // The set stays consistent whatever panicked while holding it: inserts and removes
        // are single calls.
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<K: Eq + Hash> Drop for Claim<K> {
    fn drop(&mut self) {
        self.keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_key_is_claimed_once_until_its_claim_is_dropped() {
        let in_flight = InFlight::default();
        let first = in_flight.claim(1).expect("a free key");
        assert!(in_flight.claim(1).is_none(), "already in flight");
        let other = in_flight.claim(2).expect("other keys are free");
        drop(first);
        assert!(in_flight.claim(1).is_some(), "free again");
        assert!(in_flight.claim(2).is_none(), "still in flight");
        drop(other);
        assert!(in_flight.claim(2).is_some());
    }

    #[test]
    fn clones_share_the_claims() {
        let in_flight = InFlight::default();
        let _claim = in_flight.claim("k").unwrap();
        assert!(in_flight.clone().claim("k").is_none());
    }

    #[tokio::test]
    async fn work_that_panics_gives_its_key_back() {
        let in_flight = InFlight::default();
        let claim = in_flight.claim(7).unwrap();
        let work = tokio::spawn(async move {
            let _claim = claim;
            panic!("the work failed");
        });
        assert!(work.await.unwrap_err().is_panic());
        assert!(in_flight.claim(7).is_some());
    }

    #[tokio::test]
    async fn work_that_times_out_or_is_cancelled_gives_its_key_back() {
        let in_flight = InFlight::default();
        let claim = in_flight.claim(7).unwrap();
        let never = async move {
            let _claim = claim;
            std::future::pending::<()>().await;
        };
        let timed_out = tokio::time::timeout(Duration::from_millis(10), never).await;
        assert!(timed_out.is_err());
        assert!(in_flight.claim(7).is_some(), "free after the timeout");

        let claim = in_flight.claim(8).unwrap();
        let task = tokio::spawn(async move {
            let _claim = claim;
            std::future::pending::<()>().await;
        });
        assert!(in_flight.claim(8).is_none());
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(in_flight.claim(8).is_some(), "free after the abort");
    }
}
