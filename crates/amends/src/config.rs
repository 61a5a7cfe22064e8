//! One configuration, read once: defaults in code, then a TOML file, then `AMENDS_*`
//! environment variables, then command-line flags. Passed explicitly; nothing global.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// A database URL whose password never reaches a log.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(pub String);

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
pub struct Config {
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
        }
    }
}

/// The documented default file, printed by `amends config example`.
pub const EXAMPLE: &str = r#"# amends.toml: every setting with its default. Environment variables AMENDS_<NAME>
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

# Mark cookies Secure; turn on when the desk is served over HTTPS.
secure_cookies = false

# How often the job runner looks for due jobs, in milliseconds.
job_poll_ms = 500

# "text" for people, "json" for log collectors.
log_format = "text"
"#;

impl Config {
    /// Defaults, then `file` (or `amends.toml` when present), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
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
        Ok(())
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
