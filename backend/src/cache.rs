//! A read cache in front of rows this process alone writes: the SQLite session table and the
//! Store's cart lines (SQLite is one process's file; replicas use Redis and PostgreSQL, which
//! are never cached here). A SQLite read through sqlx costs a round trip to the connection's
//! worker thread, which on a busy page is dearer than everything else the page does (see
//! BENCHMARKS.md); a hit costs a hash lookup and a clone.
//!
//! # Coherence
//!
//! Every write of a cached row goes through [`ReadCache::write`], which runs the write to the
//! end even if the request that started it goes away, then replaces or forgets the cached
//! value. A read that missed fills the cache only if no write touched its shard since the
//! read began ([`Ticket`]): a read that raced a write may have seen the row before it, and
//! must not put that back after the write's own update.
//!
//! Bounded: each shard keeps its most useful entries (S3-FIFO, `quick_cache`) and drops the
//! rest, which are read from the database again when asked for.

use std::future::Future;
use std::hash::{BuildHasher, Hash};
use std::sync::{Arc, Mutex, MutexGuard};

/// Shards, each with its own lock: requests on the worker threads rarely wait for each other.
const SHARDS: usize = 16;

/// A bounded cache of `V` by `K`, kept coherent with the writes made through it.
pub struct ReadCache<K, V> {
    shared: Arc<Shared<K, V>>,
}

struct Shared<K, V> {
    shards: Box<[Mutex<Shard<K, V>>]>,
    hasher: std::hash::RandomState,
}

struct Shard<K, V> {
    /// Bumped by every write to a key of this shard.
    generation: u64,
    entries: quick_cache::unsync::Cache<K, V>,
}

/// What a read that missed holds until it fills the cache: where it looked, and when.
#[derive(Debug)]
#[must_use = "a miss is filled with the ticket it got"]
pub struct Ticket {
    shard: usize,
    generation: u64,
}

impl<K, V> Clone for ReadCache<K, V> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<K, V> std::fmt::Debug for ReadCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache")
            .field("shards", &self.shared.shards.len())
            .finish_non_exhaustive()
    }
}

impl<K, V> ReadCache<K, V>
where
    K: Hash + Eq + Clone + Send + 'static,
    V: Clone + Send + 'static,
{
    /// A cache of at most about `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        let per_shard = capacity.div_ceil(SHARDS).max(1);
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    generation: 0,
                    entries: quick_cache::unsync::Cache::new(per_shard),
                })
            })
            .collect();
        Self {
            shared: Arc::new(Shared {
                shards,
                hasher: std::hash::RandomState::new(),
            }),
        }
    }

    /// The cached value of `key`; on a miss, the [`Ticket`] to [`fill`](Self::fill) it with
    /// after reading the database.
    pub fn get(&self, key: &K) -> Result<V, Ticket> {
        let shard = self.shard_of(key);
        let entries = self.lock(shard);
        match entries.entries.get(key) {
            Some(value) => Ok(value.clone()),
            None => Err(Ticket {
                shard,
                generation: entries.generation,
            }),
        }
    }

    /// Caches what a read that missed found, unless a write to the shard came since the miss.
    pub fn fill(&self, key: K, value: V, ticket: Ticket) {
        let mut shard = self.lock(ticket.shard);
        if shard.generation == ticket.generation {
            shard.entries.insert(key, value);
        }
    }

    /// Runs `write`, a change to the row behind `key`, to the end even if the caller stops
    /// waiting (a request whose client went away), then caches what `after` makes of its
    /// result: `Some` value to serve from now on, or `None` to forget the key (the next read
    /// goes to the database).
    pub async fn write<F>(
        &self,
        key: K,
        write: F,
        after: impl FnOnce(&F::Output) -> Option<V> + Send + 'static,
    ) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let cache = self.clone();
        let task = tokio::spawn(async move {
            let result = write.await;
            let mut shard = cache.lock(cache.shard_of(&key));
            shard.generation += 1;
            match after(&result) {
                Some(value) => shard.entries.insert(key, value),
                None => drop(shard.entries.remove(&key)),
            }
            result
        });
        match task.await {
            Ok(result) => result,
            // The write panicked: the panic carries on here, and the key was never touched.
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }

    fn shard_of(&self, key: &K) -> usize {
        // The low bits of a full-width hash pick the shard.
        (self.shared.hasher.hash_one(key) as usize) % self.shared.shards.len()
    }

    fn lock(&self, shard: usize) -> MutexGuard<'_, Shard<K, V>> {
        // A panic while holding a shard cannot leave it half-changed (each step is one call into
        // the map), so a poisoned lock is used as is.
        self.shared.shards[shard]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_miss_fills_and_the_next_read_hits() {
        let cache = ReadCache::new(100);
        let ticket = cache.get(&"alice").unwrap_err();
        cache.fill("alice", 1, ticket);
        assert_eq!(cache.get(&"alice").unwrap(), 1);
    }

    #[tokio::test]
    async fn a_read_that_raced_a_write_does_not_put_the_old_value_back() {
        let cache = ReadCache::new(100);
        // A read misses, and reads the old row...
        let ticket = cache.get(&"alice").unwrap_err();
        let old = 1;
        // ...while a write changes it and forgets the key...
        cache.write("alice", async { 2 }, |_| None).await;
        // ...then the read comes back with what it saw: not cached.
        cache.fill("alice", old, ticket);
        assert!(cache.get(&"alice").is_err(), "the stale read was cached");
    }

    #[tokio::test]
    async fn a_write_caches_what_it_wrote_or_forgets_on_failure() {
        let cache = ReadCache::new(100);
        let written: Result<u32, ()> = cache
            .write("alice", async { Ok(7) }, |result| result.ok())
            .await;
        assert_eq!(written, Ok(7));
        assert_eq!(cache.get(&"alice").unwrap(), 7);
        let failed: Result<u32, ()> = cache
            .write("alice", async { Err(()) }, |result| result.ok())
            .await;
        assert_eq!(failed, Err(()));
        assert!(cache.get(&"alice").is_err(), "a failed write left a value");
    }

    #[tokio::test]
    async fn a_write_whose_caller_went_away_still_updates_the_cache() {
        let cache = ReadCache::new(100);
        cache.fill("alice", 1, cache.get(&"alice").unwrap_err());
        let (started, wait) = tokio::sync::oneshot::channel::<()>();
        let (finish, release) = tokio::sync::oneshot::channel::<()>();
        let writer = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .write(
                        "alice",
                        async move {
                            started.send(()).unwrap();
                            release.await.unwrap();
                            2
                        },
                        |value| Some(*value),
                    )
                    .await
            })
        };
        wait.await.unwrap();
        // The request is dropped in the middle of its write (its client hung up).
        writer.abort();
        finish.send(()).unwrap();
        for _ in 0..100 {
            if cache.get(&"alice").ok() == Some(2) {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("the abandoned write never reached the cache");
    }

    #[test]
    fn it_stays_bounded() {
        let cache = ReadCache::new(64);
        for key in 0..10_000 {
            cache.fill(key, key, cache.get(&key).unwrap_err());
        }
        let kept = (0..10_000).filter(|key| cache.get(key).is_ok()).count();
        assert!(kept <= 64 + SHARDS, "{kept} entries kept");
        assert!(kept > 0);
    }
}
