//! Who is asking: the client's IP address, for rate limits and for the `ipAddress` FusionAuth
//! records. The TCP peer, unless the peer is a configured reverse proxy — only then is
//! `X-Forwarded-For` believed, and only as far back as the chain of trusted proxies goes, so a
//! client cannot pick its own address by sending the header itself.

use crate::session::ClientAddr;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// The reverse proxies whose `X-Forwarded-For` is believed (`--trusted-proxy`). Empty by
/// default: the TCP peer is the client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Trusts these networks.
    pub fn new(networks: impl IntoIterator<Item = IpNet>) -> Self {
        Self(networks.into_iter().collect())
    }

    /// True when no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: `peer` itself unless it is a trusted proxy; then the right-most
    /// address of `X-Forwarded-For` that is not a trusted proxy (each proxy appends the address
    /// it received the request from, so everything left of the first untrusted hop may be
    /// forged). If every hop is trusted, the left-most one; if a hop does not parse, the last
    /// trusted hop before it, since nothing beyond it can be believed.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.into_iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                return client;
            };
            client = ip;
            if !self.contains(ip) {
                return ip;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:80`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|addr| addr.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// One `--trusted-proxy` value: an address (`10.0.0.1`, `::1`) or a network (`10.0.0.0/8`).
pub fn parse_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    IpNet::from_str(text)
        .or_else(|_| IpAddr::from_str(text).map(IpNet::from))
        .map_err(|_| format!("{text:?} is not an IP address or a CIDR network such as 10.0.0.0/8"))
}

/// Extractor: the client's address, as [`client_addr`] found it for this request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Served without connect info (a router called in-process): the unspecified address, so
        // such callers share one rate-limit bucket rather than escaping it.
        let ip = parts
            .extensions
            .get::<ClientAddr>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |ClientAddr(ip)| *ip);
        Ok(Self(ip))
    }
}

/// Middleware: works out the client's address once per request ([`TrustedProxies::client_ip`])
/// and puts it where the session layer ([`ClientAddr`]: the sessions list) and [`ClientIp`]
/// (rate limits, the address FusionAuth records) read it.
pub async fn client_addr(
    State(proxies): State<TrustedProxies>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        let ip = proxies.client_ip(peer.ip(), request.headers());
        request.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|p| parse_proxy(p).unwrap()))
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        let headers = forwarded(&["203.0.113.9"]);
        assert_eq!(
            none.client_ip(ip("198.51.100.1"), &headers),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn a_peer_that_is_not_a_trusted_proxy_cannot_forward() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let headers = forwarded(&["203.0.113.9"]);
        assert_eq!(
            trusted.client_ip(ip("198.51.100.1"), &headers),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "192.0.2.7"]);
        // The client forged "1.1.1.1"; the first proxy appended the real address, 203.0.113.9;
        // a second trusted proxy appended the first one's.
        let headers = forwarded(&["1.1.1.1, 203.0.113.9", "192.0.2.7"]);
        assert_eq!(
            trusted.client_ip(ip("10.1.2.3"), &headers),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn all_trusted_hops_give_the_left_most_and_a_missing_header_the_peer() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let headers = forwarded(&["10.9.9.9, 10.8.8.8"]);
        assert_eq!(trusted.client_ip(ip("10.1.2.3"), &headers), ip("10.9.9.9"));
        assert_eq!(
            trusted.client_ip(ip("10.1.2.3"), &HeaderMap::new()),
            ip("10.1.2.3")
        );
    }

    #[test]
    fn a_garbled_hop_stops_at_the_last_trusted_one() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let headers = forwarded(&["203.0.113.9, unknown, 10.8.8.8"]);
        assert_eq!(trusted.client_ip(ip("10.1.2.3"), &headers), ip("10.8.8.8"));
    }

    #[test]
    fn ports_brackets_and_mapped_addresses_are_understood() {
        let trusted = proxies(&["::1"]);
        let headers = forwarded(&["[2001:db8::1]:4711"]);
        assert_eq!(trusted.client_ip(ip("::1"), &headers), ip("2001:db8::1"));
        let headers = forwarded(&["203.0.113.9:80"]);
        assert_eq!(trusted.client_ip(ip("::1"), &headers), ip("203.0.113.9"));
        let v4 = proxies(&["127.0.0.1"]);
        let headers = forwarded(&["203.0.113.9"]);
        assert_eq!(
            v4.client_ip(ip("::ffff:127.0.0.1"), &headers),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn proxies_parse_as_addresses_or_networks() {
        assert_eq!(parse_proxy("10.0.0.1").unwrap().to_string(), "10.0.0.1/32");
        assert_eq!(parse_proxy("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_proxy("::1").unwrap().to_string(), "::1/128");
        assert!(parse_proxy("proxy.example").is_err());
        assert!(parse_proxy("10.0.0.0/33").is_err());
    }

    #[test]
    fn a_configured_proxy_list_is_not_empty() {
        assert!(TrustedProxies::default().is_empty());
        assert!(!proxies(&["10.0.0.0/8"]).is_empty());
    }
}
