//! Load benchmarks of the Store: authenticated page loads per session storage, as the number of
//! stored sessions grows, the memory each stored session takes, and `POST /login` end to end.
//!
//! Run: `cargo bench -p backend --bench load` (memory and SQLite), or `bash bench/run`, which
//! also starts a Redis of its own and passes `--redis-url`. Options (after `--`):
//!
//! ```text
//! --stores memory,sqlite,redis   which session storage (default: memory,sqlite, and redis with a URL)
//! --redis-url redis://…          a Redis for the benchmark alone (env BENCH_REDIS_URL): it must
//!                                be empty at the start, and is left full (bench/run stops it)
//! --sizes 1000,100000,1000000    stored sessions at each level (default)
//! --runs 5                       measured rounds per level (each: GET / then the cart)
//! --duration 5s --warmup 1s      per run
//! --connections 64               one session per connection
//! --logins 200 --login-runs 3    POST /login: per sequential run (latency) and the concurrent
//!                                run (throughput) takes 8× as many, over --connections
//! --client-threads 1             the load generator's threads
//! ```
//!
//! Everything runs in this one process on the same cores: the identity server and the Store on
//! one runtime, the load generator on another. Medians and ratios go to stdout as Markdown.

mod http;
mod measure;
mod seed;

use anyhow::{Context as _, bail};
use backend::fusionauth::FusionAuthClient;
use backend::identity::{IdentityConfig, IdentityServer};
use backend::stack::{StackConfig, demo};
use backend::web::{LoginLimits, SessionBackend, WebServer};
use http::Conn;
use measure::{Footprint, Sample, median};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tower_sessions::SessionStore as _;
use tower_sessions::session::Id;
use url::Url;

/// The allocator `backend serve` runs with (its `main.rs`), so the server here costs what it
/// costs there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The prefix of the Store's keys in the benchmark's Redis.
const REDIS_PREFIX: &str = "bench:store:";

/// A session storage under test.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Memory,
    Sqlite,
    Redis,
}

impl Kind {
    fn name(&self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Sqlite => "sqlite",
            Self::Redis => "redis",
        }
    }

    fn backend(&self, redis_url: Option<&str>) -> SessionBackend {
        match self {
            Self::Memory => SessionBackend::Memory,
            Self::Sqlite => SessionBackend::Sqlite,
            Self::Redis => SessionBackend::Redis {
                url: redis_url.unwrap_or_default().to_owned(),
                prefix: REDIS_PREFIX.to_owned(),
            },
        }
    }
}

/// The command line.
#[derive(Debug)]
struct Options {
    storages: Vec<Kind>,
    redis_url: Option<String>,
    sizes: Vec<usize>,
    runs: usize,
    duration: Duration,
    warmup: Duration,
    connections: usize,
    logins: usize,
    login_runs: usize,
    client_threads: usize,
}

impl Options {
    fn parse() -> anyhow::Result<Self> {
        let mut options = Self {
            storages: Vec::new(),
            redis_url: std::env::var("BENCH_REDIS_URL").ok(),
            sizes: vec![1_000, 100_000, 1_000_000],
            runs: 5,
            duration: Duration::from_secs(5),
            warmup: Duration::from_secs(1),
            connections: 64,
            logins: 200,
            login_runs: 3,
            client_threads: 1,
        };
        let mut stores = None;
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            // `cargo bench` adds `--bench`; a filter argument is not used.
            if flag == "--bench" || !flag.starts_with("--") {
                continue;
            }
            let value = args
                .next()
                .with_context(|| format!("{flag} needs a value"))?;
            let number = || {
                value
                    .parse::<usize>()
                    .with_context(|| format!("{flag} {value}"))
            };
            let duration = || {
                shared::duration::parse_duration(&value).map_err(|e| anyhow::anyhow!("{flag}: {e}"))
            };
            match flag.as_str() {
                "--stores" => stores = Some(value.clone()),
                "--redis-url" => options.redis_url = Some(value.clone()),
                "--sizes" => {
                    options.sizes = value
                        .split(',')
                        .map(|s| s.trim().replace('_', "").parse())
                        .collect::<Result<_, _>>()
                        .with_context(|| format!("--sizes {value}"))?;
                }
                "--runs" => options.runs = number()?.max(1),
                "--duration" => options.duration = duration()?,
                "--warmup" => options.warmup = duration()?,
                "--connections" => options.connections = number()?.max(1),
                "--logins" => options.logins = number()?,
                "--login-runs" => options.login_runs = number()?.max(1),
                "--client-threads" => options.client_threads = number()?.max(1),
                _ => bail!("unknown option {flag}"),
            }
        }
        let stores = stores.unwrap_or_else(|| {
            if options.redis_url.is_some() {
                "memory,sqlite,redis".into()
            } else {
                "memory,sqlite".into()
            }
        });
        for name in stores.split(',').map(str::trim) {
            options.storages.push(match name {
                "memory" => Kind::Memory,
                "sqlite" => Kind::Sqlite,
                "redis" if options.redis_url.is_some() => Kind::Redis,
                "redis" => bail!("the redis store needs --redis-url (or BENCH_REDIS_URL)"),
                other => bail!("unknown store {other:?} (memory, sqlite, redis)"),
            });
        }
        options.sizes.sort_unstable();
        Ok(options)
    }
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse()?;
    // The server side as `backend serve` runs it: one multi-threaded runtime, a worker per core.
    let server = Runtime::new()?;
    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.client_threads)
        .thread_name(http::GENERATOR_THREAD)
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    eprintln!(
        "load bench: {} connections, {} runs of {:?} (+{:?} warm-up) per level, data in {}",
        options.connections,
        options.runs,
        options.duration,
        options.warmup,
        dir.path().display()
    );

    let identity = server.block_on(IdentityServer::start(IdentityConfig {
        database_url: format!("sqlite://{}/identity.db", dir.path().display()),
        ..IdentityConfig::ephemeral()
    }))?;
    let fusionauth = demo::client(&identity, Duration::from_secs(30))?;

    let identity_addr = {
        let url = Url::parse(&identity.url())?;
        SocketAddr::new(
            url.host_str().context("host")?.parse()?,
            url.port().context("port")?,
        )
    };
    let mut report = measure::Report::default();
    for kind in &options.storages {
        let result = bench_storage(
            &options,
            kind,
            dir.path(),
            &fusionauth,
            identity_addr,
            &server,
            &client,
        )
        .with_context(|| format!("the {} store", kind.name()))?;
        report.storages.push(result);
    }
    server.block_on(identity.stop())?;
    print!("{}", report.markdown(options.connections));
    Ok(())
}

/// Everything measured on one session storage.
fn bench_storage(
    options: &Options,
    kind: &Kind,
    dir: &Path,
    fusionauth: &FusionAuthClient,
    identity: SocketAddr,
    server: &Runtime,
    client: &Runtime,
) -> anyhow::Result<measure::StorageResult> {
    let database_url = format!("sqlite://{}/store-{}.db", dir.display(), kind.name());
    let mut config = StackConfig::ephemeral().store;
    config.database_url = database_url.clone();
    config.sessions = kind.backend(options.redis_url.as_deref());
    // The per-IP and per-account login limits would refuse the benchmark's logins.
    config.login_limits = LoginLimits {
        per_ip: None,
        per_account: None,
    };
    // Redis's footprint is its `used_memory`: connect (and check it is empty) first.
    let footprint = server.block_on(Footprint::new(
        kind,
        &database_url,
        options.redis_url.as_deref(),
    ))?;
    let site = server.block_on(WebServer::start(config, fusionauth.clone()))?;
    let addr = site.addr();
    let host = site
        .url()
        .host_str()
        .map(|h| format!("{h}:{}", addr.port()))
        .context("the Store's host")?;
    eprintln!("\n== {} store at {}", kind.name(), site.url());

    // One real login per connection: each connection its own session.
    let sessions = client.block_on(async {
        let mut sessions = Vec::new();
        let mut conn = Conn::open(addr).await?;
        for _ in 0..options.connections {
            sessions.push(Some(login(&mut conn, &host).await?.session));
        }
        anyhow::Ok(sessions)
    })?;
    let template = server.block_on(async {
        let id: Id = sessions[0].as_deref().unwrap_or_default().parse()?;
        site.sessions()
            .load(&id)
            .await?
            .context("the logged-in session is in the store")
    })?;

    let mut result = measure::StorageResult::new(kind.name());
    let mut stored = 0;
    for &size in &options.sizes {
        let add = size.saturating_sub(stored);
        let before = server.block_on(footprint.bytes())?;
        let started = Instant::now();
        let target = match &footprint {
            Footprint::Sqlite(pool) => seed::Target::Sqlite(pool),
            // A write is a round trip to Redis: many in flight.
            Footprint::Redis(_) => seed::Target::SiteSessions { in_flight: 256 },
            Footprint::Rss => seed::Target::SiteSessions { in_flight: 16 },
        };
        server.block_on(seed::seed(target, site.sessions(), &template, add))?;
        let seeding = started.elapsed();
        let after = server.block_on(footprint.bytes())?;
        stored = stored.max(size);
        eprintln!(
            "   seeded {add} sessions in {seeding:.1?} ({:.0}/s); {} grew {} bytes, {:.0} per session",
            add as f64 / seeding.as_secs_f64(),
            footprint.what(),
            after as i64 - before as i64,
            (after as f64 - before as f64) / add.max(1) as f64
        );
        result.growth.push(measure::Growth {
            from: stored - add,
            to: stored,
            bytes: after as i64 - before as i64,
            seconds: seeding.as_secs_f64(),
        });
        let anonymous = vec![None; options.connections];
        // One page under load, each connection with its cookie (or none), expecting 200s.
        let load = |path, cookies| {
            client.block_on(http::load(
                addr,
                &host,
                path,
                cookies,
                200,
                options.warmup,
                options.duration,
            ))
        };
        let mut level = measure::Level::new(size);
        for round in 0..options.runs {
            let home = load(shared::paths::common::HOME, &anonymous)?;
            let signed_in = load(shared::paths::common::HOME, &sessions)?;
            let cart = load(shared::paths::store::CART, &sessions)?;
            eprintln!(
                "   {size} stored, round {}: GET / {:.0}/s p50 {:.2} p99 {:.2} ms; signed in {:.0}/s; cart {:.0}/s p50 {:.2} p99 {:.2} ms ({:.0}%; cores: server {:.1}, load generator {:.1}, others {:.1}){}",
                round + 1,
                home.throughput(),
                home.percentile_ms(50.0),
                home.percentile_ms(99.0),
                signed_in.throughput(),
                cart.throughput(),
                cart.percentile_ms(50.0),
                cart.percentile_ms(99.0),
                100.0 * cart.throughput() / home.throughput(),
                cart.cores.server,
                cart.cores.generator,
                cart.cores.others,
                if home.errors + signed_in.errors + cart.errors > 0 {
                    format!(" — {} errors", home.errors + signed_in.errors + cart.errors)
                } else {
                    String::new()
                }
            );
            level.home.push(Sample::of(&home));
            level.signed_in.push(Sample::of(&signed_in));
            level.cart.push(Sample::of(&cart));
        }
        result.levels.push(level);
    }

    // Logins last, so their sessions do not count in the levels above. Each round measures
    // PBKDF2 alone and the identity server's /api/login alone too, for ratios of the moment.
    for round in 0..options.login_runs {
        let pbkdf2_ms = measure::pbkdf2_ms(options.logins.div_ceil(2).max(10));
        let api_login_ms =
            client.block_on(api_login_ms(identity, options.logins.div_ceil(2).max(10)))?;
        let sequential = client.block_on(logins_sequential(addr, &host, options.logins))?;
        let concurrent = client.block_on(logins_concurrent(
            addr,
            &host,
            options.logins * 8,
            options.connections,
        ))?;
        eprintln!(
            "   logins, round {}: PBKDF2 {pbkdf2_ms:.2} ms, /api/login {api_login_ms:.2} ms; POST /login one at a time p50 {:.2} ms (FusionAuth {:.2} ms); {} at once {:.0}/s p50 {:.2} p99 {:.2} ms",
            round + 1,
            sequential.run.percentile_ms(50.0),
            sequential.fusionauth_ms,
            options.connections,
            concurrent.throughput(),
            concurrent.percentile_ms(50.0),
            concurrent.percentile_ms(99.0),
        );
        result.logins.push(measure::LoginRound {
            pbkdf2_ms,
            api_login_ms,
            sequential: Sample::of(&sequential.run),
            fusionauth_ms: sequential.fusionauth_ms,
            concurrent: Sample::of(&concurrent),
        });
    }
    drop(footprint);
    server.block_on(site.stop())?;
    Ok(result)
}

/// A logged-in session, and how its `POST /login` went.
struct Login {
    session: String,
    latency: Duration,
    fusionauth_ms: Option<f64>,
}

/// `GET /login` for its CSRF cookie's nonce and the form's token (the form stores no session).
async fn login_form(conn: &mut Conn, host: &str) -> anyhow::Result<(String, String)> {
    let reply = conn
        .send(&http::get(host, shared::paths::common::LOGIN, None), true)
        .await?;
    let nonce = reply.csrf.context("GET /login sets the CSRF cookie")?;
    let body = reply.body.unwrap_or_default();
    let field = format!("name=\"{}\" value=\"", shared::paths::form::CSRF_TOKEN);
    let start = body
        .find(&field)
        .context("the login form has a CSRF token")?
        + field.len();
    let token = body[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned();
    Ok((nonce, token))
}

/// `POST /login` as alice with the CSRF cookie's `nonce` and the form's `token`.
async fn post_login(
    conn: &mut Conn,
    host: &str,
    nonce: &str,
    token: &str,
) -> anyhow::Result<Login> {
    let form = format!("loginId=alice%40example.com&password=password&csrf_token={token}&next=");
    let cookies = format!("{}={nonce}", http::CSRF_COOKIE);
    let request = http::post_form(host, shared::paths::common::LOGIN, &cookies, &form);
    let sent = Instant::now();
    let reply = conn.send(&request, false).await?;
    let latency = sent.elapsed();
    if reply.status != 303 {
        bail!("POST /login answered {} (expected 303)", reply.status);
    }
    Ok(Login {
        session: reply.session.context("a login sets the session cookie")?,
        latency,
        fusionauth_ms: reply.fusionauth_ms,
    })
}

/// The Store's form flow: the login page, then the post.
async fn login(conn: &mut Conn, host: &str) -> anyhow::Result<Login> {
    let (nonce, token) = login_form(conn, host).await?;
    post_login(conn, host, &nonce, &token).await
}

/// Logins one after another on one connection: the latency of `POST /login` alone, and the
/// FusionAuth call within it (`Server-Timing`).
struct Sequential {
    run: http::Run,
    fusionauth_ms: f64,
}

async fn logins_sequential(
    addr: SocketAddr,
    host: &str,
    count: usize,
) -> anyhow::Result<Sequential> {
    let mut conn = Conn::open(addr).await?;
    let mut run = http::Run::default();
    let mut fusionauth = Vec::new();
    for _ in 0..count {
        let login = login(&mut conn, host).await?;
        run.seconds += login.latency.as_secs_f64();
        run.requests += 1;
        run.latencies_us
            .push(u32::try_from(login.latency.as_micros()).unwrap_or(u32::MAX));
        fusionauth.extend(login.fusionauth_ms);
    }
    run.latencies_us.sort_unstable();
    Ok(Sequential {
        run,
        fusionauth_ms: median(&mut fusionauth),
    })
}

/// `count` logins over `connections` connections at once; the login pages are fetched first
/// (unmeasured), so the throughput is of `POST /login` alone.
async fn logins_concurrent(
    addr: SocketAddr,
    host: &str,
    count: usize,
    connections: usize,
) -> anyhow::Result<http::Run> {
    let per = count.div_ceil(connections);
    let mut prepared = Vec::new();
    for _ in 0..connections {
        let mut conn = Conn::open(addr).await?;
        let mut forms = Vec::new();
        for _ in 0..per {
            forms.push(login_form(&mut conn, host).await?);
        }
        prepared.push((conn, forms));
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (mut conn, forms) in prepared {
        let host = host.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for (nonce, token) in forms {
                let login = post_login(&mut conn, &host, &nonce, &token).await?;
                latencies.push(u32::try_from(login.latency.as_micros()).unwrap_or(u32::MAX));
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut run = http::Run::default();
    for task in tasks {
        let latencies = task.await??;
        run.requests += latencies.len() as u64;
        run.latencies_us.extend(latencies);
    }
    run.seconds = started.elapsed().as_secs_f64();
    run.latencies_us.sort_unstable();
    Ok(run)
}

/// The identity server's `POST /api/login` alone (as `benches/login.rs` measures it), one at a
/// time on a keep-alive connection: median ms.
async fn api_login_ms(addr: SocketAddr, count: usize) -> anyhow::Result<f64> {
    let host = format!("{}:{}", addr.ip(), addr.port());
    let body = serde_json::json!({
        "loginId": "alice@example.com",
        "password": "password",
        "applicationId": demo::STORE_APPLICATION_ID,
    })
    .to_string();
    let request = format!(
        "POST /api/login HTTP/1.1\r\nHost: {host}\r\nAuthorization: {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        demo::API_KEY,
        body.len()
    );
    let mut conn = Conn::open(addr).await?;
    let mut times = Vec::new();
    for _ in 0..count {
        let sent = Instant::now();
        let reply = conn.send(request.as_bytes(), false).await?;
        times.push(sent.elapsed().as_secs_f64() * 1000.0);
        if reply.status != 200 {
            bail!("/api/login answered {}", reply.status);
        }
    }
    Ok(median(&mut times))
}
