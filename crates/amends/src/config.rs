//! One configuration, read once: defaults in code, then a TOML file, then `AMENDS_*`
//! environment variables, then command-line flags. Passed explicitly; nothing global.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// A database URL whose password never reaches a log.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub(crate) struct DatabaseUrl(pub String);

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Everything `amends` can be configured with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Config {
    /// Address to listen on.
    pub addr: String,
    /// `sqlite:PATH` or `postgres://…`.
    pub database: DatabaseUrl,
    /// Largest request body, bytes.
    pub max_body_bytes: usize,
    /// How long a console session lasts, hours.
    pub session_hours: u64,
    /// Mark cookies `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
    /// How often the job runner looks for due jobs, milliseconds.
    pub job_poll_ms: u64,
    /// `text` or `json` logs.
    pub log_format: String,
    /// The address customers reach the desk at, for links sent to them; `http://{addr}` when
    /// empty.
    pub public_url: String,
    /// How long before a promise is due its owner is reminded, minutes.
    pub reminder_lead_minutes: i64,
    /// How long after resolution the customer is asked how it went, minutes.
    pub follow_up_minutes: i64,
    /// Compensation above this share of revenue, percent, flags "too expensive to keep".
    pub expensive_share_percent: i64,
    /// Complaints this many days before a bill count as near billing.
    pub billing_window_days: i64,
    /// This many complaints near billing flag the pattern.
    pub billing_complaints: usize,
    /// This many complaints within `repeat_window_days` flag a repeat complainer.
    pub repeat_complaints: usize,
    /// The repeat-complainer window, days.
    pub repeat_window_days: i64,
    /// The abuse policy's steps, in order; the built-in policy when empty.
    pub abuse_policy: Vec<amends_core::protocol::AbuseStep>,
    /// How long a claimed job is held before another server may take it over, milliseconds.
    pub job_lease_ms: u64,
    /// The SMTP relay mail goes out through; empty keeps mail in the local outbox.
    pub smtp_url: String,
    /// Mailboxes to take mail in from, as imap:// or imaps:// URLs.
    pub imap_urls: Vec<String>,
    /// The desk's sender address.
    pub mail_from: String,
    /// The sign-off of every mail.
    pub mail_signature: String,
    /// Largest mail taken in, bytes.
    pub max_mail_bytes: usize,
    /// How often a mailbox without IDLE is looked at, and the longest IDLE wait, seconds.
    pub mail_poll_seconds: u64,
    /// The sentence encoder messages are read through: "auto", "", "installed" or a model folder.
    pub encoder: String,
    /// Connections held at once; 0 means as many as the open-file limit leaves room for.
    pub max_connections: usize,
    /// Seconds a client has to send a request's header (also the keep-alive idle limit).
    pub header_timeout_seconds: u64,
    /// Seconds a client has to send a request's body.
    pub body_timeout_seconds: u64,
    /// Password checks at once; 0 means two per core.
    pub password_checks: usize,
    /// Days back that grants to one customer count against an agent's authority.
    pub authority_period_days: i64,
    /// Minutes a console session may go unused before it ends.
    pub session_idle_minutes: u64,
    /// Send Strict-Transport-Security (only when the desk is reached over HTTPS).
    pub hsts: bool,
    /// Addresses of reverse proxies whose X-Forwarded-For names the client.
    pub trusted_proxies: Vec<String>,
    /// The chat on the business's website.
    pub chat: crate::chat_config::ChatConfig,
    /// The messaging apps' and social networks' secrets.
    pub messaging: crate::messaging_config::MessagingConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: "127.0.0.1:8080".to_owned(),
            database: DatabaseUrl("sqlite:amends.db".to_owned()),
            max_body_bytes: 1024 * 1024,
            session_hours: 12,
            secure_cookies: false,
            job_poll_ms: 500,
            log_format: "text".to_owned(),
            public_url: String::new(),
            reminder_lead_minutes: 30,
            follow_up_minutes: 3 * 24 * 60,
            expensive_share_percent: 20,
            billing_window_days: 3,
            billing_complaints: 2,
            repeat_complaints: 3,
            repeat_window_days: 90,
            abuse_policy: Vec::new(),
            job_lease_ms: 60_000,
            smtp_url: String::new(),
            imap_urls: Vec::new(),
            mail_from: "Customer care <care@amends.localhost>".to_owned(),
            mail_signature: "Kind regards,\nThe customer care team".to_owned(),
            max_mail_bytes: 32 * 1024 * 1024,
            mail_poll_seconds: 60,
            encoder: "auto".to_owned(),
            max_connections: 0,
            header_timeout_seconds: 10,
            body_timeout_seconds: 30,
            password_checks: 0,
            authority_period_days: amends_core::compensation::DEFAULT_AUTHORITY_PERIOD_DAYS,
            session_idle_minutes: 120,
            hsts: false,
            trusted_proxies: Vec::new(),
            chat: crate::chat_config::ChatConfig::default(),
            messaging: crate::messaging_config::MessagingConfig::default(),
        }
    }
}

/// The documented default file, printed by `amends config example`.
pub(crate) const EXAMPLE: &str = r#"# amends.toml: every setting with its default. Environment variables AMENDS_<NAME>
# (for example AMENDS_DATABASE) override this file; command-line flags override both.

# Address the desk listens on.
addr = "127.0.0.1:8080"

# Where the desk keeps everything: an embedded SQLite file, or a PostgreSQL server shared by
# several `amends serve` processes, e.g. "postgres://amends:secret@db.internal/amends".
database = "sqlite:amends.db"

# Largest request body accepted, in bytes.
max_body_bytes = 1048576

# How long a console session lasts, in hours.
session_hours = 12

# Mark cookies Secure; turn on when the desk is served over HTTPS. It is on whatever this says
# when public_url starts with https://.
secure_cookies = false

# How long a console session may go unused before it ends, in minutes (session_hours bounds
# it in any case).
session_idle_minutes = 120

# Behind HTTPS: send Strict-Transport-Security, so browsers never use plain HTTP again.
hsts = false

# Reverse proxies (their addresses, e.g. ["127.0.0.1"]) whose X-Forwarded-For names the client
# in the audit trail and for sign-in throttling; from anyone else the header is ignored.
trusted_proxies = []

# How often the job runner looks for due jobs, in milliseconds.
job_poll_ms = 500

# "text" for people, "json" for log collectors.
log_format = "text"

# The address customers reach the desk at, used in the links sent to them (survey, plan,
# summary). Empty means http://<addr>; set it to the public HTTPS address in production.
public_url = ""

# How long before a promise is due its owner is reminded, in minutes.
reminder_lead_minutes = 30

# How long after a case is resolved the customer is asked whether they are satisfied, in
# minutes (4320 is three days).
follow_up_minutes = 4320

# An agent's authority limit covers what one customer was given over this many days, on all
# their cases (and a supervisor approves only within their own limit; above it, an admin).
authority_period_days = 30

# Customer standing flags (shown, never acted on automatically): compensation above this share
# of revenue is "too expensive to keep"; this many complaints within billing_window_days
# before a bill is "complains near billing"; repeat_complaints within repeat_window_days is a
# repeat complainer.
expensive_share_percent = 20
billing_window_days = 3
billing_complaints = 2
repeat_complaints = 3
repeat_window_days = 90

# The abuse policy, as [[abuse_policy]] tables of name, script and ends_contact, in order.
# Empty means the built-in policy: warning, final_warning, end_contact.
abuse_policy = []

# How long a server holds a job it claimed before another may take it over, in milliseconds.
# Sending one mail is given at most half of it.
job_lease_ms = 60000

# The SMTP relay mail goes out through (also --smtp-url or AMENDS_SMTP_URL), e.g.
# "smtp://user:pass@mail.example.com:587?tls=starttls", "smtps://user:pass@host" (TLS from the
# start), or "smtp://127.0.0.1:2525?tls=none" for a relay on loopback. Empty: mail is kept in
# the local outbox (GET /api/v1/notices shows it as "held") and nothing leaves the machine.
smtp_url = ""

# Mailboxes to take complaints in from (also AMENDS_IMAP_URL, several separated by spaces),
# e.g. ["imaps://care%40example.com:secret@imap.example.com/INBOX"]; "imap://...?tls=none"
# only for a server on loopback. Mail can also be posted to POST /api/v1/inbound/email.
imap_urls = []

# The desk's sender address and the sign-off of every mail.
mail_from = "Customer care <care@amends.localhost>"
mail_signature = "Kind regards,\nThe customer care team"

# Largest mail taken in, in bytes; attachments are kept up to 15 MiB each, 25 MiB a mail.
max_mail_bytes = 33554432

# How often a mailbox whose server lacks IDLE is looked at, in seconds (also the longest IDLE).
mail_poll_seconds = 60

# The sentence encoder the desk reads customers' messages through where its n-grams are unsure
# whether a message is a complaint (also AMENDS_ENCODER): "auto" for the one `bash
# scripts/encoder/install` puts in this checkout when it is there, "installed" for that one (an
# error when it is not), "" for none, or a model folder. It tells complaints better
# (docs/benchmarks.md) but costs about 20 ms of CPU for each message it reads (about two in five
# complaints) and 200 MB of memory a server.
encoder = "auto"

# Limits for a desk on the internet. Connections held at once (0: as many as the open-file
# limit leaves room for, which the desk raises to its hard limit at start); seconds a client has
# to send a request's header (also how long an idle keep-alive connection is kept) and its body;
# password checks at once (each holds 19 MiB for a moment; 0: two per core; past them a sign-in
# is answered 503 with Retry-After).
max_connections = 0
header_timeout_seconds = 10
body_timeout_seconds = 30
password_checks = 0

# The chat on the business's website (docs/chat.md). Sites whose pages may hold the widget,
# like ["https://shop.example"] (also AMENDS_CHAT_ALLOWED_ORIGINS); empty lets any site. An
# agent holds at most `capacity` open chats at once. The assistant (off) collects an order number
# and address, and hands every visitor to a person, at once when upset (docs/chat.md). `hours`,
# like "Mon-Fri 09:00-17:30, Sat 10:00-14:00" in `time_zone`: outside them (empty: always open)
# a visitor leaves an address.
[chat]
greeting = "Hello! How can we help?"
answer_within_minutes = 5
allowed_origins = []
at_work_minutes = 10
max_connections = 4096
capacity = 3
assistant = false
hours = ""
time_zone = "UTC"

# Messaging apps and social networks (docs/messaging.md): each provider's secret turns its
# webhook on, its sending credential its replies (also from AMENDS_ + the name in capitals, for
# the secrets and tokens); empty leaves it off. The *_api addresses are for a local stand-in.
[messaging]
twilio_auth_token = ""
twilio_account_sid = ""
telegram_secret = ""
telegram_bot_token = ""
meta_app_secret = ""
meta_verify_token = ""
meta_access_token = ""
webhook_secret = ""
webhook_reply_url = ""
"#;

impl Config {
    /// The desk's public address.
    pub(crate) fn public_url(&self) -> String {
        if self.public_url.is_empty() {
            format!("http://{}", self.addr)
        } else {
            self.public_url.clone()
        }
    }

    /// How connections are bounded, given the open-file limit the process runs with: a quarter
    /// of the descriptors stay free for the database, mailboxes and logs.
    pub(crate) fn connections(&self, open_files: u64) -> amends_server::ConnectionLimits {
        let room = usize::try_from(open_files.saturating_mul(3) / 4).unwrap_or(usize::MAX);
        let max_connections = match self.max_connections {
            0 => room.clamp(16, 65_536),
            n => n.min(room.max(16)),
        };
        amends_server::ConnectionLimits {
            max_connections,
            header_timeout: std::time::Duration::from_secs(self.header_timeout_seconds.max(1)),
        }
    }

    /// Whether cookies are marked Secure: as set, and always when customers reach the desk
    /// over HTTPS.
    pub(crate) fn secure_cookies(&self) -> bool {
        self.secure_cookies || self.public_url.trim().starts_with("https://")
    }

    /// The trusted proxies' addresses, checked.
    pub(crate) fn trusted_proxies(&self) -> anyhow::Result<Vec<std::net::IpAddr>> {
        self.trusted_proxies
            .iter()
            .map(|a| {
                a.parse()
                    .map_err(|_| anyhow::anyhow!("trusted_proxies: {a:?} is not an IP address"))
            })
            .collect()
    }

    /// The standing thresholds.
    pub(crate) fn standing(&self) -> amends_core::standing::StandingPolicy {
        amends_core::standing::StandingPolicy {
            expensive_share_percent: self.expensive_share_percent,
            billing_window_days: self.billing_window_days,
            billing_complaints: self.billing_complaints,
            repeat_complaints: self.repeat_complaints,
            repeat_window_days: self.repeat_window_days,
        }
    }

    /// The abuse policy, checked.
    pub(crate) fn abuse_policy(&self) -> anyhow::Result<amends_core::protocol::AbusePolicy> {
        if self.abuse_policy.is_empty() {
            return Ok(amends_core::protocol::AbusePolicy::default());
        }
        let policy = amends_core::protocol::AbusePolicy {
            steps: self.abuse_policy.clone(),
        };
        policy.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(policy)
    }

    /// Mail settings, checked: a URL that cannot be used stops the desk at start with the
    /// reason, never at the first mail.
    pub(crate) fn mail(&self) -> anyhow::Result<amends_server::mailroom::MailSettings> {
        let lease = std::time::Duration::from_millis(self.job_lease_ms);
        if lease < std::time::Duration::from_secs(2) {
            anyhow::bail!("job_lease_ms must be at least 2000");
        }
        let relay = if self.smtp_url.trim().is_empty() {
            None
        } else {
            let timeout = (lease / 2).min(amends_mail::smtp::SEND_TIMEOUT);
            Some(
                amends_mail::Mailer::from_url(self.smtp_url.trim(), timeout)
                    .map_err(|e| anyhow::anyhow!("smtp_url: {e}"))?,
            )
        };
        let mailboxes = self
            .imap_urls
            .iter()
            .map(|u| {
                amends_mail::MailboxUrl::parse(u).map_err(|e| anyhow::anyhow!("imap_urls: {e}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(amends_server::mailroom::MailSettings {
            from: self.mail_from.clone(),
            signature: self.mail_signature.clone(),
            relay,
            mailboxes,
            max_mail_bytes: self.max_mail_bytes,
            poll: std::time::Duration::from_secs(self.mail_poll_seconds.max(1)),
        })
    }

    /// When the store schedules reminders and follow-ups.
    pub(crate) fn timing(&self) -> amends_store::Timing {
        amends_store::Timing {
            reminder_lead_millis: self.reminder_lead_minutes.max(0) * 60_000,
            follow_up_delay_millis: self.follow_up_minutes.max(0) * 60_000,
        }
    }

    /// Defaults, then `file` (or `amends.toml` when present), then the environment.
    pub(crate) fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut config = match file {
            Some(path) => Self::from_file(path)?,
            None if Path::new("amends.toml").exists() => {
                Self::from_file(&PathBuf::from("amends.toml"))?
            }
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    fn from_file(path: &Path) -> anyhow::Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        fn number<T: std::str::FromStr>(name: &str, value: String) -> anyhow::Result<T> {
            value
                .parse()
                .map_err(|_| anyhow::anyhow!("{name} must be a number, not {value:?}"))
        }
        if let Some(v) = var("AMENDS_ADDR") {
            self.addr = v;
        }
        if let Some(v) = var("AMENDS_DATABASE") {
            self.database = DatabaseUrl(v);
        }
        if let Some(v) = var("AMENDS_MAX_BODY_BYTES") {
            self.max_body_bytes = number("AMENDS_MAX_BODY_BYTES", v)?;
        }
        if let Some(v) = var("AMENDS_SESSION_HOURS") {
            self.session_hours = number("AMENDS_SESSION_HOURS", v)?;
        }
        if let Some(v) = var("AMENDS_SECURE_COOKIES") {
            self.secure_cookies = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = var("AMENDS_JOB_POLL_MS") {
            self.job_poll_ms = number("AMENDS_JOB_POLL_MS", v)?;
        }
        if let Some(v) = var("AMENDS_LOG_FORMAT") {
            self.log_format = v;
        }
        if let Some(v) = var("AMENDS_PUBLIC_URL") {
            self.public_url = v;
        }
        if let Some(v) = var("AMENDS_REMINDER_LEAD_MINUTES") {
            self.reminder_lead_minutes = number("AMENDS_REMINDER_LEAD_MINUTES", v)?;
        }
        if let Some(v) = var("AMENDS_FOLLOW_UP_MINUTES") {
            self.follow_up_minutes = number("AMENDS_FOLLOW_UP_MINUTES", v)?;
        }
        if let Some(v) = var("AMENDS_JOB_LEASE_MS") {
            self.job_lease_ms = number("AMENDS_JOB_LEASE_MS", v)?;
        }
        if let Some(v) = var("AMENDS_SMTP_URL") {
            self.smtp_url = v;
        }
        if let Some(v) = var("AMENDS_IMAP_URL") {
            self.imap_urls = v
                .split([' ', ',', '\n'])
                .filter(|u| !u.trim().is_empty())
                .map(|u| u.trim().to_owned())
                .collect();
        }
        if let Some(v) = var("AMENDS_MAIL_FROM") {
            self.mail_from = v;
        }
        if let Some(v) = var("AMENDS_MAX_MAIL_BYTES") {
            self.max_mail_bytes = number("AMENDS_MAX_MAIL_BYTES", v)?;
        }
        if let Some(v) = var("AMENDS_MAX_CONNECTIONS") {
            self.max_connections = number("AMENDS_MAX_CONNECTIONS", v)?;
        }
        if let Some(v) = var("AMENDS_HEADER_TIMEOUT_SECONDS") {
            self.header_timeout_seconds = number("AMENDS_HEADER_TIMEOUT_SECONDS", v)?;
        }
        if let Some(v) = var("AMENDS_BODY_TIMEOUT_SECONDS") {
            self.body_timeout_seconds = number("AMENDS_BODY_TIMEOUT_SECONDS", v)?;
        }
        if let Some(v) = var("AMENDS_HSTS") {
            self.hsts = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = var("AMENDS_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split([' ', ','])
                .filter(|a| !a.trim().is_empty())
                .map(|a| a.trim().to_owned())
                .collect();
        }
        if let Some(v) = var("AMENDS_SESSION_IDLE_MINUTES") {
            self.session_idle_minutes = number("AMENDS_SESSION_IDLE_MINUTES", v)?;
        }
        if let Some(v) = var("AMENDS_PASSWORD_CHECKS") {
            self.password_checks = number("AMENDS_PASSWORD_CHECKS", v)?;
        }
        if let Some(v) = var("AMENDS_MAIL_POLL_SECONDS") {
            self.mail_poll_seconds = number("AMENDS_MAIL_POLL_SECONDS", v)?;
        }
        self.chat.read_env(var("AMENDS_CHAT_ALLOWED_ORIGINS"));
        self.messaging.read_env(&var);
        if let Some(v) = var("AMENDS_ENCODER") {
            self.encoder = v;
        }
        Ok(())
    }

    /// The text engine the server reads messages with, when the `encoder` setting names one.
    pub(crate) fn reader(&self) -> anyhow::Result<Option<std::sync::Arc<amends_analysis::Model>>> {
        encoder_folder(&self.encoder)?
            .map(|dir| amends_server::english_with_encoder(&dir).map(std::sync::Arc::new))
            .transpose()
            .map_err(anyhow::Error::msg)
    }
}

/// The folder an `encoder` setting names: none for "", the one `scripts/encoder/install` put in
/// this checkout for "installed" (an error when there is none) and for "auto" (none when there is
/// none), else the setting itself.
pub(crate) fn encoder_folder(setting: &str) -> anyhow::Result<Option<PathBuf>> {
    match setting.trim() {
        "" => Ok(None),
        "auto" => Ok(amends_server::installed_encoder()),
        "installed" => amends_server::installed_encoder().map(Some).ok_or_else(|| {
            anyhow::anyhow!("encoder = \"installed\" but none is: run bash scripts/encoder/install")
        }),
        dir => Ok(Some(PathBuf::from(dir))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_redacted() {
        let url = DatabaseUrl("postgres://amends:hunter2@db/amends".to_owned());
        assert_eq!(format!("{url:?}"), "postgres://amends:***@db/amends");
        assert_eq!(format!("{url}"), "postgres://amends:***@db/amends");
        assert_eq!(redact("sqlite:amends.db"), "sqlite:amends.db");
    }

    #[test]
    fn the_example_file_is_the_defaults() {
        let parsed: Config = toml::from_str(EXAMPLE).unwrap();
        let defaults = Config::default();
        assert_eq!(format!("{parsed:?}"), format!("{defaults:?}"));
    }

    #[test]
    fn the_encoder_setting_names_none_a_folder_or_the_installed_one() {
        assert_eq!(encoder_folder(" ").unwrap(), None);
        assert_eq!(
            encoder_folder("/models/minilm").unwrap(),
            Some(PathBuf::from("/models/minilm"))
        );
        match amends_server::installed_encoder() {
            Some(dir) => assert_eq!(encoder_folder("installed").unwrap(), Some(dir)),
            None => assert!(encoder_folder("installed").is_err()),
        }
        let config = Config {
            encoder: "/nowhere/at/all".to_owned(),
            ..Config::default()
        };
        let error = config.reader().unwrap_err().to_string();
        assert!(error.contains("/nowhere/at/all"), "{error}");
        // By default the installed one, when there is one; the n-grams alone when not.
        assert_eq!(
            encoder_folder(&Config::default().encoder).unwrap(),
            amends_server::installed_encoder()
        );
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let mut config: Config =
            toml::from_str("addr = \"0.0.0.0:9000\"\njob_poll_ms = 100").unwrap();
        config
            .apply_env(|name| (name == "AMENDS_JOB_POLL_MS").then(|| "250".to_owned()))
            .unwrap();
        assert_eq!(
            (config.addr.as_str(), config.job_poll_ms),
            ("0.0.0.0:9000", 250)
        );
        let error =
            config.apply_env(|name| (name == "AMENDS_SESSION_HOURS").then(|| "many".to_owned()));
        assert!(error.is_err());
        assert!(
            toml::from_str::<Config>("colour = \"blue\"").is_err(),
            "unknown keys are refused"
        );
    }
}
