//! What is measured besides the load itself (a session storage's footprint, PBKDF2 alone), and the
//! Markdown report of medians and ratios.

use crate::Kind;
use crate::http::{Cores, Run};
use anyhow::Context as _;
use backend::identity::password;
use fred::prelude::{ClientLike as _, ServerInterface as _};
use fred::types::InfoKind;
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Instant;

/// The median of `values` (NaN when empty).
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// PBKDF2 alone, as the identity server runs it for a login: median ms of `count` verifies.
pub fn pbkdf2_ms(count: usize) -> f64 {
    let stored = password::hash("password", password::DEFAULT_FACTOR);
    let mut times: Vec<f64> = (0..count)
        .map(|_| {
            let started = Instant::now();
            assert!(password::verify(black_box("password"), &stored));
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    median(&mut times)
}

/// How much room a session storage's sessions take.
pub enum Footprint {
    /// The process's resident set (the memory storage lives in it).
    Rss,
    /// The SQLite database's pages (sessions and the per-user index), after a checkpoint.
    Sqlite(sqlx::SqlitePool),
    /// The benchmark's own Redis: `used_memory` of `INFO memory` (everything the site keeps
    /// there: records, the per-user index).
    Redis(backend::redis::Redis),
}

impl Footprint {
    /// For Redis, `redis_url` must name an empty database: the benchmark's own.
    pub async fn new(
        kind: &Kind,
        database_url: &str,
        redis_url: Option<&str>,
    ) -> anyhow::Result<Self> {
        Ok(match kind {
            Kind::Memory => Self::Rss,
            Kind::Sqlite => {
                let db = backend::db::Db::open(database_url, "store").await?;
                Self::Sqlite(db.as_sqlite().context("a SQLite database")?.clone())
            }
            Kind::Redis => {
                let url = redis_url.context("--redis-url")?;
                let redis = backend::redis::Redis::connect(url, crate::REDIS_PREFIX).await?;
                let keys: u64 = redis.pool().dbsize().await?;
                anyhow::ensure!(
                    keys == 0,
                    "the Redis at {} holds {keys} keys: give the benchmark an empty one of its own \
                     (bash bench/run starts one)",
                    backend::redis::redact(url)
                );
                Self::Redis(redis)
            }
        })
    }

    pub fn what(&self) -> &'static str {
        match self {
            Self::Rss => "process RSS",
            Self::Sqlite(_) => "SQLite page_count × page_size",
            Self::Redis(_) => "Redis used_memory",
        }
    }

    pub async fn bytes(&self) -> anyhow::Result<u64> {
        match self {
            Self::Rss => {
                let status = std::fs::read_to_string("/proc/self/status")?;
                let kib: u64 = status
                    .lines()
                    .find_map(|line| line.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                    .ok_or_else(|| anyhow::anyhow!("no VmRSS in /proc/self/status"))?;
                Ok(kib * 1024)
            }
            Self::Sqlite(pool) => {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(pool)
                    .await?;
                let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count").fetch_one(pool).await?;
                let (size,): (i64,) = sqlx::query_as("PRAGMA page_size").fetch_one(pool).await?;
                Ok(u64::try_from(pages * size)?)
            }
            Self::Redis(redis) => {
                let info: String = redis.pool().info(Some(InfoKind::Memory)).await?;
                info.lines()
                    .find_map(|line| line.strip_prefix("used_memory:"))
                    .and_then(|v| v.trim().parse().ok())
                    .context("no used_memory in INFO memory")
            }
        }
    }
}

/// One run, summarized.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    /// Cores used by the server, the load generator, and everything else on the machine.
    pub cores: Cores,
}

impl Sample {
    pub fn of(run: &Run) -> Self {
        Self {
            throughput: run.throughput(),
            p50_ms: run.percentile_ms(50.0),
            p99_ms: run.percentile_ms(99.0),
            errors: run.errors,
            cores: run.cores,
        }
    }
}

/// Medians over runs.
fn med(samples: &[Sample], f: impl Fn(&Sample) -> f64) -> f64 {
    median(&mut samples.iter().map(f).collect::<Vec<_>>())
}

fn errors(samples: &[Sample]) -> u64 {
    samples.iter().map(|s| s.errors).sum()
}

/// The page loads at one number of stored sessions: round by round, the home page (the
/// ceiling), the home page signed in, then the cart.
pub struct Level {
    pub stored: usize,
    pub home: Vec<Sample>,
    /// `GET /` with the session: the session's own cost, without the cart's queries.
    pub signed_in: Vec<Sample>,
    pub cart: Vec<Sample>,
}

impl Level {
    pub fn new(stored: usize) -> Self {
        Self {
            stored,
            home: Vec::new(),
            signed_in: Vec::new(),
            cart: Vec::new(),
        }
    }

    /// `page`'s throughput over the ceiling's, median of the rounds' ratios.
    fn ratio(&self, page: &[Sample]) -> f64 {
        let mut ratios: Vec<f64> = self
            .home
            .iter()
            .zip(page)
            .map(|(home, page)| page.throughput / home.throughput)
            .collect();
        median(&mut ratios)
    }
}

/// Seeding from `from` to `to` stored sessions.
pub struct Growth {
    pub from: usize,
    pub to: usize,
    pub bytes: i64,
    pub seconds: f64,
}

/// One round of login measures, back to back so that their ratios share the machine's state.
pub struct LoginRound {
    /// PBKDF2 alone, median ms.
    pub pbkdf2_ms: f64,
    /// The identity server's `/api/login` alone, one at a time, median ms.
    pub api_login_ms: f64,
    /// `POST /login` one at a time.
    pub sequential: Sample,
    /// The FusionAuth call within it (`Server-Timing`), median ms.
    pub fusionauth_ms: f64,
    /// `POST /login` from every connection at once.
    pub concurrent: Sample,
}

/// Everything measured on one session storage.
pub struct StorageResult {
    pub storage: &'static str,
    pub levels: Vec<Level>,
    pub growth: Vec<Growth>,
    pub logins: Vec<LoginRound>,
}

impl StorageResult {
    pub fn new(storage: &'static str) -> Self {
        Self {
            storage,
            levels: Vec::new(),
            growth: Vec::new(),
            logins: Vec::new(),
        }
    }

    fn login(&self, f: impl Fn(&LoginRound) -> f64) -> f64 {
        median(&mut self.logins.iter().map(f).collect::<Vec<_>>())
    }
}

/// The whole benchmark.
#[derive(Default)]
pub struct Report {
    pub storages: Vec<StorageResult>,
}

impl Report {
    pub fn markdown(&self, connections: usize) -> String {
        let mut out = String::new();
        let runs = self
            .storages
            .first()
            .and_then(|s| s.levels.first())
            .map_or(0, |l| l.cart.len());
        let _ = writeln!(
            out,
            "\n### Page loads: {connections} connections, each its own session (medians of {runs} runs)\n"
        );
        out.push_str(
            "| store | stored sessions | `GET /` req/s (ceiling) | `GET /shopping-cart` req/s | cart / ceiling | cart p50 | cart p99 | cart vs first level | `GET /` p50 / p99 | `GET /` signed in req/s | signed in / ceiling | cores (cart): server / load generator / others | errors |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for storage in &self.storages {
            let first = storage
                .levels
                .first()
                .map(|l| med(&l.cart, |s| s.throughput));
            for level in &storage.levels {
                let cart = med(&level.cart, |s| s.throughput);
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.0} | {:.0} | {:.2} | {:.2} ms | {:.2} ms | {:.2} | {:.2} / {:.2} ms | {:.0} | {:.2} | {:.1} / {:.1} / {:.1} | {} |",
                    storage.storage,
                    level.stored,
                    med(&level.home, |s| s.throughput),
                    cart,
                    level.ratio(&level.cart),
                    med(&level.cart, |s| s.p50_ms),
                    med(&level.cart, |s| s.p99_ms),
                    first.map_or(f64::NAN, |f| cart / f),
                    med(&level.home, |s| s.p50_ms),
                    med(&level.home, |s| s.p99_ms),
                    med(&level.signed_in, |s| s.throughput),
                    level.ratio(&level.signed_in),
                    med(&level.cart, |s| s.cores.server),
                    med(&level.cart, |s| s.cores.generator),
                    med(&level.cart, |s| s.cores.others),
                    errors(&level.home) + errors(&level.signed_in) + errors(&level.cart),
                );
            }
        }

        out.push_str(
            "\n### Memory per stored session (seeding step by step)\n\n\
             | store | measured as | sessions | growth | per session | seeding rate |\n\
             | --- | --- | --- | ---: | ---: | ---: |\n",
        );
        for storage in &self.storages {
            let what = match storage.storage {
                "memory" => "process RSS",
                "sqlite" => "SQLite pages (page_count × page_size)",
                _ => "Redis `used_memory`",
            };
            for growth in &storage.growth {
                let added = growth.to - growth.from;
                let _ = writeln!(
                    out,
                    "| {} | {what} | {} → {} | {:.1} MiB | {:.0} B | {:.0}/s |",
                    storage.storage,
                    growth.from,
                    growth.to,
                    growth.bytes as f64 / (1024.0 * 1024.0),
                    growth.bytes as f64 / added.max(1) as f64,
                    added as f64 / growth.seconds,
                );
            }
        }

        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let rounds = self.storages.first().map_or(0, |s| s.logins.len());
        let _ = writeln!(
            out,
            "\n### `POST /login` end to end: the Store's form post → FusionAuth `/api/login` → session (medians of {rounds} rounds)\n\n\
             | store | PBKDF2 alone | `/api/login` alone | `POST /login`, one at a time | of which FusionAuth (`Server-Timing`) | `POST /login` ÷ PBKDF2 | `/api/login` ÷ PBKDF2 | {connections} at once: logins/s | ÷ ({cores} cores ÷ PBKDF2) | p50 | p99 | errors |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        for storage in &self.storages {
            let _ = writeln!(
                out,
                "| {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} | {:.2} | {:.0} | {:.2} | {:.0} ms | {:.0} ms | {} |",
                storage.storage,
                storage.login(|r| r.pbkdf2_ms),
                storage.login(|r| r.api_login_ms),
                storage.login(|r| r.sequential.p50_ms),
                storage.login(|r| r.fusionauth_ms),
                storage.login(|r| r.sequential.p50_ms / r.pbkdf2_ms),
                storage.login(|r| r.api_login_ms / r.pbkdf2_ms),
                storage.login(|r| r.concurrent.throughput),
                storage.login(|r| r.concurrent.throughput / (cores * 1000.0 / r.pbkdf2_ms)),
                storage.login(|r| r.concurrent.p50_ms),
                storage.login(|r| r.concurrent.p99_ms),
                storage
                    .logins
                    .iter()
                    .map(|r| r.sequential.errors + r.concurrent.errors)
                    .sum::<u64>(),
            );
        }
        out
    }
}
