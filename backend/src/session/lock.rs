//! The locks that serialize writes to one session key. [`super::HashedSessions`] reads a key's
//! state and writes what follows from it (a save only over a live record, a tombstone over
//! whatever is there, a retired marker only over the live record being rotated); two writers
//! interleaving there could bring an ended session back. One process serializes them on
//! in-process locks; replicas sharing Redis take a lock in Redis.

use super::key::SessionKey;
use crate::clock::millis;
use crate::redis::Redis;
use fred::prelude::{Expiration, KeysInterface as _, LuaInterface as _, SetOptions};
use rand::Rng as _;
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};
use tower_sessions::session_store;

/// In-process locks: writes are serialized per key on one of this many.
const STRIPES: usize = 64;
/// A Redis lock expires after this long even if its holder never releases it (a replica that
/// died mid-write); far longer than a write takes.
const LEASE: Duration = Duration::from_secs(5);
/// How long a writer waits for a busy key before the request fails (503).
const WAIT: Duration = Duration::from_secs(2);
/// Deletes the lock only if it is still the caller's (its lease may have run out and another
/// writer taken it).
const RELEASE: &str =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/// Where the locks are.
pub enum Locks {
    /// In this process (one replica).
    Local(Box<[Mutex<()>; STRIPES]>),
    /// In Redis, shared by every replica of the site.
    Redis(Redis),
}

impl std::fmt::Debug for Locks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Local(_) => f.write_str("Locks::Local"),
            Self::Redis(redis) => f.debug_tuple("Locks::Redis").field(redis).finish(),
        }
    }
}

/// A held lock; dropping it releases the lock.
pub enum Guard<'a> {
    /// An in-process lock.
    Local(MutexGuard<'a, ()>),
    /// A Redis lock, released by a task when dropped.
    Redis {
        redis: Redis,
        key: String,
        token: String,
    },
}

impl Locks {
    /// Locks in this process.
    pub fn local() -> Self {
        Self::Local(Box::new(std::array::from_fn(|_| Mutex::new(()))))
    }

    /// Locks in Redis under `redis`'s prefix.
    pub fn redis(redis: Redis) -> Self {
        Self::Redis(redis)
    }

    /// Waits for `key`'s lock. In Redis, gives up after [`WAIT`], or at once if Redis cannot
    /// be reached.
    pub async fn lock(&self, key: SessionKey) -> session_store::Result<Guard<'_>> {
        match self {
            Self::Local(stripes) => Ok(Guard::Local(stripes[key.stripe(STRIPES)].lock().await)),
            Self::Redis(redis) => {
                let name = redis.key(&format!("lock:{key}"));
                let token = format!("{:032x}", rand::rng().random::<u128>());
                let started = tokio::time::Instant::now();
                let mut pause = Duration::from_millis(1);
                loop {
                    let taken: bool = redis
                        .pool()
                        .set(
                            &name,
                            &token,
                            Some(Expiration::PX(millis(LEASE))),
                            Some(SetOptions::NX),
                            false,
                        )
                        .await
                        .map_err(unavailable)?;
                    if taken {
                        return Ok(Guard::Redis {
                            redis: redis.clone(),
                            key: name,
                            token,
                        });
                    }
                    if started.elapsed() >= WAIT {
                        return Err(session_store::Error::Backend(format!(
                            "session {} stayed locked for {WAIT:?}",
                            key.log_id()
                        )));
                    }
                    // Jittered, growing pauses: the holder writes for a millisecond or two.
                    let jitter = rand::rng().random_range(0..=pause.as_micros() as u64);
                    tokio::time::sleep(pause + Duration::from_micros(jitter)).await;
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
            }
        }
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        let Self::Redis { redis, key, token } = self else {
            return;
        };
        let (redis, key, token) = (redis.clone(), std::mem::take(key), std::mem::take(token));
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // No runtime left: the lease runs out instead.
        };
        runtime.spawn(async move {
            let released: Result<i64, _> = redis.pool().eval(RELEASE, vec![key], vec![token]).await;
            if let Err(error) = released {
                tracing::warn!(%error, "releasing a session lock in Redis failed; its lease will run out");
            }
        });
    }
}

fn unavailable(error: fred::error::Error) -> session_store::Error {
    session_store::Error::Backend(format!("Redis: {error}"))
}
