//! The HTTP client the webhook and Segment outputs share: rustls on *ring*, a per-request
//! timeout, no redirects, no proxies, and an SSRF guard.
//!
//! The guard is also the client's DNS resolver: it resolves names itself
//! (`tokio::net::lookup_host`), refuses the destination if **any** resolved address is not
//! public (unless `allow_private` permits it), and hands the connector exactly the addresses
//! it checked, so the connection is pinned to them and DNS rebinding cannot slip a private
//! address in between the check and the connect. IP-literal URLs, which never reach a
//! resolver, are checked before the request is made.

use crate::output::SendError;
use crate::retry::{Verdict, classify_status};
use ipnet::IpNet;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::RETRY_AFTER;
use std::error::Error as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The per-request timeout unless configured (Standard Webhooks asks for 15–30 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// HTTP settings shared by the webhook and Segment outputs.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// The whole-request timeout: connect, send and read the response.
    pub timeout: Duration,
    /// CIDRs (`"127.0.0.0/8"`, `"10.1.0.0/16"`, `"::1/128"`) of non-public addresses that
    /// destinations may nonetheless resolve to.
    pub allow_private: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            allow_private: Vec::new(),
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// An `allow_private` entry is not a CIDR.
    #[error("allow_private entry {0:?} is not a CIDR")]
    Cidr(String),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// A destination URL does not parse or is not http(s).
    #[error("invalid destination URL {0:?}")]
    Url(String),
    /// A webhook secret is not `whsec_` followed by base64.
    #[error("webhook secret must be \"whsec_\" followed by base64")]
    Secret,
}

/// Why the guard did not yield addresses to connect to.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GuardError {
    /// The host resolves to a non-public address that `allow_private` does not permit.
    #[error("destination {host} resolves to {ip}, which is not public and not allowed")]
    Blocked {
        /// The host as written in the URL.
        host: String,
        /// The offending address.
        ip: IpAddr,
    },
    /// The host could not be resolved (possibly a transient failure).
    #[error("cannot resolve {host}: {reason}")]
    Resolve {
        /// The host as written in the URL.
        host: String,
        /// What the resolver said.
        reason: String,
    },
}

/// The SSRF guard: which addresses destinations may resolve to.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allow: Vec<IpNet>,
}

impl Guard {
    /// A guard permitting public addresses and the given CIDRs.
    pub fn new(allow_private: &[String]) -> Result<Self, ConfigError> {
        let allow = allow_private
            .iter()
            .map(|cidr| {
                cidr.trim()
                    .parse()
                    .map_err(|_| ConfigError::Cidr(cidr.clone()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { allow })
    }

    /// Whether a destination may be at `ip`. IPv4-mapped IPv6 addresses are judged as the
    /// IPv4 address they carry.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        is_public(ip) || self.allow.iter().any(|net| net.contains(&ip))
    }

    /// Resolves `host` (a name or an IP literal, IPv6 with or without brackets) and checks
    /// every address; the checked addresses, with `port`, are what to connect to.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, GuardError> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let resolve_error = |reason: String| GuardError::Resolve {
            host: host.to_owned(),
            reason,
        };
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| resolve_error(e.to_string()))?
            .collect();
        if addrs.is_empty() {
            return Err(resolve_error("no addresses".to_owned()));
        }
        match addrs.iter().find(|addr| !self.permits(addr.ip())) {
            Some(addr) => Err(GuardError::Blocked {
                host: host.to_owned(),
                ip: addr.ip(),
            }),
            None => Ok(addrs),
        }
    }
}

/// Whether an address is public: not private, loopback, link-local, unique-local,
/// multicast, unspecified, broadcast, shared (CGNAT), reserved or documentation space.
/// IPv4 carried in IPv6 (mapped, compatible, NAT64) is judged as that IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0                              // "this network", including 0.0.0.0
        || a >= 240                            // reserved
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 192 && b == 0 && ip.octets()[2] == 0)) // IETF protocol assignments
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded_v4 =
        || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..6] == [0; 6] {
        // ::, ::1 and the deprecated IPv4-compatible addresses.
        return !ip.is_unspecified() && !ip.is_loopback() && is_public_v4(embedded_v4());
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // NAT64 (RFC 6052): reaches the IPv4 address it carries.
        return is_public_v4(embedded_v4());
    }
    !(ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8)) // documentation
}

/// The guard as reqwest's resolver: only checked addresses reach the connector.
struct GuardedResolver(Arc<Guard>);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = Arc::clone(&self.0);
        Box::pin(async move {
            // The connector replaces port 0 with the URL's port.
            let addrs = guard.resolve(name.as_str(), 0).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The most bytes of a response body kept as its excerpt.
pub const EXCERPT_BYTES: usize = 512;

/// What a receiver answered: its status and the start of its body (at most
/// [`EXCERPT_BYTES`], cut at a character boundary), for the attempt log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The start of the body, as text (invalid UTF-8 replaced).
    pub excerpt: String,
}

/// A guarded HTTP client with a per-request timeout; cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    guard: Arc<Guard>,
    /// Overrides the client's timeout for each request (an output's own setting).
    timeout: Option<Duration>,
}

impl HttpClient {
    /// Builds the client.
    ///
    /// Installs rustls' *ring* provider as the process default if no provider is installed
    /// yet (reqwest is built without one, so that aws-lc is never compiled).
    pub fn new(config: &HttpConfig) -> Result<Self, ConfigError> {
        // An error means a provider is already installed; reqwest then uses that one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let guard = Arc::new(Guard::new(&config.allow_private)?);
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver(Arc::clone(&guard))))
            .build()?;
        Ok(Self {
            client,
            guard,
            timeout: None,
        })
    }

    /// The same client with its own whole-request timeout.
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        Self {
            timeout: Some(timeout),
            ..self.clone()
        }
    }

    /// Checks a destination URL now, as a send would: an IP literal or every address its
    /// name resolves to must be public or allowed. Blocks on the system resolver, so call
    /// it from a thread that may block. A name that does not resolve is `Resolve`: the
    /// caller decides whether that is fatal (it may resolve later).
    pub fn check_destination(&self, url: &str) -> Result<(), DestinationError> {
        use std::net::ToSocketAddrs as _;
        let parsed = parse_url(url)?;
        let host = parsed
            .host_str()
            .ok_or_else(|| ConfigError::Url(url.to_owned()))?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let port = parsed.port_or_known_default().unwrap_or(0);
        let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => (bare, port)
                .to_socket_addrs()
                .map_err(|e| GuardError::Resolve {
                    host: host.to_owned(),
                    reason: e.to_string(),
                })?
                .collect(),
        };
        match addrs.iter().find(|a| !self.guard.permits(a.ip())) {
            Some(addr) => Err(GuardError::Blocked {
                host: host.to_owned(),
                ip: addr.ip(),
            }
            .into()),
            None => Ok(()),
        }
    }

    /// POSTs `body` to `url` once, with the headers and, if given, Basic auth with this
    /// user name and an empty password, and classifies the answer; `Ok` means a 2xx.
    pub(crate) async fn post(
        &self,
        url: &Url,
        headers: &[(&'static str, String)],
        basic_auth: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Answer, SendError> {
        let host = url
            .host_str()
            .ok_or_else(|| SendError::NoHost(url.to_string()))?;
        // Names are checked by the resolver; literals never reach it.
        let literal = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>();
        if let Some(ip) = literal.ok().filter(|ip| !self.guard.permits(*ip)) {
            let host = host.to_owned();
            return Err(GuardError::Blocked { host, ip }.into());
        }
        let mut request = self.client.post(url.clone()).body(body);
        if let Some(timeout) = self.timeout {
            request = request.timeout(timeout);
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        if let Some(user) = basic_auth {
            request = request.basic_auth(user, Some(""));
        }
        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let verdict = classify_status(status, retry_after.as_deref(), jiff::Timestamp::now());
        let answer = Answer {
            status,
            excerpt: excerpt(&mut response).await,
        };
        match verdict {
            Verdict::Success => Ok(answer),
            verdict => Err(SendError::Status { answer, verdict }),
        }
    }
}

/// The start of a response body: reads at most [`EXCERPT_BYTES`] (a body that fails half
/// way keeps what came), never the whole of a large body.
async fn excerpt(response: &mut reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    bytes.truncate(EXCERPT_BYTES);
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    // A multi-byte character cut at the end shows as one replacement character.
    if text.ends_with('\u{fffd}') && bytes.len() == EXCERPT_BYTES {
        text.pop();
    }
    text
}

/// Why a destination is refused.
#[derive(Debug, thiserror::Error)]
pub enum DestinationError {
    /// The URL is not usable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The guard refused it, or its name does not resolve.
    #[error(transparent)]
    Guard(#[from] GuardError),
}

/// Parses an output's URL: absolute http or https with a host.
pub(crate) fn parse_url(url: &str) -> Result<Url, ConfigError> {
    match Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => {
            Ok(parsed)
        }
        _ => Err(ConfigError::Url(url.to_owned())),
    }
}

/// Maps a reqwest error to a [`SendError`], recovering the guard's own error from the chain.
fn transport_error(error: reqwest::Error) -> SendError {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(guard) = cause.downcast_ref::<GuardError>() {
            return guard.clone().into();
        }
        source = cause.source();
    }
    if error.is_timeout() {
        SendError::Timeout
    } else {
        SendError::Transport(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn non_public_addresses() {
        for s in [
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "127.0.0.1",
            "127.9.9.9",
            "169.254.169.254",
            "224.0.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "240.0.0.1",
            "100.64.0.1",
            "198.18.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip(s)), "{s} must not be public");
        }
    }

    #[test]
    fn public_addresses() {
        for s in [
            "1.1.1.1",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(ip(s)), "{s} must be public");
        }
    }

    #[test]
    fn allow_list() {
        let guard = Guard::new(&["127.0.0.0/8".into(), " fd00::/8 ".into()]).unwrap();
        assert!(guard.permits(ip("127.0.0.1")));
        assert!(guard.permits(ip("::ffff:127.0.0.1")));
        assert!(guard.permits(ip("fd00::5")));
        assert!(!guard.permits(ip("10.0.0.1")));
        assert!(!guard.permits(ip("::1")));
        assert!(matches!(
            Guard::new(&["10.0.0.0/33".into()]),
            Err(ConfigError::Cidr(_))
        ));
        assert!(matches!(
            Guard::new(&["localhost".into()]),
            Err(ConfigError::Cidr(_))
        ));
    }

    #[test]
    fn urls() {
        assert!(parse_url("https://example.com/hook").is_ok());
        assert!(parse_url("http://127.0.0.1:8080").is_ok());
        for bad in [
            "ftp://example.com",
            "example.com",
            "file:///etc/passwd",
            "http://",
        ] {
            assert!(matches!(parse_url(bad), Err(ConfigError::Url(_))), "{bad}");
        }
    }
}
