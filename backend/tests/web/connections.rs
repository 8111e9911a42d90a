//! Slow and greedy clients (issue 16, point 1): a connection must send its request head within
//! the header timeout (which also ends idle keep-alive connections) and its body within the
//! body timeout, and all listeners share one connection budget, past which a connection waits
//! briefly for a place and is then closed, never left hanging.

use crate::app::TestApp;
use backend::server::{ConnectionBudget, ServerLimits};
use backend::stack::StackConfig;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Longer than any timeout these tests set, so that a server without them fails the test
/// instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(10);

/// The demo stack with this header and body timeout and `max_connections`.
async fn spawn(timeout: Duration, max_connections: usize) -> (TestApp, ServerLimits) {
    let limits = ServerLimits {
        header_timeout: timeout,
        body_timeout: timeout,
        shutdown_grace: Duration::from_secs(1),
        connections: ConnectionBudget::new(max_connections),
    };
    let config = StackConfig::ephemeral().with_server_limits(limits.clone());
    (TestApp::spawn_with(config).await, limits)
}

/// A connection to `addr` that has sent `bytes`.
async fn connect_and_send(addr: SocketAddr, bytes: &str) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(bytes.as_bytes()).await.unwrap();
    tcp
}

/// Everything the server sends until it closes the connection (a reset counts as closed);
/// panics when it is still open after [`PATIENCE`].
async fn read_until_closed(tcp: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buffer)).await {
            Err(_) => panic!(
                "the server kept the connection open; it sent {:?}",
                String::from_utf8_lossy(&received)
            ),
            Ok(Ok(0) | Err(_)) => return String::from_utf8_lossy(&received).into_owned(),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

/// Reads one whole response (head and `Content-Length` body) and returns its status; the
/// connection stays open.
async fn read_response(tcp: &mut TcpStream) -> u16 {
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        let n = tokio::time::timeout(PATIENCE, tcp.read(&mut buffer))
            .await
            .expect("an answer")
            .unwrap();
        assert!(n > 0, "closed before a whole answer");
        received.extend_from_slice(&buffer[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(head) = response.parse(&received).unwrap() {
            let length: usize = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .map(|h| std::str::from_utf8(h.value).unwrap().parse().unwrap())
                .unwrap_or(0);
            if received.len() >= head + length {
                return response.code.unwrap();
            }
        }
    }
}

const GET_HOME: &str = "GET / HTTP/1.1\r\nHost: store.localhost\r\n\r\n";

#[tokio::test]
async fn a_connection_that_never_finishes_its_head_is_closed_after_the_header_timeout() {
    let (app, _) = spawn(Duration::from_secs(1), 100).await;
    let started = Instant::now();
    let mut tcp = connect_and_send(
        app.stack.store.addr(),
        "GET / HTTP/1.1\r\nHost: store.localhost\r\nX-Slow: ",
    )
    .await;
    let answer = read_until_closed(&mut tcp).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));

    // A connection that sends nothing at all is closed the same way, on every listener.
    let identity = app.stack.identity.as_ref().unwrap().addr();
    for addr in [identity, app.stack.forums.addr()] {
        let mut silent = TcpStream::connect(addr).await.unwrap();
        read_until_closed(&mut silent).await;
    }
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let (app, _) = spawn(Duration::from_secs(1), 100).await;
    let mut tcp = connect_and_send(app.stack.store.addr(), GET_HOME).await;
    assert_eq!(read_response(&mut tcp).await, 200);
    // Kept alive: a second request on it is served.
    tcp.write_all(GET_HOME.as_bytes()).await.unwrap();
    assert_eq!(read_response(&mut tcp).await, 200);
    let idle_since = Instant::now();
    assert_eq!(read_until_closed(&mut tcp).await, "");
    assert!(idle_since.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_answered_408_and_the_connection_closed() {
    let (app, _) = spawn(Duration::from_secs(1), 100).await;
    let started = Instant::now();
    let mut tcp = connect_and_send(
        app.stack.store.addr(),
        "POST /login HTTP/1.1\r\nHost: store.localhost\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nloginId=al",
    )
    .await;
    let answer = read_until_closed(&mut tcp).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"));
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn past_the_connection_budget_a_connection_is_closed_and_a_freed_place_is_reused() {
    // Timeouts far longer than the test: the held connections stay open until dropped.
    let (app, limits) = spawn(PATIENCE * 3, 3).await;
    let budget = &limits.connections;
    let store = app.stack.store.addr();
    let forums = app.stack.forums.addr();
    // Three idle connections, over two listeners, fill the one budget.
    let mut held = vec![
        TcpStream::connect(store).await.unwrap(),
        TcpStream::connect(forums).await.unwrap(),
        TcpStream::connect(store).await.unwrap(),
    ];
    wait_until("the three are admitted", || budget.open() == 3).await;

    // The fourth waits for a place, finds none, and is closed unanswered.
    let mut refused = connect_and_send(store, GET_HOME).await;
    assert_eq!(read_until_closed(&mut refused).await, "");
    assert_eq!(budget.refused(), 1);

    // One that waits while a held connection closes takes its place and is served.
    let mut waiting = connect_and_send(forums, GET_HOME).await;
    drop(held.pop());
    assert_eq!(read_response(&mut waiting).await, 200);
    drop(waiting);
    wait_until("the served one's place is free", || budget.open() == 2).await;
    let mut next = connect_and_send(store, GET_HOME).await;
    assert_eq!(read_response(&mut next).await, 200);
}

/// Polls `done` until it holds, for at most [`PATIENCE`].
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
