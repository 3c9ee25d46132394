//! The client behind a request. Without `TRUSTED_PROXIES` it is the TCP peer. Behind trusted
//! proxies it is the nearest address in `X-Forwarded-For` that is not itself a trusted proxy: each
//! proxy appends the address it received the request from, so everything left of that hop is the
//! client's own say and worth nothing. Lockouts, rate limits and audit rows all use this address.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

/// The client's address, as `remember` worked it out for this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

pub fn client_addr(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpNet]) -> IpAddr {
    let trusted_hop = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer;
    if !trusted_hop(&peer) {
        return client;
    }
    let hops = forwarded_for.iter().rev().flat_map(|header| header.rsplit(','));
    for hop in hops.map(str::trim) {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            // Not an address (a proxy writing `unknown`, or forged text): the nearest good hop.
            return client;
        };
        client = ip;
        if !trusted_hop(&ip) {
            break;
        }
    }
    client
}

/// Middleware: records the request's `ClientAddr`.
pub async fn remember(State(trusted): State<Arc<[IpNet]>>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    if let Some(peer) = peer {
        let forwarded: Vec<&str> = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let client = client_addr(peer, &forwarded, &trusted);
        request.extensions_mut().insert(ClientAddr(client));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "127.0.0.1/32".parse().unwrap()];
        // No proxy trusted, or a peer that is not one: the header is ignored.
        assert_eq!(client_addr(ip("127.0.0.1"), &["203.0.113.7"], &[]), ip("127.0.0.1"));
        assert_eq!(
            client_addr(ip("198.51.100.1"), &["203.0.113.7"], &trusted),
            ip("198.51.100.1")
        );
        // Through the load balancer: the address it saw.
        assert_eq!(
            client_addr(ip("10.0.0.5"), &["203.0.113.7"], &trusted),
            ip("203.0.113.7")
        );
        // The client's own claim left of it is worth nothing; trusted hops are skipped.
        assert_eq!(
            client_addr(ip("10.0.0.5"), &["1.2.3.4, 203.0.113.7, 10.0.0.9"], &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_addr(ip("10.0.0.5"), &["1.2.3.4", "203.0.113.7"], &trusted),
            ip("203.0.113.7")
        );
        // Garbage stops the walk at the nearest good hop; no header leaves the peer.
        assert_eq!(
            client_addr(ip("10.0.0.5"), &["203.0.113.7, unknown"], &trusted),
            ip("10.0.0.5")
        );
        assert_eq!(client_addr(ip("10.0.0.5"), &[], &trusted), ip("10.0.0.5"));
    }
}
