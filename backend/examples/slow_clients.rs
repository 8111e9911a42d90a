//! Slow clients against the connection budget and the header timeout (issue 16, point 1), as
//! BENCHMARKS.md reports them. Runs the embedded stack in this process with a budget of
//! `--max-connections` (default 1000) and a header timeout of `--header-timeout` (10s), then:
//!
//! 1. the latency of normal requests (`GET /` on the Store, 4 keep-alive connections, closed
//!    loop) alone, then with slow connections holding all but 20 places of the budget (each has
//!    sent part of a request head and nothing more);
//! 2. a flood far beyond the budget (`--flood`, default 5× it) of such connections, held open;
//!    when it stops, how long until a normal request is answered again.
//!
//! ```sh
//! cargo run --release -p backend --example slow_clients
//! ```

use backend::server::{ConnectionBudget, ServerLimits};
use backend::stack::{Stack, StackConfig};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const GET_HOME: &[u8] = b"GET / HTTP/1.1\r\nHost: store.localhost\r\n\r\n";
const PART_OF_A_HEAD: &[u8] = b"GET / HTTP/1.1\r\nHost: store.localhost\r\nX-Slow: ";
/// How long each latency measurement runs.
const MEASURE_FOR: Duration = Duration::from_secs(3);
/// Places of the budget left free for the measuring connections and the sites' own calls.
const LEFT_FREE: usize = 20;

fn main() -> anyhow::Result<()> {
    let arguments: Vec<String> = std::env::args().collect();
    let option = |name: &str, default: &str| -> String {
        arguments
            .iter()
            .position(|a| a == name)
            .and_then(|i| arguments.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    };
    let max_connections: usize = option("--max-connections", "1000").parse()?;
    let flood: usize = option("--flood", &(max_connections * 5).to_string()).parse()?;
    let header_timeout = shared::duration::parse_duration(&option("--header-timeout", "10s"))
        .map_err(anyhow::Error::msg)?;
    tokio::runtime::Runtime::new()?.block_on(run(max_connections, flood, header_timeout))
}

async fn run(max_connections: usize, flood: usize, header_timeout: Duration) -> anyhow::Result<()> {
    let limits = ServerLimits {
        header_timeout,
        connections: ConnectionBudget::new(max_connections),
        ..ServerLimits::default()
    };
    let budget = limits.connections.clone();
    let stack = Stack::start(StackConfig::ephemeral().with_server_limits(limits)).await?;
    let store = stack.store.addr();
    println!("budget {max_connections} connections, header timeout {header_timeout:?}");

    let alone = measure(store).await?;
    report("normal requests alone", &alone);

    let slow = hold_slow_connections(store, max_connections - LEFT_FREE).await;
    wait_until(|| budget.open() >= slow.len()).await;
    let crowded = measure(store).await?;
    report(&format!("with {} slow connections", slow.len()), &crowded);
    println!(
        "ratio with/alone: p50 {:.2}, p99 {:.2}",
        percentile(&crowded, 50) / percentile(&alone, 50),
        percentile(&crowded, 99) / percentile(&alone, 99)
    );
    drop(slow);
    wait_until(|| budget.open() == 0).await;

    let flood_started = Instant::now();
    let flooding = hold_slow_connections(store, flood).await;
    let flood_stopped = Instant::now();
    println!(
        "flood: {} connections opened in {:.2} s ({} refused so far)",
        flooding.len(),
        (flood_stopped - flood_started).as_secs_f64(),
        budget.refused()
    );
    let back_after = time_until_served(store).await;
    println!(
        "after the flood stopped, a normal request was answered in {:.2} s \
         (header timeout {:?}; {} refused in all)",
        back_after.as_secs_f64(),
        header_timeout,
        budget.refused()
    );
    drop(flooding);
    stack.stop().await
}

/// Opens `count` connections that each send part of a request head; keeps those still open.
async fn hold_slow_connections(addr: SocketAddr, count: usize) -> Vec<TcpStream> {
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        if let Ok(mut tcp) = TcpStream::connect(addr).await
            && tcp.write_all(PART_OF_A_HEAD).await.is_ok()
        {
            held.push(tcp);
        }
    }
    held
}

/// Latencies of `GET /` from 4 keep-alive connections in a closed loop for [`MEASURE_FOR`].
async fn measure(addr: SocketAddr) -> anyhow::Result<Vec<f64>> {
    let until = Instant::now() + MEASURE_FOR;
    let mut clients = Vec::new();
    for _ in 0..4 {
        clients.push(tokio::spawn(async move {
            let mut tcp = TcpStream::connect(addr).await?;
            let mut latencies = Vec::new();
            while Instant::now() < until {
                let started = Instant::now();
                tcp.write_all(GET_HOME).await?;
                read_response(&mut tcp).await?;
                latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::new();
    for client in clients {
        all.extend(client.await??);
    }
    all.sort_by(f64::total_cmp);
    Ok(all)
}

/// Tries a normal request every 50 ms on a new connection until one is answered; returns how
/// long that took.
async fn time_until_served(addr: SocketAddr) -> Duration {
    let started = Instant::now();
    loop {
        let attempt = tokio::time::timeout(Duration::from_secs(2), async {
            let mut tcp = TcpStream::connect(addr).await?;
            tcp.write_all(GET_HOME).await?;
            read_response(&mut tcp).await
        })
        .await;
        if let Ok(Ok(200)) = attempt {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads one whole response (head and `Content-Length` body); returns its status.
async fn read_response(tcp: &mut TcpStream) -> anyhow::Result<u16> {
    let mut received = Vec::new();
    let mut buffer = [0_u8; 16 * 1024];
    loop {
        let n = tcp.read(&mut buffer).await?;
        anyhow::ensure!(n > 0, "closed before a whole answer");
        received.extend_from_slice(&buffer[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(head) = response.parse(&received)? {
            let length: usize = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
                .unwrap_or(0);
            if received.len() >= head + length {
                return Ok(response.code.unwrap_or(0));
            }
        }
    }
}

/// Polls `done` every 10 ms until it holds.
async fn wait_until(done: impl Fn() -> bool) {
    while !done() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The `p`th percentile of sorted latencies.
fn percentile(sorted: &[f64], p: usize) -> f64 {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn report(what: &str, latencies: &[f64]) {
    println!(
        "{what}: {} requests, p50 {:.3} ms, p99 {:.3} ms",
        latencies.len(),
        percentile(latencies, 50),
        percentile(latencies, 99)
    );
}
