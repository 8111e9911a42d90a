//! Rate limits on the login posts (`/login`, `/login/two-factor`, `/login/change-password`):
//! one budget per client IP (password spraying across accounts) and one per account (guessing
//! one account's password from many addresses). Over budget: `429 Too Many Requests` with an
//! honest `Retry-After`. FusionAuth's own lock (409 after five failures) stays behind this.
//!
//! Every attempt counts, successful or not: a human logs in a few times a minute at most, and
//! counting only failures would need a second round-trip through the limiter per attempt.
//!
//! One replica counts in memory (governor's GCRA). Replicas sharing Redis count there, with
//! the same algorithm in a Lua script on Redis's clock, so an attacker gains nothing by
//! spreading attempts over replicas.

use crate::redis::Redis;
use fred::prelude::LuaInterface as _;
use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest as _, Sha256};
use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

/// A budget of `count` attempts per `period`: `count` may come at once, then they refill
/// evenly (`20/min` allows a burst of 20, then one every 3 s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Attempts per period, and the largest burst.
    pub count: NonZeroU32,
    /// The period over which `count` attempts refill.
    pub period: Duration,
}

impl Rate {
    /// `count` attempts per minute.
    pub const fn per_minute(count: NonZeroU32) -> Self {
        Self {
            count,
            period: Duration::from_secs(60),
        }
    }

    fn quota(self) -> Quota {
        // `count` over `period`, i.e. one every `period / count`, at least a nanosecond.
        let every = (self.period / self.count.get()).max(Duration::from_nanos(1));
        Quota::with_period(every)
            .expect("the refill interval is at least a nanosecond")
            .allow_burst(self.count)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.period.as_secs() {
            1 => "s".to_owned(),
            60 => "min".to_owned(),
            3600 => "h".to_owned(),
            _ => format!("{}ms", self.period.as_millis()),
        };
        write!(f, "{}/{unit}", self.count)
    }
}

impl FromStr for Rate {
    type Err = String;

    /// `20/min`, `5/m`, `100/h`, `2/s`, `10/30s`.
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?} is not a rate such as 20/min, 5/m, 100/h or 10/30s");
        let (count, period) = text.trim().split_once('/').ok_or_else(bad)?;
        let count: NonZeroU32 = count.trim().parse().map_err(|_| bad())?;
        let period = match period.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            other => shared::duration::parse_duration(other).map_err(|_| bad())?,
        };
        if period.is_zero() {
            return Err(bad());
        }
        Ok(Self { count, period })
    }
}

/// A rate or `off`, as the command line takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit(pub Option<Rate>);

impl FromStr for Limit {
    type Err = String;

    /// A [`Rate`], or `off`.
    fn from_str(text: &str) -> Result<Self, String> {
        if text.trim().eq_ignore_ascii_case("off") {
            Ok(Self(None))
        } else {
            text.parse().map(|rate| Self(Some(rate)))
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(rate) => rate.fmt(f),
            None => f.write_str("off"),
        }
    }
}

/// The login rate limits of a site; `None` turns one off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginLimits {
    /// Per client IP (IPv6 clients by their /64, which one subscriber usually holds whole).
    pub per_ip: Option<Rate>,
    /// Per account: the submitted login id, trimmed and case-folded.
    pub per_account: Option<Rate>,
}

impl Default for LoginLimits {
    /// 20 a minute per IP (a household or office behind one address), 5 a minute per account
    /// (a person retyping a password; FusionAuth locks after 5 failures anyway).
    fn default() -> Self {
        Self {
            per_ip: Some(Rate::per_minute(NonZeroU32::new(20).expect("20 > 0"))),
            per_account: Some(Rate::per_minute(NonZeroU32::new(5).expect("5 > 0"))),
        }
    }
}

impl LoginLimits {
    /// No limits (tests that log in many times).
    pub fn unlimited() -> Self {
        Self {
            per_ip: None,
            per_account: None,
        }
    }

    /// 1000 a minute per IP and per account: on, but out of the way of test suites that log
    /// the same demo user in dozens of times a minute from one address.
    pub fn generous() -> Self {
        let thousand = Some(Rate::per_minute(NonZeroU32::new(1000).expect("1000 > 0")));
        Self {
            per_ip: thousand,
            per_account: thousand,
        }
    }
}

/// Why an attempt was refused, and when the next one will be allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limited {
    /// Which budget ran out (for the log).
    pub budget: &'static str,
    /// Until the next attempt is allowed.
    pub retry_after: Duration,
}

/// Why an attempt was not let through.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// Over budget.
    #[error("too many login attempts ({})", .0.budget)]
    Limited(Limited),
    /// The shared counters in Redis cannot be reached: the attempt is refused (503), not let
    /// through uncounted.
    #[error("login rate limits unavailable: {0}")]
    Unavailable(String),
}

/// The running limiters of one site.
#[derive(Debug)]
pub enum LoginLimiter {
    /// In this process.
    Local {
        /// Per client IP.
        per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
        /// Per account.
        per_account: Option<DefaultKeyedRateLimiter<[u8; 16]>>,
    },
    /// In Redis, shared by the site's replicas.
    Redis {
        /// The budgets.
        limits: LoginLimits,
        /// Where the counters are (`<prefix>limit:…`).
        redis: Redis,
    },
}

/// GCRA on Redis's clock. KEYS: the budget's key. ARGV: the refill interval and the burst
/// allowance (interval × (count − 1)), in microseconds. Returns 0 when the attempt is allowed
/// (and counted), else the microseconds until the next one will be.
const GCRA: &str = "local t = redis.call('TIME') \
    local now = tonumber(t[1]) * 1000000 + tonumber(t[2]) \
    local interval = tonumber(ARGV[1]) \
    local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or now), now) \
    local allowed_at = tat - tonumber(ARGV[2]) \
    if now < allowed_at then return math.ceil(allowed_at - now) end \
    local next_tat = tat + interval \
    redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1) \
    return 0";

impl LoginLimiter {
    /// Limiters for `limits`, in this process.
    pub fn new(limits: LoginLimits) -> Self {
        Self::Local {
            per_ip: limits.per_ip.map(|r| RateLimiter::keyed(r.quota())),
            per_account: limits.per_account.map(|r| RateLimiter::keyed(r.quota())),
        }
    }

    /// Limiters for `limits`, counted in Redis under `redis`'s prefix.
    pub fn shared(limits: LoginLimits, redis: Redis) -> Self {
        Self::Redis { limits, redis }
    }

    /// Counts an attempt from `ip`.
    pub async fn check_ip(&self, ip: IpAddr) -> Result<(), LimitError> {
        let ip = ip_key(ip);
        match self {
            Self::Local { per_ip, .. } => check(per_ip.as_ref(), &ip, "per IP"),
            Self::Redis { limits, redis } => {
                check_shared(redis, limits.per_ip, &format!("ip:{ip}"), "per IP").await
            }
        }
    }

    /// Counts an attempt at `login_id`'s account.
    pub async fn check_account(&self, login_id: &str) -> Result<(), LimitError> {
        let account = account_key(login_id);
        match self {
            Self::Local { per_account, .. } => check(per_account.as_ref(), &account, "per account"),
            Self::Redis { limits, redis } => {
                let hex: String = account.iter().map(|b| format!("{b:02x}")).collect();
                check_shared(
                    redis,
                    limits.per_account,
                    &format!("account:{hex}"),
                    "per account",
                )
                .await
            }
        }
    }

    /// Forgets keys whose budget is full again, so the maps hold only recent clients (Redis
    /// expires them itself).
    pub fn forget_idle(&self) {
        let Self::Local {
            per_ip,
            per_account,
        } = self
        else {
            return;
        };
        for limiter in per_ip.iter() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        for limiter in per_account.iter() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

async fn check_shared(
    redis: &Redis,
    rate: Option<Rate>,
    key: &str,
    budget: &'static str,
) -> Result<(), LimitError> {
    let Some(rate) = rate else {
        return Ok(());
    };
    let interval = (rate.period.as_micros() / u128::from(rate.count.get())).max(1);
    let allowance = interval * u128::from(rate.count.get() - 1);
    let wait_us: i64 = redis
        .pool()
        .eval(
            GCRA,
            vec![redis.key(&format!("limit:{key}"))],
            vec![interval.to_string(), allowance.to_string()],
        )
        .await
        .map_err(|e| LimitError::Unavailable(e.to_string()))?;
    match u64::try_from(wait_us) {
        Ok(0) | Err(_) => Ok(()),
        Ok(wait) => Err(LimitError::Limited(Limited {
            budget,
            retry_after: Duration::from_micros(wait),
        })),
    }
}

fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: Option<&DefaultKeyedRateLimiter<K>>,
    key: &K,
    budget: &'static str,
) -> Result<(), LimitError> {
    let Some(limiter) = limiter else {
        return Ok(());
    };
    limiter.check_key(key).map_err(|not_until| {
        LimitError::Limited(Limited {
            budget,
            retry_after: not_until.wait_time_from(limiter.clock().now()),
        })
    })
}

/// IPv4 addresses as they are; IPv6 by their /64.
fn ip_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let mut octets = v6.octets();
            octets[8..].fill(0);
            IpAddr::from(octets)
        }
        v4 => v4,
    }
}

/// A fixed-size key per account: login ids are attacker-chosen and may be long, and the map
/// need not hold them in the clear.
fn account_key(login_id: &str) -> [u8; 16] {
    let folded = login_id.trim().to_lowercase();
    let digest = Sha256::digest(folded.as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// `Retry-After` in whole seconds, rounded up and at least 1: waiting that long is enough.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    let whole = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    whole.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(ip: &str, account: &str) -> LoginLimits {
        LoginLimits {
            per_ip: ip.parse::<Limit>().unwrap().0,
            per_account: account.parse::<Limit>().unwrap().0,
        }
    }

    #[test]
    fn rates_parse_in_the_usual_units() {
        let twenty = Rate::from_str("20/min").unwrap();
        assert_eq!(twenty.count.get(), 20);
        assert_eq!(twenty.period, Duration::from_secs(60));
        assert_eq!(twenty.to_string(), "20/min");
        assert_eq!(
            "5/m".parse::<Rate>().unwrap().period,
            Duration::from_secs(60)
        );
        assert_eq!("100/h".parse::<Rate>().unwrap().to_string(), "100/h");
        assert_eq!("2/s".parse::<Rate>().unwrap().to_string(), "2/s");
        assert_eq!(
            "10/30s".parse::<Rate>().unwrap().period,
            Duration::from_secs(30)
        );
        assert_eq!("off".parse::<Limit>(), Ok(Limit(None)));
        assert_eq!("5/min".parse::<Limit>().unwrap().to_string(), "5/min");
        for bad in ["20", "0/min", "x/min", "5/fortnight", "5/0s", "-1/min"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn the_attempt_after_the_burst_is_refused_with_the_time_to_the_next() {
        let limiter = LoginLimiter::new(limits("3/min", "off"));
        let ip: IpAddr = "198.51.100.7".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limiter.check_ip(ip).await, Ok(()));
        }
        let LimitError::Limited(refused) = limiter.check_ip(ip).await.unwrap_err() else {
            panic!("refused for another reason");
        };
        assert_eq!(refused.budget, "per IP");
        // One attempt refills every 20 s.
        assert!(refused.retry_after <= Duration::from_secs(20));
        assert!(refused.retry_after > Duration::from_secs(19));
        assert_eq!(retry_after_seconds(refused.retry_after), 20);
        assert_eq!(
            limiter.check_ip("198.51.100.8".parse().unwrap()).await,
            Ok(())
        );
    }

    #[tokio::test]
    async fn accounts_are_case_folded_and_ipv6_clients_share_their_64() {
        let limiter = LoginLimiter::new(limits("1/min", "1/min"));
        assert_eq!(limiter.check_account("Alice@Example.com").await, Ok(()));
        assert!(limiter.check_account(" alice@example.com ").await.is_err());
        assert_eq!(
            limiter.check_ip("2001:db8::1".parse().unwrap()).await,
            Ok(())
        );
        assert!(
            limiter
                .check_ip("2001:db8::2".parse().unwrap())
                .await
                .is_err()
        );
        assert_eq!(
            limiter.check_ip("2001:db8:0:1::1".parse().unwrap()).await,
            Ok(())
        );
    }

    #[tokio::test]
    async fn no_limits_allow_everything() {
        let limiter = LoginLimiter::new(LoginLimits::unlimited());
        for _ in 0..1000 {
            assert_eq!(limiter.check_account("alice@example.com").await, Ok(()));
        }
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(2001)), 3);
        assert_eq!(retry_after_seconds(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
    }

    #[tokio::test]
    async fn one_account_running_out_leaves_the_others_their_budget() {
        let limiter = LoginLimiter::new(limits("off", "1/min"));
        assert_eq!(limiter.check_account("alice@example.com").await, Ok(()));
        assert!(limiter.check_account("alice@example.com").await.is_err());
        assert_eq!(limiter.check_account("bob@example.com").await, Ok(()));
    }

    #[tokio::test]
    async fn clients_whose_budget_refilled_are_forgotten() {
        let limiter = LoginLimiter::new(limits("1/50ms", "1/50ms"));
        limiter
            .check_ip("198.51.100.7".parse().unwrap())
            .await
            .unwrap();
        limiter.check_account("alice@example.com").await.unwrap();
        let held = |l: &LoginLimiter| match l {
            LoginLimiter::Local {
                per_ip,
                per_account,
            } => (
                per_ip.as_ref().unwrap().len(),
                per_account.as_ref().unwrap().len(),
            ),
            LoginLimiter::Redis { .. } => unreachable!("a local limiter"),
        };
        assert_eq!(held(&limiter), (1, 1));
        tokio::time::sleep(Duration::from_millis(120)).await;
        limiter.forget_idle();
        assert_eq!(held(&limiter), (0, 0));
    }

    #[test]
    fn the_test_stacks_limits_are_on_but_out_of_the_way() {
        let generous = LoginLimits::generous();
        let per_ip = generous.per_ip.map(|rate| rate.to_string());
        assert_eq!(per_ip.as_deref(), Some("1000/min"));
        assert_eq!(generous.per_account, generous.per_ip);
    }
}
