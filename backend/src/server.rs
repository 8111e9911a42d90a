//! Serving a router on a bound listener until told to stop: the one way every server here (the
//! identity server, the Store, the Forums) runs.

use axum::Router;
use axum::serve::ListenerExt as _;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A router being served.
#[derive(Debug)]
pub struct Serving {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Serving {
    /// Serves `app` on `listener` in a task, with each connection's peer address available to
    /// handlers (`ConnectInfo`).
    pub fn spawn(listener: TcpListener, app: Router) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        // No Nagle delay: a response's head and body go out at once.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        Ok(Self {
            addr,
            shutdown: Some(tx),
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets in-flight requests finish, and returns.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        (&mut self.task).await??;
        Ok(())
    }

    /// Serves until the server fails.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        (&mut self.task).await??;
        Ok(())
    }
}
