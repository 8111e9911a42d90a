//! The `backend` binary itself: with no subcommand it serves the whole stack and says where.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

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
