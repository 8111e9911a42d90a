//! A minimal HTTP/1.1 keep-alive client and a closed-loop load generator over it: each
//! connection sends its next request as soon as the previous answer is read whole, with its own
//! session cookie. Raw sockets and `httparse` keep the client's cost per request small, since it
//! shares the machine's cores with the server under test.

use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The Store's session cookie.
pub const COOKIE: &str = shared::paths::store::SESSION_COOKIE;
/// The Store's login form CSRF cookie (a nonce the form's token signs; no session).
pub const CSRF_COOKIE: &str = shared::paths::store::CSRF_COOKIE;

/// An answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The session cookie's new value, when the answer set one (a login, a rotation).
    pub session: Option<String>,
    /// The CSRF cookie's value, when the answer set one (a login form).
    pub csrf: Option<String>,
    /// `Server-Timing: fusionauth;dur=…`, in ms.
    pub fusionauth_ms: Option<f64>,
    /// The body, when asked for.
    pub body: Option<String>,
}

/// One keep-alive connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    filled: usize,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: vec![0; 64 * 1024],
            filled: 0,
        })
    }

    /// Sends `request` (a whole HTTP/1.1 request) and reads the answer.
    pub async fn send(&mut self, request: &[u8], want_body: bool) -> std::io::Result<Reply> {
        self.stream.write_all(request).await?;
        loop {
            if let Some((reply, used)) = self.parse(want_body)? {
                self.buf.copy_within(used..self.filled, 0);
                self.filled -= used;
                return Ok(reply);
            }
            if self.filled == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            let n = self.stream.read(&mut self.buf[self.filled..]).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.filled += n;
        }
    }

    /// A whole answer at the start of the buffer, and how many bytes it took.
    fn parse(&self, want_body: bool) -> std::io::Result<Option<(Reply, usize)>> {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        let head = match response.parse(&self.buf[..self.filled]) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(e) => return Err(std::io::Error::other(e)),
        };
        let mut length = None;
        let mut session = None;
        let mut csrf = None;
        let mut fusionauth_ms = None;
        for header in response.headers.iter() {
            let value = std::str::from_utf8(header.value).unwrap_or_default();
            if header.name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
                return Err(std::io::Error::other("chunked answers are not supported"));
            } else if header.name.eq_ignore_ascii_case("set-cookie") {
                let value_of = |name: &str| {
                    let rest = value.strip_prefix(name)?.strip_prefix('=')?;
                    Some(rest.split(';').next().unwrap_or_default().to_owned())
                };
                session = value_of(COOKIE).or(session);
                csrf = value_of(CSRF_COOKIE).or(csrf);
            } else if header.name.eq_ignore_ascii_case("server-timing") {
                fusionauth_ms = value
                    .split(';')
                    .find_map(|part| part.trim().strip_prefix("dur="))
                    .and_then(|dur| dur.parse().ok());
            }
        }
        let end = head + length.unwrap_or(0);
        if self.filled < end {
            return Ok(None);
        }
        let reply = Reply {
            status: response.code.unwrap_or(0),
            session,
            csrf,
            fusionauth_ms,
            body: want_body.then(|| String::from_utf8_lossy(&self.buf[head..end]).into_owned()),
        };
        Ok(Some((reply, end)))
    }
}

/// `GET path` with the session cookie, if any.
pub fn get(host: &str, path: &str, session: Option<&str>) -> Vec<u8> {
    let cookie = session
        .map(|s| format!("Cookie: {COOKIE}={s}\r\n"))
        .unwrap_or_default();
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: load-bench\r\nAccept: text/html\r\n{cookie}\r\n"
    )
    .into_bytes()
}

/// `POST path` of a form (already URL-encoded) with `cookies` as the `Cookie` header.
pub fn post_form(host: &str, path: &str, cookies: &str, form: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: load-bench\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Cookie: {cookies}\r\n\r\n{form}",
        form.len()
    )
    .into_bytes()
}

/// The load generator's runtime threads are named this.
pub const GENERATOR_THREAD: &str = "load-generator";

/// utime + stime of a `/proc/…/stat` file, in ticks.
fn cpu_ticks(stat: &std::path::Path) -> u64 {
    // The 14th and 15th fields: the 12th and 13th after the command name.
    let fields: Vec<u64> = std::fs::read_to_string(stat)
        .unwrap_or_default()
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .map(|f| f.parse().unwrap_or(0))
                .collect()
        })
        .unwrap_or_default();
    fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0)
}

/// CPU time counters, in ticks: this process's, its load generator threads', and the whole
/// machine's (busy and total).
#[derive(Clone, Copy, Debug)]
pub struct Cpu {
    process: u64,
    generator: u64,
    busy: u64,
    total: u64,
}

/// Cores in use over a window.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cores {
    /// The server side of this process (all but the load generator's threads).
    pub server: f64,
    /// The load generator.
    pub generator: f64,
    /// Everything else on the machine (other people's builds: noise).
    pub others: f64,
}

impl Cpu {
    pub fn now() -> Self {
        let process = cpu_ticks("/proc/self/stat".as_ref());
        let generator = std::fs::read_dir("/proc/self/task")
            .into_iter()
            .flatten()
            .flatten()
            .filter(|task| {
                std::fs::read_to_string(task.path().join("comm"))
                    .is_ok_and(|comm| comm.trim() == GENERATOR_THREAD)
            })
            .map(|task| cpu_ticks(&task.path().join("stat")))
            .sum();
        // user nice system idle iowait irq softirq steal
        let machine = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let times: Vec<u64> = machine
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .take(8)
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        let total: u64 = times.iter().sum();
        let idle = times.get(3).copied().unwrap_or(0) + times.get(4).copied().unwrap_or(0);
        Self {
            process,
            generator,
            busy: total - idle,
            total,
        }
    }

    /// Cores in use between `self` and `later`.
    pub fn cores_since(self, later: Self) -> Cores {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let total = later.total.saturating_sub(self.total).max(1) as f64;
        let share = |a: u64, b: u64| b.saturating_sub(a) as f64 / total * cores;
        let ours = share(self.process, later.process);
        let generator = share(self.generator, later.generator);
        Cores {
            server: (ours - generator).max(0.0),
            generator,
            others: (share(self.busy, later.busy) - ours).max(0.0),
        }
    }
}

/// What one timed run saw.
#[derive(Debug, Default)]
pub struct Run {
    /// Answers in the measured window.
    pub requests: u64,
    /// Of them, not the expected status.
    pub errors: u64,
    /// The measured window.
    pub seconds: f64,
    /// Latency of every measured request, µs, sorted.
    pub latencies_us: Vec<u32>,
    /// Cores used in the measured window.
    pub cores: Cores,
}

impl Run {
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    /// The `p`th percentile latency in ms (nearest rank).
    pub fn percentile_ms(&self, p: f64) -> f64 {
        percentile(&self.latencies_us, p) / 1000.0
    }
}

/// The `p`th percentile (nearest rank) of sorted `values`.
pub fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// `GET path` on one connection per entry of `sessions` (each with its own cookie, or none),
/// closed loop: `warmup` unmeasured, then `duration` measured. A connection follows a new
/// session cookie (an id rotation) as a browser would.
pub async fn load(
    addr: SocketAddr,
    host: &str,
    path: &str,
    sessions: &[Option<String>],
    expect: u16,
    warmup: Duration,
    duration: Duration,
) -> std::io::Result<Run> {
    let start = Instant::now() + Duration::from_millis(50);
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut tasks = Vec::new();
    for session in sessions {
        let (host, path, mut session) = (host.to_owned(), path.to_owned(), session.clone());
        let mut conn = Conn::open(addr).await?;
        tasks.push(tokio::spawn(async move {
            let mut request = get(&host, &path, session.as_deref());
            let mut latencies = Vec::with_capacity(64 * 1024);
            let (mut requests, mut errors) = (0u64, 0u64);
            tokio::time::sleep_until(start.into()).await;
            loop {
                let sent = Instant::now();
                if sent >= end {
                    break;
                }
                let reply = conn.send(&request, false).await?;
                let done = Instant::now();
                if sent >= measure_from {
                    requests += 1;
                    errors += u64::from(reply.status != expect);
                    let us = (done - sent).as_micros();
                    latencies.push(u32::try_from(us).unwrap_or(u32::MAX));
                }
                if let Some(new) = reply.session
                    && session.as_deref() != Some(new.as_str())
                {
                    session = Some(new);
                    request = get(&host, &path, session.as_deref());
                }
            }
            std::io::Result::Ok((requests, errors, latencies))
        }));
    }
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu = Cpu::now();
    tokio::time::sleep_until(end.into()).await;
    let cores = cpu.cores_since(Cpu::now());
    let mut run = Run {
        seconds: duration.as_secs_f64(),
        cores,
        ..Run::default()
    };
    for task in tasks {
        let (requests, errors, latencies) = task.await.map_err(std::io::Error::other)??;
        run.requests += requests;
        run.errors += errors;
        run.latencies_us.extend(latencies);
    }
    run.latencies_us.sort_unstable();
    Ok(run)
}
