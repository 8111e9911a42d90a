//! Name resolution as a browser does it for `localhost`: `localhost` and every `*.localhost` name
//! are loopback (RFC 6761), so the Store at `store.localhost` and the Forums at
//! `forums.localhost` work without `/etc/hosts` entries. The system resolver here does not know
//! `*.localhost`, hence this resolver; every other name still goes to the system resolver.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{Ipv4Addr, SocketAddr};

/// A [`reqwest::dns::Resolve`] that maps `localhost` and `*.localhost` to `127.0.0.1` and asks
/// the system (`getaddrinfo`) for everything else.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalhostResolver;

/// True for `localhost` and its subdomains (case-insensitive, trailing dot allowed).
pub fn is_localhost(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

impl Resolve for LocalhostResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        if is_localhost(&host) {
            // Port 0: reqwest puts the URL's port in.
            let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
            let addrs: Addrs = Box::new(std::iter::once(loopback));
            return Box::pin(std::future::ready(Ok(addrs)));
        }
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr as _;

    #[test]
    fn localhost_names_are_recognized() {
        for host in [
            "localhost",
            "store.localhost",
            "a.b.localhost",
            "Forums.LocalHost",
            "localhost.",
        ] {
            assert!(is_localhost(host), "{host}");
        }
        for host in ["example.com", "localhost.example.com", "notlocalhost", ""] {
            assert!(!is_localhost(host), "{host}");
        }
    }

    #[tokio::test]
    async fn subdomains_of_localhost_resolve_to_loopback() {
        let name = Name::from_str("store.localhost").unwrap();
        let addrs: Vec<SocketAddr> = LocalhostResolver.resolve(name).await.unwrap().collect();
        assert_eq!(addrs, vec![SocketAddr::from((Ipv4Addr::LOCALHOST, 0))]);
    }

    #[tokio::test]
    async fn an_unknown_name_is_an_error_not_a_panic() {
        // `.invalid` never resolves (RFC 2606); with no network the lookup fails fast too.
        let name = Name::from_str("no-such-host.invalid").unwrap();
        assert!(LocalhostResolver.resolve(name).await.is_err());
    }
}
