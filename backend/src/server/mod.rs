//! Serving a router on a bound listener until told to stop: the one way every server here (the
//! identity server, the Store, the Forums) runs. Our own accept loop over hyper's HTTP/1
//! connections rather than `axum::serve`, which has no header or body timeout, no connection
//! limit and no bound on draining: here every connection holds a place in one process-wide
//! [`ConnectionBudget`], must send its request head within the header timeout, its body within
//! the body timeout, and a stop lets requests finish only for the shutdown grace.

mod body_deadline;
mod limits;

pub use limits::{
    Admission, CONNECTION_WAIT, ConnectionBudget, DEFAULT_BODY_TIMEOUT, DEFAULT_HEADER_TIMEOUT,
    DEFAULT_SHUTDOWN_GRACE, ServerLimits, default_max_connections,
};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::middleware;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tower::ServiceExt as _;

/// How long the accept loop pauses after the listener itself fails (e.g. out of descriptors),
/// so that it does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);
/// After the grace, how long the cut connections get to be dropped before the stop returns.
const CUT_WAIT: Duration = Duration::from_secs(1);

/// A router being served.
#[derive(Debug)]
pub struct Serving {
    addr: SocketAddr,
    shutdown_grace: Duration,
    stop: Option<oneshot::Sender<Instant>>,
    task: JoinHandle<()>,
}

impl Serving {
    /// Serves `app` on `listener` in a task, within `limits`, with each connection's peer
    /// address available to handlers (`ConnectInfo`).
    pub fn spawn(
        listener: TcpListener,
        app: Router,
        limits: &ServerLimits,
    ) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let app = app.layer(middleware::from_fn_with_state(
            limits.body_timeout,
            body_deadline::limit_body_time,
        ));
        let (stop, stopped) = oneshot::channel();
        let connections = Arc::new(Connections::new(app, limits));
        let task = tokio::spawn(accept_until_stopped(listener, connections, stopped));
        Ok(Self {
            addr,
            shutdown_grace: limits.shutdown_grace,
            stop: Some(stop),
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configured shutdown grace.
    pub fn shutdown_grace(&self) -> Duration {
        self.shutdown_grace
    }

    /// Stops accepting, lets in-flight requests finish for the shutdown grace, closes the
    /// connections still open then, and returns.
    pub async fn stop(self) -> anyhow::Result<()> {
        let deadline = Instant::now() + self.shutdown_grace;
        self.stop_by(deadline).await
    }

    /// [`Serving::stop`], with in-flight requests given until `deadline`: servers stopped
    /// together share one grace.
    pub async fn stop_by(mut self, deadline: Instant) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(deadline);
        }
        (&mut self.task).await?;
        Ok(())
    }

    /// Serves until the server fails.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        (&mut self.task).await?;
        Ok(())
    }
}

/// What every connection of one listener shares: the app, the HTTP settings, the budget, and
/// the signal that cuts the connections left after the grace.
struct Connections {
    app: Router,
    http: http1::Builder,
    budget: ConnectionBudget,
    grace: Duration,
    cut: watch::Receiver<bool>,
    cut_sender: watch::Sender<bool>,
}

impl Connections {
    fn new(app: Router, limits: &ServerLimits) -> Self {
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .keep_alive(true)
            .header_read_timeout(
                (!limits.header_timeout.is_zero()).then_some(limits.header_timeout),
            );
        let (cut_sender, cut) = watch::channel(false);
        Self {
            app,
            http,
            budget: limits.connections.clone(),
            grace: limits.shutdown_grace,
            cut,
            cut_sender,
        }
    }
}

/// Accepts until told to stop (or until the [`Serving`] is dropped: then with the configured
/// grace), then closes the listener and drains.
async fn accept_until_stopped(
    listener: TcpListener,
    connections: Arc<Connections>,
    mut stopped: oneshot::Receiver<Instant>,
) {
    let graceful = GracefulShutdown::new();
    let mut last_error_logged: Option<Instant> = None;
    let deadline = loop {
        tokio::select! {
            biased;
            deadline = &mut stopped => {
                break deadline.unwrap_or_else(|_| Instant::now() + connections.grace);
            }
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => admit(tcp, peer, &connections, graceful.watcher()),
                Err(error) => accept_failed(&error, &mut last_error_logged).await,
            },
        }
    };
    // From here on, new connections are refused by the operating system.
    drop(listener);
    drain(graceful, connections, deadline).await;
}

/// Gives a new connection a place in the budget, a wait for one, or closes it at once.
fn admit(tcp: TcpStream, peer: SocketAddr, connections: &Arc<Connections>, watcher: Watcher) {
    match connections.budget.admit() {
        Admission::Open(permit) => {
            tokio::spawn(serve_connection(
                tcp,
                peer,
                connections.clone(),
                watcher,
                permit,
            ));
        }
        Admission::Wait(place) => {
            let connections = connections.clone();
            tokio::spawn(async move {
                let permit = connections.budget.wait_for_place().await;
                drop(place);
                match permit {
                    Some(permit) => serve_connection(tcp, peer, connections, watcher, permit).await,
                    None => refuse(tcp, &connections.budget),
                }
            });
        }
        Admission::Refuse => refuse(tcp, &connections.budget),
    }
}

/// Closes a connection the budget has no place for, and counts it.
fn refuse(tcp: TcpStream, budget: &ConnectionBudget) {
    drop(tcp);
    budget.note_refusal();
}

/// A failed accept: one connection's own failure is skipped; the listener's (out of
/// descriptors, most often) is logged at most every few seconds and paused on.
async fn accept_failed(error: &std::io::Error, last_logged: &mut Option<Instant>) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    if last_logged.is_none_or(|at| at.elapsed() >= Duration::from_secs(5)) {
        *last_logged = Some(Instant::now());
        tracing::warn!(%error, "accepting connections failed");
    }
    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
}

/// Serves one connection until it closes, is shut down gracefully, or is cut; its place in the
/// budget is given back when it ends.
async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    connections: Arc<Connections>,
    watcher: Watcher,
    _place: OwnedSemaphorePermit,
) {
    // No Nagle delay: a response's head and body go out at once.
    let _ = tcp.set_nodelay(true);
    let app =
        connections
            .app
            .clone()
            .map_request(move |mut request: axum::http::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
    let connection = watcher.watch(
        connections
            .http
            .serve_connection(TokioIo::new(tcp), TowerToHyperService::new(app)),
    );
    let mut cut = connections.cut.clone();
    tokio::select! {
        result = connection => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        _ = cut.wait_for(|cut| *cut) => {
            tracing::debug!("connection closed at the end of the shutdown grace");
        }
    }
}

/// Lets the open connections finish their requests until `deadline` (each closes once idle),
/// then cuts the rest and waits briefly for them to be dropped.
async fn drain(graceful: GracefulShutdown, connections: Arc<Connections>, deadline: Instant) {
    let open = graceful.count();
    if open > 0 {
        tracing::info!(open, "waiting for in-flight requests");
    }
    if tokio::time::timeout_at(deadline, graceful.shutdown())
        .await
        .is_ok()
    {
        return;
    }
    let cut_sender = connections.cut_sender.clone();
    let _ = cut_sender.send(true);
    drop(connections);
    tracing::warn!("shutdown grace over: closing connections with requests still running");
    let _ = tokio::time::timeout(CUT_WAIT, cut_sender.closed()).await;
}
