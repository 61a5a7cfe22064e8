//! Reading a mailbox over IMAP (async-imap): the unseen mails, each fetched without marking it
//! read (`BODY.PEEK[]`), then flagged `\Seen` once the desk has filed it. A crash between the
//! two fetches the mail again next time, and the desk recognises it by its Message-ID, so
//! nothing is lost and nothing is filed twice. Waits with IDLE where the server offers it.

use std::sync::Arc;
use std::time::Duration;

use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use crate::address::{parse_server_url, Security, ServerUrl, UrlError};

/// How long connecting and each command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// A byte stream IMAP runs over: plain TCP (loopback), or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}

/// What went wrong with a mailbox.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The URL is not usable.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// Connecting, TLS or a command failed.
    #[error("{0}")]
    Io(String),
    /// The server refused the login.
    #[error("the IMAP server refused the login for {0}")]
    Login(String),
}

impl From<async_imap::error::Error> for ImapError {
    fn from(error: async_imap::error::Error) -> Self {
        ImapError::Io(error.to_string())
    }
}

impl From<std::io::Error> for ImapError {
    fn from(error: std::io::Error) -> Self {
        ImapError::Io(error.to_string())
    }
}

/// A mailbox to read: `imap://user:pass@host[:port]/MAILBOX[?tls=none|starttls]` or
/// `imaps://...`; the mailbox defaults to INBOX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxUrl(pub ServerUrl);

impl MailboxUrl {
    /// Parses and checks a mailbox URL.
    pub fn parse(raw: &str) -> Result<MailboxUrl, UrlError> {
        let mut url = parse_server_url(raw, ["imap", "imaps"])?;
        if url.user.is_none() {
            return Err(UrlError(
                "an IMAP URL needs a user: imap://user:pass@host/INBOX".into(),
            ));
        }
        if url.path.is_empty() {
            url.path = "INBOX".into();
        }
        Ok(MailboxUrl(url))
    }

    /// Its address without the password.
    pub fn describe(&self) -> String {
        self.0.redacted()
    }
}

/// A logged-in session with one mailbox selected.
pub struct Mailbox {
    session: Session<Box<dyn Io>>,
    url: MailboxUrl,
    idle: bool,
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailbox")
            .field("url", &self.url.describe())
            .field("idle", &self.idle)
            .finish()
    }
}

async fn timed<T, E: Into<ImapError>>(
    what: &str,
    work: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, ImapError> {
    match tokio::time::timeout(COMMAND_TIMEOUT, work).await {
        Ok(result) => result.map_err(Into::into),
        Err(_) => Err(ImapError::Io(format!("{what} timed out"))),
    }
}

fn tls_connector() -> TlsConnector {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    #[allow(clippy::expect_used)] // the ring provider supports the default protocol versions
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

async fn wrap_tls(host: &str, stream: Box<dyn Io>) -> Result<Box<dyn Io>, ImapError> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| ImapError::Io(format!("{host:?} is not a TLS server name")))?;
    let tls = tls_connector().connect(name, stream).await?;
    Ok(Box::new(tls))
}

impl Mailbox {
    /// Connects, logs in and selects the mailbox.
    pub async fn open(url: &MailboxUrl) -> Result<Mailbox, ImapError> {
        timed("connecting to the IMAP server", Self::connect(url)).await
    }

    async fn connect(url: &MailboxUrl) -> Result<Mailbox, ImapError> {
        let server = &url.0;
        let tcp = TcpStream::connect((server.host.as_str(), server.port)).await?;
        let mut stream: Box<dyn Io> = Box::new(tcp);
        if server.security == Security::Tls {
            stream = wrap_tls(&server.host, stream).await?;
        }
        let mut client = Client::new(stream);
        client
            .read_response()
            .await?
            .ok_or_else(|| ImapError::Io("the IMAP server closed before its greeting".into()))?;
        if server.security == Security::StartTls {
            client.run_command_and_check_ok("STARTTLS", None).await?;
            let upgraded = wrap_tls(&server.host, client.into_inner()).await?;
            client = Client::new(upgraded);
        }
        let user = server.user.clone().unwrap_or_default();
        let mut session = client
            .login(&user, server.password.clone().unwrap_or_default())
            .await
            .map_err(|_| ImapError::Login(url.describe()))?;
        let idle = session.capabilities().await?.has_str("IDLE");
        session.select(&server.path).await?;
        Ok(Mailbox {
            session,
            url: url.clone(),
            idle,
        })
    }

    /// Whether the server offers IDLE.
    pub fn can_idle(&self) -> bool {
        self.idle
    }

    /// The UIDs of unseen mail, oldest first.
    pub async fn unseen(&mut self) -> Result<Vec<u32>, ImapError> {
        let mut uids: Vec<u32> = timed("UID SEARCH", self.session.uid_search("UNSEEN"))
            .await?
            .into_iter()
            .collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// One mail's raw bytes, leaving it unseen; `None` when it is gone.
    pub async fn fetch(&mut self, uid: u32) -> Result<Option<Vec<u8>>, ImapError> {
        let work = async {
            let fetches: Vec<_> = self
                .session
                .uid_fetch(uid.to_string(), "BODY.PEEK[]")
                .await?
                .try_collect()
                .await?;
            Ok::<_, async_imap::error::Error>(
                fetches.iter().find_map(|f| f.body().map(<[u8]>::to_vec)),
            )
        };
        timed("UID FETCH", work).await
    }

    /// Flags a mail `\Seen`: the desk has it.
    pub async fn mark_seen(&mut self, uid: u32) -> Result<(), ImapError> {
        let work = async {
            let _: Vec<_> = self
                .session
                .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")
                .await?
                .try_collect()
                .await?;
            Ok::<_, async_imap::error::Error>(())
        };
        timed("UID STORE", work).await
    }

    /// Adds a mail to the mailbox (for tests and the intake benchmark).
    pub async fn append(&mut self, raw: &[u8]) -> Result<(), ImapError> {
        let mailbox = self.url.0.path.clone();
        timed("APPEND", self.session.append(&mailbox, None, None, raw)).await
    }

    /// Waits up to `most` for news: with IDLE the server says when mail arrives; without it,
    /// this simply sleeps. Returns the session for the next round.
    pub async fn wait(self, most: Duration) -> Result<Mailbox, ImapError> {
        if !self.idle {
            tokio::time::sleep(most).await;
            return Ok(self);
        }
        let Mailbox { session, url, idle } = self;
        let mut handle = session.idle();
        timed("IDLE", handle.init()).await?;
        let (news, _stop) = handle.wait_with_timeout(most);
        news.await?;
        let session = timed("DONE", handle.done()).await?;
        Ok(Mailbox { session, url, idle })
    }

    /// Logs out politely.
    pub async fn close(mut self) {
        let _ = timed("LOGOUT", self.session.logout()).await;
    }
}
