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
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, query),
        None => (rest, ""),
    };
    let (authority, path) = match rest.split_once('/') {
        Some((authority, path)) => (authority, path),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => (Some(userinfo), hostport),
        None => (None, authority),
    };
    let decode = |s: &str| -> Result<String, UrlError> {
        percent_decode_str(s)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| UrlError("the user or password is not UTF-8 once decoded".into()))
    };
    let (user, password) = match userinfo {
        None => (None, None),
        Some(info) => match info.split_once(':') {
            Some((user, password)) => (Some(decode(user)?), Some(decode(password)?)),
            None => (Some(decode(info)?), None),
        },
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || hostport.starts_with('[') => {
            let port = port
                .parse::<u16>()
                .map_err(|_| UrlError(format!("{port:?} is not a port number")))?;
            (host, Some(port))
        }
        _ => (hostport, None),
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    if host.is_empty() {
        return Err(UrlError("the URL has no host".into()));
    }
    let secure_scheme = scheme == schemes[1];
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
                return Err(UrlError(format!(
                    "tls={other:?}: expected none, starttls or tls ({scheme} allows {})",
                    if secure_scheme {
                        "tls only"
                    } else {
                        "all three"
                    }
                )))
            }
            (other, _) => return Err(UrlError(format!("unknown setting {other:?} in the URL"))),
        }
    }
    let default_port = match (scheme.as_str(), security) {
        ("smtp" | "smtps", Security::Tls) => 465,
        ("smtp", Security::StartTls) => 587,
        ("smtp", Security::None) => 25,
        ("imap" | "imaps", Security::Tls) => 993,
        _ => 143,
    };
    Ok(ServerUrl {
        scheme,
        host,
        port: port.unwrap_or(default_port),
        user,
        password,
        path: decode(path)?,
        security,
    })
}

/// Whether mail can be sent to `address` (a bare `local@domain`): the same parser the desk's
/// sender uses (lettre's), so an address accepted at the API or at intake is never one that
/// fails only when the first notice goes out.
pub fn can_be_mailed(address: &str) -> bool {
    address.parse::<lettre::Address>().is_ok()
}
