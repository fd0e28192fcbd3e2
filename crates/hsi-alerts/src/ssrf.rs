//! Keeps webhooks from reaching the platform's own network (SSRF).
//!
//! Rules are written through the API, so a webhook URL is user input; without this guard
//! it could make the worker call Redis, PostgreSQL or a cloud metadata endpoint. The
//! destination is resolved before the first attempt and every address is checked, which
//! gives a clear refusal; the HTTP client also resolves through `GuardedResolver`, so a
//! name that re-resolves to a private address later (DNS rebinding) is refused as well.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why an address may not be a webhook destination, or `None` when it may.
pub fn blocked_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => blocked_v4(v4),
        IpAddr::V6(v6) => blocked_v6(v6),
    }
}

fn blocked_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [first, second, ..] = ip.octets();
    if ip.is_unspecified() || first == 0 {
        // Connecting to 0.0.0.0 reaches the local host on Linux.
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if first == 100 && (64..128).contains(&second) {
        Some("shared (carrier-grade nat)")
    } else if ip.is_broadcast() || ip.is_multicast() {
        Some("broadcast or multicast")
    } else {
        None
    }
}

fn blocked_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return blocked_v4(v4);
    }
    let first = ip.segments()[0];
    if ip.is_unspecified() {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if first & 0xfe00 == 0xfc00 {
        Some("unique-local")
    } else if first & 0xffc0 == 0xfe80 || first & 0xffc0 == 0xfec0 {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("broadcast or multicast")
    } else if ip.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // NAT64 carries an IPv4 address in its last 32 bits.
        let [.., a, b] = ip.segments();
        blocked_v4(Ipv4Addr::from((u32::from(a) << 16) | u32::from(b)))
    } else {
        None
    }
}

/// The outcome of checking a destination before sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Destination {
    Allowed,
    /// Refused for good: retrying cannot help.
    Refused(String),
    /// The name could not be resolved now; the attempt (and its retries) will find out.
    Unresolved,
}

/// Resolves the URL's host and checks every address it resolves to.
pub(crate) async fn check_destination(url: &Url) -> Destination {
    let Some(host) = url.host_str() else {
        return Destination::Refused("webhook url has no host".to_owned());
    };
    let port = url.port_or_known_default().unwrap_or(443);
    // An IP literal in brackets (`[::1]`) must be unbracketed for lookup.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match tokio::net::lookup_host((host, port)).await {
        Ok(addrs) => addrs.collect(),
        Err(err) => {
            tracing::debug!(host, error = %err, "webhook host did not resolve");
            return Destination::Unresolved;
        }
    };
    match addrs.iter().find_map(|addr| refusal(host, addr.ip())) {
        Some(reason) => Destination::Refused(reason),
        None => Destination::Allowed,
    }
}

fn refusal(host: &str, ip: IpAddr) -> Option<String> {
    blocked_reason(ip).map(|kind| {
        format!(
            "destination {host} resolves to {ip}, a {kind} address; refused because \
             alerts.allow_private_destinations is false"
        )
    })
}

/// A resolver for the HTTP client that fails when any resolved address is blocked.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            // Port 0: the client puts in the URL's port.
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(reason) = addrs.iter().find_map(|addr| refusal(&host, addr.ip())) {
                return Err(reason.into());
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str) -> Option<&'static str> {
        blocked_reason(text.parse().unwrap())
    }

    #[test]
    fn internal_addresses_are_blocked() {
        let blocked = [
            ("127.0.0.1", "loopback"),
            ("127.8.9.10", "loopback"),
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "unspecified"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "shared (carrier-grade nat)"),
            ("255.255.255.255", "broadcast or multicast"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fc00::1", "unique-local"),
            ("fd12:3456::1", "unique-local"),
            ("fe80::1", "link-local"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.0.0.1", "private"),
            ("64:ff9b::a9fe:a9fe", "link-local"),
        ];
        for (ip, expected) in blocked {
            assert_eq!(reason(ip), Some(expected), "{ip}");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(reason(ip), None, "{ip}");
        }
    }

    #[tokio::test]
    async fn literal_and_named_local_destinations_are_refused() {
        for url in [
            "http://127.0.0.1:9/hook",
            "http://[::1]:9/hook",
            "https://localhost/hook",
        ] {
            let url = Url::parse(url).unwrap();
            match check_destination(&url).await {
                Destination::Refused(reason) => {
                    assert!(reason.contains("loopback"), "{reason}");
                    assert!(reason.contains("allow_private_destinations"), "{reason}");
                }
                other => panic!("{url} gave {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn resolver_passes_public_addresses_through() {
        let name: Name = "93.184.216.34".parse().unwrap();
        let addrs: Vec<SocketAddr> = GuardedResolver.resolve(name).await.unwrap().collect();
        assert_eq!(addrs.len(), 1);
        assert_eq!(addrs[0].ip(), "93.184.216.34".parse::<IpAddr>().unwrap());
    }

    #[tokio::test]
    async fn resolver_refuses_local_names() {
        let name: Name = "localhost".parse().unwrap();
        let err = GuardedResolver.resolve(name).await.err().unwrap();
        assert!(err.to_string().contains("loopback"), "{err}");
    }
}
