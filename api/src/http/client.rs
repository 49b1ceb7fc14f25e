//! The client's address: the connection's peer, unless the peer is a
//! configured trusted reverse proxy (`CARELEDGER_TRUSTED_PROXIES`), in which
//! case `X-Forwarded-For` is read from the right: each hop a trusted proxy
//! appended is skipped, and the first address not a trusted proxy is the
//! client. Anything left of that was written by the client and is ignored,
//! so a client cannot choose the address its login attempts count against.
//! A malformed entry stops the walk at the last trusted hop.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The address a request came from.
pub fn address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&canonical(*ip)));
    if !is_trusted(&peer) {
        return canonical(peer);
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = canonical(peer);
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else { break };
        client = canonical(ip);
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// IPv4 addresses seen through an IPv6 socket (`::ffff:10.0.0.1`) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(v).expect("value"));
        }
        headers
    }

    fn proxies() -> Vec<IpNet> {
        vec!["10.89.0.2/32".parse().expect("net"), "192.168.7.0/24".parse().expect("net")]
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let headers = forwarded(&["203.0.113.9"]);
        assert_eq!(address(ip("198.51.100.4"), &headers, &proxies()), ip("198.51.100.4"));
        assert_eq!(address(ip("198.51.100.4"), &headers, &[]), ip("198.51.100.4"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let p = proxies();
        // The client claims to be 1.1.1.1; Caddy appended the real address.
        let headers = forwarded(&["1.1.1.1, 203.0.113.9"]);
        assert_eq!(address(ip("10.89.0.2"), &headers, &p), ip("203.0.113.9"));
        // Two trusted proxies in a row, the header split over two lines.
        let headers = forwarded(&["1.1.1.1, 203.0.113.9", "192.168.7.5"]);
        assert_eq!(address(ip("10.89.0.2"), &headers, &p), ip("203.0.113.9"));
        // Mapped IPv4 through an IPv6 socket.
        let headers = forwarded(&["203.0.113.9"]);
        assert_eq!(address(ip("::ffff:10.89.0.2"), &headers, &p), ip("203.0.113.9"));
    }

    #[test]
    fn a_missing_or_malformed_header_leaves_the_last_trusted_hop() {
        let p = proxies();
        assert_eq!(address(ip("10.89.0.2"), &HeaderMap::new(), &p), ip("10.89.0.2"));
        let headers = forwarded(&["203.0.113.9, not-an-address, 192.168.7.5"]);
        assert_eq!(address(ip("10.89.0.2"), &headers, &p), ip("192.168.7.5"));
        // Every hop trusted: the leftmost is the best answer there is.
        let headers = forwarded(&["192.168.7.9, 192.168.7.5"]);
        assert_eq!(address(ip("10.89.0.2"), &headers, &p), ip("192.168.7.9"));
    }
}
