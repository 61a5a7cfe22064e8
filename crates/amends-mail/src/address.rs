//! Server addresses given as URLs: `smtp://user:pass@host:587?tls=starttls`,
//! `imaps://user:pass@host/INBOX`. User and password may be percent-encoded.

use percent_encoding::percent_decode_str;

/// How a connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain text: only for a server on loopback.
    None,
    /// Plain text upgraded with STARTTLS, which is required.
    StartTls,
    /// TLS from the first byte.
    Tls,
}

/// A parsed server URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    /// `smtp`, `smtps`, `imap` or `imaps`.
    pub scheme: String,
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// User name, decoded.
    pub user: Option<String>,
    /// Password, decoded.
    pub password: Option<String>,
    /// The path without its leading slash, decoded (an IMAP mailbox).
    pub path: String,
    /// The connection's protection.
    pub security: Security,
}

impl ServerUrl {
    /// The URL without its password, for logs and lists.
    pub fn redacted(&self) -> String {
        let user = self
            .user
            .as_deref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        let path = if self.path.is_empty() {
            String::new()
        } else {
            format!("/{}", self.path)
        };
        format!("{}://{user}{}:{}{path}", self.scheme, self.host, self.port)
    }
}

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UrlError(pub String);

/// Parses a server URL whose scheme is one of `schemes` (plain, then TLS: `["smtp", "smtps"]`).
pub fn parse_server_url(raw: &str, schemes: [&str; 2]) -> Result<ServerUrl, UrlError> {
    let (scheme, rest) = raw
        .split_once("://")
        .ok_or_else(|| UrlError(format!("expected {}://host", schemes[0])))?;
    let scheme = scheme.to_ascii_lowercase();
    if !schemes.contains(&scheme.as_str()) {
        return Err(UrlError(format!(
            "the scheme must be {} or {}, not {scheme:?}",
            schemes[0], schemes[1]
        )));
    }
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => (Some(userinfo), hostport),
        None => (None, authority),
    };
    let (user, password) = match userinfo {
        None => (None, None),
        Some(info) => match info.split_once(':') {
            Some((user, password)) => (Some(decode(user)?), Some(decode(password)?)),
            None => (Some(decode(info)?), None),
        },
    };
    let (host, port) = host_and_port(hostport)?;
    let security = security(query, &scheme, scheme == schemes[1])?;
    Ok(ServerUrl {
        port: port.unwrap_or_else(|| default_port(&scheme, security)),
        scheme,
        host,
        user,
        password,
        path: decode(path)?,
        security,
    })
}

/// A user, password or path, percent-decoded.
fn decode(raw: &str) -> Result<String, UrlError> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| UrlError("the user or password is not UTF-8 once decoded".into()))
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn host_and_port(hostport: &str) -> Result<(String, Option<u16>), UrlError> {
    let (host, port) = match hostport.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || hostport.starts_with('[') => {
            let port = port
                .parse::<u16>()
                .map_err(|_| UrlError(format!("{port:?} is not a port number")))?;
            (host, Some(port))
        }
        _ => (hostport, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(UrlError("the URL has no host".into()));
    }
    Ok((host.to_owned(), port))
}

/// The protection the query asks for (`tls=none|starttls|tls`); TLS on the secure scheme,
/// STARTTLS otherwise.
fn security(query: &str, scheme: &str, secure_scheme: bool) -> Result<Security, UrlError> {
    let mut security = if secure_scheme {
        Security::Tls
    } else {
        Security::StartTls
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match (key, value) {
            ("tls", "none") if !secure_scheme => security = Security::None,
            ("tls", "starttls") if !secure_scheme => security = Security::StartTls,
            ("tls", "tls" | "wrapper" | "implicit") => security = Security::Tls,
            ("tls", other) => {
                let allowed = if secure_scheme {
                    "tls only"
                } else {
                    "all three"
                };
                return Err(UrlError(format!(
                    "tls={other:?}: expected none, starttls or tls ({scheme} allows {allowed})"
                )));
            }
            (other, _) => return Err(UrlError(format!("unknown setting {other:?} in the URL"))),
        }
    }
    Ok(security)
}

fn default_port(scheme: &str, security: Security) -> u16 {
    match (scheme, security) {
        ("smtp" | "smtps", Security::Tls) => 465,
        ("smtp", Security::StartTls) => 587,
        ("smtp", Security::None) => 25,
        ("imap" | "imaps", Security::Tls) => 993,
        _ => 143,
    }
}

/// Whether mail can be sent to `address` (a bare `local@domain`): the same parser the desk's
/// sender uses (lettre's), so an address accepted at the API or at intake is never one that
/// fails only when the first notice goes out.
pub fn can_be_mailed(address: &str) -> bool {
    address.parse::<lettre::Address>().is_ok()
}
