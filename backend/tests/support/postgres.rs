//! A PostgreSQL database of its own for one test: created on a server named by
//! `TEST_POSTGRES_URL` (a role that may create databases), dropped when the value is dropped.
//! Include it with `#[path = "support/postgres.rs"] mod postgres;`.
//!
//! The variable must be set: CI sets it, and locally `bash .ci/services start` then
//! `eval "$(bash .ci/services env)"` does. A test without it fails, it does not skip.

use sqlx::{Connection as _, Executor as _, PgConnection};

/// The variable naming the server.
pub const VARIABLE: &str = "TEST_POSTGRES_URL";

/// A fresh, empty database, dropped (with whatever is still connected) on drop.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates a database with a random name.
    pub async fn create() -> Self {
        let admin_url = std::env::var(VARIABLE).unwrap_or_else(|_| {
            panic!(
                "{VARIABLE} is not set: these tests need a PostgreSQL server and a role that may \
                 CREATE DATABASE, e.g. postgres://ci:ci@127.0.0.1:5432/postgres. Start one with \
                 `bash .ci/services start` and `eval \"$(bash .ci/services env)\"`"
            )
        });
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {VARIABLE}: {e}"));
        admin
            .execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        admin.close().await.ok();
        let mut url = url::Url::parse(&admin_url).expect("TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        Self {
            admin_url,
            name,
            url: url.to_string(),
        }
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's URL with its host and port replaced by `addr` (a proxy in front of it).
    pub fn url_via(&self, addr: std::net::SocketAddr) -> String {
        let mut url = url::Url::parse(&self.url).unwrap();
        url.set_ip_host(addr.ip()).unwrap();
        url.set_port(Some(addr.port())).unwrap();
        url.to_string()
    }

    /// The server's address, as the URL names it (to put a proxy in front of it).
    pub fn server_addr(&self) -> std::net::SocketAddr {
        let url = url::Url::parse(&self.url).unwrap();
        let host = url.host_str().expect("the URL has a host");
        let port = url.port().unwrap_or(5432);
        std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
            .unwrap()
            .next()
            .expect("the host resolves")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs outside async (and maybe while a test panics): a thread of its own with a
        // runtime of its own does the DROP, FORCE ending the servers' connections still open.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let mut admin = PgConnection::connect(&admin_url).await?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                    .await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}
