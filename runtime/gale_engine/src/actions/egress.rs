//! The egress policy of `std.http` / `std.mistral_http` (SSRF mitigation), as
//! Mistral 23's `mistral/utils/egress.py` and `[action_std_http]` options define it.
//!
//! Checked before connecting, in this order (each failure is an action error with
//! Mistral's exact message):
//! 1. the URL scheme must be `http` or `https`;
//! 2. the URL must have a host;
//! 3. if [`EgressPolicy::allowed_hosts`] is non-empty, the (lower-cased) host must be
//!    one of its entries — deny-by-default for everything else;
//! 4. every address the host resolves to must be outside [`EgressPolicy::denied_cidrs`]
//!    (default: loopback and link-local, which covers the cloud metadata service).
//!    A host that does not resolve is let through (the request then fails normally).
//!
//! Gale addition: [`EgressPolicy::denied_hosts`], host names refused outright
//! (checked after step 2), for deployments that want a name-based deny list.

use std::net::{IpAddr, ToSocketAddrs};
use std::str::FromStr;

/// A network in CIDR notation (`127.0.0.0/8`, `::1/128`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    /// The network address.
    pub addr: IpAddr,
    /// The prefix length in bits.
    pub prefix: u8,
}

impl Cidr {
    /// Whether `ip` belongs to this network (an IPv4-mapped IPv6 address is compared
    /// as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    /// Parses `addr/prefix` or a bare address (a single host), non-strict like
    /// Python's `ip_network(cidr, strict=False)`.
    fn from_str(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("invalid CIDR '{s}': not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("invalid CIDR '{s}': bad prefix length"))?,
            None => max,
        };
        Ok(Cidr { addr, prefix })
    }
}

/// Mistral's default `[action_std_http] denied_cidrs`.
pub const DEFAULT_DENIED_CIDRS: &[&str] =
    &["127.0.0.0/8", "::1/128", "169.254.0.0/16", "fe80::/10"];

/// Where `std.http` may connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EgressPolicy {
    /// `[action_std_http] allowed_hosts`: when non-empty, only these host names (as
    /// written in URLs, compared with the lower-cased URL host) are allowed.
    pub allowed_hosts: Vec<String>,
    /// Gale extension: host names that are always refused.
    pub denied_hosts: Vec<String>,
    /// `[action_std_http] denied_cidrs`: networks no resolved address may be in.
    /// Empty disables the address check.
    pub denied_cidrs: Vec<Cidr>,
}

impl Default for EgressPolicy {
    /// Mistral's defaults: any host, except loopback and link-local addresses.
    fn default() -> EgressPolicy {
        EgressPolicy {
            allowed_hosts: Vec::new(),
            denied_hosts: Vec::new(),
            denied_cidrs: DEFAULT_DENIED_CIDRS
                .iter()
                .filter_map(|c| c.parse().ok())
                .collect(),
        }
    }
}

impl EgressPolicy {
    /// A policy that allows every http/https URL (no allow list, no deny list).
    pub fn allow_all() -> EgressPolicy {
        EgressPolicy {
            allowed_hosts: Vec::new(),
            denied_hosts: Vec::new(),
            denied_cidrs: Vec::new(),
        }
    }

    /// Checks `url` (Mistral's `validate_url`); `Err` is the action error message.
    pub fn validate_url(&self, url: &str) -> Result<(), String> {
        let parts = split_url(url);
        if parts.scheme != "http" && parts.scheme != "https" {
            return Err(format!(
                "URL scheme '{}' is not allowed (only http and https are).",
                parts.scheme
            ));
        }
        let Some(host) = parts.host.filter(|h| !h.is_empty()) else {
            return Err("URL does not contain a host.".into());
        };
        if self
            .denied_hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&host))
        {
            return Err(format!("Host '{host}' is denied by the egress policy."));
        }
        if !self.allowed_hosts.is_empty() && !self.allowed_hosts.contains(&host) {
            return Err(format!(
                "Host '{host}' is not in [action_std_http] allowed_hosts."
            ));
        }
        if self.denied_cidrs.is_empty() {
            return Ok(());
        }
        let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => match (host.as_str(), parts.port.unwrap_or(0)).to_socket_addrs() {
                Ok(addrs) => addrs.map(|a| a.ip()).collect(),
                // Unresolvable: nothing to protect, the request fails anyway.
                Err(_) => return Ok(()),
            },
        };
        for address in addresses {
            if self.denied_cidrs.iter().any(|c| c.contains(address)) {
                return Err(format!(
                    "URL host '{host}' resolves to a blocked address ({address})."
                ));
            }
        }
        Ok(())
    }
}

/// The parts of a URL that the policy looks at, split like Python's `urlsplit`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlParts {
    /// Lower-cased scheme (empty when the URL has none).
    pub scheme: String,
    /// Lower-cased host without brackets or user info (`hostname` in Python).
    pub host: Option<String>,
    /// Explicit port, if any.
    pub port: Option<u16>,
}

/// Splits `url` into scheme, host and port (never fails; missing parts are absent).
pub fn split_url(url: &str) -> UrlParts {
    let url = url.trim();
    let (scheme, rest) = match url.split_once(':') {
        Some((s, r))
            if !s.is_empty()
                && s.starts_with(|c: char| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            (s.to_ascii_lowercase(), r)
        }
        _ => (String::new(), url),
    };
    let Some(after) = rest.strip_prefix("//") else {
        return UrlParts {
            scheme,
            host: None,
            port: None,
        };
    };
    let netloc = after.split(['/', '?', '#']).next().unwrap_or_default();
    let hostport = netloc.rsplit_once('@').map_or(netloc, |(_, h)| h);
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => (v6, None),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    UrlParts {
        scheme,
        host: Some(host.to_ascii_lowercase()).filter(|h| !h.is_empty()),
        port: port.and_then(|p| p.parse().ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        let lo: Cidr = "127.0.0.0/8".parse().unwrap_or(Cidr {
            addr: IpAddr::from([0, 0, 0, 0]),
            prefix: 32,
        });
        assert!(lo.contains("127.1.2.3".parse().unwrap_or(lo.addr)));
        assert!(!lo.contains(IpAddr::from([10, 0, 0, 1])));
        assert!(lo.contains("::ffff:127.0.0.1".parse().unwrap_or(lo.addr)));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("nope".parse::<Cidr>().is_err());
        let all: Cidr = "0.0.0.0/0".parse().unwrap_or(lo);
        assert!(all.contains(IpAddr::from([8, 8, 8, 8])));
    }

    #[test]
    fn mistral_messages() {
        let policy = EgressPolicy::default();
        let cases = [
            (
                "ftp://x/",
                "URL scheme 'ftp' is not allowed (only http and https are).",
            ),
            (
                "example.com",
                "URL scheme '' is not allowed (only http and https are).",
            ),
            ("http:///path", "URL does not contain a host."),
            (
                "http://127.0.0.1:8080/",
                "URL host '127.0.0.1' resolves to a blocked address (127.0.0.1).",
            ),
            (
                "http://[::1]/",
                "URL host '::1' resolves to a blocked address (::1).",
            ),
            (
                "http://user:pw@169.254.169.254/latest",
                "URL host '169.254.169.254' resolves to a blocked address (169.254.169.254).",
            ),
        ];
        for (url, msg) in cases {
            assert_eq!(policy.validate_url(url), Err(msg.to_string()), "{url}");
        }
        assert_eq!(policy.validate_url("https://10.1.2.3/x"), Ok(()));
        assert_eq!(
            policy.validate_url("http://no-such-host.invalid/"),
            Ok(()),
            "unresolvable hosts are let through"
        );
    }

    #[test]
    fn allow_and_deny_lists() {
        let policy = EgressPolicy {
            allowed_hosts: vec!["api.example.com".into()],
            denied_hosts: vec!["evil.example.com".into()],
            denied_cidrs: Vec::new(),
        };
        assert_eq!(policy.validate_url("http://API.example.com:80/x"), Ok(()));
        assert_eq!(
            policy.validate_url("http://other.example.com/"),
            Err("Host 'other.example.com' is not in [action_std_http] allowed_hosts.".into())
        );
        assert_eq!(
            policy.validate_url("http://evil.example.com/"),
            Err("Host 'evil.example.com' is denied by the egress policy.".into())
        );
        assert_eq!(
            EgressPolicy::allow_all().validate_url("http://127.0.0.1/"),
            Ok(())
        );
    }
}
