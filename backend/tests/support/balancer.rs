//! A TCP load balancer for tests: one address in front of several replicas. Each new connection
//! goes to the replica the test chose last ([`Balancer::send_to`]), or to the next one in turn
//! ([`Balancer::round_robin`]). Clients that want each request routed afresh open a connection
//! per request.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// `target`'s value for "each connection to the next replica".
const ROUND_ROBIN: usize = usize::MAX;

/// The balancer; stops when dropped.
pub struct Balancer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

struct Shared {
    replicas: Mutex<Vec<SocketAddr>>,
    target: AtomicUsize,
    turn: AtomicUsize,
}

impl Balancer {
    /// Listens on a free loopback port, with no replicas yet (they need its address first).
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            replicas: Mutex::new(Vec::new()),
            target: AtomicUsize::new(ROUND_ROBIN),
            turn: AtomicUsize::new(0),
        });
        let accept = tokio::spawn({
            let shared = shared.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let Some(replica) = shared.pick() else {
                        continue; // No replicas: the connection is dropped.
                    };
                    tokio::spawn(forward(client, replica));
                }
            }
        });
        Self {
            addr,
            shared,
            accept,
        }
    }

    /// The one address the replicas are reached at.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Adds a replica; returns its number for [`Balancer::send_to`].
    pub fn add(&self, replica: SocketAddr) -> usize {
        let mut replicas = self.shared.replicas.lock().unwrap();
        replicas.push(replica);
        replicas.len() - 1
    }

    /// New connections go to replica `n`.
    pub fn send_to(&self, n: usize) {
        assert!(
            n < self.shared.replicas.lock().unwrap().len(),
            "no replica {n}"
        );
        self.shared.target.store(n, Ordering::SeqCst);
    }

    /// New connections go to each replica in turn.
    pub fn round_robin(&self) {
        self.shared.target.store(ROUND_ROBIN, Ordering::SeqCst);
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Shared {
    fn pick(&self) -> Option<SocketAddr> {
        let replicas = self.replicas.lock().unwrap();
        if replicas.is_empty() {
            return None;
        }
        let n = match self.target.load(Ordering::SeqCst) {
            ROUND_ROBIN => self.turn.fetch_add(1, Ordering::SeqCst) % replicas.len(),
            n => n,
        };
        replicas.get(n).copied()
    }
}

async fn forward(mut client: TcpStream, replica: SocketAddr) {
    if let Ok(mut upstream) = TcpStream::connect(replica).await {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
}
