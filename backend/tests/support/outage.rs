//! A cuttable TCP proxy, to stage an outage of any TCP server (PostgreSQL, Redis, …) under a
//! running application: point the application at [`Outage::addr`] instead of the server, then
//! [`Outage::cut`] and [`Outage::restore`] the line.
//!
//! Cut, it behaves like a server that went away: every open connection is closed and new ones
//! are refused (the port stops listening, so connecting fails with "connection refused").
//! Restored, it listens on the same address again and relays new connections; the old ones stay
//! closed, as after a server restart, so the client has to reconnect by itself.
//!
//! Include it with `#[path = "support/outage.rs"] mod outage;`.
//!
//! ```ignore
//! let outage = Outage::start(server_addr).await;
//! let app = start_app(outage.addr()).await;
//! outage.cut().await;      // the server is gone
//! outage.restore().await;  // it is back
//! ```

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A TCP proxy in front of one server that can be cut and restored.
#[derive(Debug)]
pub struct Outage {
    addr: SocketAddr,
    upstream: SocketAddr,
    /// The accepting task, while the line is up.
    listener: Mutex<Option<JoinHandle<()>>>,
    /// The tasks relaying the open connections.
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Outage {
    /// Starts relaying from a free loopback port to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("the proxy binds a free port");
        let addr = listener.local_addr().unwrap();
        let outage = Self {
            addr,
            upstream,
            listener: Mutex::new(None),
            connections: Arc::default(),
        };
        outage.serve(listener);
        outage
    }

    /// Where clients connect instead of the server.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Cuts the line: closes every open connection and refuses new ones until [`Self::restore`].
    /// When it returns, the port no longer listens and every relayed socket is closed.
    pub async fn cut(&self) {
        let accepting = self.listener.lock().unwrap().take();
        if let Some(task) = accepting {
            task.abort();
            let _ = task.await;
        }
        let open = std::mem::take(&mut *self.connections.lock().unwrap());
        for task in &open {
            task.abort();
        }
        for task in open {
            let _ = task.await;
        }
    }

    /// Restores the line: listens on the same address again. A no-op when not cut.
    pub async fn restore(&self) {
        if self.listener.lock().unwrap().is_some() {
            return;
        }
        // The port was just closed; binding it again can race the kernel briefly.
        let mut attempts = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(_) if attempts < 50 => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(error) => panic!("the proxy cannot listen on {} again: {error}", self.addr),
            }
        };
        self.serve(listener);
    }

    /// Accepts on `listener` and relays each connection to the upstream server.
    fn serve(&self, listener: TcpListener) {
        let (upstream, connections) = (self.upstream, self.connections.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                let relay = tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
                let mut open = connections.lock().unwrap();
                open.retain(|task| !task.is_finished());
                open.push(relay);
            }
        });
        *self.listener.lock().unwrap() = Some(task);
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        if let Some(task) = self.listener.lock().unwrap().take() {
            task.abort();
        }
        for task in self.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}
