//! The Redis (or Valkey) connection a site shares between replicas: its sessions, the locks
//! that serialize writes to one session, the per-user session index and the login rate limits.
//!
//! Every key a site names starts with its prefix (`store:`, `forums:`, or whatever
//! `--redis-prefix` adds in front): locks, index hashes, rate-limit counters. The session
//! records themselves are named by `tower-sessions-redis-store` after their (hashed) id; their
//! id is a hash of the prefix and the session key, so sites never share one either.

use anyhow::Context as _;
use fred::prelude::{
    ClientLike as _, Config, ConnectionConfig, PerformanceConfig, Pool, ReconnectPolicy,
};
use std::time::Duration;

/// How long a command may wait, connecting included: an unreachable server turns requests into
/// 503s this quickly instead of holding them.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);
/// Connections per site and process. One: the client pipelines every request's command on it,
/// so under load many commands share a socket write and Redis answers them in one read, where
/// four connections (one command per write) gave 15% fewer cart pages a second.
const POOL_SIZE: usize = 1;

/// A site's handle on Redis: a pool of connections and the prefix of the site's keys.
#[derive(Clone)]
pub struct Redis {
    pool: Pool,
    prefix: String,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The pool's config holds the password of the URL: never printed.
        f.debug_struct("Redis")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// Connects to `url` (`redis://`, `rediss://`, `redis-cluster://`, `redis-sentinel://`, the
    /// `valkey` spellings too) and waits for the connections. Lost connections come back on
    /// their own (retried every 0.1–2 s, forever); meanwhile commands fail after a second.
    pub async fn connect(url: &str, prefix: impl Into<String>) -> anyhow::Result<Self> {
        let config =
            Config::from_url(url).with_context(|| format!("invalid Redis URL {}", redact(url)))?;
        let performance = PerformanceConfig {
            default_command_timeout: COMMAND_TIMEOUT,
            ..PerformanceConfig::default()
        };
        let connection = ConnectionConfig {
            connection_timeout: COMMAND_TIMEOUT,
            internal_command_timeout: COMMAND_TIMEOUT,
            // A command that was sent when the connection broke is not sent again: a write
            // might have happened, and the caller answers 503 instead.
            max_command_attempts: 1,
            ..ConnectionConfig::default()
        };
        let reconnect = ReconnectPolicy::new_exponential(0, 100, 2_000, 2);
        let pool = Pool::new(
            config,
            Some(performance),
            Some(connection),
            Some(reconnect),
            POOL_SIZE,
        )?;
        pool.init()
            .await
            .with_context(|| format!("cannot connect to Redis at {}", redact(url)))?;
        Ok(Self {
            pool,
            prefix: prefix.into(),
        })
    }

    /// The connection pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The prefix of this site's keys, e.g. `store:`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The site's key for `rest`, e.g. `store:lock:…`.
    pub fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.prefix)
    }
}

/// Whether `url` names a Redis or Valkey server (any scheme `fred` takes).
pub fn is_redis_url(url: &str) -> bool {
    let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
    let base = scheme.split(['+', '-']).next().unwrap_or("");
    matches!(base, "redis" | "rediss" | "valkey" | "valkeys")
}

/// `url` without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(unparsable URL)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_and_valkey_urls_are_recognised() {
        for url in [
            "redis://127.0.0.1:6379",
            "rediss://cache.example:6380/2",
            "redis-cluster://10.0.0.1:7000?node=10.0.0.2:7000",
            "valkey://localhost",
            "redis+unix:///run/redis.sock",
        ] {
            assert!(is_redis_url(url), "{url}");
        }
        for other in ["sqlite", "memory", "postgres://x", "http://redis", "redis"] {
            assert!(!is_redis_url(other), "{other}");
        }
    }

    #[test]
    fn passwords_are_not_shown() {
        let shown = redact("redis://user:hunter2@cache.example:6379/0");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("cache.example"), "{shown}");
        assert_eq!(redact("redis://localhost"), "redis://localhost");
    }
}
