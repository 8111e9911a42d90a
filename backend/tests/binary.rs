//! The `backend` binary itself: with no subcommand it serves the whole stack and says where.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the server when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_serves_the_store_and_forums_and_prints_their_urls() {
    let data = tempfile::tempdir().unwrap();
    // No subcommand: `serve` with its defaults, configured here through the environment.
    let mut child = Command::new(env!("CARGO_BIN_EXE_backend"))
        .env("IDENTITY_ADDR", "127.0.0.1:0")
        .env("STORE_ADDR", "127.0.0.1:0")
        .env("FORUMS_ADDR", "127.0.0.1:0")
        .env("DATA_DIR", data.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let server = Running(child);
    let lines = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .take(4)
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let url_of = |label: &str| -> url::Url {
        let line = lines
            .iter()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line in {lines:?}"));
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let store = url_of("Store:");
    let forums = url_of("Forums:");
    assert_eq!(store.host_str(), Some("store.localhost"));
    assert_eq!(forums.host_str(), Some("forums.localhost"));

    let loopback =
        |url: &url::Url| std::net::SocketAddr::from(([127, 0, 0, 1], url.port().unwrap()));
    let client = reqwest::Client::builder()
        .resolve("store.localhost", loopback(&store))
        .resolve("forums.localhost", loopback(&forums))
        .build()
        .unwrap();
    for url in [&store, &forums] {
        let page = client.get(url.clone()).send().await.unwrap();
        assert_eq!(page.status(), 200, "{url}");
        assert!(page.text().await.unwrap().contains("href=\"/login\""));
    }
    assert!(
        data.path().join("identity.db").exists(),
        "state lives in the data directory"
    );
    drop(server);
}

/// The `backend` binary serving on free ports with `args`, its log lines read as they come.
struct Backend {
    server: Running,
    store: url::Url,
    log: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Backend {
    fn start(data: &std::path::Path, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_backend"))
            .arg("serve")
            .args(["--identity-addr", "127.0.0.1:0"])
            .args([
                "--store-addr",
                "127.0.0.1:0",
                "--forums-addr",
                "127.0.0.1:0",
            ])
            .arg("--data-dir")
            .arg(data)
            .args(args)
            // The request traces say when a request has reached a handler.
            .env("RUST_LOG", "info,tower_http=debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        // Both outputs, drained for the process's whole life, line by line into one channel.
        let (sender, log) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        forward_lines(stdout, sender.clone());
        forward_lines(stderr, sender);
        let mut backend = Self {
            server: Running(child),
            store: "http://unknown".parse().unwrap(),
            log,
            seen: Vec::new(),
        };
        backend.wait_for_log(&["Store:"]);
        let line = backend
            .seen
            .iter()
            .find(|l| l.starts_with("Store:"))
            .unwrap();
        backend.store = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        backend
    }

    /// The Store's address.
    fn store_addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.store.port().unwrap()))
    }

    /// A client that reaches the Store by its name, keeping its cookies.
    fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .resolve("store.localhost", self.store_addr())
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// Waits (at most [`PATIENCE`]) for a log line holding every one of `texts`.
    fn wait_for_log(&mut self, texts: &[&str]) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if self
                .seen
                .iter()
                .any(|line| texts.iter().all(|text| line.contains(text)))
            {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.log.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!("no log line with {texts:?} in {:#?}", self.seen),
            }
        }
    }

    /// Sends `signal` (`TERM`, `INT`) to the process.
    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.server.0.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits (at most `bound`) for the process to exit; returns its status and how long that
    /// took.
    fn wait_for_exit(&mut self, bound: Duration) -> (std::process::ExitStatus, Duration) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.server.0.try_wait().unwrap() {
                return (status, started.elapsed());
            }
            assert!(
                started.elapsed() < bound,
                "still running {bound:?} after the signal"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the Store refuses new connections.
    async fn wait_until_refusing(&self) {
        let deadline = Instant::now() + PATIENCE;
        while tokio::net::TcpStream::connect(self.store_addr())
            .await
            .is_ok()
        {
            assert!(Instant::now() < deadline, "the Store still accepts");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Sends each line read from `output` to `lines`, until it closes.
fn forward_lines(
    output: impl std::io::Read + Send + 'static,
    lines: std::sync::mpsc::Sender<String>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
}

/// Bound on anything these tests wait for, so that a broken server fails them, not hangs them.
const PATIENCE: Duration = Duration::from_secs(20);

/// The log line of a login post reaching the Store's handlers.
const LOGIN_POST_STARTED: [&str; 2] = ["method=POST uri=/login ", "started processing request"];

/// A request in flight when `signal` arrives gets its whole answer; meanwhile new connections
/// are refused; then the process exits 0 and says so.
async fn an_in_flight_request_completes_after(signal: &str) {
    let data = tempfile::tempdir().unwrap();
    // A refused login takes at least two seconds: long enough to be in flight at the signal.
    let mut backend = Backend::start(data.path(), &["--login-refusal-floor", "2s"]);
    let client = backend.client();
    let login = backend.store.join("/login").unwrap();
    let form = client.get(login.clone()).send().await.unwrap();
    assert_eq!(form.status(), 200);
    let form = form.text().await.unwrap();
    let csrf = form
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the login form has a CSRF token")
        .to_owned();
    let refused = tokio::spawn(async move {
        let response = client
            .post(login)
            .form(&[
                ("loginId", "alice@example.com"),
                ("password", "not her password"),
                ("csrf_token", csrf.as_str()),
            ])
            .send()
            .await
            .expect("an answer, not a cut connection");
        let status = response.status();
        (status, response.text().await.expect("the whole body"))
    });
    backend.wait_for_log(&LOGIN_POST_STARTED);
    backend.signal(signal);
    backend.wait_until_refusing().await;
    let (status, body) = refused.await.unwrap();
    assert!(status.is_client_error(), "{status}");
    assert!(body.contains("</html>"), "{body}");
    let (exit, _) = backend.wait_for_exit(PATIENCE);
    assert!(exit.success(), "{exit:?}");
    backend.wait_for_log(&["shutting down", &format!("SIG{signal}")]);
    backend.wait_for_log(&["stopped"]);
}

/// A request stuck when `signal` arrives (its body never comes) does not keep the process up:
/// it exits 0 once the grace is over, closing that connection.
async fn a_stuck_request_ends_with_the_grace_after(signal: &str) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let data = tempfile::tempdir().unwrap();
    let mut backend = Backend::start(
        data.path(),
        &["--shutdown-grace", "1s", "--body-timeout", "10m"],
    );
    let mut stuck = tokio::net::TcpStream::connect(backend.store_addr())
        .await
        .unwrap();
    stuck
        .write_all(
            b"POST /login HTTP/1.1\r\nHost: store.localhost\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nlogin",
        )
        .await
        .unwrap();
    backend.wait_for_log(&LOGIN_POST_STARTED);
    backend.signal(signal);
    let (exit, took) = backend.wait_for_exit(PATIENCE);
    assert!(exit.success(), "{exit:?}");
    assert!(
        took >= Duration::from_millis(900),
        "{took:?}: the grace was not given"
    );
    assert!(took < Duration::from_secs(6), "{took:?}");
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, stuck.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the stuck connection is closed");
}

// Multi-threaded: the test blocks a thread reading the log while its request runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_an_in_flight_request_complete_then_exits_0() {
    an_in_flight_request_completes_after("TERM").await;
}

// Multi-threaded: the test blocks a thread reading the log while its request runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_lets_an_in_flight_request_complete_then_exits_0() {
    an_in_flight_request_completes_after("INT").await;
}

// Multi-threaded: the test blocks a thread reading the log while its request runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_stuck_request_exits_0_after_the_grace() {
    a_stuck_request_ends_with_the_grace_after("TERM").await;
}

// Multi-threaded: the test blocks a thread reading the log while its request runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_with_a_stuck_request_exits_0_after_the_grace() {
    a_stuck_request_ends_with_the_grace_after("INT").await;
}
